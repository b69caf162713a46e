"""The fake OpenRouter does what a request asks on every demo model able to: function
calls and their results, structured output, web search with citations, images, provider
routing and model fallbacks, reasoning summaries and encrypted reasoning; it refuses what
OpenRouter refuses; and `/generation` knows a generation a moment after it ends.

Bodies are written out as the wire carries them and streams are parsed with httpx-sse,
never with the project's client, so a fault in one cannot hide a fault in the other.
"""

import asyncio
import json
import re
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse

from playground.fake_openrouter import CATALOG, FakeOpenRouter

BASE_URL = "https://openrouter.ai/api/v1"
KEY = "sk-or-v1-features0123456789"
DEMO = [model for model in CATALOG if not model["id"].startswith("demo/fail-")]


def ids_where(test) -> list[str]:
    return [model["id"] for model in DEMO if test(model)]


def supports(model: dict[str, Any], *parameters: str) -> bool:
    return bool(set(parameters) & set(model["supported_parameters"]))


TOOL_MODELS = ids_where(lambda model: supports(model, "tools"))
NO_TOOL_MODELS = ids_where(lambda model: not supports(model, "tools"))
JSON_MODELS = ids_where(
    lambda model: (
        supports(model, "structured_outputs", "response_format")
        and model["id"] != "demo/sloppy-json"
    )
)
NO_JSON_MODELS = ids_where(
    lambda model: not supports(model, "structured_outputs", "response_format")
)
IMAGE_MODELS = ids_where(lambda model: "image" in model["architecture"]["input_modalities"])
TEXT_ONLY_MODELS = ids_where(lambda model: "image" not in model["architecture"]["input_modalities"])
REASONING_MODELS = ids_where(lambda model: supports(model, "reasoning"))
ALL_MODELS = [model["id"] for model in DEMO]


@pytest.fixture
def fake() -> FakeOpenRouter:
    return FakeOpenRouter(time_scale=0)


@pytest.fixture
async def client(fake: FakeOpenRouter):
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url=BASE_URL, headers={"Authorization": f"Bearer {KEY}"}
    ) as client:
        yield client


class Stream:
    """A parsed stream: its events, in order, and the response headers."""

    def __init__(self, events: list[dict[str, Any]], headers: httpx.Headers) -> None:
        self.events = events
        self.headers = headers

    @property
    def final(self) -> dict[str, Any]:
        return self.events[-1]["response"]

    @property
    def kinds(self) -> list[str]:
        return [event["type"] for event in self.events]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == kind]

    def joined(self, kind: str) -> str:
        return "".join(event["delta"] for event in self.of_type(kind))

    def text(self) -> str:
        [message] = [item for item in self.final["output"] if item["type"] == "message"]
        return message["content"][0]["text"]


async def streamed(client: httpx.AsyncClient, body: dict[str, Any]) -> Stream:
    async with aconnect_sse(client, "POST", "/responses", json=body) as source:
        assert source.response.status_code == 200
        received = [sse async for sse in source.aiter_sse()]
        headers = source.response.headers
    events = [json.loads(sse.data, parse_float=Decimal) for sse in received if sse.data != "[DONE]"]
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    for sse, event in zip(received, events, strict=False):
        # OpenAI-framed models name each event; OpenRouter-framed ones do not.
        assert sse.event in {"message", event["type"]}
    assert events[-1]["type"] == "response.completed"
    return Stream(events, headers)


def user(text: str, *images: tuple[str, str]) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "input_text", "text": text}]
    content += [
        {"type": "input_image", "image_url": url, "detail": detail} for url, detail in images
    ]
    return {"type": "message", "role": "user", "content": content}


FORECAST_TOOL = {
    "type": "function",
    "name": "get_forecast",
    "description": "The weather forecast for a city.",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "A city name"},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
            "detail": {"type": "string", "enum": ["brief", "full"]},
        },
        "required": ["city", "days"],
        "additionalProperties": False,
    },
    "strict": None,
}
TIME_TOOL = {
    "type": "function",
    "name": "get_time",
    "description": "The local time in a timezone.",
    "parameters": {
        "type": "object",
        "properties": {"timezone": {"type": "string"}},
        "required": ["timezone"],
    },
    "strict": True,
}


# Function calls


