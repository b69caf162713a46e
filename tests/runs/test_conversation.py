"""Going on from a finished run: the results of a column's tool calls, and follow-up
messages to every column or one. Each column sends its whole history (the API keeps
none): the exact bodies are checked here."""

import copy

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from playground.models import Run, RunColumn
from playground.openrouter import RequestParams, build_body
from playground.views.compare import run_context
from tests.factories import WEATHER, a_run_sending

pytestmark = pytest.mark.django_db


def user(text):
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def assistant(message_id, text):
    return {
        "type": "message",
        "role": "assistant",
        "id": message_id,
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def finish(run: Run, *answers: dict) -> Run:
    """Stores each column's answer as its stream would: fields, and the final response
    object whose message item carries the id a replay must send."""
    for column, answer in zip(run.columns.order_by("position"), answers, strict=True):
        column.status = answer.get("status", "done")
        column.output_text = answer.get("text", "")
        column.tool_calls = answer.get("calls", [])
        column.error = answer.get("error")
        column.generation_id = f"gen-{column.pk}"
        output = []
        if message_id := answer.get("message_id"):
            output.append({"type": "message", "id": message_id, "content": []})
        column.response = {"id": column.generation_id, "output": output}
        column.save()
    run.status = Run.Status.DONE
    run.finished_at = timezone.now()
    run.save()
    return run


def the_next_run(run: Run) -> Run:
    return Run.objects.get(parent=run)


# Tool results


def a_tool_call_run(alice):
    params = RequestParams(
        model="demo/tool-caller",
        prompt="What is the weather in Oslo?",
        instructions="Use the tools.",
        tools=(WEATHER,),
        tool_choice="auto",
        max_output_tokens=300,
    )
    run = a_run_sending(alice, params, prompt=params.prompt)
    call = {
        "id": "fc_1",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city":"Oslo"}',
    }
    return finish(run, {"text": "Let me look.", "message_id": "msg_7", "calls": [call]}), params


def test_continuing_a_tool_call_replays_the_history_then_the_results(alice_client, alice):
    run, params = a_tool_call_run(alice)
    column = run.columns.get()

    response = alice_client.post(
        reverse("column-continue", args=[run.pk, 0]), {"output": ["12 °C and rain"]}
    )

    follow_up = the_next_run(run)
    assert response.status_code == 302 and response["Location"] == f"/runs/{follow_up.pk}/"
    assert (
        follow_up.status == Run.Status.PENDING and follow_up.prompt == "Tool results: get_weather"
    )
    [continued] = follow_up.columns.all()
    assert continued.previous == column and continued.model == "demo/tool-caller"
    # The same request (tools, tool choice, instructions, limits), with the history:
    # no new user message after the tool's output.
    assert continued.request_body == {
        **build_body(params),
        "input": [
            user("What is the weather in Oslo?"),
            assistant("msg_7", "Let me look."),
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": '{"city":"Oslo"}',
            },
            {"type": "function_call_output", "call_id": "call_1", "output": "12 °C and rain"},
        ],
    }


def test_several_calls_each_get_their_result_in_order(alice_client, alice):
    run, _ = a_tool_call_run(alice)
    calls = [
        {"id": "fc_a", "call_id": "call_a", "name": "get_weather", "arguments": '{"city":"A"}'},
        {"id": "fc_b", "call_id": "call_b", "name": "get_time", "arguments": "{}"},
    ]
    RunColumn.objects.filter(run=run).update(tool_calls=calls, output_text="")
    alice_client.post(reverse("column-continue", args=[run.pk, 0]), {"output": ["sun", "noon"]})
    sent = the_next_run(run).columns.get().request_body["input"]
    assert [item["type"] for item in sent] == [
        "message",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
    ]
    assert [(item["call_id"], item["output"]) for item in sent[3:]] == [
        ("call_a", "sun"),
        ("call_b", "noon"),
    ]
    assert the_next_run(run).prompt == "Tool results: get_weather, get_time"


