"""A live run's events, viewers and Stop between processes, through Redis (REDIS_URL).

Without REDIS_URL a run lives in the process that generates it (playground/runs/live.py)
and one process serves everything. With it, the process that runs a run's task also
mirrors its event log into a Redis Stream, so any process or host serves any viewer:

- `playground:run:<id>:events`: the events, entry id `0-<event id>` (the SSE id), field
  `d` the framed event; a last entry with field `end` when the run is over. Capped at
  MAX_EVENTS, and kept EXPIRE_SECONDS after the end for viewers still catching up;
  then the database serves the run.
- `playground:run:<id>:task`: set while a task generates the run, refreshed every
  HEARTBEAT_SECONDS and expiring after TASK_TTL_SECONDS: a run "streaming" without it
  was left by a process that stopped.
- `playground:run:<id>:csrf`: the placeholder the run's forms carry (see LiveRun).
- `playground:run:<id>:viewers`: how many viewers other processes have attached.
- Channel `playground:runs`: `stop <id>` and `viewers <id>`, for the process that runs
  the task (Stop from anywhere; a viewer elsewhere left, so the grace may start).
"""

import asyncio
import logging
import secrets
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from typing import Any

import redis
import redis.asyncio
from django.conf import settings

from playground.runs.streaming import KEEPALIVE_INTERVAL, sse_comment

PREFIX = "playground:run:"
CHANNEL = "playground:runs"
# A late viewer catches up from these; a longer run's first events give way to its last.
MAX_EVENTS = 100_000
EXPIRE_SECONDS = 600
HEARTBEAT_SECONDS = 3.0
TASK_TTL_SECONDS = 10

logger = logging.getLogger(__name__)


def enabled() -> bool:
    return bool(settings.REDIS_URL)


def _key(run_id: int, name: str) -> str:
    return f"{PREFIX}{run_id}:{name}"


_sync_client: redis.Redis | None = None
_async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def sync_client() -> redis.Redis:
    global _sync_client
    if _sync_client is None:
        _sync_client = redis.Redis.from_url(settings.REDIS_URL)
    return _sync_client


def async_client() -> redis.asyncio.Redis:
    """The running loop's client (a Redis connection pool belongs to one loop)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = _async_clients[loop] = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    return client


def generated_elsewhere(run_id: int) -> bool:
    """Whether a task of some process generates the run now."""
    return bool(sync_client().exists(_key(run_id, "task")))


def stop_elsewhere(run_id: int) -> bool:
    """Tells the process that generates the run to stop it; False when none does."""
    if not generated_elsewhere(run_id):
        return False
    sync_client().publish(CHANNEL, f"stop {run_id}")
    return True


class Mirror:
    """The task's side: copies its run's events into Redis, in order, without making the
    task wait (a writer task of its own drains them), and keeps the run's task key alive."""

    def __init__(self, run_id: int, csrf_placeholder: str, *, find: Callable[[int], Any]) -> None:
        self.run_id = run_id
        self.csrf_placeholder = csrf_placeholder
        # This process's live run by id (playground/runs/live.py's broker), for the messages.
        self._find = find
        self._queue: asyncio.Queue[list[tuple[int, bytes]] | None] = asyncio.Queue()
        self._token = secrets.token_hex(8)
        self._writer: asyncio.Task | None = None
        self._heartbeat: asyncio.Task | None = None

    async def start(self) -> None:
        client = async_client()
        events = _key(self.run_id, "events")
        async with client.pipeline(transaction=False) as pipe:
            # Ids restart at 1: whatever a run of this id left (a test database) goes.
            pipe.delete(events, _key(self.run_id, "viewers"))
            pipe.set(_key(self.run_id, "task"), self._token, ex=TASK_TTL_SECONDS)
            pipe.set(_key(self.run_id, "csrf"), self.csrf_placeholder, ex=EXPIRE_SECONDS * 2)
            await pipe.execute()
        await listen(self._find)
        self._writer = asyncio.create_task(self._write())
        self._heartbeat = asyncio.create_task(self._beat())

    def put(self, entries: list[tuple[int, bytes]]) -> None:
        if entries:
            self._queue.put_nowait(entries)

    async def close(self) -> None:
        """Writes the end and waits for every event before it to be written."""
        self._queue.put_nowait(None)
        if self._writer is not None:
            with suppress(Exception):
                await self._writer
        if self._heartbeat is not None:
            self._heartbeat.cancel()

    async def _write(self) -> None:
        client = async_client()
        events = _key(self.run_id, "events")
        last = 0
        try:
            while (entries := await self._queue.get()) is not None:
                async with client.pipeline(transaction=False) as pipe:
                    for number, data in entries:
                        pipe.xadd(events, {"d": data}, id=f"0-{number}", maxlen=MAX_EVENTS)
                        last = number
                    await pipe.execute()
            async with client.pipeline(transaction=False) as pipe:
                pipe.xadd(events, {"end": b"1"}, id=f"0-{last + 1}", maxlen=MAX_EVENTS)
                pipe.expire(events, EXPIRE_SECONDS)
                pipe.delete(_key(self.run_id, "task"))
                await pipe.execute()
        except redis.RedisError:
            # The run goes on for this process's viewers; others lose sight of it.
            logger.exception("Run %s could not be written to Redis", self.run_id)

    async def _beat(self) -> None:
        client = async_client()
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            with suppress(redis.RedisError):
                await client.set(_key(self.run_id, "task"), self._token, ex=TASK_TTL_SECONDS)