@pytest.mark.parametrize("model", TOOL_MODELS)
async def test_an_offered_function_is_called_with_its_required_arguments(client, model):
    stream = await streamed(
        client,
        {
            "model": model,
            "input": [user("What will the weather be in Lisbon this week?")],
            "tools": [FORECAST_TOOL],
            "tool_choice": "auto",
            "stream": True,
        },
    )

    [added] = [
        event
        for event in stream.of_type("response.output_item.added")
        if event["item"]["type"] == "function_call"
    ]
    index = added["output_index"]
    assert added["item"]["name"] == "get_forecast"
    assert added["item"]["arguments"] == ""
    assert added["item"]["status"] == "in_progress"
    assert re.fullmatch(r"fc_tmp_[a-z0-9]{11}", added["item"]["id"])
    deltas = stream.of_type("response.function_call_arguments.delta")
    assert len(deltas) > 1
    assert {(event["output_index"], event["item_id"]) for event in deltas} == {
        (index, added["item"]["id"])
    }
    arguments = stream.joined("response.function_call_arguments.delta")
    assert json.loads(arguments) == {"city": "Lisbon", "days": 3}
    [done] = stream.of_type("response.function_call_arguments.done")
    assert (done["name"], done["arguments"]) == ("get_forecast", arguments)
    final = stream.final
    assert (final["status"], final["model"]) == ("completed", model)
    call = next(item for item in final["output"] if item["type"] == "function_call")
    assert call == {**added["item"], "status": "completed", "arguments": arguments}
    assert not [item for item in final["output"] if item["type"] == "message"]
    assert final["tools"] == [FORECAST_TOOL]
    assert final["usage"]["output_tokens"] >= len(deltas)


async def test_tool_choice_names_the_function_that_is_called(client):
    stream = await streamed(
        client,
        {
            "model": "demo/swift",
            "input": "What time is it in Tokyo?",
            "tools": [FORECAST_TOOL, TIME_TOOL],
            "tool_choice": {"type": "function", "name": "get_time"},
            "stream": True,
        },
    )

    [done] = stream.of_type("response.function_call_arguments.done")
    assert done["name"] == "get_time"
    assert list(json.loads(done["arguments"])) == ["timezone"]
    assert stream.final["tool_choice"] == {"type": "function", "name": "get_time"}


async def test_tool_choice_none_answers_in_text(client):
    stream = await streamed(
        client,
        {
            "model": "demo/swift",
            "input": "Weather in Lisbon?",
            "tools": [FORECAST_TOOL],
            "tool_choice": "none",
            "stream": True,
        },
    )

    assert not stream.of_type("response.function_call_arguments.delta")
    assert "Weather in Lisbon" in stream.text()


async def test_a_reasoning_model_thinks_before_it_calls_and_closes_its_thoughts_last(client):
    stream = await streamed(
        client,
        {
            "model": "demo/reasoner",
            "input": "Forecast for Porto, please",
            "tools": [FORECAST_TOOL],
            "stream": True,
        },
    )

    added = stream.of_type("response.output_item.added")
    assert [(event["output_index"], event["item"]["type"]) for event in added] == [
        (0, "reasoning"),
        (1, "function_call"),
    ]
    assert "I'll call get_forecast" in stream.joined("response.reasoning_text.delta")
    done = stream.of_type("response.output_item.done")
    assert [event["output_index"] for event in done] == [1, 0]
    assert (
        json.loads(stream.of_type("response.function_call_arguments.done")[0]["arguments"])["city"]
        == "Porto"
    )


async def test_function_outputs_at_the_end_of_the_input_are_quoted_in_a_text_answer(client):
    stream = await streamed(
        client,
        {
            "model": "demo/tool-caller",
            "input": [
                user("What's the weather in Lisbon?"),
                {
                    "type": "function_call",
                    "id": "fc_tmp_abcdefghijk",
                    "call_id": "call_first",
                    "name": "get_forecast",
                    "arguments": '{"city":"Lisbon","days":1}',
                },
                {"type": "function_call_output", "call_id": "call_first", "output": "Sunny, 24 °C"},
                {
                    "type": "function_call",
                    "id": "fc_tmp_bcdefghijkl",
                    "call_id": "call_second",
                    "name": "get_time",
                    "arguments": '{"timezone":"Europe/Lisbon"}',
                },
                {
                    "type": "function_call_output",
                    "call_id": "call_second",
                    "output": [{"type": "input_text", "text": "14:05"}],
                },
            ],
            "tools": [FORECAST_TOOL, TIME_TOOL],
            "stream": True,
        },
    )

    assert not stream.of_type("response.function_call_arguments.delta")
    text = stream.text()
    assert "get_forecast returned: “Sunny, 24 °C”" in text
    assert "get_time returned: “14:05”" in text
    assert text == stream.joined("response.output_text.delta")
    assert [item["type"] for item in stream.final["output"]] == ["message"]


