"""Faults survived: every way the upstream can fail, served by the fake on a real
loopback port (the `upstream` fixture) and streamed through the real ASGI stack."""

import socket
import time

import httpx
import pytest
from httpx_sse import connect_sse

from playground.core.rendering import render_markdown
from playground.models import Run, RunColumn
from tests.factories import a_run, run_events, streamed_answer
from tests.polling import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "sk-or-v1-" + "fa17" * 16


@pytest.fixture
def upstream(upstream, settings):
    """The fake as the real OpenRouter, used with the server's key; a column that is
    not protected fails these tests within seconds rather than hanging for a minute."""
    settings.OPENROUTER_API_KEY = KEY
    settings.OPENROUTER_READ_TIMEOUT = 5.0
    return upstream


def read_stream(server, cookies, run, *, timeout=15.0):
    """The run's SSE events as (name, data, seconds since the response head arrived)."""
    events = []
    with (
        httpx.Client(base_url=server.url, cookies=cookies, timeout=timeout) as http,
        connect_sse(http, "GET", f"/runs/{run.pk}/stream/") as source,
    ):
        assert source.response.status_code == 200
        opened = time.monotonic()
        for sse in source.iter_sse():
            events.append((sse.event, sse.data, time.monotonic() - opened))
    return events


def ends(events):
    """Each column's end event: position -> (html, seconds after the stream opened)."""
    return {
        int(name[1 : -len("-end")]): (data, at)
        for name, data, at in events
        if name.startswith("c") and name.endswith("-end")
    }


def columns_of(run):
    return {column.model: column for column in RunColumn.objects.filter(run=run)}


# Before the first byte: an error status with a JSON body instead of a stream.
REFUSALS = {
    "demo/fail-rate-limit": (429, "Rate limited by the provider; try again in 7 s."),
    "demo/fail-credits": (402, "Out of credits: Insufficient credits."),
    "demo/fail-auth": (401, "OpenRouter rejected the API key (User not found.)."),
    "demo/fail-provider-down": (502, "The provider is down or overloaded (502)"),
    "fault/overloaded": (503, "The provider is down or overloaded (503): No instances available"),
}


def test_an_error_status_before_the_first_byte_explains_itself_in_its_column_only(
    upstream, asgi_server, alice_session, alice
):
    run = a_run(alice, [*REFUSALS, "demo/swift"])

    events = read_stream(asgi_server, alice_session, run)

    assert events[-1][0] == "done"
    finished = ends(events)
    columns = columns_of(run)
    for model, (status, message) in REFUSALS.items():
        column = columns[model]
        assert column.status == "error"
        assert column.response_status == status
        assert column.error_message.startswith(message)
        shown, _ = finished[column.position]
        assert 'data-testid="result-error"' in shown
        assert message.split(":")[0].split("(")[0].strip() in shown
    assert columns["demo/fail-rate-limit"].error["retry_after"] == 7
    assert columns["fault/overloaded"].error["retry_after"] == 2
    assert columns["demo/swift"].status == "done" and columns["demo/swift"].output_text
    assert Run.objects.get(pk=run.pk).status == Run.Status.DONE
    # Each column asked once: an error status is never retried by a stream.
    asked = [r.json["model"] for r in upstream.requests if r.path == "/api/v1/responses"]
    assert sorted(asked) == sorted([*REFUSALS, "demo/swift"])


# Mid-stream: a few words arrive, then the stream breaks one way or another.
PARTIAL = "Starting on “Name three rivers”: the first thing to check is whether"
BREAKS = {
    "fault/failed": ("error", "OpenRouter had an internal error: Internal server error"),
    "fault/error-event": ("error", "The answer stopped with an error: Internal server error"),
    "fault/reset": ("error", "The connection to OpenRouter failed: "),
    "fault/incomplete": ("incomplete", ""),
}


def test_a_stream_that_breaks_mid_answer_ends_its_column_within_a_second_keeping_the_text(
    upstream, asgi_server, alice_session, alice
):
    run = a_run(alice, [*BREAKS, "demo/swift"])

    events = read_stream(asgi_server, alice_session, run)

    assert events[-1][0] == "done"
    finished = ends(events)
    columns = columns_of(run)
    for model, (status, message) in BREAKS.items():
        column = columns[model]
        shown, at = finished[column.position]
        # The fake holds the connection open after a failed, error or incomplete event;
        # the column ends anyway, soon after the last event.
        assert at < 1.0, f"{model} ended after {at:.2f} s"
        assert column.total_ms < 1000
        # The partial text is kept, stored and shown, and marked as such.
        assert column.output_text == PARTIAL
        assert column.output_text in shown
        assert column.status == status
        assert f'data-status="{status}"' in shown
        assert column.error_message.startswith(message)
        if message:
            assert 'data-testid="result-error"' in shown
    incomplete = columns["fault/incomplete"]
    assert incomplete.incomplete_reason == "max_output_tokens"
    assert "incomplete: max output tokens" in finished[incomplete.position][0]
    assert "reset" in columns["fault/reset"].error_message
    assert columns["demo/swift"].status == "done" and columns["demo/swift"].output_text
    assert Run.objects.get(pk=run.pk).status == Run.Status.DONE
    # Every upstream connection was closed, none finished normally but the swift one.
    assert upstream.open_streams == 0
    assert upstream.streams_finished == 1


