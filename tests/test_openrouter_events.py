from decimal import Decimal

import pytest

from playground.openrouter import (
    FunctionCallArgumentsDone,
    OpenRouterError,
    OutputTextDelta,
    ReasoningSummaryDelta,
    ResponseCompleted,
    ResponseFailed,
    StreamError,
    UnknownEvent,
    decode_data,
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
        "response.web_search_call.searching",
        "response.output_text.annotation.added",
        "response.reasoning_summary_part.added",
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
