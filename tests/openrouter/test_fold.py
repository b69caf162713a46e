from decimal import Decimal

from playground.openrouter import (
    Citation,
    FunctionCall,
    OpenRouterError,
    ResponseFold,
    Usage,
    decode_data,
    parse_event,
)

USAGE = {
    "input_tokens": 78,
    "input_tokens_details": {"cached_tokens": 6},
    "output_tokens": 37,
    "output_tokens_details": {"reasoning_tokens": 22},
    "total_tokens": 115,
    "cost": Decimal("0.0000113"),
    "is_byok": False,
}


def fold_of(*events: dict) -> ResponseFold:
    fold = ResponseFold()
    for sequence_number, data in enumerate(events):
        fold.apply(parse_event({**data, "sequence_number": sequence_number}))
    return fold


def response(status: str = "in_progress", output: list | None = None, **fields) -> dict:
    return {
        "id": "gen-1764265411-Fu1iEX7h5MRWiL79lb94",
        "object": "response",
        "model": "openai/gpt-oss-20b",
        "status": status,
        "output": output or [],
        **fields,
    }


def created(**fields) -> dict:
    return {"type": "response.created", "response": response(**fields)}


def completed(*output: dict, **fields) -> dict:
    return {"type": "response.completed", "response": response("completed", list(output), **fields)}


