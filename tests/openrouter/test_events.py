import asyncio
from decimal import Decimal

import httpx
import pytest

from playground.openrouter import (
    FunctionCallArgumentsDelta,
    FunctionCallArgumentsDone,
    OpenRouterError,
    OutputItemAdded,
    OutputItemDone,
    OutputTextAnnotationAdded,
    OutputTextDelta,
    ReasoningSummaryDelta,
    ReasoningSummaryDone,
    ReasoningSummaryPartAdded,
    ReasoningSummaryPartDone,
    ResponseCompleted,
    ResponseFailed,
    StreamComment,
    StreamError,
    UnknownEvent,
    WebSearchCallCompleted,
    WebSearchCallInProgress,
    WebSearchCallSearching,
    decode_data,
    iter_events,
    parse_event,
)


def test_it_dispatches_on_the_json_type():
    data = {
        "type": "response.output_text.delta",
        "output_index": 1,
        "item_id": "msg_tmp_x",
        "content_index": 0,
        "delta": "Hi",
        "logprobs": [],
        "sequence_number": 5,
    }

    event = parse_event(data)

    assert event == OutputTextDelta(
        raw=data, sequence_number=5, output_index=1, content_index=0, delta="Hi"
    )


def test_it_falls_back_to_the_sse_event_name_when_type_is_missing():
    event = parse_event({"response": {"status": "completed"}}, "response.completed")

    assert isinstance(event, ResponseCompleted)
    assert event.response == {"status": "completed"}


def test_missing_fields_get_empty_defaults():
    event = parse_event({"type": "response.reasoning_summary_text.delta"})

    assert event == ReasoningSummaryDelta(
        raw={"type": "response.reasoning_summary_text.delta"},
        sequence_number=None,
        output_index=0,
        summary_index=0,
        delta="",
    )


def test_fields_of_the_wrong_shape_get_empty_defaults():
    event = parse_event(
        {
            "type": "response.function_call_arguments.done",
            "output_index": "2",
            "arguments": None,
            "sequence_number": True,
        }
    )

    assert isinstance(event, FunctionCallArgumentsDone)
    assert (event.output_index, event.arguments, event.name, event.sequence_number) == (
        0,
        "",
        "",
        None,
    )


@pytest.mark.parametrize(
    "event_type",
    [
        "response.debug",
        "response.image_generation_call.in_progress",
        "response.fusion_call.started",
        "response.some_future_event",
    ],
)
def test_other_event_types_become_unknown_events(event_type):
    event = parse_event({"type": event_type, "sequence_number": 3})

    assert event == UnknownEvent(
        raw={"type": event_type, "sequence_number": 3}, sequence_number=3, type=event_type
    )


def test_a_failed_response_carries_its_error():
    data = {
        "type": "response.failed",
        "response": {
            "status": "failed",
            "error": {"code": "server_error", "message": "Internal server error"},
            "error_type": "provider_overloaded",
        },
    }

    event = parse_event(data)

    assert isinstance(event, ResponseFailed)
    assert event.error.kind == "provider_down"
    assert event.response["status"] == "failed"


@pytest.mark.parametrize("event_type", ["error", "response.error"])
def test_error_events_carry_their_error(event_type):
    event = parse_event({"type": event_type, "error": {"code": "server_error", "message": "x"}})

    assert isinstance(event, StreamError)
    assert event.error.upstream_message == "x"


def test_the_done_sentinel_decodes_to_none():
    assert decode_data("[DONE]") is None


def test_decoded_numbers_keep_exact_costs():
    data = decode_data('{"usage":{"cost":0.0000225,"input_tokens":12}}')

    assert data == {"usage": {"cost": Decimal("0.0000225"), "input_tokens": 12}}


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", '"text"', '{"type":'])
def test_a_payload_that_is_not_a_json_object_is_a_bad_response(payload):
    with pytest.raises(OpenRouterError) as caught:
        decode_data(payload)

    assert caught.value.kind == "bad_response"


def test_nul_and_lone_surrogates_from_upstream_become_replacement_characters():
    # Neither can be encoded for the browser or stored in PostgreSQL; a pair is fine.
    data = decode_data(r'{"delta": "a\ud800b\u0000c \ud83d\ude00", "k\udfff": 1}')

    assert data == {"delta": "a\ufffdb\ufffdc \U0001f600", "k\ufffd": 1}


def events_of(sse: str) -> list:
    """The typed events of literal SSE text, as `iter_events` reads it off the wire."""
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=sse.encode()
    )

    async def read() -> list:
        return [event async for event in iter_events(response)]

    return asyncio.run(read())


def test_a_url_citation_annotation_is_parsed_with_its_position():
    [event] = events_of(
        'data: {"type":"response.output_text.annotation.added","output_index":2,'
        '"item_id":"msg_tmp_q1w2e3r4t5y","content_index":0,"annotation_index":1,'
        '"annotation":{"type":"url_citation","url":"https://example.com/tides",'
        '"title":"Tides","start_index":10,"end_index":42},"sequence_number":31}\n\n'
    )

    assert isinstance(event, OutputTextAnnotationAdded)
    assert (event.output_index, event.content_index, event.annotation_index) == (2, 0, 1)
    assert event.annotation == {
        "type": "url_citation",
        "url": "https://example.com/tides",
        "title": "Tides",
        "start_index": 10,
        "end_index": 42,
    }
    assert event.sequence_number == 31