def test_headers_then_silence_end_the_column_at_the_read_timeout(
    upstream, asgi_server, alice_session, alice, settings
):
    settings.OPENROUTER_READ_TIMEOUT = 0.5
    run = a_run(alice, ["fault/silence", "demo/swift"])

    events = read_stream(asgi_server, alice_session, run)

    shown, at = ends(events)[0]
    assert 0.4 < at < 2.0
    column = columns_of(run)["fault/silence"]
    assert column.status == "error"
    assert column.response_status == 200
    assert column.error_message == "No answer from OpenRouter within 0.5 s."
    assert column.error_message in shown
    assert columns_of(run)["demo/swift"].status == "done"
    assert Run.objects.get(pk=run.pk).status == Run.Status.DONE


def test_keep_alive_comments_alone_cannot_hold_a_column_past_its_cap(
    upstream, asgi_server, alice_session, alice, settings
):
    # Comments arrive every 0.1 s, well within the read timeout, forever.
    settings.OPENROUTER_READ_TIMEOUT = 0.5
    settings.PLAYGROUND_COLUMN_MAX_SECONDS = 1.5
    run = a_run(alice, ["fault/keepalive-forever", "demo/swift"])

    events = read_stream(asgi_server, alice_session, run, timeout=10)

    shown, at = ends(events)[0]
    assert 1.4 < at < 3.0
    column = columns_of(run)["fault/keepalive-forever"]
    assert column.status == "error"
    assert column.error_message == (
        "Stopped after 1.5 s, the longest this playground waits for one answer."
    )
    assert column.error_message in shown
    # The comments did keep coming: the read timeout alone would never have fired.
    comments = [entry for entry in column.events if "comment" in entry]
    assert len(comments) >= 10
    assert comments[-1]["t_ms"] > 1000
    assert columns_of(run)["demo/swift"].status == "done"
    assert Run.objects.get(pk=run.pk).status == Run.Status.DONE
    assert upstream.open_streams == 0


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("http://127.0.0.1:{port}/api/v1", "127.0.0.1:{port} refused the connection"),
        ("http://openrouter.invalid/api/v1", "the host name openrouter.invalid could not be found"),
    ],
    ids=["connection refused", "dns failure"],
)
def test_an_api_that_cannot_be_reached_fails_every_column_at_once_with_a_clear_message(
    base_url, message, asgi_server, alice_session, alice, settings
):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.OPENROUTER_API_KEY = KEY
    settings.OPENROUTER_BASE_URL = base_url.format(port=port)
    run = a_run(alice, ["demo/swift", "demo/echo"])

    events = read_stream(asgi_server, alice_session, run)

    assert events[-1][0] == "done" and events[-1][2] < 5
    for column in RunColumn.objects.filter(run=run):
        expected = f"The connection to OpenRouter failed: {message.format(port=port)}"
        assert column.status == "error"
        assert column.error_message == expected
        assert expected in ends(events)[column.position][0]
    assert Run.objects.get(pk=run.pk).status == Run.Status.DONE


def hang_up_after_first_text(server, cookies, run):
    """Reads the run's stream until some text arrived, then drops the connection."""
    name, _ = run_events(server, cookies, run, stop_after="-output")[-1]
    assert name.endswith("-output"), "no text arrived"
    return name


@pytest.mark.parametrize("count", [1, 3])
def test_the_last_browser_leaving_mid_run_closes_every_upstream_connection_and_keeps_the_text(
    count, upstream, asgi_server, alice_session, alice, settings
):
    settings.PLAYGROUND_ORPHAN_GRACE_SECONDS = 0
    upstream.time_scale = 0.1  # demo/slow then streams for about 4 s
    run = a_run(alice, ["demo/slow"] * count)

    hang_up_after_first_text(asgi_server, alice_session, run)

    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.CANCELLED)
    wait_until(lambda: upstream.open_streams == 0, timeout=2)
    assert upstream.streams_started == count
    assert upstream.streams_closed_early == count
    columns = list(RunColumn.objects.filter(run=run))
    assert [column.status for column in columns] == ["cancelled"] * count
    assert any(column.output_text for column in columns)
    for column in columns:
        assert column.error_message == "Stopped: no one was watching."


def test_an_event_source_reconnecting_gets_the_same_run_and_never_starts_a_second_generation(
    upstream, asgi_server, alice_session, alice
):
    upstream.time_scale = 0.1
    models = ["demo/slow", "demo/slow", "demo/swift"]
    run = a_run(alice, models)
    with (
        httpx.Client(base_url=asgi_server.url, cookies=alice_session, timeout=15) as http,
        connect_sse(http, "GET", f"/runs/{run.pk}/stream/") as first,
    ):
        live = first.iter_sse()
        assert next(event for event in live if event.event.endswith("-output"))
        # The browser reconnects while the first connection is still streaming (the
        # server has not noticed it is gone yet): the second one gets the whole run.
        again = read_stream(asgi_server, alice_session, run)
        assert upstream.streams_started == len(models)
    names = [name for name, _, _ in again]
    assert names[-1] == "done" and {"c0-end", "c1-end", "c2-end"} <= set(names)
    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.DONE)
    assert upstream.streams_started == len(models) and upstream.streams_closed_early == 0
    for column in RunColumn.objects.filter(run=run):
        pairs = [(name, data) for name, data, _ in again]
        shown = "".join(streamed_answer(pairs, column.position))
        assert shown == render_markdown(column.output_text)
