"""The run's stream through the real ASGI stack: uvicorn, Django's ASGI handler, the
async view, the in-process fake OpenRouter."""

import re

import httpx
import pytest

from playground.core.rendering import render_markdown
from playground.models import Run, RunColumn
from tests.factories import a_run, run_events, session_cookies, streamed_answer, visible_text
from tests.polling import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_stream_has_the_headers_that_keep_proxies_from_buffering(
    asgi_server, alice_session, alice
):
    run = a_run(alice, ["demo/swift"])
    with httpx.Client(base_url=asgi_server.url, cookies=alice_session) as http:
        response = http.get(f"/runs/{run.pk}/stream/")
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert "gzip" not in response.headers.get("content-encoding", "")


def test_every_column_streams_and_its_results_are_stored(asgi_server, alice_session, alice, fake):
    run = a_run(alice, ["demo/swift", "demo/reasoner", "demo/markdown"])
    events = run_events(asgi_server, alice_session, run)
    names = [name for name, _ in events]
    assert names[-1] == "done"
    for position in range(3):
        assert f"c{position}-output" in names
        assert names.count(f"c{position}-end") == 1
        assert names.index(f"c{position}-output") < names.index(f"c{position}-end")
    assert "c1-reasoning" in names  # the reasoner thinks before answering
    assert "sse-close" not in events[-1][1]  # the final status has no stream to reopen

    run.refresh_from_db()
    assert run.status == Run.Status.DONE and run.finished_at is not None
    columns = list(run.columns.all())
    assert [c.status for c in columns] == ["done", "done", "done"]
    for column in columns:
        # The answer arrived live as markdown, and the page it makes is the stored one's.
        blocks, tail = streamed_answer(events, column.position)
        assert column.output_text and blocks + tail == render_markdown(column.output_text)
        assert column.input_tokens > 0 and column.output_tokens > 0
        assert column.cost is not None and column.cost > 0
        assert 0 <= column.ttft_ms <= column.total_ms
        assert column.served_model
        assert column.generation_id.startswith("gen-")
        payloads = [entry["event"] for entry in column.events if "event" in entry]
        assert payloads[0]["type"] == "response.created"
        assert payloads[-1]["type"] == "response.completed"
    assert columns[1].reasoning_text and columns[1].reasoning_tokens > 0
    # The final markdown is rendered, and its code highlighted.
    assert '<code class="language-python">' in dict(events)["c2-end"]


def test_text_is_escaped_while_streaming_and_sanitized_at_the_end(
    asgi_server, alice_session, alice, fake
):
    run = a_run(
        alice, ["demo/echo"], prompt='<script>alert(1)</script><img src=x onerror="alert(2)">'
    )
    events = run_events(asgi_server, alice_session, run)
    streamed = "".join(d for n, d in events if n in ("c0-blocks", "c0-output"))
    assert "&lt;script&gt;" in streamed and "<script" not in streamed and "<img" not in streamed
    end = dict(events)["c0-end"]
    assert "<script" not in end and "<img" not in end
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in end


def test_a_failing_column_explains_itself_while_the_others_finish(
    asgi_server, alice_session, alice, fake
):
    run = a_run(
        alice, ["demo/fail-rate-limit", "demo/swift", "demo/fail-midstream", "demo/fail-auth"]
    )
    events = dict(run_events(asgi_server, alice_session, run))
    columns = {c.model: c for c in RunColumn.objects.filter(run=run)}
    assert columns["demo/swift"].status == "done"
    limited = columns["demo/fail-rate-limit"]
    assert limited.status == "error"
    assert limited.error["retry_after"] == 7
    assert "7 s" in limited.error["message"]
    assert 'data-testid="result-error"' in events["c0-end"]
    midstream = columns["demo/fail-midstream"]
    assert midstream.status == "error" and midstream.output_text  # partial text kept
    assert midstream.error["message"]
    assert columns["demo/fail-auth"].status == "error"
    assert "key" in columns["demo/fail-auth"].error["message"].lower()
    assert Run.objects.get(pk=run.pk).status == Run.Status.DONE


def test_a_truncated_answer_is_marked_incomplete(asgi_server, alice_session, alice, fake):
    run = a_run(alice, ["demo/fail-incomplete"])
    events = dict(run_events(asgi_server, alice_session, run))
    column = run.columns.get()
    assert column.status == "incomplete"
    assert column.incomplete_reason == "max_output_tokens"
    assert column.output_text
    assert "max output tokens" in events["c0-end"]


def test_a_second_connection_replays_and_never_calls_upstream_again(
    asgi_server, alice_session, alice, fake
):
    run = a_run(alice, ["demo/swift", "demo/echo"])
    first = run_events(asgi_server, alice_session, run)
    calls = len(fake.requests)
    second = run_events(asgi_server, alice_session, run)
    assert len(fake.requests) == calls
    assert [name for name, _ in second] == ["c0-end", "c1-end", "done"]
    # The replay shows what the live stream showed, its generation record swapped in.
    live, replayed = dict(first), dict(second)
    generation = re.compile(r'<details class="generation".*?</details>', re.S)
    assert generation.sub("", replayed["c0-end"]) == generation.sub("", live["c0-end"])

    def words(page):
        return " ".join(page.replace('hx-swap-oob="true"', "").split())

    assert words(live["c0-generation"]) in words(replayed["c0-end"])


def test_a_viewer_leaving_mid_run_does_not_stop_it(asgi_server, alice_session, alice, fake):
    fake.time_scale = 0.05  # demo/slow then takes about 2 s
    run = a_run(alice, ["demo/slow", "demo/slow"])
    events = run_events(asgi_server, alice_session, run, stop_after="-output")
    assert events[-1][0].endswith("-output")

    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.DONE)
    for column in RunColumn.objects.filter(run=run):
        assert column.status == "done" and column.error is None and column.output_text


def test_the_last_viewer_leaving_stops_the_run_after_the_grace_keeping_the_partial_answer(
    asgi_server, alice_session, alice, fake, settings
):
    settings.PLAYGROUND_ORPHAN_GRACE_SECONDS = 0
    fake.time_scale = 0.1  # demo/slow then takes about 4 s
    run = a_run(alice, ["demo/slow", "demo/slow"])
    events = run_events(asgi_server, alice_session, run, stop_after="-output")
    assert events[-1][0].endswith("-output")

    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.CANCELLED)
    assert fake.open_streams == 0
    assert fake.streams_closed_early >= 2
    columns = list(RunColumn.objects.filter(run=run))
    for column in columns:
        assert column.status == "cancelled"
        assert column.error["message"] == "Stopped: no one was watching."
        assert column.total_ms is not None
        # What the browser saw, and maybe more.
        blocks, tail = streamed_answer(events, column.position)
        final = render_markdown(column.output_text)
        assert final.startswith(blocks) and visible_text(tail).strip() in visible_text(final)
    assert any(column.output_text for column in columns)


def test_the_stream_needs_the_owner(asgi_server, alice, bob, client):
    run = a_run(alice, ["demo/swift"])
    client.force_login(bob)
    with httpx.Client(base_url=asgi_server.url, cookies=session_cookies(client)) as http:
        assert http.get(f"/runs/{run.pk}/stream/").status_code == 404
    with httpx.Client(base_url=asgi_server.url) as anonymous:
        assert anonymous.get(f"/runs/{run.pk}/stream/").status_code == 404
    assert Run.objects.get(pk=run.pk).status == Run.Status.PENDING