async def remote_viewers(run_id: int) -> int:
    """How many viewers other processes have attached to the run."""
    with suppress(redis.RedisError):
        return int(await async_client().get(_key(run_id, "viewers")) or 0)
    return 0


_listeners: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


async def listen(find: Callable[[int], Any]) -> None:
    """Starts this loop's listener for Stop and viewer changes, once. `find` gives this
    process's live run of an id, or None."""
    loop = asyncio.get_running_loop()
    if loop in _listeners and not _listeners[loop].done():
        return
    pubsub = async_client().pubsub()
    await pubsub.subscribe(CHANNEL)
    _listeners[loop] = loop.create_task(_listen(pubsub, find))


async def _listen(pubsub, find: Callable[[int], Any]) -> None:
    while True:
        try:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=30)
        except redis.RedisError:
            logger.exception("Listening to Redis failed; trying again")
            await asyncio.sleep(1)
            continue
        if message is None:
            continue
        kind, _, run_id = message["data"].decode().partition(" ")
        live = find(int(run_id))
        if live is None:
            continue
        if kind == "stop":
            live.stop()
        elif kind == "viewers":
            live.viewers_changed()


class RemoteRun:
    """A viewer's side of a run generated by another process."""

    def __init__(self, run_id: int, csrf_placeholder: str) -> None:
        self.run_id = run_id
        self.csrf_placeholder = csrf_placeholder

    @classmethod
    def find(cls, run_id: int) -> "RemoteRun | None":
        """The run, when a task of some process generates it."""
        client = sync_client()
        task, placeholder = client.mget(_key(run_id, "task"), _key(run_id, "csrf"))
        if task is None or placeholder is None:
            return None
        return cls(run_id, placeholder.decode())

    async def watch(
        self, after: int = 0, *, keepalive_interval: float = KEEPALIVE_INTERVAL
    ) -> AsyncIterator[bytes]:
        """A viewer: the events after id `after` as the task writes them, until the run's
        end (or until its task is gone without one: the process stopped), counted as
        watching while it reads."""
        client = async_client()
        events = _key(self.run_id, "events")
        viewers = _key(self.run_id, "viewers")
        await client.incr(viewers)
        try:
            position = f"0-{max(0, after)}"
            while True:
                answer = await client.xread(
                    {events: position}, count=1000, block=int(keepalive_interval * 1000)
                )
                if not answer:
                    if not await client.exists(_key(self.run_id, "task")):
                        return
                    yield sse_comment("keep-alive")
                    continue
                chunk = []
                for entry_id, fields in answer[0][1]:
                    position = entry_id
                    if b"end" in fields:
                        if chunk:
                            yield b"".join(chunk)
                        return
                    chunk.append(fields[b"d"])
                yield b"".join(chunk)
        finally:
            with suppress(redis.RedisError):
                await client.decr(viewers)
                await client.publish(CHANNEL, f"viewers {self.run_id}")
