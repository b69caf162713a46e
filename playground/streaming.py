"""Fan-out, merge, coalescing and SSE framing for one run's stream. No ORM here.

One task per column reads its upstream stream and puts messages on one queue; the
merge loop turns them into SSE events for the browser:

- `c<N>-output` / `c<N>-reasoning`: escaped text to append, coalesced per column so the
  browser swaps at most about every FLUSH_INTERVAL seconds per column;
- `c<N>-end`: the column's final HTML, rendered by the caller's `render_end`;
- comments as keep-alives while nothing happens.
"""

import asyncio
import html
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from dataclasses import dataclass, field

from playground.openrouter import (
    FunctionCallArgumentsDelta,
    OpenRouterError,
    OutputTextDelta,
    ReasoningSummaryDelta,
    ReasoningTextDelta,
    RefusalDelta,
    ResponseFold,
    StreamComment,
    StreamEvent,
    StreamOpened,
    redact_headers,
)

# 40 ms: fast enough that text looks continuous (25 updates a second), slow enough that a
# 200-tokens-a-second model costs the browser 25 swaps a second instead of 200.
FLUSH_INTERVAL = 0.04
# Proxies commonly close connections idle for 30 to 60 s; a comment every 15 s keeps the
# stream open while a model thinks.
KEEPALIVE_INTERVAL = 15.0
# The raw events kept per column for the inspector; a long answer has a few thousand.
MAX_STORED_EVENTS = 5000

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

logger = logging.getLogger(__name__)


def sse_event(name: str, data: str) -> bytes:
    """One SSE event; multi-line data becomes several `data:` lines, which the browser
    joins back with newlines."""
    lines = "".join(f"data: {line}\n" for line in _LINE_BREAK.split(data))
    return f"event: {name}\n{lines}\n".encode()


def sse_comment(text: str = "") -> bytes:
    return f": {text}\n\n".encode()


@dataclass
class ColumnState:
    """What one column has received so far, with its timings on `time.perf_counter`'s
    clock: the moment the request was sent, and the moment the bytes of each event
    arrived (not when they were processed)."""

    position: int
    fold: ResponseFold = field(default_factory=ResponseFold)
    started_at: float | None = None
    first_byte_at: float | None = None
    first_token_at: float | None = None
    first_reasoning_at: float | None = None
    first_answer_at: float | None = None
    last_token_at: float | None = None
    ended_at: float | None = None
    cancelled: bool = False
    response_status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    request_headers: dict[str, str] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    events_truncated: bool = False

    def record(self, event: StreamEvent) -> None:
        """Notes an event's arrival: stored for the inspector (comments too, up to the
        cap) and counted in the timeline's marks."""
        now = event.arrived if event.arrived is not None else time.perf_counter()
        if isinstance(event, StreamOpened):
            self.first_byte_at = now
            self.response_status = event.status
            self.response_headers = event.headers
            self.request_headers = redact_headers(event.request_headers)
            return
        if len(self.events) < MAX_STORED_EVENTS:
            t_ms = self._ms(now)
            if isinstance(event, StreamComment):
                self.events.append({"t_ms": t_ms, "comment": event.text})
            else:
                self.events.append({"t_ms": t_ms, "event": event.raw})
        else:
            self.events_truncated = True
        if not getattr(event, "delta", ""):
            return
        # A tool call's arguments are the answer of a column that calls a tool.
        kind = "output" if isinstance(event, FunctionCallArgumentsDelta) else _delta_kind(event)
        if kind == "reasoning" and self.first_reasoning_at is None:
            self.first_reasoning_at = now
        if kind == "output" and self.first_answer_at is None:
            self.first_answer_at = now
        if kind and self.first_token_at is None:
            self.first_token_at = now
        self.last_token_at = now

    def _ms(self, moment: float | None) -> float | None:
        """Milliseconds since the request was sent, to a hundredth."""
        if moment is None or self.started_at is None:
            return None
        return round((moment - self.started_at) * 1000, 2)

    @property
    def ttft_ms(self) -> int | None:
        return _whole(self._ms(self.first_token_at))

    @property
    def total_ms(self) -> int | None:
        return _whole(self._ms(self.ended_at))

    @property
    def marks(self) -> dict[str, float | None]:
        """The timeline's moments in ms since the request was sent."""
        return {
            "first_byte_ms": self._ms(self.first_byte_at),
            "first_reasoning_ms": self._ms(self.first_reasoning_at),
            "first_answer_ms": self._ms(self.first_answer_at),
            "last_token_ms": self._ms(self.last_token_at),
            "end_ms": self._ms(self.ended_at),
        }