def test_a_missing_tool_result_is_refused_and_what_was_typed_is_kept(alice_client, alice):
    run, _ = a_tool_call_run(alice)
    RunColumn.objects.filter(run=run).update(
        tool_calls=[
            {"id": "fc_a", "call_id": "a", "name": "get_weather", "arguments": "{}"},
            {"id": "fc_b", "call_id": "b", "name": "get_time", "arguments": "{}"},
        ]
    )
    url = reverse("column-continue", args=[run.pk, 0])

    response = alice_client.post(url, {"output": ["sunny", "  "]}, headers={"HX-Request": "true"})

    assert response.status_code == 200  # htmx swaps the form back in place
    page = response.content.decode()
    assert "Type the result of call 2 (get_time)." in page
    assert ">sunny</textarea>" in page
    assert not Run.objects.filter(parent=run).exists()
    # Without htmx, a page of its own with the form.
    response = alice_client.post(url, {"output": ["sunny"]})
    assert response.status_code == 400
    assert "Give one result for each tool call." in response.content.decode()


def test_a_column_without_calls_or_unfinished_cannot_be_continued_with_results(alice_client, alice):
    run, _ = a_tool_call_run(alice)
    url = reverse("column-continue", args=[run.pk, 0])
    RunColumn.objects.filter(run=run).update(status="cancelled")
    response = alice_client.post(url, {"output": ["x"]})
    assert response.status_code == 400
    assert (
        "Only a column that finished its tool calls can be continued" in response.content.decode()
    )
    RunColumn.objects.filter(run=run).update(status="done", tool_calls=[])
    response = alice_client.post(url, {"output": ["x"]})
    assert "This column made no tool call." in response.content.decode()
    assert not Run.objects.filter(parent=run).exists()


def test_continuing_needs_the_owner_and_a_post(alice_client, alice, client, bob):
    run, _ = a_tool_call_run(alice)
    url = reverse("column-continue", args=[run.pk, 0])
    assert alice_client.get(url).status_code == 405
    assert alice_client.post(reverse("column-continue", args=[run.pk, 5])).status_code == 404
    client.force_login(bob)
    assert client.post(url, {"output": ["x"]}).status_code == 404
    client.logout()
    assert client.post(url, {"output": ["x"]}).status_code == 302  # to the login page
    assert not Run.objects.filter(parent=run).exists()


# Follow-ups


def a_two_column_run(alice):
    first = RequestParams(model="demo/swift", prompt="Name a river.", temperature=0.5)
    second = RequestParams(model="demo/echo", prompt="Name a river.", max_output_tokens=100)
    run = a_run_sending(alice, first, second, prompt="Name a river.")
    finish(
        run,
        {"text": "The Nile.", "message_id": "msg_s1"},
        {"text": "Name a river.", "message_id": "msg_e1"},
    )
    return run, first, second


def test_a_two_turn_conversation_in_two_columns_sends_each_its_own_history(alice_client, alice):
    run, first, second = a_two_column_run(alice)

    response = alice_client.post(
        reverse("run-follow-up", args=[run.pk]), {"message": "How long is it?", "column": "all"}
    )

    turn2 = the_next_run(run)
    assert response.status_code == 302 and response["Location"] == turn2.get_absolute_url()
    assert turn2.prompt == "How long is it?"
    columns = list(turn2.columns.order_by("position"))
    assert [c.previous.position for c in columns] == [0, 1]
    assert columns[0].request_body == {
        **build_body(first),
        "input": [
            user("Name a river."),
            assistant("msg_s1", "The Nile."),
            user("How long is it?"),
        ],
    }
    assert columns[1].request_body == {
        **build_body(second),
        "input": [
            user("Name a river."),
            assistant("msg_e1", "Name a river."),
            user("How long is it?"),
        ],
    }

    # The second follow-up goes on from each column's own second answer.
    finish(
        turn2,
        {"text": "About 6,650 km.", "message_id": "msg_s2"},
        {"text": "How long is it?", "message_id": "msg_e2"},
    )
    alice_client.post(reverse("run-follow-up", args=[turn2.pk]), {"message": "Thanks!"})
    turn3 = the_next_run(turn2)
    bodies = [c.request_body for c in turn3.columns.order_by("position")]
    assert bodies[0]["input"] == [
        user("Name a river."),
        assistant("msg_s1", "The Nile."),
        user("How long is it?"),
        assistant("msg_s2", "About 6,650 km."),
        user("Thanks!"),
    ]
    assert bodies[1]["input"] == [
        user("Name a river."),
        assistant("msg_e1", "Name a river."),
        user("How long is it?"),
        assistant("msg_e2", "How long is it?"),
        user("Thanks!"),
    ]
    assert bodies[0]["temperature"] == 0.5 and bodies[1]["max_output_tokens"] == 100


