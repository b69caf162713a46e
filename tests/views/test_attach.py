"""Viewers attach to a live run through the real ASGI stack: a reconnect resumes after
its last event id, viewers see the same run, none of them calls upstream again, and Stop
reaches the run from any connection."""

import re
import threading
import time

import httpx
import pytest
from httpx_sse import connect_sse

from playground.core.rendering import render_markdown
from playground.models import Run, RunColumn
from tests.factories import a_run, run_sse, streamed_answer
from tests.polling import wait_until

# Each viewer's forms carry its own CSRF token (masked anew for every request).
CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*')


def same(events) -> list[tuple[str, str, str]]:
    return [(e.id, e.event, CSRF_VALUE.sub(r"\1", e.data)) for e in events]


def output_of(events, position: int) -> str:
    """The page the events make of a column's answer (its blocks, then its last tail)."""
    return "".join(streamed_answer([(e.event, e.data) for e in events], position))


def test_every_event_of_a_live_run_carries_an_id_in_order(asgi_server, alice_session, alice):
    run = a_run(alice, ["demo/swift", "demo/echo"])
    events = run_sse(asgi_server, alice_session, run)
    assert events[-1].event == "done"
    assert [int(event.id) for event in events] == list(range(1, len(events) + 1))


def test_a_reconnect_with_last_event_id_gets_exactly_the_events_after_it(
    asgi_server, alice_session, alice, fake
):
    fake.time_scale = 0.05  # demo/slow then takes about 2 s
    run = a_run(alice, ["demo/slow", "demo/swift"])
    # A viewer that stays from the start to the end, to compare with.
    whole = []
    watcher = threading.Thread(
        target=lambda: whole.extend(run_sse(asgi_server, alice_session, run, last_event_id=0))
    )
    watcher.start()
    first = run_sse(asgi_server, alice_session, run, stop_after="-output")
    resumed = run_sse(asgi_server, alice_session, run, last_event_id=first[-1].id)
    watcher.join(timeout=30)

    assert int(resumed[0].id) == int(first[-1].id) + 1
    assert same(first + resumed) == same(whole)
    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.DONE)
    for column in RunColumn.objects.filter(run=run):
        assert output_of(first + resumed, column.position) == render_markdown(column.output_text)


def test_two_viewers_get_identical_streams_from_one_upstream_request_per_column(
    fake, asgi_server, alice_session, alice
):
    fake.time_scale = 0.05
    started = fake.streams_started
    run = a_run(alice, ["demo/slow", "demo/swift", "demo/echo"])
    seen: dict[str, list] = {}

    def watch(name: str) -> None:
        seen[name] = same(run_sse(asgi_server, alice_session, run))

    viewers = [threading.Thread(target=watch, args=(name,)) for name in ("one", "two")]
    for viewer in viewers:
        viewer.start()
    for viewer in viewers:
        viewer.join(timeout=30)

    assert seen["one"] == seen["two"] and seen["one"][-1][1] == "done"
    assert fake.streams_started - started == 3


def test_a_run_starts_when_it_is_made_and_finishes_with_nobody_watching_within_the_grace(
    asgi_server, alice, client, fake
):
    client.force_login(alice)
    response = client.post("/runs/", {"prompt": "Hi", "models": ["demo/swift", "demo/echo"]})
    run = Run.objects.get()
    # Started by the POST itself: no browser ever opened its stream.
    assert run.status == Run.Status.STREAMING
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"

    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.DONE)
    assert all(column.output_text for column in run.columns.all())


def test_stop_from_another_connection_closes_upstream_within_300_ms(
    fake, asgi_server, alice_session, alice, client
):
    fake.time_scale = 0.2  # demo/slow then streams for about 8 s
    run = a_run(alice, ["demo/slow", "demo/slow"])
    with (
        httpx.Client(base_url=asgi_server.url, cookies=alice_session, timeout=15) as http,
        connect_sse(http, "GET", f"/runs/{run.pk}/stream/") as viewer,
    ):
        events = viewer.iter_sse()
        assert next(event for event in events if event.event.endswith("-output"))
        client.force_login(alice)
        stopped_at = time.monotonic()
        answer = client.post(f"/runs/{run.pk}/stop/", headers={"HX-Request": "true"})
        assert answer.status_code == 204
        wait_until(lambda: fake.open_streams == 0, timeout=0.3, interval=0.005)
        closed_within = time.monotonic() - stopped_at
        rest = [event.event for event in events]
    assert closed_within < 0.3
    assert {"c0-end", "c1-end"} <= set(rest) and rest[-1] == "done"
    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.CANCELLED)
    for column in RunColumn.objects.filter(run=run):
        assert column.status == "cancelled"
        assert column.error_message == "Stopped before the answer was complete."


@pytest.mark.django_db
def test_stop_needs_the_owner_a_post_and_the_csrf_token(alice, bob):
    from django.test import Client

    run = a_run(alice, ["demo/swift"])
    owner = Client(enforce_csrf_checks=True)
    owner.force_login(alice)
    assert owner.post(f"/runs/{run.pk}/stop/").status_code == 403
    assert owner.get(f"/runs/{run.pk}/stop/").status_code == 405
    stranger = Client()
    stranger.force_login(bob)
    assert stranger.post(f"/runs/{run.pk}/stop/").status_code == 404
    assert Run.objects.get(pk=run.pk).status == Run.Status.PENDING


@pytest.mark.django_db
def test_stopping_a_run_not_started_yet_cancels_it(alice_client, alice):
    run = a_run(alice, ["demo/swift", "demo/echo"])
    response = alice_client.post(f"/runs/{run.pk}/stop/")
    assert response.status_code == 302
    assert Run.objects.get(pk=run.pk).status == Run.Status.CANCELLED
    assert {c.status for c in RunColumn.objects.filter(run=run)} == {"cancelled"}


def test_a_run_kept_running_ignores_the_grace(fake, asgi_server, alice_session, alice, settings):
    settings.PLAYGROUND_ORPHAN_GRACE_SECONDS = 0
    fake.time_scale = 0.05
    run = a_run(alice, ["demo/slow"])
    Run.objects.filter(pk=run.pk).update(keep_running=True)
    run_sse(asgi_server, alice_session, run, stop_after="-output")

    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.DONE)
    [column] = RunColumn.objects.filter(run=run)
    assert column.status == "done" and column.error is None


def test_an_unwatched_run_is_stopped_when_the_grace_ends_not_before(
    fake, asgi_server, alice_session, alice, settings
):
    settings.PLAYGROUND_ORPHAN_GRACE_SECONDS = 1.0
    fake.time_scale = 0.2  # demo/slow then streams for about 8 s
    run = a_run(alice, ["demo/slow"])
    run_sse(asgi_server, alice_session, run, stop_after="-output")
    left = time.monotonic()

    time.sleep(0.5)
    assert Run.objects.get(pk=run.pk).status == Run.Status.STREAMING
    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.CANCELLED, timeout=5)
    assert time.monotonic() - left >= 1.0
    wait_until(lambda: fake.open_streams == 0, timeout=1)
    [column] = RunColumn.objects.filter(run=run)
    assert column.error_message == "Stopped: no one was watching." and column.output_text
