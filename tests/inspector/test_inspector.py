"""The inspector's pages: a column's request, response, stream, timeline and code; the
run's overview with its charts; the run as a JSON download."""

import html
import json
import os
import re
import subprocess
import sys
from decimal import Decimal

import pytest

from playground.inspector.inspection import EVENTS_PER_PAGE
from playground.inspector.timeline import column_timeline
from playground.models import Run
from tests.factories import a_finished_run, run_events, session_cookies

pytestmark = pytest.mark.django_db


def pre(page: str, testid: str) -> str:
    """The text of the <pre> with this data-testid, as a person reads it."""
    match = re.search(rf'<pre[^>]*data-testid="{testid}"[^>]*>(.*?)</pre>', page, re.S)
    assert match, f"no <pre> {testid}"
    return html.unescape(match.group(1))


def streamed_run(client, asgi_server, fake, models):
    fake.time_scale = 0.05
    client.post(
        "/runs/",
        {"prompt": "Tell me about <b>rivers</b>.", "models": models, "temperature": "0.3"},
        headers={"HX-Request": "true"},
    )
    run = Run.objects.latest("pk")
    assert run_events(asgi_server, session_cookies(client), run)[-1][0] == "done"
    return run


@pytest.mark.django_db(transaction=True)
def test_the_inspector_shows_what_a_column_sent_and_received(asgi_server, client, alice, fake):
    client.force_login(alice)
    run = streamed_run(client, asgi_server, fake, ["demo/reasoner", "demo/swift"])
    column = run.columns.get(position=0)

    run_page = client.get(f"/runs/{run.pk}/").content.decode()
    assert f'href="/runs/{run.pk}/columns/0/"' in run_page
    assert f'href="/runs/{run.pk}/inspect/"' in run_page

    page = client.get(f"/runs/{run.pk}/columns/0/").content.decode()
    # The request, exactly as sent.
    assert json.loads(pre(page, "request-body")) == column.request_body
    assert json.loads(pre(page, "request-body"))["input"][0]["content"][0]["text"] == (
        "Tell me about <b>rivers</b>."
    )
    headers = pre(page, "request-headers")
    assert "Authorization: Bearer …demo" in headers  # the demo key is short: no prefix
    assert "X-OpenRouter-Title: " in headers
    # The response: status, headers with the generation id, the final object.
    assert '<strong data-testid="response-status">200</strong>' in page
    assert f"x-generation-id: {column.generation_id}" in pre(page, "response-headers")
    final = json.loads(pre(page, "response-object"))
    assert final["status"] == "completed" and final["id"] == column.generation_id
    # The stream: every entry, comments included, numbered, with its time.
    assert page.count('data-testid="event"') == min(len(column.events), EVENTS_PER_PAGE)
    assert 'data-type="comment"' in page
    assert 'data-type="response.reasoning_text.delta"' in page
    first_payload = next(entry for entry in column.events if "event" in entry)
    assert f'<span class="t">{first_payload["t_ms"]} ms</span>' in page
    # The timeline marks every moment the column had.
    for mark in ("sent", "first_byte_ms", "first_reasoning_ms", "first_answer_ms", "last_token_ms"):
        assert f'data-mark="{mark}"' in page
    # Code for every language, none of it holding a key.
    for snippet in ("curl", "python-openai", "python-httpx", "typescript"):
        assert f'data-snippet="{snippet}"' in page
    assert "OPENROUTER_API_KEY" in page

    overview = client.get(f"/runs/{run.pk}/inspect/").content.decode()
    assert overview.count('data-testid="column-figure"') == 2
    for title in ("Time to first token", "Total time", "Output speed", "Cost"):
        assert f'data-title="{title}"' in overview
    second = run.columns.get(position=1)
    assert f'data-label="2. demo/swift" data-value="${second.cost_number}"' in overview


