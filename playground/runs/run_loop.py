"""Where run tasks run: the server's event loop, or a loop of the process's own.

Under uvicorn a run's task runs on the server's loop (recorded when the ASGI app starts,
playground/asgi.py), beside the viewers it feeds. A run started where no server loop runs
(a WSGI server, a management command, Django's test client) gets a loop on a thread of its
own, started the first time it is needed, so the task outlives the request that made it.
The request that starts a run is sync: it hands the task over and returns at once.
"""

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future

_server_loop: asyncio.AbstractEventLoop | None = None
_own_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()
# The tasks started, until they end, so that shutting down can wait for their last writes.
_running: set[Future] = set()


def use_server_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """Runs later tasks on `loop` (the server's, as it starts), or, with None, no longer."""
    global _server_loop
    _server_loop = loop


def task_loop() -> asyncio.AbstractEventLoop:
    """The loop a run task started now runs on."""
    global _own_loop
    loop = _server_loop
    if loop is not None and loop.is_running():
        return loop
    with _lock:
        if _own_loop is None or _own_loop.is_closed():
            _own_loop = asyncio.new_event_loop()
            threading.Thread(
                target=_own_loop.run_forever, name="playground-runs", daemon=True
            ).start()
        return _own_loop


def submit(loop: asyncio.AbstractEventLoop, coroutine: Coroutine) -> Future:
    """Starts `coroutine` on `loop` from any thread."""
    future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    _running.add(future)
    future.add_done_callback(_running.discard)
    return future


def tasks_running() -> int:
    """How many of the tasks started so far have not ended."""
    return len(_running)


async def wait_for_tasks(seconds: float) -> None:
    """Waits up to `seconds` for every run task started so far to end."""
    pending = [asyncio.wrap_future(future) for future in list(_running)]
    if pending:
        await asyncio.wait(pending, timeout=seconds)
