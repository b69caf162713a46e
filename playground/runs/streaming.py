"""Fan-out, merge, coalescing and SSE framing for one run's stream. No ORM here.

One task per column reads its upstream stream and adds its text to the run's outbox,
where it is coalesced as it comes; the merge loop turns the outbox into SSE events for
the browser:

- `c<N>-output` / `c<N>-reasoning` / `c<N>-tools`: escaped text to append, coalesced per
  column so the browser swaps at most about every FLUSH_INTERVAL seconds per column (the
  tools text is each tool call as it arrives: its name, then its arguments growing);
- for a column whose state asks for markdown (`ColumnState.markdown`), the answer comes
  instead as sanitized HTML (playground/core/live_markdown.py): `c<N>-blocks` carries
  the blocks finished since the last batch, to append once, and `c<N>-output` the block
  still growing, which replaces the one before;
- `c<N>-end`: the column's final HTML, rendered by the caller's `render_end`;
- comments as keep-alives while nothing happens.

The outbox holds one buffer of unsent text per column and kind, whatever the pace: a
browser that reads slowly gets everything that arrived meanwhile as one event per
column, and the server holds that text once, with nothing kept per event.
"""

import asyncio
import html
import io
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing, suppress
from dataclasses import dataclass, field

from playground.core.live_markdown import LiveMarkdown
from playground.openrouter import (
    FunctionCallArgumentsDelta,
    OpenRouterError,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    ReasoningSummaryDelta,
    ReasoningTextDelta,
    RefusalDelta,
    ResponseFold,
    StreamComment,
    StreamEvent,
    StreamOpened,
    decode_data,
    redact_headers,
)

# 40 ms: fast enough that text looks continuous (25 updates a second), slow enough that a
# 200-tokens-a-second model costs the browser 25 swaps a second instead of 200.
FLUSH_INTERVAL = 0.04
# The most of the relay's CPU time a streaming markdown column's renders may take.
MARKDOWN_CPU_SHARE = 0.1
# Proxies commonly close connections idle for 30 to 60 s; a comment every 15 s keeps the
# stream open while a model thinks.
KEEPALIVE_INTERVAL = 15.0
# The raw events kept per column for the inspector; a long answer has a few thousand.
MAX_STORED_EVENTS = 5000
# After its last event a response has only `[DONE]` or the end of the body to send; a
# stream that sends neither within this long is closed, and the column ends anyway.
TERMINAL_GRACE = 0.25

# A 429 before the answer is asked again this many times at most (runs nobody waits on,
# such as an evaluation's cells), after its Retry-After when that is at most
# RATE_LIMIT_MAX_WAIT seconds (a longer one is a quota that will not clear in a run's
# time), or after RATE_LIMIT_DEFAULT_WAIT when it names none.
RATE_LIMIT_RETRIES = 5
RATE_LIMIT_MAX_WAIT = 60.0
RATE_LIMIT_DEFAULT_WAIT = 2.0

# The kinds of text a column streams to the browser, each to its own place in the column.
TEXT_KINDS = ("output", "reasoning", "tools")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

logger = logging.getLogger(__name__)


def sse_event(name: str, data: str) -> bytes:
    """One SSE event; multi-line data becomes several `data:` lines, which the browser
    joins back with newlines."""
    lines = "".join(f"data: {line}\n" for line in _LINE_BREAK.split(data))
    return f"event: {name}\n{lines}\n".encode()


def sse_comment(text: str = "") -> bytes:
    return f": {text}\n\n".encode()


