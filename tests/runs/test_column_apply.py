"""What a column stores from its stream (`column_apply`) for every event type the output
side shows: reasoning text and summaries, encrypted reasoning, text with url citations,
tool calls with their ids, the model and provider that served, usage; and how tool
calls stream to the browser."""

import asyncio
import html
from decimal import Decimal

from playground.models import RunColumn
from playground.openrouter import parse_event
from playground.runs.lifecycle import STREAM_FIELDS, column_apply
from playground.runs.streaming import ColumnState, multiplex


def fold_into_column(payloads, **column_fields) -> RunColumn:
    state = ColumnState(position=0)
    state.started_at = 0.0
    for payload in payloads:
        event = parse_event(payload, arrived=0.1)
        state.record(event)
        state.fold.apply(event)
    state.ended_at = 0.2
    column = RunColumn(position=0, model="demo/asked", request_body={}, **column_fields)
    column_apply(column, state)
    return column


def response(**fields):
    return {
        "id": "gen-77-abc",
        "object": "response",
        "model": "demo/served",
        "provider": "Nearby Cloud",
        "status": "in_progress",
        "output": [],
        **fields,
    }


REASONING_ITEM = {"type": "reasoning", "id": "rs_1", "summary": [], "content": []}
USAGE = {
    "input_tokens": 20,
    "input_tokens_details": {"cached_tokens": 4},
    "output_tokens": 50,
    "output_tokens_details": {"reasoning_tokens": 30},
    "total_tokens": 70,
    "cost": 0.0000225,
}


def a_stream_with_everything():
    message = {"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress"}
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_A",
        "name": "get_weather",
        "arguments": "",
        "status": "in_progress",
    }
    annotation = {
        "type": "url_citation",
        "url": "https://example.com/nile",
        "title": "The Nile",
        "start_index": 0,
        "end_index": 8,
    }
    return [
        {"type": "response.created", "response": response()},
        {"type": "response.output_item.added", "output_index": 0, "item": REASONING_ITEM},
        {
            "type": "response.reasoning_text.delta",
            "output_index": 0,
            "content_index": 0,
            "delta": "Rivers, long ones.",
        },
        {
            "type": "response.reasoning_summary_part.added",
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "output_index": 0,
            "summary_index": 0,
            "delta": "Summary: pick famous rivers.",
        },
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {**REASONING_ITEM, "encrypted_content": "gAAAA-opaque"},
        },
        {"type": "response.output_item.added", "output_index": 1, "item": message},
        {
            "type": "response.output_text.delta",
            "output_index": 1,
            "content_index": 0,
            "delta": "The Nile is long.",
        },
        {
            "type": "response.output_text.annotation.added",
            "output_index": 1,
            "content_index": 0,
            "annotation_index": 0,
            "annotation": annotation,
        },
        {"type": "response.output_item.added", "output_index": 2, "item": call},
        {
            "type": "response.function_call_arguments.delta",
            "output_index": 2,
            "item_id": "fc_1",
            "delta": '{"city":',
        },
        {
            "type": "response.function_call_arguments.delta",
            "output_index": 2,
            "item_id": "fc_1",
            "delta": '"Cairo"}',
        },
        {
            "type": "response.function_call_arguments.done",
            "output_index": 2,
            "item_id": "fc_1",
            "name": "get_weather",
            "arguments": '{"city":"Cairo"}',
        },
        {"type": "response.completed", "response": response(status="completed", usage=USAGE)},
    ]


def test_a_column_stores_everything_its_stream_carried():
    column = fold_into_column(a_stream_with_everything())

    assert column.status == "done"
    assert column.output_text == "The Nile is long."
    # Reasoning text and its summary, both in the reasoning section.
    assert column.reasoning_text == "Rivers, long ones.\n\nSummary: pick famous rivers."
    assert column.reasoning_encrypted is True
    assert column.tool_calls == [
        {"id": "fc_1", "call_id": "call_A", "name": "get_weather", "arguments": '{"city":"Cairo"}'}
    ]
    assert column.citations == [
        {"url": "https://example.com/nile", "title": "The Nile", "start_index": 0, "end_index": 8}
    ]
    assert column.served_model == "demo/served"
    assert column.served_provider == "Nearby Cloud"
    assert column.generation_id == "gen-77-abc"
    assert (column.input_tokens, column.output_tokens) == (20, 50)
    assert (column.reasoning_tokens, column.cached_tokens) == (30, 4)
    assert column.cost == Decimal("0.0000225")


