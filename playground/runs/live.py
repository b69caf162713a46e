"""A live run in this process: its event log, its viewers and how it is stopped.

The run's task (playground/runs/task.py) appends the run's SSE events to its `EventLog`,
each under the next id (1, 2, 3, …), once for the run however many viewers it has. A
viewer follows the log from the id after the last one it has (the browser's
`Last-Event-ID`), so a reload, a second tab or a reconnect gets exactly what it lacks,
and a slow viewer only falls behind in its own position: the task never waits for one.

The task runs on one event loop and its viewers on the server's (they may differ: see
playground/runs/run_loop.py), so the log and the viewer count are guarded by a lock, and
whatever must happen on the task's loop (Stop, the grace after the last viewer left)
is handed to it with `call_soon_threadsafe`.
"""

import asyncio
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import suppress

from playground.runs.redis_relay import Mirror, remote_viewers
from playground.runs.streaming import KEEPALIVE_INTERVAL, Interrupt, sse_comment

# A run nobody has attached to yet (its page is still loading) gets at least this long
# for its first viewer, whatever the grace after the last one leaves.
FIRST_VIEWER_SECONDS = 10.0
ORPHANED = "Stopped: no one was watching."
STOPPED = "Stopped before the answer was complete."


class EventLog:
    """The SSE events of one run in order, each framed with its `id:` line."""

    def __init__(self) -> None:
        self._events: list[bytes] = []
        self._closed = False
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    def __len__(self) -> int:
        return len(self._events)

    @property
    def closed(self) -> bool:
        return self._closed

    def append(self, chunk: bytes) -> list[tuple[int, bytes]]:
        """Adds the events of `chunk` (SSE bytes as `sse_event` frames them), each under
        its id; returns them as (id, framed event). Comments (keep-alives) are the
        connection's business, not the run's: each viewer sends its own."""
        added = []
        with self._lock:
            for block in chunk.split(b"\n\n"):
                if block and not block.startswith(b":"):
                    number = len(self._events) + 1
                    event = b"id: %d\n%s\n\n" % (number, block)
                    self._events.append(event)
                    added.append((number, event))
            waiters, self._waiters = self._waiters, []
        _wake(waiters)
        return added

    def close(self) -> None:
        """No more events: every viewer ends once it has read them all."""
        with self._lock:
            self._closed = True
            waiters, self._waiters = self._waiters, []
        _wake(waiters)

    async def follow(
        self, after: int = 0, *, keepalive_interval: float = KEEPALIVE_INTERVAL
    ) -> AsyncIterator[bytes]:
        """The events after id `after`, as they come, until the log is closed; a comment
        when nothing came for `keepalive_interval` seconds."""
        position = max(0, after)
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                events = self._events[position:]
                closed = self._closed
                waiter = None
                if not events and not closed:
                    waiter = loop.create_future()
                    self._waiters.append((loop, waiter))
            if events:
                position += len(events)
                yield b"".join(events)
            elif closed:
                return
            else:
                try:
                    await asyncio.wait_for(waiter, keepalive_interval)
                except TimeoutError:
                    yield sse_comment("keep-alive")


def _wake(waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]]) -> None:
    for loop, waiter in waiters:
        # A viewer whose loop is closed waits no more.
        with suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve, waiter)


def _resolve(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)