class EventRecord:
    """The raw events a column keeps for the inspector. While the column streams each is
    held as the text it arrived in, several times smaller than its decoded objects; they
    are decoded into `{"t_ms", "event"}` and `{"t_ms", "comment"}` entries (RunColumn's
    stored format) only when written to the database (`as_json`, which the model's JSON
    encoder calls), off the event loop."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[tuple[float | None, str | dict | None, str]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def add_event(self, t_ms: float | None, payload: str | dict) -> None:
        self._entries.append((t_ms, payload, ""))

    def add_comment(self, t_ms: float | None, text: str) -> None:
        self._entries.append((t_ms, None, text))

    def as_json(self) -> list[dict]:
        entries = []
        for t_ms, payload, comment in self._entries:
            if payload is None:
                entries.append({"t_ms": t_ms, "comment": comment})
            else:
                event = decode_data(payload) if isinstance(payload, str) else payload
                entries.append({"t_ms": t_ms, "event": event})
        return entries


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
    # Cancelled because the server is stopping, not because the run was stopped.
    interrupted: bool = False
    # Why the run was stopped, when that is what cancelled the column (Stop, nobody watching).
    cancel_message: str = ""
    response_status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    request_headers: dict[str, str] = field(default_factory=dict)
    events: EventRecord = field(default_factory=EventRecord)
    events_truncated: bool = False
    # The answer is sent as markdown rendered as it grows, not as raw text.
    markdown: bool = False

    def record(self, event: StreamEvent) -> str | None:
        """Notes an event's arrival: stored for the inspector (comments too, up to the
        cap) and counted in the timeline's marks. Returns the kind of text the event
        carries for the browser ("output", "reasoning" or "tools"), if any."""
        now = event.arrived if event.arrived is not None else time.perf_counter()
        if isinstance(event, StreamOpened):
            self.first_byte_at = now
            self.response_status = event.status
            self.response_headers = event.headers
            self.request_headers = redact_headers(event.request_headers)
            return None
        if len(self.events) < MAX_STORED_EVENTS:
            t_ms = self._ms(now)
            if isinstance(event, StreamComment):
                self.events.add_comment(t_ms, event.text)
            else:
                self.events.add_event(t_ms, event.payload or event.raw)
        else:
            self.events_truncated = True
        if not getattr(event, "delta", ""):
            return None
        kind = _delta_kind(event)
        # A tool call's arguments are the answer of a column that calls a tool.
        mark = "output" if kind == "tools" else kind
        if mark == "reasoning" and self.first_reasoning_at is None:
            self.first_reasoning_at = now
        if mark == "output" and self.first_answer_at is None:
            self.first_answer_at = now
        if mark and self.first_token_at is None:
            self.first_token_at = now
        self.last_token_at = now
        return kind

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


type StreamOpener = Callable[[], AsyncIterator[StreamEvent]]


def _delta_kind(event: StreamEvent) -> str | None:
    if isinstance(event, OutputTextDelta | RefusalDelta):
        return "output"
    if isinstance(event, ReasoningTextDelta | ReasoningSummaryDelta):
        return "reasoning"
    if isinstance(event, FunctionCallArgumentsDelta):
        return "tools"
    return None


def _tool_call_text(event: StreamEvent) -> str:
    """The live text around a tool call's arguments: its name as the call starts, a line
    end as it ends; "" for any other event."""
    if isinstance(event, OutputItemAdded | OutputItemDone):
        item = event.item
        if isinstance(item, dict) and item.get("type") == "function_call":
            if isinstance(event, OutputItemDone):
                return ")\n"
            name = item.get("name")
            return f"{name if isinstance(name, str) else ''}("
    return ""


class Outbox:
    """What the columns have for the browser and the merge loop has not sent yet: text
    by (position, kind), the positions that ended, in order, and whether to stop."""

    __slots__ = ("ended", "ready", "stopped", "text")

    def __init__(self) -> None:
        # A StringIO rather than a list of pieces: while a slow reader holds the merge
        # loop back, the text grows in one buffer and each piece is let go at once.
        self.text: dict[tuple[int, str], io.StringIO] = {}
        self.ended: list[int] = []
        self.stopped = False
        # Set whenever something is added; the merge loop waits on it when idle.
        self.ready = asyncio.Event()


class Interrupt:
    """Ends a multiplexed stream early from outside: the columns that had not ended end at
    once. When the server is stopping they are marked interrupted; when the run is
    stopped (Stop, or nobody watching) they are cancelled, and `stopped` says why."""

    def __init__(self) -> None:
        self._outbox: Outbox | None = None
        self._event = asyncio.Event()
        self.stopped = ""

    @property
    def fired(self) -> bool:
        return self._event.is_set()

    @property
    def interrupted(self) -> bool:
        """Fired because the server is stopping."""
        return self.fired and not self.stopped

    def __call__(self, *, stopped: str = "") -> None:
        if not self.fired:
            self.stopped = stopped
            self._event.set()
            if self._outbox is not None:
                self._stop(self._outbox)

    async def wait(self) -> None:
        """Returns once the interrupt has fired (for waits after the stream's columns)."""
        await self._event.wait()

    def attach(self, outbox: Outbox) -> None:
        self._outbox = outbox
        if self.fired:
            self._stop(outbox)

    @staticmethod
    def _stop(outbox: Outbox) -> None:
        outbox.stopped = True
        outbox.ready.set()


async def run_column(
    state: ColumnState,
    open_stream: StreamOpener,
    outbox: Outbox,
    *,
    max_seconds: float | None = None,
) -> None:
    """Reads one column's upstream stream into its state, adding its text to the outbox.

    The column ends at the latest `max_seconds` after it started: keep-alive comments
    reset the read timeout, so without this cap a stream of comments alone would hold it
    forever. Once the response has ended (completed, incomplete, failed or an `error`
    event) the stream gets TERMINAL_GRACE seconds to close before it is closed.

    Cancellation (the browser went away) propagates: closing the stream generator closes
    the upstream request at once.
    """
    state.started_at = time.perf_counter()
    fold = state.fold
    unsent = outbox.text
    ready = outbox.ready
    keys = {kind: (state.position, kind) for kind in TEXT_KINDS}
    ending = False
    try:
        async with asyncio.timeout(max_seconds) as deadline, aclosing(open_stream()) as events:
            async for event in events:
                kind = state.record(event)
                fold.apply(event)
                if kind:
                    text = event.delta
                elif text := _tool_call_text(event):
                    kind = "tools"
                if kind:
                    key = keys[kind]
                    buffer = unsent.get(key)
                    if buffer is None:
                        unsent[key] = buffer = io.StringIO()
                        ready.set()
                    buffer.write(text)
                elif not ending and fold.finished:
                    ending = True
                    _shorten(deadline, TERMINAL_GRACE)
        if not fold.finished:
            fold.fail(
                OpenRouterError.bad_response("The stream ended before the answer was complete.")
            )
    except TimeoutError:
        if not fold.finished:
            fold.fail(
                OpenRouterError(
                    kind="timeout",
                    code="column_time_limit",
                    message=f"Stopped after {max_seconds:g} s, the longest this playground "
                    "waits for one answer.",
                )
            )
    except OpenRouterError as error:
        fold.fail(error)
    except Exception:
        # A bug of ours must end this column visibly, not leave the run waiting forever.
        logger.exception("Column %s failed while reading its stream", state.position)
        state.fold.fail(OpenRouterError.bad_response("The playground failed to read this answer."))
    state.ended_at = time.perf_counter()
    outbox.ended.append(state.position)
    ready.set()


async def retrying_rate_limits(
    open_stream: StreamOpener,
    state: ColumnState,
    *,
    retries: int = RATE_LIMIT_RETRIES,
    max_wait: float = RATE_LIMIT_MAX_WAIT,
) -> AsyncIterator[StreamEvent]:
    """The events of `open_stream`, asked again when it is refused with a 429 before any
    event of the answer: after the response's Retry-After (RATE_LIMIT_DEFAULT_WAIT when
    it names none), up to `retries` times, never for a wait over `max_wait`. Once an
    event arrived it is never asked again: output may have been billed. The column's
    clock restarts with the request that answered."""
    for attempt in range(retries + 1):
        try:
            async with aclosing(open_stream()) as events:
                async for event in events:
                    yield event
            return
        except OpenRouterError as error:
            wait = RATE_LIMIT_DEFAULT_WAIT if error.retry_after is None else error.retry_after
            if error.kind != "rate_limit" or len(state.events) or attempt == retries:
                raise
            if wait > max_wait:
                raise
        logger.info("Column %s was rate-limited; asking again in %g s", state.position, wait)
        await asyncio.sleep(wait)
        state.started_at = time.perf_counter()


def _shorten(deadline: asyncio.Timeout, seconds: float) -> None:
    """Moves the deadline to `seconds` from now, unless it is sooner already."""
    when = asyncio.get_running_loop().time() + seconds
    current = deadline.when()
    if current is None or when < current:
        deadline.reschedule(when)


async def multiplex(
    columns: list[tuple[ColumnState, StreamOpener]],
    render_end: Callable[[ColumnState], str],
    *,
    flush_interval: float = FLUSH_INTERVAL,
    keepalive_interval: float = KEEPALIVE_INTERVAL,
    column_max_seconds: float | None = None,
    interrupt: Interrupt | None = None,
) -> AsyncIterator[bytes]:
    """Runs every column at once and yields the merged SSE bytes until all have ended.

    Text is sent at once when none was sent for `flush_interval`, else with the next
    batch; a column's end is sent with its last text.

    When the consumer stops early (the generator is closed or its task cancelled), every
    column task is cancelled and awaited, and the columns that had not ended are marked
    cancelled with their end time. When `interrupt` fires, the same happens, the columns
    are marked as it says (interrupted, or cancelled and why), and each one's end event is
    still sent.
    """
    loop = asyncio.get_running_loop()
    outbox = Outbox()
    unsent, ended, ready = outbox.text, outbox.ended, outbox.ready
    states = {state.position: state for state, _ in columns}
    tasks = [
        asyncio.create_task(run_column(state, opener, outbox, max_seconds=column_max_seconds))
        for state, opener in columns
    ]
    unended = set(states)
    next_flush = loop.time()
    if interrupt is not None:
        interrupt.attach(outbox)

    markdowns = {position: LiveMarkdown() for position, state in states.items() if state.markdown}
    # When each markdown column may render its growing block again (see take).
    render_after = dict.fromkeys(markdowns, 0.0)

    def take(position: int, kind: str) -> bytes:
        live = markdowns.get(position) if kind == "output" else None
        # Rendering the growing block costs as much as the block is long (under 1 ms for a
        # code block of 15,000 characters, left uncoloured while it grows; a long table or
        # list costs more): a column renders again only
        # once MARKDOWN_CPU_SHARE of the time since its last render pays for that one.
        # Until then its text waits in the outbox for a later batch.
        started = time.perf_counter()
        if live is not None and started < render_after[position]:
            return b""
        buffer = unsent.pop((position, kind), None)
        if buffer is None:
            return b""
        if live is None:
            return sse_event(f"c{position}-{kind}", html.escape(buffer.getvalue()))
        update = live.feed(buffer.getvalue())
        render_after[position] = started + (time.perf_counter() - started) / MARKDOWN_CPU_SHARE
        finished = sse_event(f"c{position}-blocks", update.finished) if update.finished else b""
        return finished + sse_event(f"c{position}-output", update.tail)

    def end(position: int) -> bytes:
        unended.discard(position)
        live = markdowns.get(position)
        text = b""
        for kind in TEXT_KINDS:
            if kind == "output" and live is not None:
                buffer = unsent.pop((position, kind), None)
                update = live.feed(buffer.getvalue() if buffer else "")
                if update.finished:
                    text += sse_event(f"c{position}-blocks", update.finished)
                # The last block, its code coloured now: what the column's end shows.
                if tail := live.finish():
                    text += sse_event(f"c{position}-output", tail)
            else:
                text += take(position, kind)
        return text + sse_event(f"c{position}-end", render_end(states[position]))

    try:
        # Sent at once so the browser sees the stream open before any model answers.
        yield sse_comment("stream open")
        while unended and not outbox.stopped:
            out = b""
            if unsent and not ended:
                # Text is waiting for its batch: more text only joins it, so there is no
                # need to wake for it; an end or a stop waits at most this long too.
                await asyncio.sleep(max(0.0, next_flush - loop.time()))
            elif not ended:
                ready.clear()
                try:
                    await asyncio.wait_for(ready.wait(), keepalive_interval)
                except TimeoutError:
                    out = sse_comment("keep-alive")
            while ended:
                out += end(ended.pop(0))
            if unsent and loop.time() >= next_flush:
                out += b"".join(take(position, kind) for position, kind in list(unsent))
                next_flush = loop.time() + flush_interval
            if out:
                yield out
        if unended:
            await _cancel(tasks)
            now = time.perf_counter()
            for position in unended:
                state = states[position]
                if state.ended_at is None:
                    state.cancelled = True
                    state.interrupted = interrupt.interrupted
                    state.cancel_message = interrupt.stopped
                    state.ended_at = now
            yield b"".join(end(position) for position in sorted(unended))
    finally:
        await _cancel(tasks)
        now = time.perf_counter()
        for state in states.values():
            if state.ended_at is None:
                state.cancelled = True
                state.ended_at = now


async def _cancel(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError, Exception):
            await task