def test_every_new_field_is_saved_with_the_stream():
    for name in ("served_provider", "citations", "reasoning_encrypted", "tool_calls"):
        assert name in STREAM_FIELDS


def test_a_reasoning_summary_alone_fills_the_reasoning_section():
    column = fold_into_column(
        [
            {"type": "response.created", "response": response()},
            {"type": "response.output_item.added", "output_index": 0, "item": REASONING_ITEM},
            {
                "type": "response.reasoning_summary_text.delta",
                "output_index": 0,
                "summary_index": 0,
                "delta": "**Planning** the answer.",
            },
            {"type": "response.completed", "response": response(status="completed")},
        ]
    )
    assert column.reasoning_text == "**Planning** the answer."
    assert column.reasoning_encrypted is False


def test_a_response_without_a_provider_stores_none_and_overlong_names_are_cut():
    column = fold_into_column(
        [
            {
                "type": "response.completed",
                "response": {
                    **response(status="completed", model="m" * 500),
                    "provider": None,
                },
            }
        ]
    )
    assert column.served_provider == ""
    assert column.served_model == "m" * 200


def test_citations_are_numbered_by_first_appearance_once_per_url():
    def annotation(index, url, title):
        return {
            "type": "response.output_text.annotation.added",
            "output_index": 0,
            "content_index": 0,
            "annotation_index": index,
            "annotation": {"type": "url_citation", "url": url, "title": title},
        }

    column = fold_into_column(
        [
            annotation(0, "https://a.example/", "A"),
            annotation(1, "https://b.example/", "B"),
            annotation(2, "https://a.example/", "A again"),
            {"type": "response.completed", "response": response(status="completed")},
        ]
    )
    assert [(c["url"], c["title"]) for c in column.citations] == [
        ("https://a.example/", "A"),
        ("https://b.example/", "B"),
    ]


def test_a_failed_column_keeps_the_calls_it_made_so_far():
    error = {"type": "error", "code": "server_error", "message": "Upstream broke."}
    events = [*a_stream_with_everything()[:-1], error]
    column = fold_into_column(events)
    assert column.status == "error"
    assert column.tool_calls[0]["call_id"] == "call_A"
    assert "Upstream broke." in column.error_message


def parse_sse(body: bytes) -> list[tuple[str, str]]:
    """(event, data) pairs as the browser reads them."""
    events = []
    for block in body.decode().split("\n\n"):
        lines = block.split("\n")
        if lines[0].startswith("event: "):
            data = [line[len("data: ") :] for line in lines[1:] if line.startswith("data: ")]
            events.append((lines[0][len("event: ") :], "\n".join(data)))
    return events


def test_tool_calls_stream_to_the_browser_name_first_then_arguments():
    payloads = a_stream_with_everything()
    payloads.insert(
        -1,
        {
            "type": "response.output_item.done",
            "output_index": 2,
            "item": {"type": "function_call", "id": "fc_1", "name": "get_weather"},
        },
    )

    async def stream():
        for payload in payloads:
            yield parse_event(payload)

    async def collect() -> bytes:
        chunks = multiplex([(ColumnState(position=0), stream)], lambda state: "end")
        return b"".join([chunk async for chunk in chunks])

    events = parse_sse(asyncio.run(collect()))
    names = [name for name, _ in events]
    tools = "".join(data for name, data in events if name == "c0-tools")
    assert html.unescape(tools) == 'get_weather({"city":"Cairo"})\n'
    assert names.index("c0-tools") < names.index("c0-end")
    # The answer's text streams apart from the call.
    assert "".join(data for name, data in events if name == "c0-output") == "The Nile is long."