def test_the_stream_list_is_paged_and_filtered_by_type(alice_client, alice):
    run = a_finished_run(alice, models=["demo/swift"])
    column = run.columns.get()
    deltas = [
        {"t_ms": 10 + n, "event": {"type": "response.output_text.delta", "delta": "x",
                                   "sequence_number": n}}
        for n in range(EVENTS_PER_PAGE + 30)
    ]  # fmt: skip
    comments = [{"t_ms": 5, "comment": "OPENROUTER PROCESSING"}] * 3
    column.events = comments + deltas
    column.save()
    url = f"/runs/{run.pk}/columns/0/"

    page = alice_client.get(url).content.decode()
    assert page.count('data-testid="event"') == EVENTS_PER_PAGE
    assert 'data-testid="more-events"' in page
    assert '<option value="comment">comment (3)</option>' in page
    assert "response.output_text.delta (130)" in page

    more = alice_client.get(f"{url}events/?page=2", headers={"HX-Request": "true"})
    rows = more.content.decode()
    assert rows.count('data-testid="event"') == 33
    assert "#101</span>" in rows and "#133</span>" in rows
    assert 'data-testid="more-events"' not in rows  # the last page

    comments_only = alice_client.get(f"{url}events/?type=comment").content.decode()
    assert comments_only.count('data-testid="event"') == 3
    assert "3 “comment” entries" in comments_only
    assert "delta" not in comments_only

    # Without htmx the filter is an ordinary page with the list filtered.
    filtered = alice_client.get(f"{url}?type=response.output_text.delta&page=2").content.decode()
    assert filtered.count('data-testid="event"') == 30
    assert "#104</span>" in filtered

    assert alice_client.get(f"{url}events/?page=zero").status_code == 404
    assert alice_client.get(f"{url}?page=0").status_code == 404
    assert alice_client.get(f"/runs/{run.pk}/columns/7/").status_code == 404
    unknown = alice_client.get(f"{url}events/?type=nonsense").content.decode()
    assert "0 “nonsense” entries" in unknown


def test_a_stream_cut_by_the_storage_cap_says_so(alice_client, alice):
    run = a_finished_run(alice, models=["demo/swift"])
    run.columns.update(events=[{"t_ms": 1, "comment": ""}], events_truncated=True)

    page = alice_client.get(f"/runs/{run.pk}/columns/0/").content.decode()

    assert 'data-testid="events-truncated"' in page
    assert "later events were not stored" in page


def timed_column(alice, events, *, output_tokens=9, marks=None):
    run = a_finished_run(alice, models=["demo/swift"])
    column = run.columns.get()
    column.events = events
    column.output_tokens = output_tokens
    column.marks = marks or {
        "first_byte_ms": 50.0, "first_reasoning_ms": None, "first_answer_ms": 100.0,
        "last_token_ms": 1500.0, "end_ms": 1600.0,
    }  # fmt: skip
    column.save()
    return column


def delta(t_ms, text):
    return {"t_ms": t_ms, "event": {"type": "response.output_text.delta", "delta": text}}


def test_gaps_in_the_data_longer_than_the_threshold_are_stalls(alice):
    column = timed_column(
        alice,
        [
            delta(100, "abcd"),
            delta(200, "abcd"),
            # Keep-alive comments are not data: the gap from 200 to 1400 is one stall.
            {"t_ms": 700, "comment": "OPENROUTER PROCESSING"},
            delta(1400, "abcd"),
            delta(1500, "abcd"),
        ],
    )

    timeline = column_timeline(column)
    assert [(s.start_ms, s.end_ms) for s in timeline.stalls] == [(200, 1400)]
    assert [m.key for m in timeline.marks] == [
        "sent", "first_byte_ms", "first_answer_ms", "last_token_ms",
    ]  # fmt: skip
    assert timeline.marks[2].x == pytest.approx(100 * 720 / 1600, abs=0.1)
    assert column_timeline(column, stall_ms=1500).stalls == []
    # The speed bars spread the reported tokens over the text: 9 tokens in 16 characters.
    seconds_per_bucket = 1600 / 36 / 1000
    assert sum(bar.tokens_per_second * seconds_per_bucket for bar in timeline.bars) == (
        pytest.approx(9)
    )
    assert not timeline.estimated


def test_speeds_are_estimated_from_characters_when_no_token_count_came(alice):
    column = timed_column(alice, [delta(100, "a" * 40)], output_tokens=None)

    timeline = column_timeline(column)

    assert timeline.estimated
    [bar] = timeline.bars
    assert bar.tokens_per_second * (1600 / 36 / 1000) == pytest.approx(10)


def test_a_column_that_never_streamed_has_no_timeline(alice_client, alice):
    run = a_finished_run(alice, models=["demo/swift"])
    run.columns.update(total_ms=None, marks={})

    assert column_timeline(run.columns.get()) is None
    page = alice_client.get(f"/runs/{run.pk}/columns/0/").content.decode()
    assert "Nothing was timed" in page