async def test_the_tool_caller_calls_its_own_function_when_offered_none(client):
    stream = await streamed(
        client, {"model": "demo/tool-caller", "input": "Weather in Oslo?", "stream": True}
    )

    [done] = stream.of_type("response.function_call_arguments.done")
    assert done["name"] == "get_weather"
    assert json.loads(done["arguments"]) == {"location": "Oslo", "unit": "celsius"}


@pytest.mark.parametrize("model", NO_TOOL_MODELS)
@pytest.mark.parametrize("streaming", [True, False])
async def test_a_model_without_tool_use_answers_404_to_a_request_with_tools(
    client, model, streaming
):
    response = await client.post(
        "/responses",
        json={"model": model, "input": "Hi", "tools": [FORECAST_TOOL], "stream": streaming},
    )

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == 404
    assert error["message"].startswith("No endpoints found that support tool use.")


async def test_a_non_streamed_function_call_is_in_the_response_output(client):
    response = await client.post(
        "/responses",
        json={"model": "demo/markdown", "input": "Weather in Rome?", "tools": [FORECAST_TOOL]},
    )

    body = response.json()
    [call] = body["output"]
    assert (call["type"], call["name"], call["status"]) == (
        "function_call",
        "get_forecast",
        "completed",
    )
    assert json.loads(call["arguments"]) == {"city": "Rome", "days": 3}


# Structured output

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 18, "maximum": 120},
        "email": {"type": "string", "format": "email"},
        "languages": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "status": {"type": "string", "enum": ["active", "retired"]},
        "score": {"type": "number", "exclusiveMinimum": 5},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": ["string", "null"]}},
            "required": ["city", "zip"],
            "additionalProperties": False,
        },
        "verified": {"type": "boolean"},
    },
    "required": ["name", "age", "email", "languages", "status", "score", "address", "verified"],
    "additionalProperties": False,
}


def assert_is_a_person(value: Any) -> None:
    assert isinstance(value, dict)
    assert set(value) == set(PERSON["properties"])
    assert isinstance(value["name"], str) and value["name"]
    assert type(value["age"]) is int and 18 <= value["age"] <= 120
    assert re.fullmatch(r"[^@\s]+@[^@\s]+\.\w+", value["email"])
    assert len(value["languages"]) >= 2 and all(isinstance(x, str) for x in value["languages"])
    assert value["status"] in {"active", "retired"}
    assert isinstance(value["score"], int | float | Decimal) and value["score"] > 5
    assert set(value["address"]) == {"city", "zip"}
    assert isinstance(value["address"]["city"], str)
    assert value["address"]["zip"] is None or isinstance(value["address"]["zip"], str)
    assert value["verified"] in {True, False}


def person_format(*, strict: bool) -> dict[str, Any]:
    return {"format": {"type": "json_schema", "name": "person", "schema": PERSON, "strict": strict}}


@pytest.mark.parametrize("model", JSON_MODELS)
async def test_a_json_schema_gets_json_valid_for_it(client, model):
    stream = await streamed(
        client,
        {
            "model": model,
            "input": "Describe a person who lives in Lisbon",
            "text": person_format(strict=True),
            "stream": True,
        },
    )

    text = stream.text()
    assert text == stream.joined("response.output_text.delta")
    value = json.loads(text)
    assert_is_a_person(value)
    assert value["address"]["city"] == "Lisbon"
    assert stream.final["text"] == person_format(strict=True)


async def test_json_object_gets_a_json_object(client):
    stream = await streamed(
        client,
        {
            "model": "demo/swift",
            "input": "Tea or coffee?",
            "text": {"format": {"type": "json_object"}},
            "stream": True,
        },
    )

    assert isinstance(json.loads(stream.text()), dict)


async def test_sloppy_json_leaves_out_a_required_property_of_a_strict_schema(client):
    stream = await streamed(
        client,
        {
            "model": "demo/sloppy-json",
            "input": "Describe a person",
            "text": person_format(strict=True),
            "stream": True,
        },
    )

    value = json.loads(stream.text())
    assert set(value) < set(PERSON["required"])
    assert len(value) == len(PERSON["required"]) - 1


