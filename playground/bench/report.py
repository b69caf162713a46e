"""The figures as a table against their targets, and as one flat JSON object."""

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


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
    Figure("browser_long_tasks", "Browser: long tasks over 50 ms, 6 columns at 100 tok/s", "", 0),
    Figure(
        "browser_event_to_screen_p95_ms", "Browser: event arrival to text on screen, p95", "ms", 50
    ),
]
KEYS = [figure.key for figure in FIGURES]


def verdict(figure: Figure, value: float | None) -> str:
    if value is None:
        return "not measured"
    if figure.target is None:
        return ""
    return "pass" if figure.holds(value, figure.target) else "FAIL"


def table(figures: dict[str, float | None]) -> str:
    rows = [("Figure", "Target", "Measured", "Result")]
    for figure in FIGURES:
        value = figures.get(figure.key)
        measured = "—" if value is None else f"{value:g} {figure.unit}".strip()
        rows.append((figure.label, figure.target_text, measured, verdict(figure, value)))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def write_json(path: Path, figures: dict[str, float | None]) -> None:
    """The figures the targets name first, then the raw values they are made of."""
    ordered = {key: figures.get(key) for key in KEYS} | figures
    path.write_text(json.dumps(ordered, indent=2) + "\n")
