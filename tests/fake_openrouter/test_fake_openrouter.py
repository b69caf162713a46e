"""The fake OpenRouter speaks the wire format of docs/openrouter-wire-format.md, in process
and over real HTTP.

Streams are parsed here by plain splitting (or httpx-sse), never by the project's client,
so a fault in one cannot hide a fault in the other.
"""

import asyncio
import contextlib
import json
import math
import re
import socket
import threading
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from httpx_sse import aconnect_sse

from playground.fake_openrouter import CATALOG, INVALID_KEY, FakeOpenRouter, model_ids
from tests.polling import wait_until

BASE_URL = "https://openrouter.ai/api/v1"
KEY = "sk-or-v1-test0123456789abc"
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
COST_FIELD = re.compile(
    rb'"(?:cost|upstream_inference_input_cost|upstream_inference_output_cost)":([^,}]*)'
)


@pytest.fixture
def fake() -> FakeOpenRouter:
    return FakeOpenRouter(time_scale=0)


@pytest.fixture
async def client(fake: FakeOpenRouter):
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url=BASE_URL, headers={"Authorization": f"Bearer {KEY}"}
    ) as client:
        yield client


async def stream(client: httpx.AsyncClient, model: str, prompt: Any = "Hello", **extra: Any):
    body = {"model": model, "input": prompt, "stream": True, **extra}
    return await client.post("/responses", json=body)


def blocks(raw: bytes) -> list[list[str]]:
    """The lines of each SSE block; a well-framed stream ends with a blank line."""
    text = raw.decode()
    assert text.endswith("\n\n")
    return [block.split("\n") for block in text.removesuffix("\n\n").split("\n\n")]


def events(raw: bytes) -> list[dict[str, Any]]:
    return [
        json.loads(line.removeprefix("data: "))
        for block in blocks(raw)
        for line in block
        if line.startswith("data: ") and line != "data: [DONE]"
    ]


def of_type(stream_events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in stream_events if event["type"] == kind]


def joined(stream_events: list[dict[str, Any]], kind: str) -> str:
    return "".join(event["delta"] for event in of_type(stream_events, kind))


def catalog_entry(model_id: str) -> dict[str, Any]:
    return next(entry for entry in CATALOG if entry["id"] == model_id)


async def test_a_stream_is_openrouter_framed_from_created_to_done(client):
    response = await stream(client, "demo/swift")

    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "X-Generation-Id" in response.headers["access-control-expose-headers"]
    sse = blocks(response.content)
    assert sse[0] == [": OPENROUTER PROCESSING"]
    assert sse[-1] == ["data: [DONE]"]
    payloads = [block[0].removeprefix("data: ") for block in sse[1:-1]]
    assert all(len(block) == 1 and block[0].startswith("data: ") for block in sse[1:-1])
    assert all(not re.search(r"\s", JSON_STRING.sub('""', payload)) for payload in payloads)
    stream_events = [json.loads(payload) for payload in payloads]
    assert [event["sequence_number"] for event in stream_events] == list(range(len(payloads)))
    deltas = len(of_type(stream_events, "response.output_text.delta"))
    assert deltas > 10
    assert [event["type"] for event in stream_events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * deltas,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]


async def test_response_objects_carry_openrouter_ids_and_the_2026_fields(client):
    response = await stream(client, "demo/swift", instructions="Be brief.", temperature=0.2)
    stream_events = events(response.content)

    created, final = stream_events[0]["response"], stream_events[-1]["response"]
    assert re.fullmatch(r"gen-\d{10}-[A-Za-z0-9]{20}", final["id"])
    assert response.headers["x-generation-id"] == final["id"] == created["id"]
    assert created["status"] == "in_progress"
    assert created["usage"] is None
    assert created["output"] == []
    assert created["completed_at"] is None
    assert final["status"] == "completed"
    assert final["completed_at"] >= final["created_at"]
    assert final["instructions"] == "Be brief."
    assert final["temperature"] == 0.2
    assert final["store"] is False
    assert "output_text" not in final
    [message] = final["output"]
    assert re.fullmatch(r"msg_tmp_[a-z0-9]{11}", message["id"])
    assert message["content"][0]["text"] == joined(stream_events, "response.output_text.delta")


