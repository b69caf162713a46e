"""The same work two ways: one model stream straight from the fake, and the same stream
through the app along the full path a person's browser takes (the run's POST, then its
stream's GET), with each arrival timed.
"""

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from playground.fake_openrouter.catalog import BENCH_CATALOG
from playground.openrouter import RequestParams, build_body, build_headers

from .client import Event, Exchange, HttpError, Site

MODEL = BENCH_CATALOG[0]["id"]
API_KEY = "sk-or-v1-bench-server-key"
APP_URL = "http://127.0.0.1"
APP_TITLE = "Model Playground benchmark"
RUN_ID = re.compile(r'data-run-id="(\d+)"')
DELTA = '"type":"response.output_text.delta"'


class BenchError(Exception):
    """The benchmark could not measure a figure (not a missed target)."""


@dataclass(frozen=True)
class Schedule:
    """The fake's bench model clock (see `bench_schedule`): seconds to the first piece,
    seconds between pieces, pieces."""

    first: float
    gap: float
    count: int

    @property
    def prompt(self) -> str:
        return f"Benchmark stream: first={self.first} gap={self.gap} count={self.count}"

    @property
    def seconds(self) -> float:
        return self.first + self.gap * max(self.count - 1, 0)


# A piece of the bench model's answer: the time it was due, in seconds.
STAMP = re.compile(r"\d+\.\d+")


@dataclass
class Stream:
    """What one stream did, on the shared monotonic clock."""

    path: str  # "direct", "app" or "bare"
    posted_at: float | None = None  # the run's POST (through the app only)
    sent_at: float = 0.0  # the stream's request
    first_text_at: float | None = None
    pieces: int = 0
    expected: int = 0
    # The upstream's events read, `[DONE]` included (straight from the fake or the bare
    # relay only: the app sends events of its own).
    events: int = 0
    # Per piece: arrival minus the time the fake had it due, in seconds.
    delays: list[float] = field(default_factory=list)
    # Per column: the due time of its first piece.
    first_due: dict[int, float] = field(default_factory=dict)
    # Per column through the app: [pieces in its finished blocks, pieces counted].
    shown: dict[int, list[int]] = field(default_factory=dict)
    run_id: int | None = None
    error: str = ""
    finished: bool = False

    @property
    def ok(self) -> bool:
        return self.finished and not self.error and self.pieces == self.expected

    @property
    def ttft(self) -> float | None:
        return None if self.first_text_at is None else self.first_text_at - self.sent_at

    @property
    def post_ttft(self) -> float | None:
        if self.first_text_at is None or self.posted_at is None:
            return None
        return self.first_text_at - self.posted_at