def message(text: str, item_id: str = "msg_tmp_8cjof4f6zpw") -> dict:
    return {
        "type": "message",
        "id": item_id,
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def reasoning(text: str, item_id: str) -> dict:
    return {
        "type": "reasoning",
        "id": item_id,
        "summary": [],
        "content": [{"type": "reasoning_text", "text": text}],
    }


def item_added(index: int, item: dict) -> dict:
    return {"type": "response.output_item.added", "output_index": index, "item": item}


def item_done(index: int, item: dict) -> dict:
    return {"type": "response.output_item.done", "output_index": index, "item": item}


def part_added(index: int, part_type: str = "output_text") -> dict:
    part = {"type": part_type, "text": ""}
    return {
        "type": "response.content_part.added",
        "output_index": index,
        "content_index": 0,
        "part": part,
    }


def part_done(index: int, text: str, part_type: str = "output_text") -> dict:
    part = {"type": part_type, "text": text}
    return {
        "type": "response.content_part.done",
        "output_index": index,
        "content_index": 0,
        "part": part,
    }


def text_delta(index: int, delta: str) -> dict:
    return {
        "type": "response.output_text.delta",
        "output_index": index,
        "content_index": 0,
        "delta": delta,
    }


def text_done(index: int, text: str) -> dict:
    return {
        "type": "response.output_text.done",
        "output_index": index,
        "content_index": 0,
        "text": text,
    }


def reasoning_delta(index: int, delta: str) -> dict:
    return {
        "type": "response.reasoning_text.delta",
        "output_index": index,
        "content_index": 0,
        "delta": delta,
    }


def reasoning_done(index: int, text: str) -> dict:
    return {
        "type": "response.reasoning_text.done",
        "output_index": index,
        "content_index": 0,
        "text": text,
    }


def plain_text_stream(*deltas: str) -> list[dict]:
    text = "".join(deltas)
    empty_message = {**message(""), "status": "in_progress", "content": []}
    return [
        created(),
        {"type": "response.in_progress", "response": response()},
        item_added(0, empty_message),
        part_added(0),
        *(text_delta(0, delta) for delta in deltas),
        text_done(0, text),
        part_done(0, text),
        item_done(0, message(text)),
    ]


def test_it_builds_the_answer_from_text_deltas():
    fold = fold_of(*plain_text_stream("Hel", "lo", " there"))

    assert fold.text == "Hello there"
    assert fold.status == "in_progress"
    assert not fold.finished


def test_a_completed_response_finishes_the_fold_with_its_id_model_and_usage():
    fold = fold_of(
        *plain_text_stream("Hi"),
        completed(message("Hi"), model="openai/gpt-4o", usage=USAGE),
    )

    assert fold.status == "completed"
    assert fold.finished
    assert fold.text == "Hi"
    assert fold.response_id == "gen-1764265411-Fu1iEX7h5MRWiL79lb94"
    assert fold.model == "openai/gpt-4o"
    assert fold.usage == Usage(
        input_tokens=78,
        output_tokens=37,
        reasoning_tokens=22,
        cached_tokens=6,
        total_tokens=115,
        cost=Decimal("0.0000113"),
    )
    assert fold.error is None


def test_reasoning_closed_after_the_message_stays_first_and_is_not_doubled_by_its_new_id():
    thought = "The user asks 2+2. Answer 4."
    events = [
        created(),
        item_added(0, {"type": "reasoning", "id": "rs_tmp_2kbe7x16sax", "summary": []}),
        part_added(0, "reasoning_text"),
        reasoning_delta(0, "The user asks 2+2."),
        reasoning_delta(0, " Answer 4."),
        item_added(1, {**message(""), "status": "in_progress", "content": []}),
        part_added(1),
        text_delta(1, "4"),
        text_done(1, "4"),
        part_done(1, "4"),
        item_done(1, message("4")),
        reasoning_done(0, thought),
        part_done(0, thought, "reasoning_text"),
        item_done(0, reasoning(thought, "rs_tmp_2kbe7x16sax")),
    ]

    streamed = fold_of(*events)
    final = fold_of(*events, completed(reasoning(thought, "rs_tmp_ku4i7pagjwn"), message("4")))

    for fold in (streamed, final):
        assert fold.reasoning == thought
        assert fold.text == "4"
    assert final.status == "completed"


def test_the_answer_is_readable_while_the_reasoning_item_is_still_open():
    fold = fold_of(
        created(),
        item_added(0, {"type": "reasoning", "id": "rs_tmp_a", "summary": []}),
        reasoning_delta(0, "Thinking"),
        item_added(1, {**message(""), "content": []}),
        text_delta(1, "4"),
    )

    assert fold.reasoning == "Thinking"
    assert fold.text == "4"


def test_reasoning_summaries_are_separated_by_a_blank_line():
    def summary_delta(index: int, delta: str) -> dict:
        return {
            "type": "response.reasoning_summary_text.delta",
            "output_index": 0,
            "summary_index": index,
            "delta": delta,
        }

    fold = fold_of(
        created(),
        item_added(0, {"type": "reasoning", "id": "rs_1", "summary": []}),
        summary_delta(0, "**Plan**"),
        summary_delta(0, " Add."),
        {
            "type": "response.reasoning_summary_text.done",
            "output_index": 0,
            "summary_index": 0,
            "text": "**Plan** Add.",
        },
        summary_delta(1, "**Check** Fine."),
        item_added(1, message("")),
        text_delta(1, "4"),
    )

    assert fold.reasoning == "**Plan** Add.\n\n**Check** Fine."
    assert fold.text == "4"


def test_it_collects_a_function_call():
    call = {
        "id": "fc_tmp_lsiblj3o5k",
        "type": "function_call",
        "status": "in_progress",
        "call_id": "call_abc",
        "name": "get_weather",
        "arguments": "",
    }
    arguments = '{"location":"Paris"}'

    def arguments_delta(delta: str) -> dict:
        return {"type": "response.function_call_arguments.delta", "output_index": 0, "delta": delta}

    events = [
        created(),
        item_added(0, call),
        arguments_delta('{"location":'),
        arguments_delta('"Paris"}'),
    ]
    done = [
        {
            "type": "response.function_call_arguments.done",
            "output_index": 0,
            "name": "get_weather",
            "arguments": arguments,
        },
        item_done(0, {**call, "status": "completed", "arguments": arguments}),
        completed({**call, "status": "completed", "arguments": arguments}),
    ]

    expected = FunctionCall(
        id="fc_tmp_lsiblj3o5k", call_id="call_abc", name="get_weather", arguments=arguments
    )
    assert fold_of(*events).function_calls == [expected]
    fold = fold_of(*events, *done)
    assert fold.function_calls == [expected]
    assert fold.text == ""


def test_the_final_output_wins_over_the_deltas():
    fold = fold_of(*plain_text_stream("Helo"), completed(message("Hello")))

    assert fold.text == "Hello"


def test_the_deltas_stay_when_the_final_output_is_empty_or_missing():
    without_output = {"type": "response.completed", "response": {"status": "completed"}}

    assert fold_of(*plain_text_stream("Hello"), completed()).text == "Hello"
    assert fold_of(*plain_text_stream("Hello"), without_output).text == "Hello"


def test_a_trimmed_final_item_keeps_the_streamed_text():
    trimmed = {**message(""), "content": []}

    fold = fold_of(*plain_text_stream("Hello"), completed(trimmed))

    assert fold.text == "Hello"


def test_a_done_event_without_its_text_keeps_the_streamed_text():
    fold = fold_of(created(), text_delta(0, "Hello"), {"type": "response.output_text.done"})

    assert fold.text == "Hello"


def test_refusals_are_part_of_the_answer():
    fold = fold_of(
        created(),
        item_added(0, {**message(""), "content": []}),
        {"type": "response.refusal.delta", "output_index": 0, "content_index": 0, "delta": "I can"},
        {"type": "response.refusal.delta", "output_index": 0, "content_index": 0, "delta": "not."},
    )

    assert fold.text == "I cannot."


def test_an_incomplete_response_keeps_its_text_and_reason():
    incomplete = {
        "type": "response.incomplete",
        "response": response(
            "incomplete",
            [message("Once upon")],
            incomplete_details={"reason": "max_output_tokens"},
        ),
    }

    fold = fold_of(*plain_text_stream("Once upon"), incomplete)

    assert fold.status == "incomplete"
    assert fold.incomplete_reason == "max_output_tokens"
    assert fold.text == "Once upon"
    assert fold.error is None


def test_a_failed_response_fails_the_fold_with_its_error_type():
    failed = {
        "type": "response.failed",
        "response": response(
            "failed",
            error={"code": "server_error", "message": "Internal server error"},
            error_type="provider_overloaded",
        ),
    }

    fold = fold_of(*plain_text_stream("Par"), failed)

    assert fold.status == "failed"
    assert fold.finished
    assert fold.error.kind == "provider_down"
    assert fold.error.error_type == "provider_overloaded"
    assert fold.text == "Par"


def test_a_flat_error_event_fails_the_fold():
    fold = fold_of(created(), {"type": "error", "code": "rate_limit_exceeded", "message": "Slow"})

    assert fold.status == "failed"
    assert fold.error.kind == "rate_limit"
    assert fold.error.upstream_message == "Slow"


def test_a_nested_error_event_fails_the_fold():
    nested = {
        "type": "error",
        "error": {"type": "server_error", "code": "server_error", "message": "Boom"},
    }

    fold = fold_of(created(), nested)

    assert fold.status == "failed"
    assert fold.error.upstream_message == "Boom"


def test_response_failed_after_an_error_event_keeps_the_more_informative_error():
    bare_error = {"type": "error", "code": "server_error", "message": "Internal server error"}
    failed = {
        "type": "response.failed",
        "response": response(
            "failed",
            error={"code": "server_error", "message": "Internal server error"},
            error_type="provider_unavailable",
        ),
    }

    fold = fold_of(created(), bare_error, failed)

    assert fold.status == "failed"
    assert fold.error.error_type == "provider_unavailable"


def test_a_bare_response_failed_does_not_replace_a_detailed_error_event():
    detailed = {
        "type": "error",
        "error": {
            "code": "rate_limit_exceeded",
            "message": "Slow down",
            "metadata": {"provider_name": "Groq"},
        },
    }
    bare_failed = {"type": "response.failed", "response": response("failed")}

    fold = fold_of(created(), detailed, bare_failed)

    assert fold.error.upstream_message == "Slow down"
    assert fold.error.provider == "Groq"


def test_nothing_undoes_a_completed_answer():
    fold = fold_of(
        *plain_text_stream("Done"),
        completed(message("Done")),
        text_delta(0, " and more"),
        {"type": "error", "code": "server_error", "message": "late"},
    )
    fold.fail(OpenRouterError.bad_response("The stream ended early."))

    assert fold.status == "completed"
    assert fold.error is None
    assert fold.text == "Done"


def test_a_stream_without_a_terminal_event_leaves_the_fold_in_progress_for_the_caller():
    fold = fold_of(*plain_text_stream("Half"))
    assert fold.status == "in_progress"

    fold.fail(OpenRouterError.bad_response("The stream ended before the answer was complete."))

    assert fold.status == "failed"
    assert fold.error.kind == "bad_response"
    assert fold.text == "Half"


def test_usage_cost_stays_exact_from_the_wire():
    data = decode_data(
        '{"type":"response.completed","response":{"status":"completed","output":[],'
        '"usage":{"input_tokens":45,"output_tokens":25,"total_tokens":70,"cost":0.0000225}}}'
    )

    fold = ResponseFold()
    fold.apply(parse_event(data))

    assert fold.usage.cost == Decimal("0.0000225")
    assert str(fold.usage.cost) == "0.0000225"


def test_usage_without_detail_objects_counts_zero_reasoning_and_cached_tokens():
    usage = Usage.from_api({"input_tokens": 10, "output_tokens": 5, "cost": 0.0001})

    assert usage == Usage(
        input_tokens=10,
        output_tokens=5,
        reasoning_tokens=0,
        cached_tokens=0,
        total_tokens=15,
        cost=Decimal("0.0001"),
    )
    assert Usage.from_api(None) is None
    assert Usage.from_api({"input_tokens": 1}).cost is None


def fold_of_sse(sse: str) -> ResponseFold:
    """The fold of literal SSE text: its `data:` payloads, up to `[DONE]`."""
    fold = ResponseFold()
    for block in sse.strip().split("\n\n"):
        data = "".join(
            line.removeprefix("data: ") for line in block.splitlines() if line.startswith("data: ")
        )
        if data and (payload := decode_data(data)) is not None:
            fold.apply(parse_event(payload))
    return fold


WEB_SEARCH_STREAM = """\
: OPENROUTER PROCESSING

data: {"type":"response.created","response":{"id":"gen-1790961464-KjC8DeoDd9a63XtmOrOq","object":"response","model":"openai/gpt-4o","status":"in_progress","output":[],"usage":null},"sequence_number":0}

data: {"type":"response.output_item.added","output_index":0,"item":{"type":"openrouter:web_search","id":"ws_tmp_a1b2c3d4e5f","status":"in_progress","action":{"type":"search","query":"tides"}},"sequence_number":1}

data: {"type":"response.web_search_call.in_progress","output_index":0,"item_id":"ws_tmp_a1b2c3d4e5f","sequence_number":2}

data: {"type":"response.web_search_call.searching","output_index":0,"item_id":"ws_tmp_a1b2c3d4e5f","sequence_number":3}

data: {"type":"response.web_search_call.completed","output_index":0,"item_id":"ws_tmp_a1b2c3d4e5f","sequence_number":4}

data: {"type":"response.output_item.done","output_index":0,"item":{"type":"openrouter:web_search","id":"ws_tmp_a1b2c3d4e5f","status":"completed","action":{"type":"search","query":"tides"}},"sequence_number":5}

data: {"type":"response.output_item.added","output_index":1,"item":{"id":"msg_tmp_q1w2e3r4t5y","type":"message","status":"in_progress","role":"assistant","content":[]},"sequence_number":6}

data: {"type":"response.content_part.added","output_index":1,"item_id":"msg_tmp_q1w2e3r4t5y","content_index":0,"part":{"type":"output_text","text":"","annotations":[]},"sequence_number":7}

data: {"type":"response.output_text.delta","output_index":1,"item_id":"msg_tmp_q1w2e3r4t5y","content_index":0,"delta":"Tides follow the moon [1] and the sun [2].","logprobs":[],"sequence_number":8}

data: {"type":"response.output_text.annotation.added","output_index":1,"item_id":"msg_tmp_q1w2e3r4t5y","content_index":0,"annotation_index":0,"annotation":{"type":"url_citation","url":"https://example.com/moon","title":"The Moon","start_index":22,"end_index":25},"sequence_number":9}

data: {"type":"response.output_text.annotation.added","output_index":1,"item_id":"msg_tmp_q1w2e3r4t5y","content_index":0,"annotation_index":1,"annotation":{"type":"url_citation","url":"https://example.com/sun","title":"The Sun","start_index":38,"end_index":41},"sequence_number":10}

data: {"type":"response.output_text.annotation.added","output_index":1,"item_id":"msg_tmp_q1w2e3r4t5y","content_index":0,"annotation_index":2,"annotation":{"type":"url_citation","url":"https://example.com/moon","title":"The Moon again","start_index":0,"end_index":5},"sequence_number":11}

data: {"type":"response.output_text.done","output_index":1,"item_id":"msg_tmp_q1w2e3r4t5y","content_index":0,"text":"Tides follow the moon [1] and the sun [2].","logprobs":[],"sequence_number":12}

data: [DONE]
"""  # noqa: E501 (each event on one line, as OpenRouter sends it)


def test_citations_are_numbered_in_order_of_first_appearance_once_per_url():
    fold = fold_of_sse(WEB_SEARCH_STREAM)

    assert fold.citations == [
        Citation(url="https://example.com/moon", title="The Moon", start_index=22, end_index=25),
        Citation(url="https://example.com/sun", title="The Sun", start_index=38, end_index=41),
    ]
    assert fold.text == "Tides follow the moon [1] and the sun [2]."


def test_citations_come_from_the_final_content_when_no_annotation_event_was_sent():
    cited = {
        **message("See [1]."),
        "content": [
            {
                "type": "output_text",
                "text": "See [1].",
                "annotations": [
                    {"type": "url_citation", "url": "https://example.com/a", "title": "A"},
                    {"type": "file_citation", "file_id": "file-1"},
                    {"type": "url_citation", "title": "no url"},
                ],
            }
        ],
    }

    fold = fold_of(*plain_text_stream("See [1]."), completed(cited))

    assert fold.citations == [
        Citation(url="https://example.com/a", title="A", start_index=0, end_index=0)
    ]


def test_a_final_item_without_annotations_keeps_the_streamed_citations():
    search = {"type": "openrouter:web_search", "id": "ws_tmp_a1b2c3d4e5f", "status": "completed"}
    answer = message("Tides follow the moon [1] and the sun [2].", "msg_tmp_q1w2e3r4t5y")
    fold = fold_of_sse(WEB_SEARCH_STREAM)
    fold.apply(parse_event(completed(search, answer)))

    assert [citation.url for citation in fold.citations] == [
        "https://example.com/moon",
        "https://example.com/sun",
    ]


def test_a_citation_nested_chat_style_is_read_too():
    annotation = {
        "type": "url_citation",
        "url_citation": {
            "url": "https://example.com/b",
            "title": "B",
            "start_index": 1,
            "end_index": 4,
        },
    }

    fold = fold_of(
        *plain_text_stream("x"),
        {
            "type": "response.output_text.annotation.added",
            "output_index": 0,
            "content_index": 0,
            "annotation": annotation,
        },
    )

    assert fold.citations == [
        Citation(url="https://example.com/b", title="B", start_index=1, end_index=4)
    ]


def test_annotation_events_without_an_index_are_all_kept():
    def cite(url: str) -> dict:
        return {
            "type": "response.output_text.annotation.added",
            "output_index": 0,
            "content_index": 0,
            "annotation": {"type": "url_citation", "url": url},
        }

    fold = fold_of(
        *plain_text_stream("x"), cite("https://example.com/1"), cite("https://example.com/2")
    )

    assert [citation.url for citation in fold.citations] == [
        "https://example.com/1",
        "https://example.com/2",
    ]


def test_a_stream_without_citations_has_none():
    assert fold_of(*plain_text_stream("Hi"), completed(message("Hi"))).citations == []


SUMMARY_AND_TEXT_STREAM = """\
data: {"type":"response.output_item.added","output_index":0,"item":{"id":"rs_tmp_1","type":"reasoning","summary":[]},"sequence_number":0}

data: {"type":"response.reasoning_summary_part.added","item_id":"rs_tmp_1","output_index":0,"part":{"type":"summary_text","text":""},"summary_index":0,"sequence_number":1}

data: {"type":"response.reasoning_summary_text.delta","item_id":"rs_tmp_1","output_index":0,"summary_index":0,"delta":"**Plan** add.","sequence_number":2}

data: {"type":"response.reasoning_summary_part.done","item_id":"rs_tmp_1","output_index":0,"part":{"type":"summary_text","text":"**Plan** add them."},"summary_index":0,"sequence_number":3}

data: {"type":"response.reasoning_text.delta","item_id":"rs_tmp_1","output_index":0,"content_index":0,"delta":"2 and 2 make 4.","sequence_number":4}
"""  # noqa: E501


def test_the_reasoning_summary_is_kept_apart_from_the_reasoning_text():
    fold = fold_of_sse(SUMMARY_AND_TEXT_STREAM)

    assert fold.reasoning_summary == "**Plan** add them."
    assert fold.reasoning_text == "2 and 2 make 4."
    assert fold.reasoning == "2 and 2 make 4.\n\n**Plan** add them."


def test_a_summary_sent_only_as_a_finished_part_is_kept():
    fold = fold_of(
        {
            "type": "response.reasoning_summary_part.done",
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": "Short plan."},
        }
    )

    assert fold.reasoning_summary == "Short plan."
    assert fold.reasoning_text == ""


def test_a_summary_part_done_without_text_keeps_the_streamed_summary():
    fold = fold_of(
        {
            "type": "response.reasoning_summary_text.delta",
            "output_index": 0,
            "summary_index": 0,
            "delta": "Streamed.",
        },
        {"type": "response.reasoning_summary_part.done", "output_index": 0, "summary_index": 0},
    )

    assert fold.reasoning_summary == "Streamed."


ENCRYPTED = "gAAAAABqPBJW.eyJlbmRwb2ludF9zbHVnIjoib3BlbmFpIn0"


def test_encrypted_reasoning_is_noted_without_any_readable_text():
    encrypted = {
        "id": "rs_0eaec55e1c83",
        "type": "reasoning",
        "summary": [],
        "encrypted_content": ENCRYPTED,
        "format": "openai-responses-v1",
    }

    fold = fold_of(
        created(),
        item_added(0, {**encrypted, "encrypted_content": None}),
        item_done(0, encrypted),
        item_added(1, {**message(""), "content": []}),
        text_delta(1, "Hi"),
        completed(encrypted, message("Hi")),
    )

    assert fold.reasoning_encrypted
    assert fold.reasoning == ""
    assert fold.text == "Hi"


def test_encrypted_reasoning_stays_noted_when_the_final_item_is_trimmed():
    encrypted = {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": ENCRYPTED}

    fold = fold_of(item_done(0, encrypted), completed({"id": "rs_2", "type": "reasoning"}))

    assert fold.reasoning_encrypted


def test_reasoning_without_a_blob_is_not_encrypted():
    thought = "Thinking."
    fold = fold_of(item_done(0, reasoning(thought, "rs_1")), completed(reasoning(thought, "rs_1")))

    assert not fold.reasoning_encrypted
    assert fold.reasoning_text == thought


def test_the_served_model_and_provider_come_from_the_response():
    fold = fold_of(
        created(model="openai/gpt-4o"),
        completed(message("Hi"), model="anthropic/claude-haiku-4.5", provider="Amazon Bedrock"),
    )

    assert fold.served_model == "anthropic/claude-haiku-4.5"
    assert fold.served_provider == "Amazon Bedrock"


def test_a_response_that_names_no_provider_leaves_it_empty():
    fold = fold_of(created(provider=None), completed(message("Hi"), provider=7))

    assert fold.served_provider == ""
    assert fold.served_model == "openai/gpt-oss-20b"


def test_the_provider_of_the_created_response_stays_when_the_final_one_omits_it():
    fold = fold_of(created(provider="DeepInfra"), completed(message("Hi")))

    assert fold.served_provider == "DeepInfra"


# An index that holds an item of another type: both items are kept, in order.


def with_id(event: dict, item_id: str) -> dict:
    return {**event, "item_id": item_id}


def test_a_message_at_the_index_of_the_reasoning_before_it_keeps_both():
    """Seen in captured streams: the message's events come at the reasoning's index, the
    ids telling the two apart, and the reasoning is closed after the message."""
    empty_reasoning = {**reasoning("", "rs_1"), "content": []}
    empty_message = {**message("", "msg_1"), "status": "in_progress", "content": []}
    events = [
        created(),
        item_added(0, empty_reasoning),
        with_id(part_added(0, "reasoning_text"), "rs_1"),
        with_id(reasoning_delta(0, "Think "), "rs_1"),
        with_id(reasoning_delta(0, "first."), "rs_1"),
        item_added(0, empty_message),
        with_id(part_added(0), "msg_1"),
        with_id(text_delta(0, "The "), "msg_1"),
        with_id(text_delta(0, "answer."), "msg_1"),
        # Closed last, and this one without an id: it is the reasoning's by its type.
        reasoning_done(0, "Think first."),
    ]
    streamed = fold_of(*events)
    assert streamed.text == "The answer."
    assert streamed.reasoning_text == "Think first."

    final = fold_of(
        *events, completed(reasoning("Think first.", "rs_9"), message("The answer.", "msg_1"))
    )
    assert final.text == "The answer." and final.reasoning_text == "Think first."
    assert [item["type"] for item in final.response["output"]] == ["reasoning", "message"]


def test_an_item_done_of_another_type_does_not_replace_the_streamed_one():
    events = [
        created(),
        item_added(0, {**message("", "msg_1"), "content": []}),
        text_delta(0, "Kept text."),
        item_done(0, {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f",
                      "arguments": "{}"}),
    ]  # fmt: skip
    fold = fold_of(*events)
    assert fold.text == "Kept text."
    assert [call.name for call in fold.function_calls] == ["f"]
