"""What a finished column shows: who served it, its reasoning, tool calls, structured
output checked against the schema, its sources and its generation record."""

import html
import re

import pytest
from django.template.loader import render_to_string

from playground.models import RunColumn
from playground.openrouter import (
    RequestParams,
    build_body,
)
from tests.factories import PERSON, WEATHER, a_run_sending

pytestmark = pytest.mark.django_db


def a_column(owner, params=None, **stored) -> RunColumn:
    params = params or RequestParams(model="demo/swift", prompt="Hi")
    run = a_run_sending(owner, params)
    column = run.columns.get()
    fields = {"status": "done", **stored}
    for name, value in fields.items():
        setattr(column, name, value)
    column.save()
    return column


def shown(column: RunColumn) -> str:
    return render_to_string(
        "playground/compare.html#result", {"column": column, "live": False, "csrf_token": "t"}
    )


def text_of(page: str) -> str:
    """The text a person reads: inline tags removed, the others a space, entities read."""
    inline = re.sub(r"</?(?:code|a|span|strong|em)\b[^>]*>", "", page)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline))).strip()


def test_the_model_and_provider_that_served_are_shown(alice):
    column = a_column(alice, served_model="demo/swift", served_provider="SwiftServe")
    page = shown(column)
    assert "Served by demo/swift via SwiftServe" in text_of(page)
    assert "was asked for" not in page


def test_a_fallback_model_is_named_as_one(alice):
    params = RequestParams(model="fault/down", prompt="Hi", fallback_models=("demo/swift",))
    column = a_column(alice, params, served_model="demo/swift", served_provider="Demo Labs")
    assert "— a fallback: fault/down was asked for" in text_of(shown(column))


def test_another_model_id_than_the_one_asked_is_pointed_out(alice):
    column = a_column(alice, served_model="demo/swift-2026")
    assert "Served by demo/swift-2026 — demo/swift was asked for" in text_of(shown(column))


def test_reasoning_summaries_are_markdown_and_an_encrypted_copy_is_not_called_hidden(alice):
    column = a_column(
        alice,
        reasoning_text="**Plan**: answer briefly.",
        reasoning_tokens=42,
        reasoning_encrypted=True,
    )
    page = shown(column)
    assert "Reasoning · 42 tokens" in text_of(page)
    assert "<strong>Plan</strong>: answer briefly." in page and "**Plan**" not in page
    assert "hidden by the provider" not in text_of(page)
    assert 'data-testid="result-reasoning-kept"' in page


def test_encrypted_reasoning_alone_is_said_to_be_hidden(alice):
    column = a_column(alice, reasoning_tokens=42, reasoning_encrypted=True)
    page = shown(column)
    assert "Reasoning: present but hidden by the provider (encrypted), 42 tokens." in text_of(page)
    assert 'data-testid="result-reasoning-kept"' not in page


def test_tool_calls_are_pretty_json_with_a_form_for_their_results(alice):
    params = RequestParams(model="demo/tool-caller", prompt="Weather?", tools=(WEATHER,))
    calls = [
        {"id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": '{"city":"Oslo"}'},
        {"id": "fc_2", "call_id": "call_2", "name": "get_weather", "arguments": '{"city":'},
    ]
    column = a_column(alice, params, tool_calls=calls)
    page = shown(column)
    assert "{\n  &quot;city&quot;: &quot;Oslo&quot;\n}" in page
    assert "(arguments are not valid JSON)" in page  # the second one was cut off
    assert f'action="/runs/{column.run_id}/columns/0/continue/"' in page
    assert page.count('name="output"') == 2
    assert 'name="csrfmiddlewaretoken" value="t"' in page


def test_calls_of_a_column_that_did_not_finish_cannot_be_answered(alice):
    calls = [{"id": "fc_1", "call_id": "c", "name": "get_weather", "arguments": "{}"}]
    column = a_column(alice, tool_calls=calls, status="cancelled")
    page = shown(column)
    assert 'data-testid="tool-call"' in page
    assert 'data-testid="tool-results"' not in page


def structured(alice, text, schema=PERSON, status="done"):
    params = RequestParams(model="demo/sloppy-json", prompt="A person", json_schema=schema)
    return shown(a_column(alice, params, output_text=text, status=status))