def _whole(ms: float | None) -> int | None:
    return None if ms is None else round(ms)


# Queue messages: (position, kind, text) with kind "output", "reasoning" or "end".
type Message = tuple[int, str, str]
type StreamOpener = Callable[[], AsyncIterator[StreamEvent]]


def _delta_kind(event: StreamEvent) -> str | None:
    if isinstance(event, OutputTextDelta | RefusalDelta):
        return "output"
    if isinstance(event, ReasoningTextDelta | ReasoningSummaryDelta):
        return "reasoning"
    return None


async def run_column(state: ColumnState, open_stream: StreamOpener, queue: asyncio.Queue) -> None:
    """Reads one column's upstream stream into its state, forwarding text to the queue.

    Cancellation (the browser went away) propagates: closing the stream generator closes
    the upstream request at once.
    """
    state.started_at = time.perf_counter()
    try:
        async for event in open_stream():
            state.record(event)
            state.fold.apply(event)
            kind = _delta_kind(event)
            delta = getattr(event, "delta", "")
            if kind and delta:
                queue.put_nowait((state.position, kind, delta))
        if not state.fold.finished:
            state.fold.fail(
                OpenRouterError.bad_response("The stream ended before the answer was complete.")
            )
    except OpenRouterError as error:
        state.fold.fail(error)
    except Exception:
        # A bug of ours must end this column visibly, not leave the run waiting forever.
        logger.exception("Column %s failed while reading its stream", state.position)
        state.fold.fail(OpenRouterError.bad_response("The playground failed to read this answer."))
    state.ended_at = time.perf_counter()
    queue.put_nowait((state.position, "end", ""))


async def multiplex(
    columns: list[tuple[ColumnState, StreamOpener]],
    render_end: Callable[[ColumnState], str],
    *,
    flush_interval: float = FLUSH_INTERVAL,
    keepalive_interval: float = KEEPALIVE_INTERVAL,
) -> AsyncIterator[bytes]:
    """Runs every column at once and yields the merged SSE bytes until all have ended.

    When the consumer stops early (the generator is closed or its task cancelled), every
    column task is cancelled and awaited, and the columns that had not ended are marked
    cancelled with their end time.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Message] = asyncio.Queue()
    states = {state.position: state for state, _ in columns}
    tasks = [asyncio.create_task(run_column(state, opener, queue)) for state, opener in columns]
    pending: dict[tuple[int, str], list[str]] = {}
    remaining = len(columns)
    next_flush = loop.time()

    def take(position: int, kind: str) -> bytes:
        parts = pending.pop((position, kind), None)
        return sse_event(f"c{position}-{kind}", html.escape("".join(parts))) if parts else b""

    def flush_all() -> bytes:
        return b"".join(take(position, kind) for position, kind in list(pending))

    try:
        # Sent at once so the browser sees the stream open before any model answers.
        yield sse_comment("stream open")
        while remaining:
            timeout = max(0.0, next_flush - loop.time()) if pending else keepalive_interval
            out = b""
            try:
                message = await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                message = None
                if not pending:
                    out += sse_comment("keep-alive")
            while message is not None:
                position, kind, text = message
                if kind == "end":
                    out += take(position, "output") + take(position, "reasoning")
                    out += sse_event(f"c{position}-end", render_end(states[position]))
                    remaining -= 1
                else:
                    pending.setdefault((position, kind), []).append(text)
                message = queue.get_nowait() if not queue.empty() else None
            if pending and loop.time() >= next_flush:
                out += flush_all()
                next_flush = loop.time() + flush_interval
            if out:
                yield out
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        now = time.perf_counter()
        for state in states.values():
            if state.ended_at is None:
                state.cancelled = True
                state.ended_at = now
