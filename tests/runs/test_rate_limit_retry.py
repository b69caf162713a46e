"""A 429 before any output is asked again after its Retry-After; never after output."""

import pytest

from playground.openrouter import OpenRouterError, OutputTextDelta, StreamOpened
from playground.runs.streaming import ColumnState, retrying_rate_limits


def rate_limited(retry_after=0.01):
    return OpenRouterError(
        kind="rate_limit", code="429", message="Slow down", retry_after=retry_after
    )


def opener(*scripts):
    """Each call plays the next script: events to yield, then an error to raise, if any."""
    calls = []

    async def open_stream():
        events, error = scripts[len(calls)]
        calls.append(1)
        for event in events:
            yield event
        if error:
            raise error

    return open_stream, calls


async def collect(stream):
    return [event async for event in stream]


def opened(status=200):
    return StreamOpened(status=status, headers={}, request_headers={})


def delta(text):
    return OutputTextDelta(delta=text, output_index=0, content_index=0)


async def test_it_asks_again_after_the_retry_after_and_restarts_the_clock():
    open_stream, calls = opener(([opened(429)], rate_limited()), ([opened(), delta("Hi")], None))
    state = ColumnState(position=0, started_at=1.0)
    events = await collect(retrying_rate_limits(open_stream, state))
    assert len(calls) == 2 and [getattr(e, "delta", None) for e in events][-1] == "Hi"
    assert state.started_at > 1.0


async def test_it_never_asks_again_once_an_event_arrived():
    open_stream, calls = opener(([opened(), delta("Hi")], rate_limited()), ([opened()], None))
    state = ColumnState(position=0)

    async def consume():
        async for event in retrying_rate_limits(open_stream, state):
            state.record(event)

    with pytest.raises(OpenRouterError):
        await consume()
    assert len(calls) == 1


async def test_it_gives_up_after_its_retries_and_on_a_long_wait():
    open_stream, calls = opener(*[([], rate_limited())] * 3)
    with pytest.raises(OpenRouterError):
        await collect(retrying_rate_limits(open_stream, ColumnState(position=0), retries=2))
    assert len(calls) == 3
    open_stream, calls = opener(([], rate_limited(retry_after=3600)), ([], None))
    with pytest.raises(OpenRouterError):
        await collect(retrying_rate_limits(open_stream, ColumnState(position=0)))
    assert len(calls) == 1


async def test_other_errors_are_not_asked_again():
    error = OpenRouterError(kind="provider", code="502", message="Down")
    open_stream, calls = opener(([], error), ([], None))
    with pytest.raises(OpenRouterError):
        await collect(retrying_rate_limits(open_stream, ColumnState(position=0)))
    assert len(calls) == 1