def test_structured_output_that_matches_is_pretty_printed_and_marked(alice):
    page = structured(alice, '{"name":"Ada","age":36}')
    assert 'data-check="matches"' in page
    assert "Valid JSON, matches the schema “person”." in text_of(page)
    assert "{\n  &quot;name&quot;: &quot;Ada&quot;,\n  &quot;age&quot;: 36\n}" in page


def test_structured_output_that_breaks_the_schema_says_where(alice):
    page = structured(alice, '{"age": 36}')
    assert 'data-check="mismatch"' in page
    assert (
        'Does not match the schema “person”: $: the required property "name" is missing'
        in text_of(page)
    )


def test_structured_output_that_is_not_json_is_marked_and_shown_as_text(alice):
    page = structured(alice, 'Sure! Here it is: {"age": 36}')
    assert 'data-check="invalid-json"' in page
    assert "Not valid JSON: Expecting value at line 1, column 1." in text_of(page)
    assert "Sure! Here it is:" in page


def test_no_check_without_a_schema_or_without_an_answer(alice):
    assert "data-check" not in shown(a_column(alice, output_text='{"a": 1}'))
    assert "data-check" not in structured(alice, "", status="error")


def a_citation(url, title):
    return {"url": url, "title": title, "start_index": 0, "end_index": 5}


CITATIONS = [
    a_citation("https://example.com/nile", "The Nile"),
    a_citation("javascript:alert(1)", "Click me"),
    a_citation("data:text/html,<script>alert(1)</script>", ""),
    a_citation('http://ex.com/a"onmouseover="alert(1)', "Quote"),
    a_citation("https://example.org/<b>", "<b>bold</b>"),
]


def test_citations_are_numbered_links_to_http_addresses_only(alice):
    page = shown(a_column(alice, output_text="The Nile.", citations=CITATIONS))
    sources = re.findall(r'<li data-testid="result-source".*?</li>', page, re.S)
    assert len(sources) == 5
    assert "[1] The Nile — example.com" in text_of(sources[0])
    assert (
        '<a href="https://example.com/nile" rel="noopener noreferrer nofollow" target="_blank">'
        in sources[0]
    )
    # javascript: and data: URLs are shown as text, never as links.
    for hostile in sources[1:3]:
        assert "<a " not in hostile and "href" not in hostile
    assert "[2] Click me" in text_of(sources[1])
    assert 'href="javascript' not in page and 'href="data:' not in page
    # Quotes and markup in a URL or title stay inside the attribute, escaped.
    assert 'onmouseover="alert' not in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page


def test_the_generation_record_is_shown_with_the_cost_billed(alice):
    column = a_column(
        alice,
        generation={
            "provider_name": "SwiftServe",
            "model": "demo/swift",
            "generation_time_ms": 1234,
            "latency_ms": 210,
            "native_tokens_prompt": 11,
            "native_tokens_completion": 22,
            "native_tokens_reasoning": 3,
            "native_tokens_cached": 0,
            "total_cost": "0.0000225",
        },
    )
    panel = text_of(shown(column))
    assert (
        "As OpenRouter recorded it: SwiftServe, $0.0000225 billed "
        "Provider SwiftServe Generation time 1.23 s Latency 210 ms "
        "Native input 11 Native output 22 Native reasoning 3 Native cached 0 "
        "Cost billed $0.0000225"
    ) in panel


def test_a_generation_that_could_not_be_looked_up_says_why(alice):
    column = a_column(alice, generation={"error": "OpenRouter has no record of generation 'x'."})
    page = shown(column)
    assert 'data-state="error"' in page
    assert "OpenRouter has no record of generation &#x27;x&#x27;." in page


def test_a_column_without_a_generation_record_shows_no_panel(alice):
    assert 'data-testid="result-generation"' not in shown(a_column(alice))


def test_the_request_body_built_for_these_tests_is_the_real_one(alice):
    params = RequestParams(model="demo/sloppy-json", prompt="A person", json_schema=PERSON)
    assert a_column(alice, params).request_body == build_body(params)
