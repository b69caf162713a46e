"""A conversation in a real browser: two turns in two columns, each keeping its own
history, then a message to one column alone, and going on from an earlier turn's page."""

import re

from playwright.sync_api import expect

from playground.models import Run, RunColumn


def column(page, model):
    return page.locator(f'.results [data-testid=result][data-model="{model}"]')


def wait_until_finished(page, models):
    for model in models:
        expect(column(page, model)).to_have_attribute("data-status", "done", timeout=20_000)
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "done")


def test_a_two_turn_conversation_in_two_columns(page, fake):
    models = ["demo/swift", "demo/echo"]
    page.goto("/?models=" + ",".join(models))
    page.get_by_test_id("prompt").fill("Name a long river.")
    page.get_by_test_id("run").click()
    wait_until_finished(page, models)
    first = Run.objects.get()
    first_answer = column(page, "demo/swift").get_by_test_id("result-output").text_content()

    # The follow-up box arrives with the end of the stream, without a reload.
    box = page.get_by_test_id("follow-up-form")
    expect(box).to_be_visible()
    box.get_by_test_id("follow-up-message").fill("And which one is the shortest?")
    box.get_by_test_id("follow-up-send").click()

    expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
    expect(page.get_by_test_id("this-turn")).to_contain_text("And which one is the shortest?")
    wait_until_finished(page, models)
    second = Run.objects.get(parent=first)
    assert page.url.endswith(f"/runs/{second.pk}/")
    # demo/echo answers with the last message it was sent: the follow-up, not the first.
    expect(column(page, "demo/echo").get_by_test_id("result-output")).to_contain_text(
        "And which one is the shortest?"
    )
    # The first turn is above, collapsed; opened, it shows both answers.
    turn = page.get_by_test_id("earlier-turn")
    expect(turn).to_have_count(1)
    expect(turn.locator("summary")).to_contain_text("Turn 1 · Name a long river.")
    expect(turn.get_by_test_id("earlier-answer").first).not_to_be_visible()
    turn.locator("summary").click()
    expect(turn.get_by_test_id("earlier-answer")).to_have_count(2)
    expect(turn.locator('[data-model="demo/swift"]')).to_contain_text(first_answer.strip()[:30])

    # Each column sent its own history.
    for position in (0, 1):
        sent = RunColumn.objects.get(run=second, position=position).request_body["input"]
        earlier = RunColumn.objects.get(run=first, position=position)
        assert [item["role"] for item in sent] == ["user", "assistant", "user"]
        assert sent[1]["content"][0]["text"] == earlier.output_text

    # A third message, to demo/echo alone.
    box = page.get_by_test_id("follow-up-form")
    box.get_by_test_id("follow-up-message").fill("Only you, please.")
    box.get_by_test_id("follow-up-column").select_option(label="Column 2: demo/echo")
    box.get_by_test_id("follow-up-send").click()
    expect(page.get_by_test_id("result")).to_have_count(1)
    wait_until_finished(page, ["demo/echo"])
    expect(page.get_by_test_id("earlier-turn")).to_have_count(2)
    third = Run.objects.get(parent=second)
    [only] = third.columns.all()
    assert only.model == "demo/echo"
    assert len(only.request_body["input"]) == 5

    # demo/swift, left at turn 2, can still go on: the box that came with the end says so.
    box = page.get_by_test_id("follow-up-form")
    expect(box.get_by_test_id("follow-up-behind")).to_contain_text(
        "Column 1: demo/swift last answered in turn 2"
    )
    box.get_by_test_id("follow-up-message").fill("Both of you again.")
    box.get_by_test_id("follow-up-send").click()
    expect(page.get_by_test_id("result")).to_have_count(2)
    wait_until_finished(page, models)
    fourth = Run.objects.get(parent=third)
    swift = fourth.columns.get(model="demo/swift")
    assert swift.previous.run_id == second.pk and len(swift.request_body["input"]) == 5
    assert len(fourth.columns.get(model="demo/echo").request_body["input"]) == 7

    # The first turn's page offers to go on from the latest turn.
    page.goto(first.get_absolute_url())
    expect(page.get_by_test_id("later-turns")).to_contain_text(f"run {second.pk}")
    expect(page.get_by_test_id("follow-up-form")).to_contain_text(
        f"Continues the latest turn of this conversation, run {fourth.pk}"
    )


def test_an_error_column_cannot_take_a_follow_up(page, fake):
    page.goto("/?models=demo/swift,demo/fail-rate-limit")
    page.get_by_test_id("prompt").fill("Hello")
    page.get_by_test_id("run").click()
    expect(column(page, "demo/fail-rate-limit")).to_have_attribute("data-status", "error")
    expect(column(page, "demo/swift")).to_have_attribute("data-status", "done")
    refused = page.get_by_test_id("follow-up-refused")
    expect(refused).to_contain_text(
        "Column 2: demo/fail-rate-limit cannot continue: it ended with an error"
    )
    option = page.get_by_test_id("follow-up-column").locator("option[value='1']")
    expect(option).to_be_disabled()
    # An empty message is refused in place, the box still there.
    page.get_by_test_id("follow-up-message").fill("   ")
    page.get_by_test_id("follow-up-form").evaluate("form => form.requestSubmit()")
    expect(page.get_by_test_id("follow-up-errors")).to_contain_text("Type a message to send.")
    assert Run.objects.count() == 1