async def test_sloppy_json_wraps_its_json_in_prose_when_the_schema_is_not_strict(client):
    stream = await streamed(
        client,
        {
            "model": "demo/sloppy-json",
            "input": "Describe a person",
            "text": person_format(strict=False),
            "stream": True,
        },
    )

    text = stream.text()
    with pytest.raises(ValueError):
        json.loads(text)
    inner = re.search(r"```json\n(.*)\n```", text, re.S)
    assert inner is not None
    assert text.startswith("Sure!")
    assert len(json.loads(inner[1])) == len(PERSON["required"]) - 1


@pytest.mark.parametrize("model", NO_JSON_MODELS)
async def test_a_model_without_structured_output_ignores_the_format_unless_required(client, model):
    body = {"model": model, "input": "Describe a person", "text": person_format(strict=True)}
    ignored = await client.post("/responses", json=body)
    required = await client.post(
        "/responses", json={**body, "provider": {"require_parameters": True}}
    )

    assert ignored.status_code == 200
    with pytest.raises(ValueError):
        json.loads(ignored.json()["output"][0]["content"][0]["text"])
    assert required.status_code == 404
    assert "can handle the requested parameters" in required.json()["error"]["message"]


# Web search

WEB_SEARCH = {"type": "openrouter:web_search", "parameters": {"max_results": 4}}


@pytest.mark.parametrize("model", ALL_MODELS)
async def test_web_search_searches_then_cites_each_source(fake, client, model):
    stream = await streamed(
        client,
        {
            "model": model,
            "input": "Latest news on solar panels",
            "tools": [WEB_SEARCH],
            "stream": True,
        },
    )

    search_index = 1 if model in REASONING_MODELS else 0
    [added] = [
        event
        for event in stream.of_type("response.output_item.added")
        if event["item"]["type"] == "web_search_call"
    ]
    item_id = added["item"]["id"]
    assert re.fullmatch(r"ws_tmp_[a-z0-9]{11}", item_id)
    assert added["output_index"] == search_index
    assert added["item"]["action"] == {"type": "search", "query": "Latest news on solar panels"}
    start = stream.events.index(added)
    assert [event["type"] for event in stream.events[start + 1 : start + 5]] == [
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.output_item.done",
    ]
    assert all(
        (event["output_index"], event["item_id"]) == (search_index, item_id)
        for event in stream.events[start + 1 : start + 4]
    )
    annotations = stream.of_type("response.output_text.annotation.added")
    assert [event["annotation_index"] for event in annotations] == [0, 1, 2, 3]
    text = stream.text()
    urls = []
    for event in annotations:
        annotation = event["annotation"]
        assert list(annotation) == ["type", "url", "title", "start_index", "end_index"]
        assert annotation["type"] == "url_citation"
        assert annotation["url"].startswith("https://example.com/")
        assert annotation["title"]
        assert 0 <= annotation["start_index"] < annotation["end_index"] <= len(text)
        # An annotation arrives once the text it cites has streamed.
        streamed_before = "".join(
            e["delta"]
            for e in stream.events[: stream.events.index(event)]
            if e["type"] == "response.output_text.delta"
        )
        assert len(streamed_before) >= annotation["end_index"]
        urls.append(annotation["url"])
    assert len(set(urls)) == 4
    final = stream.final
    search = next(item for item in final["output"] if item["type"] == "web_search_call")
    assert search["status"] == "completed"
    assert [source["url"] for source in search["action"]["sources"]] == urls
    message = next(item for item in final["output"] if item["type"] == "message")
    assert message["content"][0]["annotations"] == [event["annotation"] for event in annotations]
    [part_done] = [
        event
        for event in stream.of_type("response.content_part.done")
        if event["item_id"] == message["id"]
    ]
    assert part_done["part"]["annotations"] == message["content"][0]["annotations"]
    assert final["usage"]["server_tool_use_details"] == {"web_search_requests": 1}
    record = (await client.get("/generation", params={"id": final["id"]})).json()["data"]
    assert record["num_search_results"] == 4


async def test_web_search_cites_three_sources_by_default_and_quotes_them_in_order(client):
    stream = await streamed(
        client,
        {
            "model": "demo/swift",
            "input": "Best hiking trails",
            "tools": [{"type": "openrouter:web_search"}],
            "stream": True,
        },
    )

    text = stream.text()
    annotations = [
        event["annotation"] for event in stream.of_type("response.output_text.annotation.added")
    ]
    assert len(annotations) == 3
    cited = [text[a["start_index"] : a["end_index"]] for a in annotations]
    assert all(sentence.endswith(".") and sentence[0].isupper() for sentence in cited)
    assert [a["start_index"] for a in annotations] == sorted(a["start_index"] for a in annotations)