def test_the_stall_threshold_can_be_changed_and_a_bad_one_is_explained(alice_client, alice):
    column = timed_column(alice, [delta(100, "ab"), delta(900, "cd")])
    url = f"/runs/{column.run_id}/columns/0/"

    assert alice_client.get(url).content.decode().count('data-testid="stall"') == 1
    assert alice_client.get(f"{url}?stall=1000").content.decode().count('data-testid="stall"') == 0
    for bad in ("abc", "10", "99999999"):
        response = alice_client.get(f"{url}?stall={bad}")
        assert response.status_code == 200
        page = response.content.decode()
        assert 'data-testid="stall-error"' in page
        assert page.count('data-testid="stall"') == 1  # the default threshold still applies


def test_the_run_downloads_as_json_with_everything_but_the_key(alice_client, alice):
    run = a_finished_run(alice)
    run.columns.filter(position=0).update(
        events=[{"t_ms": 12.5, "event": {"type": "response.created"}}],
        response_status=200,
        response_headers={"x-generation-id": "gen-1"},
        response={"id": "gen-1", "status": "completed"},
        marks={"first_byte_ms": 10.0, "end_ms": 480.0},
        cost=Decimal("0.000012345678"),
    )

    response = alice_client.get(f"/runs/{run.pk}/download/")

    assert response["Content-Disposition"] == f'attachment; filename="run-{run.pk}.json"'
    data = json.loads(response.content)
    assert data["format"] == "model-playground.run" and data["version"] == 1
    assert data["run"]["setup"]["prompt"] == "Name three rivers."
    assert [c["model"] for c in data["columns"]] == ["demo/swift", "demo/echo"]
    first = data["columns"][0]
    stored = run.columns.get(position=0)
    assert first["request"]["body"] == stored.request_body
    assert first["request"]["headers"] == stored.request_headers
    assert first["response"] == {
        "status": 200,
        "headers": {"x-generation-id": "gen-1"},
        "object": {"id": "gen-1", "status": "completed"},
    }
    assert first["events"] == [{"t_ms": 12.5, "event": {"type": "response.created"}}]
    assert first["usage"]["cost_usd"] == "0.000012345678"  # exact, as a string
    assert first["timings"]["ttft_ms"] == 120 and first["timings"]["first_byte_ms"] == 10.0


def test_a_run_not_yet_finished_says_its_inspector_is_waiting(alice_client, alice):
    run = a_finished_run(alice, status=Run.Status.PENDING)

    page = alice_client.get(f"/runs/{run.pk}/columns/0/").content.decode()

    assert "This run has not finished" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("snippet_id", ["python-httpx", "python-openai"])
def test_code_copied_from_a_real_run_sends_that_run_s_request_again(
    snippet_id, upstream, settings, asgi_server, client, alice, tmp_path
):
    key = "sk-or-v1-" + "7c1d" * 16
    settings.OPENROUTER_API_KEY = key
    client.force_login(alice)
    run = streamed_run(client, asgi_server, upstream, ["demo/echo"])
    column = run.columns.get()
    page = client.get(f"/runs/{run.pk}/columns/0/").content.decode()
    code = html.unescape(
        re.search(
            rf'<pre id="snippet-{snippet_id}" data-testid="snippet-code"[^>]*>(.*?)</pre>',
            page,
            re.S,
        ).group(1)
    )
    assert key not in code and key[-12:-4] not in code
    # The column went to the configured API: the code calls the same URL.
    assert column.request_url == f"{settings.OPENROUTER_BASE_URL}/responses"
    assert settings.OPENROUTER_BASE_URL in code
    path = tmp_path / "snippet.py"
    path.write_text(code, encoding="utf-8")
    upstream.requests.clear()

    result = subprocess.run(
        [sys.executable, str(path)],
        env=os.environ | {"OPENROUTER_API_KEY": "sk-or-v1-someone-else", "NO_PROXY": "127.0.0.1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == column.output_text.strip()
    [again] = upstream.requests
    assert again.json == column.request_body
    assert again.headers["x-openrouter-title"] == column.request_headers["X-OpenRouter-Title"]
    assert again.headers["authorization"] == "Bearer sk-or-v1-someone-else"