def test_a_follow_up_can_go_to_one_column_alone(alice_client, alice):
    run, _, _ = a_two_column_run(alice)
    alice_client.post(
        reverse("run-follow-up", args=[run.pk]), {"message": "Shorter.", "column": "1"}
    )
    [column] = the_next_run(run).columns.all()
    assert column.model == "demo/echo" and column.position == 0
    assert column.previous == run.columns.get(position=1)
    assert column.request_body["input"][-1] == user("Shorter.")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            {"status": "error", "error": {"message": "Rate limited."}},
            "it ended with an error, so there is no answer to continue from",
        ),
        ({"status": "cancelled", "text": "Half"}, "it was stopped before its answer was complete"),
    ],
)
def test_error_and_cancelled_columns_cannot_be_continued(alice_client, alice, answer, reason):
    params = RequestParams(model="demo/swift", prompt="Hi")
    run = finish(
        a_run_sending(alice, params, params), {"text": "Hello.", "message_id": "m"}, answer
    )
    url = reverse("run-follow-up", args=[run.pk])

    response = alice_client.post(url, {"message": "And?", "column": "1"})

    assert response.status_code == 400
    assert f"Column 2 (demo/swift) cannot be continued: {reason}." in response.content.decode()
    assert not Run.objects.filter(parent=run).exists()
    # "Every column" sends it to the columns that can continue.
    alice_client.post(url, {"message": "And?", "column": "all"})
    [continued] = the_next_run(run).columns.all()
    assert continued.previous.position == 0


def test_the_follow_up_box_names_the_columns_that_cannot_continue(alice):
    params = RequestParams(model="demo/swift", prompt="Hi")
    run = finish(
        a_run_sending(alice, params, params),
        {"text": "Hello.", "message_id": "m"},
        {"status": "error", "error": {"message": "Down."}},
    )
    page = render_to_string("playground/compare.html#run", run_context(run))
    assert 'data-testid="follow-up-form"' in page
    assert (
        "Column 2: demo/swift cannot continue: it ended with an error, so there is no answer "
        "to continue from."
    ) in page
    assert '<option value="1" disabled>' in page


def test_a_run_with_no_column_to_continue_says_so(alice):
    params = RequestParams(model="demo/swift", prompt="Hi")
    run = finish(a_run_sending(alice, params), {"status": "error", "error": {"message": "x"}})
    page = render_to_string("playground/compare.html#run", run_context(run))
    assert 'data-testid="follow-up-none"' in page and "follow-up-form" not in page