# Images

CAT = "https://example.com/cat.jpg"
PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"


@pytest.mark.parametrize("model", IMAGE_MODELS)
async def test_an_image_model_says_what_images_it_saw(client, model):
    question = "What is in these pictures?"
    plain = await streamed(client, {"model": model, "input": [user(question)], "stream": True})
    stream = await streamed(
        client,
        {
            "model": model,
            "input": [user(question, (CAT, "auto"), (PNG, "low"))],
            "stream": True,
        },
    )

    assert f"I can see 2 images: {CAT} and an uploaded image/png." in stream.text()
    assert "base64" not in stream.text()
    usage, plain_usage = stream.final["usage"], plain.final["usage"]
    assert usage["input_tokens"] - plain_usage["input_tokens"] == 765 + 85
    pricing = next(entry for entry in CATALOG if entry["id"] == model)["pricing"]
    input_cost = usage["input_tokens"] * Decimal(pricing["prompt"]) + 2 * Decimal(pricing["image"])
    assert usage["cost_details"]["upstream_inference_input_cost"] == input_cost
    record = (await client.get("/generation", params={"id": stream.final["id"]})).json()["data"]
    assert record["num_media_prompt"] == 2


@pytest.mark.parametrize("model", TEXT_ONLY_MODELS)
async def test_a_model_without_image_input_answers_404_before_streaming(client, model):
    response = await client.post(
        "/responses",
        json={"model": model, "input": [user("What is this?", (CAT, "auto"))], "stream": True},
    )

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {"message": "No endpoints found that support image input", "code": 404}
    }


async def test_a_fallback_model_with_image_input_serves_an_image_request(client):
    stream = await streamed(
        client,
        {
            "model": TEXT_ONLY_MODELS[0],
            "models": [TEXT_ONLY_MODELS[0], IMAGE_MODELS[0]],
            "input": [user("What is this?", (CAT, "high"))],
            "stream": True,
        },
    )

    assert stream.final["model"] == IMAGE_MODELS[0]
    assert f"I can see 1 image: {CAT}." in stream.text()


# Provider routing


async def answer(client: httpx.AsyncClient, **extra: Any) -> httpx.Response:
    return await client.post(
        "/responses", json={"model": "demo/swift", "input": "Why is the sky blue?", **extra}
    )


async def test_the_default_provider_is_named_in_the_response_headers_and_record(client):
    stream = await streamed(client, {"model": "demo/swift", "input": "Hi", "stream": True})

    assert stream.final["provider"] == "Demo Labs"
    assert list(stream.final)[4:6] == ["model", "provider"]
    assert stream.headers["x-provider-name"] == "Demo Labs"
    record = (await client.get("/generation", params={"id": stream.final["id"]})).json()["data"]
    assert record["provider_name"] == "Demo Labs"


@pytest.mark.parametrize(
    ("provider", "served"),
    [
        ({"only": ["nearby-cloud"]}, "Nearby Cloud"),
        ({"order": ["swiftserve", "demo-labs"]}, "SwiftServe"),
        ({"order": ["SwiftServe"], "ignore": ["swiftserve"]}, "Demo Labs"),
        ({"ignore": ["demo-labs"]}, "SwiftServe"),
        ({"sort": "throughput"}, "SwiftServe"),
        ({"sort": "latency"}, "Nearby Cloud"),
        ({"sort": "price"}, "Demo Labs"),
        ({"order": ["swiftserve"], "data_collection": "deny"}, "Demo Labs"),
        ({"only": ["nearby-cloud", "demo-labs"], "zdr": True}, "Demo Labs"),
        ({"order": ["nearby-cloud"], "max_price": {"prompt": 0.12, "completion": 1}}, "Demo Labs"),
        ({"order": ["acme-inference", "swiftserve"]}, "SwiftServe"),
    ],
    ids=[
        "only",
        "order",
        "order minus ignore",
        "ignore the default",
        "fastest",
        "nearest",
        "cheapest",
        "data collection denied",
        "zero data retention",
        "max price",
        "a slug no endpoint has is passed over in order",
    ],
)
async def test_provider_preferences_choose_who_serves(client, fake, provider, served):
    response = await answer(client, provider=provider)

    body = response.json()
    assert body["provider"] == served
    assert response.headers["x-provider-name"] == served
    record = (await client.get("/generation", params={"id": body["id"]})).json()["data"]
    assert record["provider_name"] == served
    assert fake.requests[0].json["provider"] == provider