def test_the_web_search_call_events_are_parsed_in_order():
    events = events_of(
        ": OPENROUTER PROCESSING\n\n"
        'data: {"type":"response.web_search_call.in_progress","output_index":0,'
        '"item_id":"ws_tmp_a1b2c3d4e5f","sequence_number":2}\n\n'
        'data: {"type":"response.web_search_call.searching","output_index":0,'
        '"item_id":"ws_tmp_a1b2c3d4e5f","sequence_number":3}\n\n'
        'data: {"type":"response.web_search_call.completed","output_index":0,'
        '"item_id":"ws_tmp_a1b2c3d4e5f","sequence_number":4}\n\n'
        "data: [DONE]\n\n"
    )

    assert [type(event) for event in events] == [
        StreamComment,
        WebSearchCallInProgress,
        WebSearchCallSearching,
        WebSearchCallCompleted,
    ]
    assert {(event.output_index, event.item_id) for event in events[1:]} == {
        (0, "ws_tmp_a1b2c3d4e5f")
    }


def test_reasoning_summary_parts_and_text_are_parsed_from_openai_framing():
    item_id = "rs_017e85da2ae23b69016a3c1251dcec819daf72930a854fd4d1"
    events = events_of(
        "event: response.reasoning_summary_part.added\n"
        f'data: {{"type":"response.reasoning_summary_part.added","item_id":"{item_id}",'
        '"output_index":0,"part":{"type":"summary_text","text":""},"sequence_number":3,'
        '"summary_index":0}\n\n'
        "event: response.reasoning_summary_text.delta\n"
        'data: {"type":"response.reasoning_summary_text.delta",'
        f'"delta":"**Getting weather info**\\n\\nI","item_id":"{item_id}",'
        '"obfuscation":"xgdyp","output_index":0,"sequence_number":4,"summary_index":0}\n\n'
        "event: response.reasoning_summary_text.done\n"
        f'data: {{"type":"response.reasoning_summary_text.done","item_id":"{item_id}",'
        '"output_index":0,"sequence_number":5,"summary_index":0,'
        '"text":"**Getting weather info**\\n\\nI"}\n\n'
        "event: response.reasoning_summary_part.done\n"
        f'data: {{"type":"response.reasoning_summary_part.done","item_id":"{item_id}",'
        '"output_index":0,"part":{"type":"summary_text","text":"**Getting weather info**\\n\\nI"},'
        '"sequence_number":6,"summary_index":0}\n\n'
    )

    added, delta, done, part_done = events
    assert isinstance(added, ReasoningSummaryPartAdded)
    assert (added.output_index, added.summary_index, added.part) == (
        0,
        0,
        {"type": "summary_text", "text": ""},
    )
    assert isinstance(delta, ReasoningSummaryDelta)
    assert delta.delta == "**Getting weather info**\n\nI"
    assert isinstance(done, ReasoningSummaryDone)
    assert done.text == "**Getting weather info**\n\nI"
    assert isinstance(part_done, ReasoningSummaryPartDone)
    assert part_done.part["text"] == "**Getting weather info**\n\nI"


def test_function_call_arguments_are_parsed_from_deltas_and_done():
    events = events_of(
        'data: {"type":"response.function_call_arguments.delta","output_index":1,'
        '"item_id":"fc_tmp_lsiblj3o5k","delta":"{\\"location\\":","sequence_number":5}\n\n'
        'data: {"type":"response.function_call_arguments.done","output_index":1,'
        '"item_id":"fc_tmp_lsiblj3o5k","name":"get_weather",'
        '"arguments":"{\\"location\\":\\"Paris\\"}","sequence_number":6}\n\n'
    )

    delta, done = events
    assert isinstance(delta, FunctionCallArgumentsDelta)
    assert (delta.output_index, delta.delta) == (1, '{"location":')
    assert isinstance(done, FunctionCallArgumentsDone)
    assert (done.name, done.arguments) == ("get_weather", '{"location":"Paris"}')


def test_a_reasoning_item_with_encrypted_content_keeps_the_blob_in_its_item():
    [event] = events_of(
        'data: {"type":"response.output_item.done","output_index":0,"item":'
        '{"id":"rs_0eaec55e1c83","type":"reasoning","summary":[],'
        '"encrypted_content":"gAAAAABqPBJW.eyJlbmRwb2ludF9zbHVnIjoib3BlbmFpIn0",'
        '"format":"openai-responses-v1"},"sequence_number":3}\n\n'
    )

    assert isinstance(event, OutputItemDone)
    assert event.item["type"] == "reasoning"
    assert event.item["encrypted_content"].startswith("gAAAAA")


def test_a_web_search_item_arrives_as_an_output_item():
    [event] = events_of(
        'data: {"type":"response.output_item.added","output_index":0,"item":'
        '{"type":"openrouter:web_search","id":"ws_tmp_a1b2c3d4e5f","status":"in_progress",'
        '"action":{"type":"search","query":"tides"}},"sequence_number":2}\n\n'
    )

    assert isinstance(event, OutputItemAdded)
    assert event.item["action"]["query"] == "tides"


def test_an_annotation_event_with_odd_fields_gets_empty_defaults():
    event = parse_event({"type": "response.output_text.annotation.added", "annotation": "x"})

    assert event == OutputTextAnnotationAdded(
        raw={"type": "response.output_text.annotation.added", "annotation": "x"},
        output_index=0,
        content_index=0,
        annotation_index=0,
        annotation={},
    )
