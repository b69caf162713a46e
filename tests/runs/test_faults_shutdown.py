"""Shutdown during live streams: uvicorn in a process of its own gets SIGTERM while a run
streams; the stream ends with its final events within the grace period, and the run is
saved as interrupted with what had arrived."""

import asyncio
import os
import signal
import sys
import time

import httpx
import pytest
from django.conf import settings
from django.db import connection
from httpx_sse import connect_sse

from playground.bench.servers import Processes, free_port
from playground.models import Run, RunColumn
from playground.openrouter import parse_event
from playground.runs.lifecycle import run_create
from playground.runs.streaming import ColumnState, Interrupt, multiplex
from playground.setups.format import setup_from_values
from playground.upstream.connection import connection_for

GRACE_SECONDS = 3


@pytest.fixture
def app_process(tmp_path):
    """The app under uvicorn in its own process, on the test database, in demo mode with
    the demo models at their natural (slow) pace."""
    port = free_port()
    if connection.vendor == "sqlite":
        database_url = f"sqlite:///{connection.settings_dict['NAME']}"
    else:
        database_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + (
            f"/{connection.settings_dict['NAME']}"
        )
    env = os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": settings.SECRET_KEY,
        "OPENROUTER_API_KEY": "",
        "PLAYGROUND_DEMO_TIME_SCALE": "1",
        "LOG_LEVEL": "WARNING",
    }
    argv = [
        sys.executable, "-m", "uvicorn", "playground.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
        "--log-level", "warning", "--timeout-graceful-shutdown", str(GRACE_SECONDS),
    ]  # fmt: skip
    processes = Processes(tmp_path)
    try:
        process = processes.start("uvicorn", argv, env)
        processes.wait_for_port("uvicorn", process, port)
        process.url = f"http://127.0.0.1:{port}"
        process.log = tmp_path / "uvicorn.log"
        yield process
    finally:
        processes.stop_all()


@pytest.mark.django_db(transaction=True)
def test_sigterm_ends_live_streams_with_a_final_event_and_saves_the_runs_interrupted(
    app_process, alice_session, alice
):
    setup = setup_from_values(
        prompt="Plan a garden.", instructions="", parameters={}, models=["demo/slow", "demo/slow"]
    )
    run = run_create(owner=alice, setup=setup, connection=connection_for(alice))
    events = []
    with (
        httpx.Client(base_url=app_process.url, cookies=alice_session, timeout=15) as http,
        connect_sse(http, "GET", f"/runs/{run.pk}/stream/") as source,
    ):
        received = source.iter_sse()
        for sse in received:
            events.append((sse.event, sse.data))
            if sse.event.endswith("-output") and len(events) >= 4:
                break
        app_process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        for sse in received:
            events.append((sse.event, sse.data))
        ended = time.monotonic() - signalled

    # The stream ended by itself, well within the grace period, with its final events.
    assert ended < GRACE_SECONDS - 1, f"the stream took {ended:.2f} s to end"
    # Each column's end (after its last text), then the run's.
    names = [name for name, _ in events if name.endswith("-end") or name == "done"]
    assert names[-3:] == ["c0-end", "c1-end", "done"] or names[-3:] == ["c1-end", "c0-end", "done"]
    assert [name for name, _ in events][-1] == "done"
    final = dict(events)
    assert "Interrupted: the server stopped while this run was streaming." in final["done"]
    for position in (0, 1):
        assert "The server stopped before this answer was complete." in final[f"c{position}-end"]
    app_process.wait(timeout=GRACE_SECONDS + 5)
    assert "Traceback" not in app_process.log.read_text()

    run.refresh_from_db()
    assert run.status == Run.Status.INTERRUPTED and run.finished_at is not None
    columns = list(RunColumn.objects.filter(run=run))
    assert [column.status for column in columns] == ["error", "error"]
    assert any(column.output_text for column in columns)  # what arrived is kept
    for column in columns:
        assert column.error["kind"] == "interrupted"
        assert column.total_ms is not None


def delta(text):
    return parse_event(
        {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": text}
    )


async def test_an_interrupt_ends_every_column_still_streaming_with_its_end_event():
    async def endless():
        yield delta("Half an")
        await asyncio.Event().wait()

    async def finished():
        yield delta("Whole.")
        yield parse_event({"type": "response.completed", "response": {"status": "completed"}})

    states = [ColumnState(position=0), ColumnState(position=1), ColumnState(position=2)]
    interrupt = Interrupt()
    chunks = []
    stream = multiplex(
        [(states[0], endless), (states[1], finished), (states[2], endless)],
        lambda state: f"end {state.position} interrupted={state.interrupted}",
        interrupt=interrupt,
    )
    async for chunk in stream:
        chunks.append(chunk)
        if b"c1-end" in b"".join(chunks):
            interrupt()

    sent = b"".join(chunks).decode()
    assert "data: end 1 interrupted=False" in sent
    assert "data: end 0 interrupted=True" in sent and "data: end 2 interrupted=True" in sent
    assert sent.count("c0-output") == 1 and "Half an" in sent
    assert [state.cancelled for state in states] == [True, False, True]
    assert all(state.ended_at is not None for state in states)