async def test_a_dearer_provider_bills_more_for_the_same_answer(client):
    cheap = (await answer(client, provider={"only": ["demo-labs"]})).json()["usage"]
    dear = (await answer(client, provider={"only": ["nearby-cloud"]})).json()["usage"]

    assert cheap["output_tokens"] == dear["output_tokens"]
    assert dear["cost"] > cheap["cost"]


@pytest.mark.parametrize(
    ("provider", "message"),
    [
        ({"ignore": ["demo-labs", "swiftserve", "nearby-cloud"]}, "No allowed providers"),
        ({"order": ["swiftserve"], "allow_fallbacks": False, "zdr": True}, "data policy"),
        ({"max_price": {"prompt": 0.01}}, "max_price"),
    ],
    ids=["all ignored", "data policy", "max price"],
)
async def test_preferences_no_provider_meets_are_404(client, provider, message):
    response = await answer(client, provider=provider, stream=True)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert message in response.json()["error"]["message"]


# Model fallbacks


@pytest.mark.parametrize(
    "failing", ["demo/fail-rate-limit", "demo/fail-provider-down", "fault/overloaded"]
)
async def test_a_model_failing_before_the_stream_falls_back_to_the_next(client, failing):
    stream = await streamed(
        client,
        {"model": failing, "models": [failing, "demo/markdown"], "input": "Hi", "stream": True},
    )

    assert stream.final["model"] == "demo/markdown"
    assert stream.text().startswith("## ")
    record = (await client.get("/generation", params={"id": stream.final["id"]})).json()["data"]
    assert record["model"] == "demo/markdown"
    attempts = record["provider_responses"]
    assert [(attempt["model_permaslug"], attempt["status"]) for attempt in attempts][-1] == (
        "demo/markdown",
        200,
    )
    assert attempts[0]["model_permaslug"] == failing
    assert attempts[0]["status"] in {429, 502, 503}


async def test_an_account_failure_does_not_fall_back(client):
    response = await client.post(
        "/responses",
        json={"model": "demo/fail-credits", "models": ["demo/swift"], "input": "Hi"},
    )

    assert response.status_code == 402


async def test_every_model_failing_answers_the_first_error(client):
    response = await client.post(
        "/responses",
        json={
            "model": "demo/fail-rate-limit",
            "models": ["demo/fail-provider-down"],
            "input": "Hi",
        },
    )

    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


