"""The figures as a table against their targets, beside the bare relay's, and as one flat
JSON object."""

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .stats import ratio

type Figures = dict[str, float | str | None]


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    target: float | None = None
    # How the measured value must compare with the target.
    holds: Callable[[float, float], bool] = operator.le

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "—"
        sign = "≤" if self.holds is operator.le else "≥"
        return f"{sign} {self.target:g} {self.unit}".strip()


FIGURES = [
    Figure(
        "ttft_overhead_stream_p50_ms", "1. First-token overhead from the stream GET, p50", "ms", 2
    ),
    Figure(
        "ttft_overhead_stream_p99_ms", "1. First-token overhead from the stream GET, p99", "ms", 10
    ),
    Figure(
        "ttft_overhead_post_p50_ms", "1. First-token overhead from the run's POST, p50", "ms", 8
    ),
    Figure(
        "ttft_overhead_100_p99_ms", "2. First-token overhead, 100 streams at once, p99", "ms", 30
    ),
    Figure("relay_jitter_p50_ms", "3. Relay delay per event, p50", "ms", 1),
    Figure("relay_jitter_p99_ms", "3. Relay delay per event, p99", "ms", 5),
    Figure("relay_jitter_max_ms", "3. Relay delay per event, max", "ms"),
    Figure(
        "max_active_streams", "4. Active streams at 20 events/s, 1 worker", "", 300, operator.ge
    ),
    Figure("open_streams", "5. Open idle streams held at once", "", 2000, operator.ge),
    Figure("kb_per_open_stream", "5. Memory per open stream", "KB", 60),
    Figure("soak_memory_ratio", "6. Memory after the soak over after its first wave", "times", 1.2),
    Figure("cancel_close_max_ms", "7. Stop to upstream closed, max", "ms", 300),
    Figure("page_js_kb_gz", "8. Compare page JS, compressed", "KB", 60),
    Figure("page_total_kb_gz", "8. Compare page in all, compressed", "KB", 150),
    Figure("page_requests", "8. Compare page requests", "", 15),
    Figure("render_compare_p95_ms", "9. Compare page served, p95", "ms", 20),
    Figure("render_run_p95_ms", "9. Run page served, p95", "ms", 20),
    Figure(
        "attach_p50_ms", "10. A viewer attaching to a live run, to its first event, p50", "ms", 2
    ),
    Figure("attach_p99_ms", "10. A viewer attaching to a live run, to its first event, p99", "ms"),
    Figure("fanout_cpu_us_per_event_viewer", "10. Fan-out: CPU per event per extra viewer", "µs"),
    Figure("evaluation_wall_s", "11. An evaluation of 200 cells, 8 at once: wall time", "s"),
    Figure(
        "evaluation_wall_ratio",
        "11. The evaluation's wall time over the ideal (cell time / concurrency)",
        "times",
        1.2,
    ),
    Figure(
        "live_markdown_cpu_ms_per_flush",
        "13. Live markdown: CPU per flush of 8 columns, over the raw relay's",
        "ms",
    ),
    Figure("relay_cpu_ms_per_flush_raw", "13. The raw relay: CPU per flush of 8 columns", "ms"),
    Figure("browser_long_tasks", "Browser: long tasks over 50 ms, 6 columns at 100 tok/s", "", 0),
    Figure(
        "browser_event_to_screen_p95_ms", "Browser: event arrival to text on screen, p95", "ms", 50
    ),
    Figure(
        "bare_ttft_overhead_p50_ms", "12. First-token overhead from the GET, bare relay, p50", "ms"
    ),
    Figure(
        "bare_ttft_overhead_p99_ms", "12. First-token overhead from the GET, bare relay, p99", "ms"
    ),
    Figure("app_cpu_us_per_event", "12. CPU per relayed upstream event, the app", "µs"),
    Figure("bare_cpu_us_per_event", "12. CPU per relayed upstream event, bare relay", "µs"),
    Figure(
        "cpu_per_event_ratio", "12. CPU per relayed event, the app over the bare relay", "times", 2
    ),
    Figure("bare_active_streams", "12. Active streams at 20 events/s, bare relay", ""),
    Figure(
        "active_streams_ratio",
        "12. Active streams at 20 events/s, the app over the bare relay",
        "times",
        0.7,
        operator.ge,
    ),
]
KEYS = [figure.key for figure in FIGURES]
_BY_KEY = {figure.key: figure for figure in FIGURES}