async def test_the_answer_mentions_the_prompt_and_is_the_same_each_time(client):
    first = events((await stream(client, "demo/swift", "Why is the sky blue?")).content)
    second = events((await stream(client, "demo/swift", "Why is the sky blue?")).content)

    text = joined(first, "response.output_text.delta")
    assert "Why is the sky blue" in text
    assert text == joined(second, "response.output_text.delta")


async def test_the_reasoner_closes_its_reasoning_after_the_message_under_another_id(client):
    stream_events = events((await stream(client, "demo/reasoner")).content)

    added = of_type(stream_events, "response.output_item.added")
    assert [(event["output_index"], event["item"]["type"]) for event in added] == [
        (0, "reasoning"),
        (1, "message"),
    ]
    kinds = [event["type"] for event in stream_events]
    last_reasoning_delta = max(
        i for i, kind in enumerate(kinds) if kind == "response.reasoning_text.delta"
    )
    assert last_reasoning_delta < kinds.index("response.output_text.delta")
    done = of_type(stream_events, "response.output_item.done")
    assert [event["output_index"] for event in done] == [1, 0]
    streamed_id = added[0]["item"]["id"]
    reasoning, message = stream_events[-1]["response"]["output"]
    assert reasoning["id"].startswith("rs_tmp_")
    assert reasoning["id"] != streamed_id
    assert reasoning["summary"] == []
    reasoning_text = joined(stream_events, "response.reasoning_text.delta")
    assert reasoning["content"] == [{"type": "reasoning_text", "text": reasoning_text}]
    assert message["content"][0]["text"] == joined(stream_events, "response.output_text.delta")


async def test_the_summarizer_frames_every_event_with_its_name_and_sends_no_done(client):
    body = {"model": "demo/summarizer", "input": "Plan a picnic", "stream": True}
    async with aconnect_sse(client, "POST", "/responses", json=body) as source:
        received = [(sse.event, sse.data) async for sse in source.aiter_sse()]

    assert all(data != "[DONE]" for _, data in received)
    stream_events = [json.loads(data) for _, data in received]
    assert [name for name, _ in received] == [event["type"] for event in stream_events]
    assert [event["sequence_number"] for event in stream_events] == list(range(len(received)))
    kinds = [event["type"] for event in stream_events]
    summary_deltas = kinds.count("response.reasoning_summary_text.delta")
    assert kinds[2 : 7 + summary_deltas] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        *["response.reasoning_summary_text.delta"] * summary_deltas,
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
    ]
    reasoning, message = stream_events[-1]["response"]["output"]
    summary = joined(stream_events, "response.reasoning_summary_text.delta")
    assert reasoning["summary"] == [{"type": "summary_text", "text": summary}]
    assert message["type"] == "message"
    assert stream_events[-1]["response"]["usage"]["output_tokens_details"] == {
        "reasoning_tokens": summary_deltas
    }


async def test_the_tool_caller_streams_a_function_call_and_no_message(client):
    stream_events = events(
        (await stream(client, "demo/tool-caller", "What's the weather in Lisbon?")).content
    )

    [added] = of_type(stream_events, "response.output_item.added")
    assert added["item"]["type"] == "function_call"
    assert added["item"]["arguments"] == ""
    assert re.fullmatch(r"fc_tmp_[a-z0-9]{11}", added["item"]["id"])
    assert added["item"]["call_id"].startswith("call_")
    arguments = joined(stream_events, "response.function_call_arguments.delta")
    assert json.loads(arguments) == {"location": "Lisbon", "unit": "celsius"}
    [done] = of_type(stream_events, "response.function_call_arguments.done")
    assert (done["name"], done["arguments"]) == ("get_weather", arguments)
    [call] = stream_events[-1]["response"]["output"]
    assert call == {**added["item"], "status": "completed", "arguments": arguments}


