"""Waiting in tests for something that happens a moment later: a server starting, a
write after a disconnect, a connection closing."""

import time
from collections.abc import Callable


def wait_until[T](
    condition: Callable[[], T],
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    message: str = "condition not met in time",
) -> T:
    """Calls `condition` every `interval` seconds until it returns something true, and
    returns that; raises AssertionError with `message` once `timeout` seconds passed."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(interval)
    return result
