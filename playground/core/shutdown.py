"""Ends live streams cleanly when the server is told to stop (SIGTERM, SIGINT).

uvicorn answers SIGTERM by waiting for open responses up to its graceful-shutdown timeout
and then cancelling them, which would cut every live stream without a word. A handler
chained in front of uvicorn's tells each live stream first, so it can send its final
event and save its run as interrupted well within that timeout.
"""

import asyncio
import signal
import threading
from collections.abc import Callable
from contextlib import suppress

SIGNALS = (signal.SIGTERM, signal.SIGINT)

_callbacks: set[Callable[[], None]] = set()
_watched = False
_stopping = False


def watch_signals() -> None:
    """Chains a handler in front of the server's own for SIGTERM and SIGINT, once per
    process. Only the main thread can set signal handlers; elsewhere (a server run in a
    thread) this does nothing. A signal left to its default action (ending the process
    at once) is not chained: there would be no time to end streams anyway."""
    global _watched
    if _watched or threading.current_thread() is not threading.main_thread():
        return
    _watched = True
    loop = asyncio.get_running_loop()
    for signum in SIGNALS:
        previous = signal.getsignal(signum)
        if callable(previous):
            signal.signal(signum, _chained(loop, previous))


def _chained(loop: asyncio.AbstractEventLoop, previous: Callable) -> Callable:
    def handle(signum: int, frame: object) -> None:
        # A signal handler runs between two bytecodes of whatever the loop was doing:
        # the streams are told from the loop itself, on its next turn.
        with suppress(RuntimeError):  # the loop is closed already
            loop.call_soon_threadsafe(stop_streams)
        previous(signum, frame)

    return handle


def stop_streams() -> None:
    """Tells every live stream that the server is stopping; later ones are told as soon
    as they register."""
    global _stopping
    _stopping = True
    for callback in list(_callbacks):
        callback()


def on_stop(callback: Callable[[], None]) -> Callable[[], None]:
    """Calls `callback` (on the event loop) when the server starts stopping; returns the
    function that unregisters it."""
    if _stopping:
        callback()
        return lambda: None
    _callbacks.add(callback)
    return lambda: _callbacks.discard(callback)
