"""A run is never lost or left "streaming" forever: the final write retries when the
database is busy or gone for a moment, and a run whose server stopped mid-stream is
marked interrupted when it is looked at, or by `manage.py interrupt_stale_runs`."""

from datetime import timedelta
from io import StringIO

import httpx
import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from playground.models import Run, RunColumn
from playground.runs import lifecycle as runs
from tests.factories import a_run, run_events

INTERRUPTED = "The server stopped before this answer was complete."


def left_streaming(owner, *, seconds_ago, settings):
    """A run claimed by a stream `seconds_ago` past the longest a stream can last."""
    run = a_run(owner)
    started = timezone.now() - timedelta(
        seconds=settings.PLAYGROUND_COLUMN_MAX_SECONDS + seconds_ago
    )
    Run.objects.filter(pk=run.pk).update(status=Run.Status.STREAMING, started_at=started)
    return run


def status_of(run):
    return Run.objects.get(pk=run.pk).status


@pytest.mark.django_db
def test_a_run_left_streaming_is_marked_interrupted_when_its_page_is_opened(
    alice_client, alice, settings
):
    stale = left_streaming(alice, seconds_ago=runs.STALE_MARGIN_SECONDS + 5, settings=settings)

    page = alice_client.get(stale.get_absolute_url()).content.decode()

    assert status_of(stale) == Run.Status.INTERRUPTED
    assert "Interrupted: the server stopped while this run was streaming." in page
    assert page.count(INTERRUPTED) == 2  # one per column
    assert 'data-status="interrupted"' in page
    for column in RunColumn.objects.filter(run=stale):
        assert column.status == "error"
        assert column.error == {"message": INTERRUPTED, "kind": "interrupted"}
    assert Run.objects.get(pk=stale.pk).finished_at is not None


@pytest.mark.django_db
def test_a_recent_run_no_task_generates_is_marked_interrupted_when_its_page_is_opened(
    alice_client, alice, settings
):
    # Within the longest a stream lasts, but no task of this process holds it: the process
    # that ran it stopped.
    recent = left_streaming(alice, seconds_ago=runs.STALE_MARGIN_SECONDS - 20, settings=settings)

    page = alice_client.get(recent.get_absolute_url()).content.decode()

    assert status_of(recent) == Run.Status.INTERRUPTED
    assert INTERRUPTED in page
    assert "streaming in another tab" not in page


@pytest.mark.django_db
def test_the_history_leaves_a_recent_run_streaming_alone(alice_client, alice, settings):
    recent = left_streaming(alice, seconds_ago=runs.STALE_MARGIN_SECONDS - 20, settings=settings)

    alice_client.get("/runs/")

    assert status_of(recent) == Run.Status.STREAMING


@pytest.mark.django_db
def test_the_history_marks_the_person_s_stale_runs_and_only_theirs(
    alice_client, alice, bob, settings
):
    mine = left_streaming(alice, seconds_ago=120, settings=settings)
    theirs = left_streaming(bob, seconds_ago=120, settings=settings)

    page = alice_client.get("/runs/").content.decode()

    assert status_of(mine) == Run.Status.INTERRUPTED
    assert "<td>interrupted\n" in page
    assert status_of(theirs) == Run.Status.STREAMING


@pytest.mark.django_db
def test_the_command_marks_every_stale_run(alice, bob, settings):
    stale = [left_streaming(owner, seconds_ago=120, settings=settings) for owner in (alice, bob)]
    recent = left_streaming(alice, seconds_ago=-30, settings=settings)
    finished = a_run(alice)
    out = StringIO()

    call_command("interrupt_stale_runs", stdout=out)

    assert out.getvalue().strip() == "Marked 2 stale runs as interrupted."
    assert [status_of(run) for run in stale] == [Run.Status.INTERRUPTED] * 2
    assert status_of(recent) == Run.Status.STREAMING
    assert status_of(finished) == Run.Status.PENDING


def test_the_stream_url_of_a_stale_run_marks_it_and_replays_it_without_calling_upstream(
    asgi_server, alice_session, alice, fake, settings
):
    stale = left_streaming(alice, seconds_ago=120, settings=settings)
    started = fake.streams_started

    events = run_events(asgi_server, alice_session, stale)

    assert [name for name, _ in events] == ["c0-end", "c1-end", "done"]
    assert INTERRUPTED in events[0][1] and INTERRUPTED in events[1][1]
    assert "Interrupted: the server stopped" in events[-1][1]
    assert status_of(stale) == Run.Status.INTERRUPTED
    assert fake.streams_started == started


class FlakyWrites:
    """RunColumn's bulk_update failing the first `failures` times, as a busy or
    restarting database does."""

    def __init__(self, monkeypatch, failures, message):
        self.calls = 0
        self.failures = failures
        self.message = message
        self.real = runs.columns_save
        monkeypatch.setattr(runs, "columns_save", self)
        monkeypatch.setattr(runs, "FINAL_WRITE_RETRY_DELAYS", (0.05, 0.1, 0.1, 0.1))

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationalError(self.message)
        return self.real(*args, **kwargs)


@pytest.mark.parametrize(
    "message", ["database is locked", "server closed the connection unexpectedly"]
)
def test_the_final_write_is_tried_again_when_the_database_is_busy_or_briefly_gone(
    message, asgi_server, alice_session, alice, fake, monkeypatch
):
    writes = FlakyWrites(monkeypatch, failures=2, message=message)
    run = a_run(alice)

    events = run_events(asgi_server, alice_session, run)

    assert events[-1][0] == "done"
    assert writes.calls == 3
    assert status_of(run) == Run.Status.DONE
    columns = list(RunColumn.objects.filter(run=run))
    assert [column.status for column in columns] == ["done", "done"]
    assert all(column.output_text and column.output_tokens for column in columns)


def test_a_run_whose_final_write_never_succeeds_ends_its_stream_and_is_interrupted_later(
    asgi_server, alice_session, alice, fake, monkeypatch, settings
):
    writes = FlakyWrites(monkeypatch, failures=100, message="database is locked")
    run = a_run(alice)

    events = run_events(asgi_server, alice_session, run)

    # The browser is told the run ended, so it does not reconnect and run it again.
    assert events[-1][0] == "done"
    assert writes.calls == len(runs.FINAL_WRITE_RETRY_DELAYS) + 1
    assert status_of(run) == Run.Status.STREAMING
    monkeypatch.undo()
    # Once it is stale, looking at it marks it interrupted rather than streaming forever.
    Run.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(hours=1))
    client = httpx.Client(base_url=asgi_server.url, cookies=alice_session)
    assert "Interrupted" in client.get(f"/runs/{run.pk}/").text
    assert status_of(run) == Run.Status.INTERRUPTED
