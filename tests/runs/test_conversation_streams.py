"""Conversations end to end through the real stream and the fake OpenRouter: a tool call
streamed, answered and continued; a follow-up each column answers from its own history;
web search citations and structured output stored from real streams."""

import html

import pytest
from django.urls import reverse

from playground.models import Run, RunColumn
from playground.openrouter import RequestParams
from tests.factories import PERSON, WEATHER, a_run, a_run_sending, run_events
from tests.setups.test_request_bodies import post_run

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_tool_call_streams_then_its_result_continues_the_column(
    asgi_server, alice_client, alice_session, alice, fake
):
    run = a_run_sending(
        alice, RequestParams(model="demo/tool-caller", prompt="Weather in Oslo?", tools=(WEATHER,))
    )

    events = run_events(asgi_server, alice_session, run)

    live = html.unescape("".join(data for name, data in events if name == "c0-tools"))
    assert live.startswith("get_weather({") and live.endswith("})\n")
    column = RunColumn.objects.get(run=run)
    [call] = column.tool_calls
    assert call["name"] == "get_weather" and call["id"] and call["call_id"]
    end = dict(events)["c0-end"]
    assert 'data-testid="tool-results"' in end and 'name="csrfmiddlewaretoken"' in end

    response = alice_client.post(
        reverse("column-continue", args=[run.pk, 0]), {"output": ["Light rain, 9 °C"]}
    )
    assert response.status_code == 302
    follow_up = Run.objects.get(parent=run)
    events = run_events(asgi_server, alice_session, follow_up)

    answer = RunColumn.objects.get(run=follow_up)
    assert answer.status == "done", answer.error
    assert "Light rain, 9 °C" in answer.output_text  # the fake quotes each result
    assert answer.tool_calls == []
    assert "Light rain, 9 °C" in html.unescape(dict(events)["c0-end"])


def test_a_follow_up_is_answered_by_each_column_from_its_own_history(
    asgi_server, alice_client, alice_session, alice, fake
):
    run = a_run(alice, ["demo/echo", "demo/swift"], prompt="First question")
    run_events(asgi_server, alice_session, run)
    first_answers = dict(RunColumn.objects.filter(run=run).values_list("position", "output_text"))

    alice_client.post(reverse("run-follow-up", args=[run.pk]), {"message": "Second question"})
    turn2 = Run.objects.get(parent=run)
    events = run_events(asgi_server, alice_session, turn2)

    assert [name for name, _ in events][-1] == "done"
    columns = list(RunColumn.objects.filter(run=turn2).order_by("position"))
    assert [c.status for c in columns] == ["done", "done"]
    for column in columns:
        sent = column.request_body["input"]
        assert sent[1]["role"] == "assistant"
        assert sent[1]["content"][0]["text"] == first_answers[column.previous.position]
        assert sent[1]["id"].startswith("msg")  # the id of the answer's message item
    assert "Second question" in columns[0].output_text  # demo/echo answers the last message
    # The follow-up box of the finished turn comes with `done`, swapped in out of band.
    done = dict(events)["done"]
    assert f'id="follow-up-{turn2.pk}" data-testid="follow-up" hx-swap-oob="true"' in done
    assert f'action="/runs/{turn2.pk}/follow-up/"' in done


def test_a_reasoning_models_encrypted_reasoning_is_asked_for_and_sent_back_next_turn(
    asgi_server, alice_client, alice_session, alice, fake
):
    post_run(alice_client, models=("demo/summarizer", "demo/swift"), reasoning_summary="auto")
    run = Run.objects.get()
    summarizer, swift = run.columns.order_by("position")
    # Only the column whose model reasons asks for its reasoning back.
    assert summarizer.request_body["include"] == ["reasoning.encrypted_content"]
    assert "include" not in swift.request_body
    run_events(asgi_server, alice_session, run)
    summarizer.refresh_from_db()
    assert summarizer.reasoning_encrypted
    [reasoning] = [item for item in summarizer.response["output"] if item["type"] == "reasoning"]
    assert reasoning["encrypted_content"] and reasoning["summary"]

    alice_client.post(reverse("run-follow-up", args=[run.pk]), {"message": "And then?"})
    turn2 = Run.objects.get(parent=run)
    events = run_events(asgi_server, alice_session, turn2)

    again = RunColumn.objects.get(run=turn2, position=0)
    assert again.status == "done", again.error  # the fake took the replayed item
    sent = again.request_body["input"]
    # The first question, the reasoning unchanged, the answer, the new question.
    assert [item.get("role", item["type"]) for item in sent] == [
        "user",
        "reasoning",
        "assistant",
        "user",
    ]
    assert sent[1] == {
        "type": "reasoning",
        "id": reasoning["id"],
        "summary": reasoning["summary"],
        "encrypted_content": reasoning["encrypted_content"],
    }
    assert again.request_body["include"] == ["reasoning.encrypted_content"]
    assert [name for name, _ in events][-1] == "done"


def test_web_search_citations_are_stored_and_listed(asgi_server, alice_session, alice, fake):
    run = a_run_sending(
        alice, RequestParams(model="demo/swift", prompt="Rivers", web_search_max_results=2)
    )
    events = run_events(asgi_server, alice_session, run)
    column = RunColumn.objects.get(run=run)
    assert [c["url"] for c in column.citations] == [
        "https://example.com/rivers/source-1",
        "https://example.com/rivers/source-2",
    ]
    end = dict(events)["c0-end"]
    assert "[1]" in end and "[2]" in end and "— example.com" in end
    assert 'rel="noopener noreferrer nofollow"' in end


def test_structured_output_is_checked_on_the_answer_as_streamed(
    asgi_server, alice_session, alice, fake
):
    schema = PERSON
    run = a_run_sending(
        alice,
        RequestParams(model="demo/swift", prompt="A person", json_schema=schema),
        RequestParams(model="demo/sloppy-json", prompt="A person", json_schema=schema),
    )
    ends = dict(run_events(asgi_server, alice_session, run))
    assert 'data-check="matches"' in ends["c0-end"]
    assert 'data-check="mismatch"' in ends["c1-end"]
    assert "the required property &quot;name&quot; is missing" in ends["c1-end"]