async def test_an_unknown_fallback_model_is_model_not_found(client):
    response = await client.post(
        "/responses", json={"model": "demo/swift", "models": ["demo/nope"], "input": "Hi"}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert "demo/nope" in error["message"]
    assert error["availability"]["requested_models"] == ["demo/swift", "demo/nope"]


# Reasoning


@pytest.mark.parametrize("model", REASONING_MODELS)
async def test_a_reasoning_summary_streams_as_summary_events(client, model):
    stream = await streamed(
        client,
        {
            "model": model,
            "input": "Plan a picnic",
            "reasoning": {"effort": "low", "summary": "detailed"},
            "stream": True,
        },
    )

    kinds = stream.kinds
    assert "response.reasoning_text.delta" not in kinds
    count = kinds.count("response.reasoning_summary_text.delta")
    assert count > 3
    start = kinds.index("response.reasoning_summary_part.added")
    assert kinds[start - 1] == "response.output_item.added"
    assert kinds[start : start + count + 4] == [
        "response.reasoning_summary_part.added",
        *["response.reasoning_summary_text.delta"] * count,
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
    ]
    summary = stream.joined("response.reasoning_summary_text.delta")
    reasoning = stream.final["output"][0]
    assert reasoning["summary"] == [{"type": "summary_text", "text": summary}]
    assert "encrypted_content" not in reasoning
    assert stream.final["reasoning"] == {"effort": "low", "summary": "detailed"}
    assert stream.final["usage"]["output_tokens_details"]["reasoning_tokens"] == count


@pytest.mark.parametrize("model", REASONING_MODELS)
async def test_encrypted_reasoning_is_on_the_finished_item_only(client, model):
    stream = await streamed(
        client,
        {
            "model": model,
            "input": "Plan a picnic",
            "include": ["reasoning.encrypted_content"],
            "stream": True,
        },
    )

    added = next(e for e in stream.of_type("response.output_item.added") if e["output_index"] == 0)
    done = next(e for e in stream.of_type("response.output_item.done") if e["output_index"] == 0)
    assert "encrypted_content" not in added["item"]
    blob = done["item"]["encrypted_content"]
    assert re.fullmatch(r"gAAAAA[\w-]+\.[\w-]+", blob)
    assert stream.final["output"][0]["encrypted_content"] == blob


async def test_reasoning_effort_none_skips_the_reasoning(client):
    stream = await streamed(
        client,
        {"model": "demo/reasoner", "input": "Hi", "reasoning": {"effort": "none"}, "stream": True},
    )

    assert [item["type"] for item in stream.final["output"]] == ["message"]
    assert stream.final["usage"]["output_tokens_details"] == {"reasoning_tokens": 0}


async def test_a_reasoning_budget_caps_the_reasoning_tokens(client):
    stream = await streamed(
        client,
        {"model": "demo/reasoner", "input": "Hi", "reasoning": {"max_tokens": 7}, "stream": True},
    )

    assert len(stream.of_type("response.reasoning_text.delta")) == 7
    assert stream.final["usage"]["output_tokens_details"] == {"reasoning_tokens": 7}
    assert stream.text()


# Conversations


async def test_a_follow_up_answers_the_last_user_message_and_counts_the_whole_history(client):
    history = [
        user("Tell me about tea"),
        {
            "type": "message",
            "role": "assistant",
            "id": "msg_tmp_aaaaaaaaaaa",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Tea is a drink.", "annotations": []}],
        },
    ]
    first = await streamed(client, {"model": "demo/echo", "input": history[:1], "stream": True})
    second = await streamed(
        client,
        {"model": "demo/echo", "input": [*history, user("And coffee?")], "stream": True},
    )

    assert second.text() == "You wrote:\n\nAnd coffee?"
    assert second.final["usage"]["input_tokens"] > first.final["usage"]["input_tokens"]


# Validation


def tool_with(parameters: Any) -> dict[str, Any]:
    return {"type": "function", "name": "broken", "parameters": parameters}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"input": "hi", "store": True}, "store: true"),
        ({"input": "hi", "previous_response_id": "gen-1-abc"}, "previous_response_id"),
        (
            {
                "input": [
                    user("hi"),
                    {"type": "function_call_output", "call_id": "call_missing", "output": "42"},
                ]
            },
            "No tool call found for function call output with call_id call_missing",
        ),
        (
            {"input": "hi", "tools": [tool_with({"type": "string"})]},
            "Invalid schema for function 'broken'",
        ),
        (
            {"input": "hi", "tools": [tool_with(["not", "a", "schema"])]},
            "Invalid schema for function 'broken'",
        ),
        (
            {
                "input": "hi",
                "tools": [FORECAST_TOOL],
                "tool_choice": {"type": "function", "name": "nope"},
            },
            "Tool choice 'function' not found",
        ),
        (
            {
                "input": [
                    {
                        "type": "message",
                        "role": "user",
                        "content": [{"type": "input_image", "image_url": CAT}],
                    }
                ]
            },
            "detail",
        ),
        (
            {
                "input": [
                    {
                        "type": "message",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": "Hi", "annotations": []}],
                    }
                ]
            },
            "required on an assistant message",
        ),
        ({"input": "hi", "reasoning": {"effort": "low", "max_tokens": 100}}, "not both"),
        ({"input": "hi", "temperature": 3}, "temperature"),
        ({"input": "hi", "text": {"format": {"type": "json_schema", "name": "x"}}}, "schema"),
        (
            {
                "input": "hi",
                "tools": [{"type": "openrouter:web_search", "parameters": {"max_results": 0}}],
            },
            "max_results",
        ),
        ({"input": "hi", "provider": {"sort": "cheapest"}}, "provider.sort"),
    ],
    ids=[
        "store",
        "previous_response_id",
        "output without its call",
        "tool schema of another type",
        "tool schema not an object",
        "tool_choice naming no tool",
        "image without detail",
        "assistant output without id",
        "effort and budget",
        "temperature out of range",
        "json_schema without schema",
        "web search max_results",
        "unknown sort",
    ],
)
async def test_a_request_openrouter_refuses_gets_invalid_prompt(client, body, message):
    response = await client.post("/responses", json={"model": "demo/swift", "stream": True, **body})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    payload = response.json()
    assert payload["error"]["code"] == "invalid_prompt"
    assert message in payload["error"]["message"]
    assert payload["metadata"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"input": [{"type": "telepathy", "content": "hi"}]},
        {"input": [user("hi"), {"role": "user", "content": [{"type": "input_hologram"}]}]},
        {"input": "hi", "tools": [{"type": "mind_reader"}]},
    ],
    ids=["item", "content part", "tool"],
)
async def test_an_unknown_type_fails_the_union_with_zod_issues_in_metadata(client, body):
    response = await client.post("/responses", json={"model": "demo/swift", **body})

    assert response.status_code == 400
    payload = response.json()
    assert payload["error"]["code"] == "invalid_prompt"
    issues = json.loads(payload["metadata"]["raw"])
    assert issues[0]["code"] == "invalid_union"
    assert issues[0]["path"][0] in {"input", "tools"}


