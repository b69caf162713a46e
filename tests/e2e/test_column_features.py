"""What a column shows in a real browser: a tool call answered and continued, structured
output that validates and that does not, web search sources, the served model and the
generation record."""

import json

from playwright.sync_api import expect

from playground.models import Run, RunColumn
from playground.openrouter import FunctionTool, JsonSchemaFormat, RequestParams
from tests.factories import PERSON, a_run_sending

WEATHER = FunctionTool(
    name="get_weather",
    description="The weather in a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
        "required": ["city"],
    },
)


def column(page, position):
    return page.locator(f"#result-{position}")


def test_a_tool_call_is_answered_and_the_column_continues(page, alice, fake):
    fake.time_scale = 0.2
    prompt = "What is the weather in Oslo?"
    run = a_run_sending(
        alice,
        RequestParams(model="demo/tool-caller", prompt=prompt, tools=(WEATHER,)),
        prompt=prompt,
    )

    page.goto(f"/runs/{run.pk}/")

    result = column(page, 0)
    expect(result).to_have_attribute("data-status", "done")
    call = result.get_by_test_id("tool-call")
    expect(call).to_have_attribute("data-name", "get_weather")
    arguments = json.loads(call.get_by_test_id("tool-call-arguments").text_content())
    assert set(arguments) >= {"city"}
    # The stored arguments are shown pretty-printed.
    assert "\n  " in call.get_by_test_id("tool-call-arguments").text_content()

    result.get_by_test_id("tool-result").fill('{"temperature": 9, "sky": "light rain"}')
    result.get_by_test_id("tool-continue").click()

    expect(page).not_to_have_url(f"/runs/{run.pk}/")
    follow_up = Run.objects.get(parent=run)
    expect(page).to_have_url(f"{page.url.split('/runs/')[0]}/runs/{follow_up.pk}/")
    answer = column(page, 0)
    expect(answer).to_have_attribute("data-status", "done")
    expect(answer.get_by_test_id("result-output")).to_contain_text("light rain")
    expect(page.get_by_test_id("this-turn")).to_contain_text("Tool results")
    expect(page.get_by_test_id("this-turn")).to_contain_text("light rain")
    earlier = page.get_by_test_id("earlier-turn")
    expect(earlier).to_have_count(1)
    expect(earlier).not_to_have_attribute("open", "")
    expect(earlier.locator("summary")).to_contain_text("What is the weather in Oslo?")
    sent = RunColumn.objects.get(run=follow_up).request_body["input"]
    assert [item["type"] for item in sent] == ["message", "function_call", "function_call_output"]

    # Run again makes this turn again, with the same results, not turn 1's tool call.
    page.get_by_test_id("rerun").click()
    expect(page).not_to_have_url(follow_up.get_absolute_url())
    again = Run.objects.exclude(pk=follow_up.pk).get(parent=run)
    expect(page).to_have_url(f"{page.url.split('/runs/')[0]}/runs/{again.pk}/")
    expect(column(page, 0)).to_have_attribute("data-status", "done")
    expect(column(page, 0).get_by_test_id("result-output")).to_contain_text("light rain")
    expect(column(page, 0).get_by_test_id("tool-call")).to_have_count(0)
    expect(page.get_by_test_id("this-turn")).to_contain_text("Tool results")
    assert RunColumn.objects.get(run=again).request_body["input"] == sent
    # Start over is the other action: turn 1 again, which asks for the tool call again.
    page.get_by_test_id("start-over").click()
    expect(page.get_by_test_id("this-turn")).to_have_count(0)
    expect(column(page, 0).get_by_test_id("tool-call")).to_have_count(1)
    assert Run.objects.latest("created_at").parent is None


def test_structured_output_is_checked_against_the_schema(page, alice, fake):
    run = a_run_sending(
        alice,
        RequestParams(model="demo/swift", prompt="A person", json_schema=PERSON),
        RequestParams(model="demo/sloppy-json", prompt="A person", json_schema=PERSON),
        RequestParams(
            model="demo/sloppy-json",
            prompt="A person",
            json_schema=JsonSchemaFormat(name="person", schema=PERSON.schema, strict=False),
        ),
    )

    page.goto(f"/runs/{run.pk}/")

    valid, mismatch, prose = column(page, 0), column(page, 1), column(page, 2)
    for result in (valid, mismatch, prose):
        expect(result).to_have_attribute("data-status", "done")
    expect(valid.get_by_test_id("structured-check")).to_have_text(
        "Valid JSON, matches the schema “person”."
    )
    shown = json.loads(valid.get_by_test_id("result-output").text_content())
    assert set(shown) == {"name", "age"}
    expect(mismatch.get_by_test_id("structured-check")).to_contain_text(
        "Does not match the schema “person”:"
    )
    expect(mismatch.get_by_test_id("structured-check")).to_contain_text(
        '$: the required property "name" is missing'
    )
    expect(prose.get_by_test_id("structured-check")).to_contain_text("Not valid JSON:")
    expect(prose.get_by_test_id("result-output")).to_contain_text("Here is the JSON")


def test_web_search_sources_are_numbered_links_beside_the_answer(page, alice, fake):
    run = a_run_sending(
        alice, RequestParams(model="demo/swift", prompt="Rivers", web_search_max_results=3)
    )

    page.goto(f"/runs/{run.pk}/")

    result = column(page, 0)
    expect(result).to_have_attribute("data-status", "done")
    sources = result.get_by_test_id("result-source")
    expect(sources).to_have_count(3)
    expect(sources.first).to_contain_text("[1] Rivers: an overview — example.com")
    link = sources.first.locator("a")
    expect(link).to_have_attribute("href", "https://example.com/rivers/source-1")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")


def test_the_served_model_provider_and_generation_record_are_shown(page, alice, fake):
    run = a_run_sending(
        alice,
        RequestParams(model="fault/overloaded", prompt="Hi", fallback_models=("demo/swift",)),
    )

    page.goto(f"/runs/{run.pk}/")

    result = column(page, 0)
    expect(result).to_have_attribute("data-status", "done")
    expect(result.get_by_test_id("result-served-by")).to_contain_text(
        "Served by demo/swift via Demo Labs"
    )
    expect(result.get_by_test_id("result-fallback")).to_contain_text(
        "a fallback: fault/overloaded was asked for"
    )
    generation = result.get_by_test_id("result-generation")
    expect(generation).to_have_attribute("data-state", "found")
    expect(generation).to_contain_text("Demo Labs")
    expect(generation).to_contain_text("Cost billed")
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "done")