def test_a_follow_up_needs_a_message_and_a_finished_run(alice_client, alice):
    run, _, _ = a_two_column_run(alice)
    url = reverse("run-follow-up", args=[run.pk])
    response = alice_client.post(url, {"message": "   "}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Type a message to send." in response.content.decode()
    assert 'data-testid="follow-up-form"' in response.content.decode()
    run.status = Run.Status.STREAMING
    run.save()
    response = alice_client.post(url, {"message": "Hi"})
    assert response.status_code == 400
    assert "This run has not finished yet" in response.content.decode()
    assert not Run.objects.filter(parent=run).exists()


def test_a_follow_up_keeps_what_was_typed_when_refused(alice_client, alice):
    run, _, _ = a_two_column_run(alice)
    response = alice_client.post(
        reverse("run-follow-up", args=[run.pk]),
        {"message": "Keep <this>", "column": "7"},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert "Choose a column of this run to send the message to." in page
    assert ">Keep &lt;this&gt;</textarea>" in page


def test_a_follow_up_needs_the_owner(alice_client, alice, client, bob):
    run, _, _ = a_two_column_run(alice)
    url = reverse("run-follow-up", args=[run.pk])
    assert alice_client.get(url).status_code == 405
    client.force_login(bob)
    assert client.post(url, {"message": "Hi"}).status_code == 404
    assert not Run.objects.filter(parent=run).exists()


def test_a_column_waiting_for_tool_results_takes_no_message(alice_client, alice):
    run, _ = a_tool_call_run(alice)
    response = alice_client.post(
        reverse("run-follow-up", args=[run.pk]), {"message": "Hi", "column": "0"}
    )
    assert response.status_code == 400
    assert "waiting for the results of its tool calls" in response.content.decode()


# The run page of a conversation


def test_a_run_page_shows_the_earlier_turns_collapsed_and_its_own_message(alice_client, alice):
    run, _, _ = a_two_column_run(alice)
    alice_client.post(reverse("run-follow-up", args=[run.pk]), {"message": "How long?"})
    turn2 = finish(the_next_run(run), {"text": "Long.", "message_id": "a"}, {"text": "How long?"})

    page = render_to_string("playground/compare.html#run", run_context(turn2))

    earlier = page.split('data-testid="earlier-turns"')[1].split("</section>")[0]
    assert '<details class="turn" data-testid="earlier-turn">' in earlier  # collapsed
    assert "Turn 1 · Name a river." in earlier
    assert "The Nile." in earlier and "demo/echo" in earlier
    assert "Turn 2" in page and "How long?" in page.split('data-testid="this-turn"')[1]
    assert f'action="/runs/{turn2.pk}/follow-up/"' in page


def test_an_earlier_turn_offers_to_continue_from_the_latest(alice_client, alice):
    run, _, _ = a_two_column_run(alice)
    alice_client.post(reverse("run-follow-up", args=[run.pk]), {"message": "How long?"})
    turn2 = finish(the_next_run(run), {"text": "Long.", "message_id": "a"}, {"text": "x"})

    page = render_to_string("playground/compare.html#run", run_context(run))

    assert (
        f'This conversation goes on in\n      <a href="/runs/{turn2.pk}/">run {turn2.pk}</a>'
        in page
    )
    assert f'action="/runs/{turn2.pk}/follow-up/"' in page
    assert "Continues the latest turn of this conversation" in page
    # Sent from there, it continues the latest turn.
    alice_client.post(
        reverse("run-follow-up", args=[turn2.pk]), {"message": "More.", "page": str(run.pk)}
    )
    assert the_next_run(turn2).columns.get(position=0).request_body["input"][-2] == assistant(
        "a", "Long."
    )


def test_a_tool_results_turn_shows_the_results_sent(alice_client, alice):
    run, _ = a_tool_call_run(alice)
    alice_client.post(reverse("column-continue", args=[run.pk, 0]), {"output": ["Rain <b>"]})
    turn2 = the_next_run(run)
    page = render_to_string("playground/compare.html#run", run_context(turn2))
    this_turn = page.split('data-testid="this-turn"')[1]
    assert "Tool results" in this_turn and "get_weather" in this_turn
    assert "Rain &lt;b&gt;" in this_turn
    assert "Turn 1 · What is the weather in Oslo?" in page


def test_history_items_are_copied_not_shared(alice_client, alice):
    run, _, _ = a_two_column_run(alice)
    before = copy.deepcopy(run.columns.get(position=0).request_body)
    alice_client.post(reverse("run-follow-up", args=[run.pk]), {"message": "Again"})
    assert run.columns.get(position=0).request_body == before


# A turn is held to the run's budget: the whole conversation is sent again each time.


def test_a_follow_up_carries_its_estimate_and_the_run_s_budget(alice_client, alice, fake):
    run, _, _ = a_two_column_run(alice)
    Run.objects.filter(pk=run.pk).update(budget="5")
    alice_client.post(reverse("run-follow-up", args=[run.pk]), {"message": "How long is it?"})
    turn2 = the_next_run(run)
    assert turn2.budget == 5
    estimates = [column.cost_estimate for column in turn2.columns.order_by("position")]
    assert all(estimate is not None and 0 < estimate <= 5 for estimate in estimates)


def test_a_follow_up_over_the_run_s_budget_is_refused_and_nothing_is_saved(
    alice_client, alice, fake
):
    run, _, _ = a_two_column_run(alice)
    Run.objects.filter(pk=run.pk).update(budget="0.0000001")
    response = alice_client.post(
        reverse("run-follow-up", args=[run.pk]), {"message": "How long is it?"}
    )
    assert response.status_code == 400
    assert "over its budget of $0.0000001" in response.content.decode()
    assert "How long is it?" in response.content.decode()
    assert not Run.objects.filter(parent=run).exists()


def test_tool_results_over_the_run_s_budget_are_refused(alice_client, alice, fake):
    params = RequestParams(model="demo/tool-caller", prompt="Weather?", tools=(WEATHER,))
    run = finish(
        a_run_sending(alice, params),
        {"calls": [{"id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": "{}"}]},
    )
    Run.objects.filter(pk=run.pk).update(budget="0.0000001")
    response = alice_client.post(
        reverse("column-continue", args=[run.pk, 0]), {"output": ["Sunny, 21 °C"]}
    )
    assert response.status_code == 400
    assert "over its budget" in response.content.decode()
    assert not Run.objects.filter(parent=run).exists()


# Run again on a later turn makes that turn again; Start over makes the first one again.


def a_tool_results_turn(alice_client, alice):
    run, _ = a_tool_call_run(alice)
    alice_client.post(reverse("column-continue", args=[run.pk, 0]), {"output": ["Rain, 9 °C"]})
    return run, finish(the_next_run(run), {"text": "It rains in Oslo.", "message_id": "msg_8"})


def test_run_again_on_a_tool_results_turn_sends_the_same_results_again(alice_client, alice):
    run, turn2 = a_tool_results_turn(alice_client, alice)
    [sent] = turn2.columns.all()

    response = alice_client.post(reverse("run-rerun", args=[turn2.pk]))

    again = Run.objects.exclude(pk=turn2.pk).get(parent=run)
    assert response.status_code == 302 and response["Location"] == again.get_absolute_url()
    assert again.prompt == "Tool results: get_weather"
    [column] = again.columns.all()
    assert column.previous == run.columns.get() and column.model == "demo/tool-caller"
    assert column.request_body == sent.request_body
    assert column.request_body["input"][-1] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": "Rain, 9 °C",
    }
    # Its page shows it as the same turn of the same conversation.
    page = render_to_string("playground/compare.html#run", run_context(again))
    assert "Turn 1 · What is the weather in Oslo?" in page
    assert "Turn 2" in page and "Rain, 9 °C" in page.split('data-testid="this-turn"')[1]


def test_run_again_on_a_follow_up_turn_repeats_it_in_every_column_it_went_to(alice_client, alice):
    run, _, _ = a_two_column_run(alice)
    alice_client.post(reverse("run-follow-up", args=[run.pk]), {"message": "How long is it?"})
    turn2 = finish(the_next_run(run), {"text": "Long.", "message_id": "a"}, {"text": "b"})

    alice_client.post(reverse("run-rerun", args=[turn2.pk]))

    again = Run.objects.exclude(pk=turn2.pk).get(parent=run)
    assert again.prompt == "How long is it?"
    pairs = [(c.previous.position, c.request_body) for c in again.columns.order_by("position")]
    assert pairs == [(c.previous.position, c.request_body) for c in turn2.columns.all()]


def test_start_over_runs_the_first_prompt_again_as_a_conversation_of_its_own(alice_client, alice):
    _run, turn2 = a_tool_results_turn(alice_client, alice)

    alice_client.post(reverse("run-start-over", args=[turn2.pk]))

    fresh = Run.objects.latest("created_at")
    assert fresh.parent is None and fresh.prompt == "What is the weather in Oslo?"
    [column] = fresh.columns.all()
    assert column.previous is None
    assert column.request_body["input"] == [user("What is the weather in Oslo?")]


def test_a_turn_offers_both_actions_and_a_first_turn_run_again_alone(alice_client, alice):
    run, turn2 = a_tool_results_turn(alice_client, alice)
    first = render_to_string("playground/compare.html#run", run_context(run))
    later = render_to_string("playground/compare.html#run", run_context(turn2))
    assert ">Run again</button>" in first and "start-over" not in first
    assert ">Run this turn again</button>" in later
    assert ">Start over from turn 1</button>" in later
    assert f'hx-post="/runs/{turn2.pk}/start-over/"' in later


def test_a_turn_whose_earlier_column_is_gone_says_so_and_makes_nothing(alice_client, alice):
    _run, turn2 = a_tool_results_turn(alice_client, alice)
    RunColumn.objects.filter(run=turn2).update(previous=None)

    response = alice_client.post(reverse("run-rerun", args=[turn2.pk]), follow=True)

    assert Run.objects.count() == 2
    assert "The turn this one continues was deleted" in response.content.decode()


def test_a_turn_whose_earlier_turn_was_deleted_is_where_its_conversation_starts(
    alice_client, alice
):
    run, turn2 = a_tool_results_turn(alice_client, alice)
    run.delete()

    alice_client.post(reverse("run-rerun", args=[turn2.pk]))

    fresh = Run.objects.exclude(pk=turn2.pk).get()
    assert fresh.parent is None and fresh.columns.get().previous is None


# Each column's conversation is its own: a follow-up to one column leaves the others
# continuable from where they were.


def a_turn_to_the_second_column(alice_client, alice):
    run, _, _ = a_two_column_run(alice)
    alice_client.post(
        reverse("run-follow-up", args=[run.pk]), {"message": "Shorter.", "column": "1"}
    )
    return run, finish(the_next_run(run), {"text": "Short.", "message_id": "msg_e2"})


def test_after_a_follow_up_to_one_column_the_other_can_still_be_continued(alice_client, alice):
    run, turn2 = a_turn_to_the_second_column(alice_client, alice)

    page = render_to_string("playground/compare.html#run", run_context(turn2))

    box = page.split('data-testid="follow-up-form"')[1]
    assert '<option value="0">Column 1: demo/swift (from turn 1)</option>' in box
    assert '<option value="1">Column 2: demo/echo</option>' in box
    assert "Every column (2)" in box
    assert (
        "Column 1: demo/swift last answered in turn 1: it goes on from there, without the "
        "messages the other columns had since."
    ) in box
    # Turn 1's page offers the same, continuing the latest turn.
    assert '<option value="0">Column 1: demo/swift (from turn 1)</option>' in render_to_string(
        "playground/compare.html#run", run_context(run)
    )


def test_a_follow_up_to_every_column_continues_each_from_its_own_last_answer(alice_client, alice):
    run, turn2 = a_turn_to_the_second_column(alice_client, alice)

    alice_client.post(reverse("run-follow-up", args=[turn2.pk]), {"message": "Thanks!"})

    turn3 = the_next_run(turn2)
    swift, echo = turn3.columns.order_by("position")
    assert swift.previous == run.columns.get(position=0)
    assert swift.request_body["input"] == [
        user("Name a river."),
        assistant("msg_s1", "The Nile."),
        user("Thanks!"),
    ]
    assert echo.previous == turn2.columns.get()
    assert echo.request_body["input"] == [
        user("Name a river."),
        assistant("msg_e1", "Name a river."),
        user("Shorter."),
        assistant("msg_e2", "Short."),
        user("Thanks!"),
    ]
    # Sent to the one left behind alone, by its place in the box.
    alice_client.post(
        reverse("run-follow-up", args=[turn2.pk]), {"message": "Go on.", "column": "0"}
    )
    [alone] = Run.objects.exclude(pk=turn3.pk).get(parent=turn2).columns.all()
    assert alone.model == "demo/swift" and alone.previous == run.columns.get(position=0)


def test_once_every_column_went_on_together_none_is_behind(alice_client, alice):
    _run, turn2 = a_turn_to_the_second_column(alice_client, alice)
    alice_client.post(reverse("run-follow-up", args=[turn2.pk]), {"message": "Thanks!"})
    turn3 = finish(the_next_run(turn2), {"text": "x", "message_id": "m1"}, {"text": "y"})
    page = render_to_string("playground/compare.html#run", run_context(turn3))
    assert "(from turn" not in page and "follow-up-behind" not in page
    assert '<option value="0">Column 1: demo/swift</option>' in page