async def test_a_function_output_answering_an_earlier_call_is_accepted(client):
    response = await client.post(
        "/responses",
        json={
            "model": "demo/swift",
            "input": [
                user("Weather?"),
                {
                    "type": "function_call",
                    "id": "fc_tmp_abcdefghijk",
                    "call_id": "call_1",
                    "name": "get_forecast",
                    "arguments": "{}",
                },
                {"type": "function_call_output", "call_id": "call_1", "output": "Rain"},
            ],
        },
    )

    assert response.status_code == 200
    assert "Rain" in response.json()["output"][0]["content"][0]["text"]


# /generation


async def test_generation_answers_404_a_moment_after_the_stream_then_the_record():
    fake = FakeOpenRouter(time_scale=1)
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url=BASE_URL, headers={"Authorization": f"Bearer {KEY}"}
    ) as client:
        stream = await streamed(
            client,
            {
                "model": "demo/echo",
                "input": "Hi",
                "provider": {"only": ["swiftserve"]},
                "stream": True,
            },
        )
        ended = time.monotonic()
        generation_id = stream.final["id"]
        early = await client.get("/generation", params={"id": generation_id})
        while (
            found := await client.get("/generation", params={"id": generation_id})
        ).status_code == 404:
            assert time.monotonic() - ended < 5, "the record never appeared"
            await asyncio.sleep(0.05)
        waited = time.monotonic() - ended

    assert early.status_code == 404
    assert early.json()["error"]["code"] == 404
    assert waited > 0.3
    data = json.loads(found.text, parse_float=Decimal)["data"]
    usage = stream.final["usage"]
    assert data["id"] == generation_id
    assert (data["model"], data["provider_name"]) == ("demo/echo", "SwiftServe")
    assert data["total_cost"] == usage["cost"]
    assert data["native_tokens_prompt"] == usage["input_tokens"]
    assert data["native_tokens_completion"] == usage["output_tokens"]
    assert data["native_tokens_reasoning"] == 0
    assert data["native_tokens_cached"] == 0
    assert data["latency"] >= 0
    assert data["generation_time"] >= 0
    assert (data["streamed"], data["cancelled"], data["finish_reason"]) == (True, False, "stop")


async def test_a_tool_call_generation_finishes_with_tool_calls(client):
    response = await client.post(
        "/responses",
        json={"model": "demo/swift", "input": "Weather in Rome?", "tools": [FORECAST_TOOL]},
    )

    record = (await client.get("/generation", params={"id": response.json()["id"]})).json()["data"]
    assert record["finish_reason"] == "tool_calls"


async def test_credits_are_the_key_limit_less_what_was_spent(client):
    before = (await client.get("/credits")).json()["data"]
    cost = (await answer(client)).json()["usage"]["cost"]
    after = (await client.get("/credits")).json()["data"]

    assert before["total_usage"] == 0
    assert after["total_credits"] == before["total_credits"] > 0
    assert after["total_usage"] == pytest.approx(cost)


async def test_debug_echoes_the_upstream_body_first(client):
    stream = await streamed(
        client,
        {
            "model": "demo/fail-rate-limit",
            "models": ["demo/fail-rate-limit", "demo/swift"],
            "input": "Hi",
            "provider": {"sort": "price"},
            "debug": {"echo_upstream_body": True},
            "stream": True,
        },
    )

    first = stream.events[0]
    assert first["type"] == "response.debug"
    assert first["sequence_number"] == 0
    assert first["debug"]["echo_upstream_body"] == {
        "model": "demo/swift",
        "input": "Hi",
        "stream": True,
    }
    assert stream.kinds[1] == "response.created"


async def test_only_providers_no_endpoint_has_leave_none_and_answer_404(client, fake):
    response = await answer(client, provider={"only": ["nosuchprovider"]})
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": 404,
        "message": "No allowed providers are available for the selected model.",
    }
    assert fake.streams_started == 0