async def test_usage_and_cost_are_the_catalog_prices_times_the_tokens(client):
    instructions, question = "Answer briefly.", "Why is the sky blue at noon?"
    prompt = [{"role": "user", "content": [{"type": "input_text", "text": question}]}]
    response = await stream(client, "demo/reasoner", prompt, instructions=instructions)

    [completed] = [line for line in response.content.split(b"\n") if b"response.completed" in line]
    final = json.loads(completed.removeprefix(b"data: "), parse_float=Decimal)["response"]
    stream_events = events(response.content)
    text_tokens = len(of_type(stream_events, "response.output_text.delta"))
    reasoning_tokens = len(of_type(stream_events, "response.reasoning_text.delta"))
    input_tokens = math.ceil(len(instructions + question) / 4)
    usage = final["usage"]
    assert usage["input_tokens"] == input_tokens
    assert usage["output_tokens"] == text_tokens + reasoning_tokens
    assert usage["output_tokens_details"] == {"reasoning_tokens": reasoning_tokens}
    assert usage["total_tokens"] == input_tokens + text_tokens + reasoning_tokens
    pricing = catalog_entry("demo/reasoner")["pricing"]
    input_cost = input_tokens * Decimal(pricing["prompt"])
    output_cost = usage["output_tokens"] * Decimal(pricing["completion"])
    assert usage["cost"] == input_cost + output_cost
    assert usage["cost_details"] == {
        "upstream_inference_cost": None,
        "upstream_inference_input_cost": input_cost,
        "upstream_inference_output_cost": output_cost,
    }
    assert input_cost < Decimal("0.0001")  # small enough that Python's float repr uses e-05
    for printed in COST_FIELD.findall(completed):
        assert re.fullmatch(rb"0|0\.\d*[1-9]", printed)


async def test_max_output_tokens_stops_the_answer_with_response_incomplete(client):
    response = await stream(client, "demo/swift", max_output_tokens=5)

    assert blocks(response.content)[-1] == ["data: [DONE]"]
    stream_events = events(response.content)
    assert len(of_type(stream_events, "response.output_text.delta")) == 5
    assert [event["type"] for event in stream_events[-4:]] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.incomplete",
    ]
    final = stream_events[-1]["response"]
    assert final["status"] == "incomplete"
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["max_output_tokens"] == 5
    assert final["usage"]["output_tokens"] == 5
    assert final["output"][0]["status"] == "incomplete"
    assert final["output"][0]["content"][0]["text"] == joined(
        stream_events, "response.output_text.delta"
    )


async def test_a_limit_reached_while_reasoning_ends_before_any_answer(client):
    stream_events = events((await stream(client, "demo/reasoner", max_output_tokens=8)).content)

    assert of_type(stream_events, "response.output_text.delta") == []
    final = stream_events[-1]["response"]
    assert final["status"] == "incomplete"
    assert [item["type"] for item in final["output"]] == ["reasoning"]
    assert final["usage"]["output_tokens_details"] == {"reasoning_tokens": 8}


async def test_fail_incomplete_is_cut_short_whatever_the_request(client):
    stream_events = events((await stream(client, "demo/fail-incomplete")).content)

    final = stream_events[-1]["response"]
    assert stream_events[-1]["type"] == "response.incomplete"
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["usage"]["output_tokens"] == len(
        of_type(stream_events, "response.output_text.delta")
    )


async def test_fail_midstream_sends_text_then_an_error_then_response_failed_then_done(client):
    response = await stream(client, "demo/fail-midstream")

    assert response.status_code == 200
    assert blocks(response.content)[-1] == ["data: [DONE]"]
    stream_events = events(response.content)
    kinds = [event["type"] for event in stream_events]
    assert kinds.count("response.output_text.delta") >= 3
    assert kinds[-3:] == ["response.output_text.delta", "error", "response.failed"]
    assert stream_events[-2]["code"] == "server_error"
    final = stream_events[-1]["response"]
    assert final["status"] == "failed"
    assert final["error"] == {"code": "server_error", "message": "Internal server error"}
    assert final["error_type"] == "server"


@pytest.mark.parametrize(
    ("model", "status"),
    [
        ("demo/fail-auth", 401),
        ("demo/fail-credits", 402),
        ("demo/fail-rate-limit", 429),
        ("demo/fail-provider-down", 502),
    ],
)
@pytest.mark.parametrize("streamed", [True, False])
async def test_a_failure_before_the_first_byte_is_plain_json_with_its_status(
    client, model, status, streamed
):
    response = await client.post(
        "/responses", json={"model": model, "input": "Hello", "stream": streamed}
    )

    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert "x-generation-id" not in response.headers
    error = response.json()["error"]
    assert error["code"] == status
    assert error["message"]


async def test_the_rate_limit_says_when_to_retry_and_which_provider_refused(client):
    response = await client.post("/responses", json={"model": "demo/fail-rate-limit", "input": "x"})

    assert response.headers["retry-after"] == "7"
    body = response.json()
    assert body["error"]["metadata"]["provider_name"]
    assert "rate-limited" in body["error"]["metadata"]["raw"]
    assert body["user_id"].startswith("user_")


