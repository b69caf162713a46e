"""A live run's event log and its viewers (playground/runs/live.py), without a server."""

import asyncio
import threading

from playground.runs.live import ORPHANED, EventLog, LiveRun
from playground.runs.streaming import sse_comment, sse_event


async def read_all(log: EventLog, after: int = 0) -> bytes:
    return b"".join([chunk async for chunk in log.follow(after)])


async def test_each_event_gets_the_next_id_and_comments_are_left_out():
    log = EventLog()
    log.append(
        sse_comment("stream open") + sse_event("c0-output", "Hel") + sse_event("c1-output", "Hi")
    )
    log.append(sse_event("c0-output", "lo\nthere") + sse_comment("keep-alive"))
    log.close()
    assert await read_all(log) == (
        b"id: 1\nevent: c0-output\ndata: Hel\n\n"
        b"id: 2\nevent: c1-output\ndata: Hi\n\n"
        b"id: 3\nevent: c0-output\ndata: lo\ndata: there\n\n"
    )
    assert len(log) == 3


async def test_a_viewer_gets_exactly_the_events_after_its_last_id():
    log = EventLog()
    for number in range(5):
        log.append(sse_event("c0-output", str(number)))
    log.close()
    assert await read_all(log, after=3) == (
        b"id: 4\nevent: c0-output\ndata: 3\n\nid: 5\nevent: c0-output\ndata: 4\n\n"
    )
    assert await read_all(log, after=5) == b""


async def test_a_follower_waits_for_new_events_and_ends_when_the_log_closes():
    log = EventLog()
    received = []

    async def follow():
        async for chunk in log.follow(0):
            received.append(chunk)

    follower = asyncio.create_task(follow())
    await asyncio.sleep(0.01)
    log.append(sse_event("c0-output", "a"))
    await asyncio.sleep(0.01)
    log.append(sse_event("c0-end", "<p>a</p>"))
    log.close()
    await asyncio.wait_for(follower, 1)
    assert received == [
        b"id: 1\nevent: c0-output\ndata: a\n\n",
        b"id: 2\nevent: c0-end\ndata: <p>a</p>\n\n",
    ]


async def test_events_appended_on_another_thread_wake_the_follower():
    log = EventLog()

    def produce():
        for number in range(3):
            log.append(sse_event("c0-output", str(number)))
        log.close()

    follower = asyncio.ensure_future(read_all(log))
    await asyncio.sleep(0.01)
    threading.Thread(target=produce).start()
    events = await asyncio.wait_for(follower, 2)
    assert events.count(b"event: c0-output") == 3


async def test_an_idle_follower_gets_keep_alive_comments():
    log = EventLog()
    chunks = log.follow(0, keepalive_interval=0.01)
    assert await asyncio.wait_for(anext(chunks), 1) == sse_comment("keep-alive")
    await chunks.aclose()


async def test_the_last_viewer_leaving_stops_the_run_after_the_grace_unless_one_comes_back():
    live = LiveRun(1, loop=asyncio.get_running_loop(), grace_seconds=0.05, keep_running=False)
    live.attach()
    live.detach()
    live.attach()  # a reload: back within the grace
    await asyncio.sleep(0.1)
    assert not live.interrupt.fired

    live.detach()
    await asyncio.sleep(0.1)
    assert live.interrupt.fired and live.interrupt.stopped == ORPHANED
    assert not live.interrupt.interrupted


async def test_a_run_kept_running_is_never_stopped_for_want_of_viewers():
    live = LiveRun(1, loop=asyncio.get_running_loop(), grace_seconds=0, keep_running=True)
    live.attach()
    live.detach()
    await asyncio.sleep(0.05)
    assert not live.interrupt.fired


async def test_stop_reaches_the_run_from_another_thread():
    live = LiveRun(1, loop=asyncio.get_running_loop(), grace_seconds=60, keep_running=False)
    threading.Thread(target=live.stop).start()
    await asyncio.wait_for(live.interrupt.wait(), 1)
    assert live.interrupt.stopped == "Stopped before the answer was complete."


async def test_a_viewer_that_does_not_read_never_holds_the_run_back():
    log = EventLog()
    log.append(sse_event("c0-output", "first"))
    stalled = log.follow(0)
    assert await anext(stalled) == b"id: 1\nevent: c0-output\ndata: first\n\n"
    # The viewer reads nothing more while the run goes on: appending never waits for it.
    for number in range(10_000):
        log.append(sse_event("c0-output", str(number)))
    log.close()
    # When it reads again it gets everything it missed at once, in order.
    rest = await anext(stalled)
    assert rest.count(b"event: c0-output") == 10_000
    assert rest.startswith(b"id: 2\n") and rest.endswith(b"data: 9999\n\n")
