"""A column's timeline as SVG geometry: the moments of its request, the stalls in its
stream, and its output speed over time. Drawn by templates/playground/inspect/timeline.html.
"""

from dataclasses import dataclass
from itertools import pairwise

from playground.models import RunColumn

# A gap this long between two pieces of data is a stall a person would notice as a pause.
STALL_MS = 500
WIDTH = 720
MARK_LANE = (0, 56)  # the y range of the moments and stalls
RATE_LANE = (70, 160)  # the y range of the speed bars
HEIGHT = 180
BUCKETS = 36
# Event types whose `delta` is generated text (answer, reasoning, tool arguments).
TOKEN_EVENTS = frozenset(
    {
        "response.output_text.delta",
        "response.refusal.delta",
        "response.reasoning_text.delta",
        "response.reasoning_summary_text.delta",
        "response.function_call_arguments.delta",
    }
)
# When OpenRouter reports no output tokens: about four characters to a token.
CHARS_PER_TOKEN = 4
NUMBER = (int, float)


@dataclass(frozen=True)
class Mark:
    key: str
    label: str
    ms: float
    x: float


@dataclass(frozen=True)
class Stall:
    start_ms: float
    end_ms: float
    x: float
    width: float

    @property
    def duration_ms(self) -> float:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class RateBar:
    start_ms: float
    end_ms: float
    tokens_per_second: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    end_ms: float
    marks: list[Mark]
    stalls: list[Stall]
    bars: list[RateBar]
    ticks: list[Tick]
    peak_rate: float
    estimated: bool  # speeds from characters, OpenRouter having reported no token count
    stall_ms: int
    width: int = WIDTH
    height: int = HEIGHT
    mark_lane: tuple[int, int] = MARK_LANE
    rate_lane: tuple[int, int] = RATE_LANE

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def axis_y(self) -> int:
        return self.rate_lane[1]


def _label(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def _ticks(end_ms: float, scale: float) -> list[Tick]:
    step = next(
        (step for step in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000)
         if end_ms / step <= 8),
        120_000,
    )  # fmt: skip
    count = int(end_ms // step)
    return [Tick(x=round(i * step * scale, 1), label=_label(i * step)) for i in range(count + 1)]


def _token_arrivals(column: RunColumn) -> list[tuple[float, int]]:
    """(t_ms, characters) of every piece of generated text."""
    arrivals = []
    for entry in column.events:
        event = entry.get("event")
        t_ms = entry.get("t_ms")
        if not isinstance(event, dict) or not isinstance(t_ms, NUMBER):
            continue
        delta = event.get("delta")
        if event.get("type") in TOKEN_EVENTS and isinstance(delta, str) and delta:
            arrivals.append((float(t_ms), len(delta)))
    return arrivals


def _stalls(column: RunColumn, *, start_ms: float, stall_ms: int, scale: float) -> list[Stall]:
    """Gaps longer than `stall_ms` between pieces of data (keep-alive comments carry none),
    from the first byte of the response on."""
    times = [start_ms]
    times += [
        float(entry["t_ms"])
        for entry in column.events
        if "event" in entry and isinstance(entry.get("t_ms"), NUMBER)
    ]
    stalls = []
    for before, after in pairwise(times):
        if after - before > stall_ms:
            stalls.append(
                Stall(
                    start_ms=before,
                    end_ms=after,
                    x=round(before * scale, 1),
                    width=round((after - before) * scale, 1),
                )
            )
    return stalls


def _bars(column: RunColumn, *, end_ms: float, scale: float) -> tuple[list[RateBar], float, bool]:
    arrivals = _token_arrivals(column)
    characters = sum(size for _, size in arrivals)
    if not arrivals or not characters:
        return [], 0.0, False
    estimated = not column.output_tokens
    tokens_per_char = 1 / CHARS_PER_TOKEN if estimated else column.output_tokens / characters
    bucket_ms = end_ms / BUCKETS
    tokens = [0.0] * BUCKETS
    for t_ms, size in arrivals:
        tokens[min(int(t_ms / bucket_ms), BUCKETS - 1)] += size * tokens_per_char
    rates = [count / (bucket_ms / 1000) for count in tokens]
    peak = max(rates)
    top, bottom = RATE_LANE
    bars = []
    for index, rate in enumerate(rates):
        if not rate:
            continue
        height = round((bottom - top) * rate / peak, 1)
        bars.append(
            RateBar(
                start_ms=index * bucket_ms,
                end_ms=(index + 1) * bucket_ms,
                tokens_per_second=rate,
                x=round(index * bucket_ms * scale, 1),
                y=round(bottom - height, 1),
                width=max(round(bucket_ms * scale - 1, 1), 0.5),
                height=height,
            )
        )
    return bars, peak, estimated


MARK_LABELS = {
    "sent": "request sent",
    "first_byte_ms": "first byte",
    "first_reasoning_ms": "first reasoning token",
    "first_answer_ms": "first answer token",
    "last_token_ms": "last token",
}


def column_timeline(column: RunColumn, *, stall_ms: int = STALL_MS) -> Timeline | None:
    """The column's timeline, or None when it has no recorded timing (never streamed)."""
    marks = column.marks or {}
    end_ms = marks.get("end_ms") or column.total_ms
    if not end_ms or end_ms <= 0:
        return None
    scale = WIDTH / end_ms
    moments = [Mark(key="sent", label=MARK_LABELS["sent"], ms=0.0, x=0.0)]
    for key in ("first_byte_ms", "first_reasoning_ms", "first_answer_ms", "last_token_ms"):
        ms = marks.get(key)
        if isinstance(ms, NUMBER):
            moments.append(Mark(key=key, label=MARK_LABELS[key], ms=ms, x=round(ms * scale, 1)))
    first_byte = marks.get("first_byte_ms") or 0.0
    bars, peak, estimated = _bars(column, end_ms=end_ms, scale=scale)
    return Timeline(
        end_ms=end_ms,
        marks=moments,
        stalls=_stalls(column, start_ms=first_byte, stall_ms=stall_ms, scale=scale),
        bars=bars,
        ticks=_ticks(end_ms, scale),
        peak_rate=peak,
        estimated=estimated,
        stall_ms=stall_ms,
    )