async def test_the_provider_down_error_is_typed_provider_unavailable(client):
    response = await client.post(
        "/responses", json={"model": "demo/fail-provider-down", "input": "x"}
    )

    assert response.json()["error"]["metadata"]["error_type"] == "provider_unavailable"


@pytest.mark.parametrize(
    "body",
    [
        {"model": "demo/swift", "input": "hi", "store": True},
        {"model": "demo/swift", "input": "hi", "previous_response_id": "gen-1-abc"},
        {"model": "demo/swift", "stream": True},
        {"model": "demo/swift", "input": "hi", "max_output_tokens": "lots"},
    ],
    ids=["store", "previous_response_id", "no input", "bad max_output_tokens"],
)
async def test_an_invalid_request_gets_the_invalid_prompt_envelope(client, body):
    response = await client.post("/responses", json=body)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    payload = response.json()
    assert payload == {
        "error": {"code": "invalid_prompt", "message": payload["error"]["message"]},
        "metadata": None,
    }


async def test_malformed_json_gets_the_invalid_prompt_envelope(client):
    response = await client.post(
        "/responses", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_prompt"


async def test_an_unknown_model_is_model_not_found(client):
    response = await client.post("/responses", json={"model": "demo/nope", "input": "hi"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 400
    assert "demo/nope" in error["message"]
    assert error["error_type"] == "invalid_request"
    assert error["availability"]["code"] == "model_not_found"
    assert error["availability"]["requested_models"] == ["demo/nope"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/responses"),
        ("GET", "/key"),
        ("GET", "/auth/key"),
        ("GET", "/generation?id=gen-1-x"),
    ],
)
async def test_a_request_without_a_key_is_refused(fake, method, path):
    async with httpx.AsyncClient(transport=fake.transport(), base_url=BASE_URL) as anonymous:
        response = await anonymous.request(method, path, json={"model": "demo/swift"})

    assert response.status_code == 401
    assert response.json() == {"error": {"message": "No auth credentials found", "code": 401}}


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/responses"), ("GET", "/key"), ("GET", "/models")]
)
async def test_the_invalid_key_is_refused_everywhere(fake, method, path):
    headers = {"Authorization": f"Bearer {INVALID_KEY}"}
    async with httpx.AsyncClient(transport=fake.transport(), base_url=BASE_URL) as client:
        response = await client.request(
            method, path, headers=headers, json={"model": "demo/swift", "input": "hi"}
        )

    assert response.status_code == 401
    assert response.json() == {"error": {"message": "User not found.", "code": 401}}


async def test_models_lists_the_catalog_with_or_without_a_key(fake, client):
    async with httpx.AsyncClient(transport=fake.transport(), base_url=BASE_URL) as anonymous:
        response = await anonymous.get("/models")

    assert response.status_code == 200
    assert response.json() == (await client.get("/models")).json()
    body = response.json()
    assert body["total_count"] == len(body["data"]) == len(model_ids())
    assert [model["id"] for model in body["data"]] == model_ids()
    assert "links" in body
    for model in body["data"]:
        assert {"id", "canonical_slug", "name", "created", "description", "context_length"} <= set(
            model
        )
        assert model["architecture"]["output_modalities"] == ["text"]
        assert model["top_provider"]["context_length"] == model["context_length"]
        assert all(isinstance(price, str) for price in model["pricing"].values())
        free = model["id"].endswith(":free")
        assert (Decimal(model["pricing"]["prompt"]) == 0) == free
        assert (Decimal(model["pricing"]["completion"]) == 0) == free
        assert ("reasoning" in model) == ("reasoning" in model["supported_parameters"])
    prices = {
        (model["pricing"]["prompt"], model["pricing"]["completion"]) for model in body["data"]
    }
    assert len(prices) == len(body["data"])


@pytest.mark.parametrize("model", model_ids())
async def test_every_catalog_model_is_served_by_its_scenario(client, model):
    response = await client.post("/responses", json={"model": model, "input": "Hello"})

    if response.status_code == 200:
        body = response.json()
        assert body["model"] == model
        assert body["status"] in {"completed", "incomplete", "failed"}
        assert response.headers["x-generation-id"] == body["id"]
    else:
        assert model.startswith("demo/fail-")
        assert response.json()["error"]["code"] == response.status_code


async def test_a_non_streamed_request_gets_the_final_response_object(client):
    response = await client.post("/responses", json={"model": "demo/markdown", "input": "Hi"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["object"], body["status"]) == ("response", "completed")
    assert body["usage"]["cost"] > 0
    text = body["output"][0]["content"][0]["text"]
    assert text.startswith("## ")
    assert "\n- **Goal**" in text
    assert "\n|---|---|---|\n" in text
    assert "```python\n" in text
    assert text.count("```") == 2


async def test_echo_repeats_the_prompt_verbatim_in_small_pieces(client):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> & ünïcode 🎉'
    stream_events = events((await stream(client, "demo/echo", hostile)).content)

    deltas = [event["delta"] for event in of_type(stream_events, "response.output_text.delta")]
    assert "".join(deltas) == f"You wrote:\n\n{hostile}"
    assert all("<script>" not in delta for delta in deltas)


async def test_quiet_keeps_the_connection_alive_before_and_during_the_answer(client):
    sse = blocks((await stream(client, "demo/quiet")).content)

    assert sse[:12] == [[": OPENROUTER PROCESSING"]] * 12
    assert sse[12][0].startswith('data: {"type":"response.created"')
    kinds = [block[0][:60] for block in sse[13:]]
    comment = kinds.index(": OPENROUTER PROCESSING")
    assert "output_text.delta" in kinds[comment - 1]
    assert "output_text.delta" in kinds[comment + 1]


async def test_key_describes_the_key_and_counts_what_it_spent(client):
    before = (await client.get("/key")).json()["data"]
    answer = await client.post("/responses", json={"model": "demo/swift", "input": "Hi"})
    after = (await client.get("/auth/key")).json()["data"]

    assert before["label"] == "sk-or-v1-tes...abc"
    assert before["usage"] == 0
    assert before["limit_remaining"] == before["limit"]
    assert after["usage"] == pytest.approx(answer.json()["usage"]["cost"])
    assert after["limit_remaining"] == pytest.approx(after["limit"] - after["usage"])
    assert after["rate_limit"]["interval"]


async def test_generation_reports_a_finished_stream_and_404s_an_unknown_id(client):
    response = await stream(client, "demo/swift")
    final = events(response.content)[-1]["response"]

    found = await client.get("/generation", params={"id": final["id"]})
    missing = await client.get("/generation", params={"id": "gen-1700000000-AAAAAAAAAAAAAAAAAAAA"})

    assert found.status_code == 200
    data = found.json()["data"]
    assert (data["id"], data["model"]) == (final["id"], "demo/swift")
    assert data["total_cost"] == data["usage"] == final["usage"]["cost"]
    assert data["tokens_prompt"] == final["usage"]["input_tokens"]
    assert data["tokens_completion"] == final["usage"]["output_tokens"]
    assert (data["streamed"], data["cancelled"], data["finish_reason"]) == (True, False, "stop")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == 404


async def test_requests_are_recorded_with_lowercased_headers_and_their_json(fake, client):
    body = {"model": "demo/swift", "input": "Hi"}
    await client.post("/responses", json=body, headers={"X-OpenRouter-Title": "Tests"})
    await client.get("/generation", params={"id": "gen-1-x"})

    posted, fetched = fake.requests
    assert (posted.method, posted.path, posted.json) == ("POST", "/api/v1/responses", body)
    assert posted.headers["x-openrouter-title"] == "Tests"
    assert posted.headers["authorization"] == f"Bearer {KEY}"
    assert (fetched.method, fetched.query, fetched.json) == ("GET", {"id": "gen-1-x"}, None)


async def test_the_transport_streams_each_chunk_as_it_is_produced():
    fake = FakeOpenRouter(time_scale=0.01)
    async with (
        httpx.AsyncClient(
            transport=fake.transport(),
            base_url=BASE_URL,
            headers={"Authorization": f"Bearer {KEY}"},
        ) as client,
        client.stream(
            "POST", "/responses", json={"model": "demo/slow", "input": "Hi", "stream": True}
        ) as response,
    ):
        chunks = response.aiter_raw()
        first = await anext(chunks)
        assert (fake.open_streams, fake.streams_finished) == (1, 0)
        started = time.monotonic()
        rest = b"".join([chunk async for chunk in chunks])

    assert first == b": OPENROUTER PROCESSING\n\n"
    assert time.monotonic() - started > 0.2  # demo/slow lasts about 0.4 s at this scale
    assert rest.endswith(b"data: [DONE]\n\n")
    assert (fake.streams_started, fake.streams_finished, fake.open_streams) == (1, 1, 0)


async def test_closing_the_response_early_stops_and_records_the_stream(fake, client):
    body = {"model": "demo/slow", "input": "Hi", "stream": True}
    async with client.stream("POST", "/responses", json=body) as response:
        async for chunk in response.aiter_raw():
            if b"output_text.delta" in chunk:
                break

    assert (fake.streams_closed_early, fake.streams_finished, fake.open_streams) == (1, 0, 0)
    generation = await client.get("/generation", params={"id": response.headers["x-generation-id"]})
    assert generation.json()["data"]["cancelled"] is True
    assert generation.json()["data"]["finish_reason"] is None


async def test_cancelling_the_consumer_closes_the_stream():
    fake = FakeOpenRouter(time_scale=0.01)
    streaming = asyncio.Event()

    async def consume() -> None:
        async with (
            httpx.AsyncClient(transport=fake.transport(), base_url=BASE_URL) as client,
            client.stream(
                "POST",
                "/responses",
                headers={"Authorization": f"Bearer {KEY}"},
                json={"model": "demo/slow", "input": "Hi", "stream": True},
            ) as response,
        ):
            async for _ in response.aiter_raw():
                streaming.set()

    task = asyncio.create_task(consume())
    await streaming.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await fake.wait_until_closed(timeout=1)

    assert (fake.streams_closed_early, fake.streams_finished) == (1, 0)


@pytest.fixture
def served():
    """The fake's ASGI app under uvicorn on a free loopback port, in a background thread."""
    fake = FakeOpenRouter(time_scale=0.01)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(fake.asgi_app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=5, message="uvicorn did not start")
    yield fake, f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"
    server.should_exit = True
    thread.join(timeout=5)


async def test_the_asgi_app_streams_over_real_http_and_notices_a_disconnect(served):
    fake, base_url = served
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as client:
        body = {"model": "demo/swift", "input": "Hi", "stream": True}
        async with aconnect_sse(client, "POST", "/responses", json=body) as source:
            data = [sse.data async for sse in source.aiter_sse()]
        refused = await client.post(
            "/responses", json={"model": "demo/fail-rate-limit", "input": "x"}
        )

        body = {"model": "demo/slow", "input": "Hi", "stream": True}
        async with client.stream("POST", "/responses", json=body) as response:
            async for chunk in response.aiter_raw():
                if b"output_text.delta" in chunk:
                    break
        await fake.wait_until_closed(timeout=3)

    assert data[-1] == "[DONE]"
    assert json.loads(data[-2])["type"] == "response.completed"
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "7")
    assert (fake.streams_finished, fake.streams_closed_early, fake.open_streams) == (1, 1, 0)


def test_every_model_the_fake_lists_has_a_scenario_to_play():
    from playground.fake_openrouter.catalog import BENCH_CATALOG, CATALOG, FAULT_CATALOG
    from playground.fake_openrouter.scenarios import scenario_for

    for model in [*CATALOG, *BENCH_CATALOG, *FAULT_CATALOG]:
        assert scenario_for(model) is not None, model["id"]


async def test_a_models_endpoints_list_who_serves_it(client):
    response = await client.get("/models/demo/swift/endpoints")

    assert response.status_code == 200
    data = response.json()["data"]
    assert (
        data["id"] == "demo/swift"
        and data["architecture"] == catalog_entry("demo/swift")["architecture"]
    )
    assert [(e["tag"], e["provider_name"]) for e in data["endpoints"]] == [
        ("demo-labs", "Demo Labs"),
        ("swiftserve", "SwiftServe"),
        ("nearby-cloud", "Nearby Cloud"),
    ]
    # Each endpoint's price is the catalog's times its provider's factor, as strings.
    catalog_price = Decimal(catalog_entry("demo/swift")["pricing"]["prompt"])
    assert Decimal(data["endpoints"][1]["pricing"]["prompt"]) == catalog_price * Decimal("1.2")


async def test_an_unknown_models_endpoints_are_a_404_and_they_need_a_key(fake, client):
    response = await client.get("/models/demo/nope/endpoints")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 404
    async with httpx.AsyncClient(transport=fake.transport(), base_url=BASE_URL) as anonymous:
        assert (await anonymous.get("/models/demo/swift/endpoints")).status_code == 401
    assert (await client.get("/models/swift/endpoints")).status_code == 404