class LiveRun:
    """A run whose task is running in this process."""

    def __init__(
        self,
        run_id: int,
        *,
        loop: asyncio.AbstractEventLoop,
        grace_seconds: float,
        keep_running: bool,
    ) -> None:
        self.run_id = run_id
        self.log = EventLog()
        self.interrupt = Interrupt()
        # Rendered into the forms of the run's events in place of each viewer's own CSRF
        # token, which a viewer puts in as it sends them. Random, so no answer can spell it.
        self.csrf_placeholder = f"csrf-{secrets.token_hex(16)}"
        self.loop = loop
        self.grace_seconds = grace_seconds
        self.keep_running = keep_running
        self._viewers = 0
        self._lock = threading.Lock()
        self._orphan_timer: asyncio.TimerHandle | None = None
        # With REDIS_URL: the copy of the log other processes' viewers follow.
        self.mirror: Mirror | None = None
        self._checking: asyncio.Future | None = None

    def publish(self, chunk: bytes) -> None:
        """On the task's loop: the run's next events, for every viewer."""
        added = self.log.append(chunk)
        if self.mirror is not None:
            self.mirror.put(added)

    async def close(self) -> None:
        """On the task's loop: the run is over; its viewers end once they have it all."""
        self.log.close()
        if self.mirror is not None:
            await self.mirror.close()

    @property
    def viewers(self) -> int:
        return self._viewers

    def attach(self) -> None:
        with self._lock:
            self._viewers += 1
        self._on_task_loop(self._cancel_orphan_timer)

    def detach(self) -> None:
        with self._lock:
            self._viewers -= 1
            last = self._viewers == 0
        if last:
            self._on_task_loop(self.watch_for_viewers, self.grace_seconds)

    async def watch(self, after: int = 0) -> AsyncIterator[bytes]:
        """A viewer: the events after id `after`, then the live ones, counted as watching
        while it reads."""
        self.attach()
        try:
            async for chunk in self.log.follow(after):
                yield chunk
        finally:
            self.detach()

    def stop(self, message: str = STOPPED) -> None:
        """Ends the run wherever its columns are: upstream requests closed, the text so
        far kept, the columns cancelled with `message`."""
        self._on_task_loop(self._stop, message)

    def watch_for_viewers(self, seconds: float) -> None:
        """On the task's loop: stops the run if it still has no viewer `seconds` from now,
        unless its owner asked for it to keep running."""
        if self.keep_running:
            return
        self._cancel_orphan_timer()
        self._orphan_timer = self.loop.call_later(seconds, self._stop_if_orphaned)

    def viewers_changed(self) -> None:
        """On the task's loop: a viewer of another process left."""
        if self._viewers == 0:
            self.watch_for_viewers(self.grace_seconds)

    def _stop_if_orphaned(self) -> None:
        self._orphan_timer = None
        if self._viewers:
            return
        if self.mirror is None:
            self._stop(ORPHANED)
        else:
            self._checking = asyncio.ensure_future(self._stop_if_unwatched_anywhere())

    async def _stop_if_unwatched_anywhere(self) -> None:
        if self._viewers == 0 and await remote_viewers(self.run_id) == 0:
            self._stop(ORPHANED)

    def _cancel_orphan_timer(self) -> None:
        if self._orphan_timer is not None:
            self._orphan_timer.cancel()
            self._orphan_timer = None

    def _stop(self, message: str) -> None:
        self._cancel_orphan_timer()
        self.interrupt(stopped=message)

    def _on_task_loop(self, callback, *args) -> None:
        # When the task's loop is gone, so is the run.
        with suppress(RuntimeError):
            self.loop.call_soon_threadsafe(callback, *args)


class Broker:
    """The live runs of this process, by id."""

    def __init__(self) -> None:
        self._runs: dict[int, LiveRun] = {}
        self._lock = threading.Lock()

    def add(self, live: LiveRun) -> LiveRun:
        """Registers `live`, unless its run has a live run already: returns the one that
        is registered."""
        with self._lock:
            return self._runs.setdefault(live.run_id, live)

    def unregister(self, live: LiveRun) -> None:
        with self._lock:
            if self._runs.get(live.run_id) is live:
                del self._runs[live.run_id]

    def get(self, run_id: int) -> LiveRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def run_ids(self) -> list[int]:
        """The runs generated in this process now."""
        with self._lock:
            return list(self._runs)

    def stop(self, run_id: int, message: str = STOPPED) -> bool:
        live = self.get(run_id)
        if live is None:
            return False
        live.stop(message)
        return True


broker = Broker()