@dataclass(frozen=True)
class Beside:
    """An app figure and the bare relay's same figure, and the key of their ratio."""

    label: str
    app: str
    bare: str
    ratio: str
    unit: str


BESIDE = [
    Beside(
        "First-token overhead from the stream GET, p50",
        "ttft_overhead_stream_p50_ms",
        "bare_ttft_overhead_p50_ms",
        "ttft_overhead_p50_ratio",
        "ms",
    ),
    Beside(
        "First-token overhead from the stream GET, p99",
        "ttft_overhead_stream_p99_ms",
        "bare_ttft_overhead_p99_ms",
        "ttft_overhead_p99_ratio",
        "ms",
    ),
    Beside(
        "CPU per relayed upstream event",
        "app_cpu_us_per_event",
        "bare_cpu_us_per_event",
        "cpu_per_event_ratio",
        "µs",
    ),
    Beside(
        "Active streams at 20 events/s",
        "max_active_streams",
        "bare_active_streams",
        "active_streams_ratio",
        "",
    ),
]


@dataclass(frozen=True)
class Limit:
    """Where a figure's load stopped, and the keys of the CPU shares measured there."""

    label: str
    prefix: str
    relay: str
    # The key of the first level that missed, for a figure that searches for one.
    limit: str | None = None


LIMITS = [
    Limit("4. Active streams, the app", "capacity_app", "app", "capacity_app_limit"),
    Limit("12. Active streams, bare relay", "capacity_bare", "bare relay", "capacity_bare_limit"),
    Limit("12. CPU per event, the app", "cpu_per_event_app", "app"),
    Limit("12. CPU per event, bare relay", "cpu_per_event_bare", "bare relay"),
]


def ratios(figures: Figures) -> dict[str, float | None]:
    """Each app figure over the bare relay's (`BESIDE`)."""
    return {
        beside.ratio: ratio(_number(figures, beside.app), _number(figures, beside.bare))
        for beside in BESIDE
    }


def _number(figures: Figures, key: str) -> float | None:
    value = figures.get(key)
    return value if isinstance(value, int | float) else None


def verdict(figure: Figure, value: float | None) -> str:
    if value is None:
        return "not measured"
    if figure.target is None:
        return ""
    return "pass" if figure.holds(value, figure.target) else "FAIL"


def _measured(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:g} {unit}".strip()


def table(figures: Figures) -> str:
    rows = [("Figure", "Target", "Measured", "Result")]
    for figure in FIGURES:
        value = _number(figures, figure.key)
        rows.append(
            (
                figure.label,
                figure.target_text,
                _measured(value, figure.unit),
                verdict(figure, value),
            )
        )
    return _lay_out(rows)


def beside_table(figures: Figures) -> str:
    """Each app figure beside the bare relay's, and their ratio against its target."""
    rows = [("The app beside the bare relay", "App", "Bare relay", "App over bare", "Target")]
    for beside in BESIDE:
        target = _BY_KEY.get(beside.ratio)
        rows.append(
            (
                beside.label,
                _measured(_number(figures, beside.app), beside.unit),
                _measured(_number(figures, beside.bare), beside.unit),
                _measured(_number(figures, beside.ratio), "times"),
                target.target_text if target else "—",
            )
        )
    return _lay_out(rows)


def limits_text(figures: Figures) -> str:
    """Which process was the busiest where each figure's load stopped."""
    lines = ["CPU in cores (1 is one core saturated) where each figure's load stopped:"]
    for limit in LIMITS:
        busiest = figures.get(f"{limit.prefix}_busiest")
        if busiest is None:
            continue
        if limit.limit is None:
            where = "while streaming"
        elif figures.get(limit.limit) is None:
            where = "no level missed; at the last one"
        else:
            where = f"at {figures[limit.limit]} streams, the first level that missed"
        shares = ", ".join(
            f"{name} {figures.get(f'{limit.prefix}_cpu_{key}')}"
            for key, name in (("fake", "fake"), ("client", "load client"), ("relay", limit.relay))
        )
        lines.append(f"  {limit.label}, {where}: {shares}; busiest: {busiest}")
    return "\n".join(lines)


def _lay_out(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def write_json(path: Path, figures: Figures) -> None:
    """The figures the targets name first, then the raw values they are made of."""
    ordered = {key: figures.get(key) for key in KEYS} | figures
    path.write_text(json.dumps(ordered, indent=2) + "\n")