class Target:
    """The fake, the app and the bare relay, and the logged-in person who uses the app."""

    def __init__(self, *, fake: Site, app: Site, csrf_token: str, bare: Site | None = None) -> None:
        self.fake = fake
        self.app = app
        self.csrf_token = csrf_token
        self.bare = bare

    # Straight from the fake, and through the bare relay

    async def direct(self, schedule: Schedule, *, keep_delays: bool = False) -> Stream:
        body = build_body(RequestParams(model=MODEL, prompt=schedule.prompt))
        headers = build_headers(api_key=API_KEY, app_url=APP_URL, app_title=APP_TITLE)
        exchange = self.fake.exchange_json("/api/v1/responses", body, headers=headers)
        stream = Stream("direct", expected=schedule.count)
        return await self._read_upstream(stream, exchange, "the fake", keep_delays)

    async def through_bare(self, schedule: Schedule, *, keep_delays: bool = False) -> Stream:
        """The same stream as `direct`, copied by the bare relay (bench/bare_relay.py)."""
        if self.bare is None:
            raise BenchError("the bare relay was not started")
        path = "/stream?" + urlencode({"prompt": schedule.prompt})
        exchange = self.bare.exchange("GET", path)
        stream = Stream("bare", expected=schedule.count)
        return await self._read_upstream(stream, exchange, "the bare relay", keep_delays)

    async def _read_upstream(
        self, stream: Stream, exchange: Exchange, who: str, keep_delays: bool
    ) -> Stream:
        """Reads the upstream's own events to `[DONE]`, counting them."""
        try:
            async with exchange as ex:
                stream.sent_at = ex.sent_at
                response = await ex.response()
                if response.status != 200:
                    stream.error = f"{who} answered {response.status}"
                    return stream
                async for event in ex.events():
                    stream.events += 1
                    if DELTA in event.data:
                        delta = json.loads(event.data)["delta"]
                        self._pieces(stream, 0, delta, event.at, keep_delays)
                    elif event.data == "[DONE]":
                        stream.finished = True
                        break
        except (HttpError, OSError, asyncio.IncompleteReadError) as error:
            stream.error = str(error) or type(error).__name__
        return stream

    # Through the app

    async def create_run(self, prompt: str, models: list[str]) -> tuple[int, float]:
        """POSTs the compare form as htmx does; returns the new run's id and when it was sent."""
        fields = [
            ("prompt", prompt),
            ("instructions", ""),
            ("temperature", ""),
            ("max_output_tokens", ""),
            ("reasoning_effort", ""),
        ]
        fields += [("models", model) for model in models]
        posted_at = time.monotonic()
        response = await self.app.post_form(
            "/runs/", fields, headers={"HX-Request": "true", "X-CSRFToken": self.csrf_token}
        )
        match = RUN_ID.search(response.text) if response.status == 200 else None
        if match is None:
            raise HttpError(f"POST /runs/ answered {response.status}: {response.text[:300]}")
        return int(match[1]), posted_at

    async def create_bench_run(self, schedule: Schedule, *, columns: int = 1) -> tuple[int, float]:
        return await self.create_run(schedule.prompt, [MODEL] * columns)

    async def stop_run(self, run_id: int) -> float:
        """POSTs the run's Stop as the page's button does; returns when it was sent."""
        sent_at = time.monotonic()
        response = await self.app.post_form(
            f"/runs/{run_id}/stop/",
            [],
            headers={"HX-Request": "true", "X-CSRFToken": self.csrf_token},
        )
        if response.status != 204:
            raise HttpError(f"POST /runs/{run_id}/stop/ answered {response.status}")
        return sent_at

    def open_run(self, run_id: int) -> Exchange:
        return self.app.exchange(
            "GET", f"/runs/{run_id}/stream/", headers={"Accept": "text/event-stream"}
        )

    async def through_app(
        self,
        schedule: Schedule,
        *,
        columns: int = 1,
        keep_delays: bool = False,
        on_open: Callable[[Stream, Exchange], None] | None = None,
        run: tuple[int, float] | None = None,
    ) -> Stream:
        """One run: its POST (unless `run` was already created), then its stream until
        every column has ended (see `read_run`)."""
        stream = Stream("app", expected=schedule.count * columns)
        try:
            stream.run_id, stream.posted_at = run or await self.create_bench_run(
                schedule, columns=columns
            )
            async with self.open_run(stream.run_id) as exchange:
                stream.sent_at = exchange.sent_at
                response = await exchange.response()
                if response.status != 200:
                    stream.error = f"the stream answered {response.status}"
                    return stream
                if on_open is not None:
                    on_open(stream, exchange)
                await self.read_run(stream, exchange, keep_delays=keep_delays, columns=columns)
        except (HttpError, OSError, asyncio.IncompleteReadError) as error:
            stream.error = stream.error or str(error) or type(error).__name__
        return stream

    async def read_run(
        self, stream: Stream, exchange: Exchange, *, keep_delays: bool, columns: int = 1
    ) -> None:
        """Reads until every column has ended: the run is saved then, and what the stream
        sends after it (each column's generation record, then `done`) is not the answer."""
        ended = 0
        async for event in exchange.events():
            name = event.name
            if name.endswith(("-output", "-blocks")):
                self.record_shown(stream, event, keep_delays=keep_delays)
            elif name.endswith("-end"):
                if 'data-status="done"' not in event.data:
                    stream.error = f"column {name[1:-4]} did not end as done"
                ended += 1
                if ended == columns:
                    stream.finished = True
                    return
            elif name == "done":
                stream.finished = True
                return

    def record_shown(self, stream: Stream, event: Event, *, keep_delays: bool = False) -> None:
        """Counts the pieces an event of the app's stream adds to what a column shows,
        and, if asked, their delays. The app sends an answer as markdown rendered as it
        grows: `c<N>-blocks` appends finished blocks, `c<N>-output` replaces the block
        still growing (whose pieces were counted when they first showed)."""
        name, _, kind = event.name.partition("-")
        column = int(name[1:])
        shown = stream.shown.setdefault(column, [0, 0])
        stamps = STAMP.findall(event.data)
        if kind == "blocks":
            shown[0] += len(stamps)
            total = shown[0]
        else:
            total = shown[0] + len(stamps)
        # The newest pieces are the last of the event's.
        new = stamps[len(stamps) - (total - shown[1]) :] if total > shown[1] else []
        shown[1] = max(shown[1], total)
        if new:
            self._pieces(stream, column, " ".join(new), event.at, keep_delays)

    @staticmethod
    def _pieces(stream: Stream, column: int, text: str, at: float, keep_delays: bool) -> None:
        stamps = text.split()
        if not stamps:
            return
        if stream.first_text_at is None:
            stream.first_text_at = at
        stream.first_due.setdefault(column, float(stamps[0]))
        stream.pieces += len(stamps)
        if keep_delays:
            stream.delays.extend(at - float(stamp) for stamp in stamps)


async def closed_loop(
    lanes: int,
    start: Callable[[], Awaitable[Stream]],
    *,
    ramp: float,
    measure: float,
) -> tuple[list[Stream], int]:
    """`lanes` streams at once, each followed by the next as it ends, for `ramp` then
    `measure` seconds; the first streams start spread over the ramp so arrivals are even.

    Returns the streams sent after the ramp (the steady state) and how many failed in all.
    """
    begin = time.monotonic()
    steady_from = begin + ramp
    deadline = steady_from + measure
    steady: list[Stream] = []
    failures = 0

    async def lane(number: int) -> None:
        nonlocal failures
        await asyncio.sleep(ramp * number / lanes)
        while time.monotonic() < deadline:
            stream = await start()
            if not stream.ok:
                failures += 1
                await asyncio.sleep(0.1)
            if (stream.posted_at or stream.sent_at) >= steady_from:
                steady.append(stream)

    await asyncio.gather(*(lane(number) for number in range(lanes)))
    return steady, failures
