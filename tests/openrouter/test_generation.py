"""The generation lookup (`GET /generation?id=`), which answers 404 for a moment after a
stream ends."""

from decimal import Decimal

import httpx
import pytest

from playground.openrouter import Generation, OpenRouterClient, OpenRouterError, parse_generation
from playground.openrouter import client as client_module

GENERATION_ID = "gen-1766801159-e9nTRO0vtJdg1Gc8Vsv9"
RECORD = {
    "data": {
        "id": GENERATION_ID,
        "upstream_id": None,
        "total_cost": 0.0000225,
        "created_at": "2026-08-22T10:00:00+00:00",
        "model": "openai/gpt-4o",
        "provider_name": "Azure",
        "latency": 412,
        "generation_time": 1830,
        "tokens_prompt": 12,
        "tokens_completion": 30,
        "native_tokens_prompt": 14,
        "native_tokens_completion": 33,
        "native_tokens_reasoning": 8,
        "native_tokens_cached": 4,
        "streamed": True,
        "cancelled": False,
    }
}
NOT_FOUND = {"error": {"message": "Generation not found", "code": 404}}


def upstream(*answers: tuple[int, dict]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """Answers requests with the given (status, body) in turn, the last one from then on."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status, body = answers[min(len(seen), len(answers)) - 1]
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle), seen


def client_for(transport: httpx.MockTransport, **options) -> OpenRouterClient:
    options = {"retry_delays": (), "generation_delays": (0, 0, 0, 0), **options}
    return OpenRouterClient(
        base_url="https://or.test/api/v1",
        app_url="https://app.test",
        app_title="Play",
        transport=transport,
        **options,
    )


def test_a_generation_record_is_read_with_exact_cost_and_native_tokens():
    assert parse_generation(RECORD) == Generation(
        provider_name="Azure",
        model="openai/gpt-4o",
        generation_time_ms=1830,
        latency_ms=412,
        native_tokens_prompt=14,
        native_tokens_completion=33,
        native_tokens_reasoning=8,
        native_tokens_cached=4,
        total_cost=Decimal("0.0000225"),
    )


def test_missing_or_odd_fields_read_as_unknown_not_zero():
    record = {
        "data": {
            "provider_name": None,
            "latency": "fast",
            "generation_time": 1830.6,
            "native_tokens_prompt": True,
            "native_tokens_reasoning": 0,
            "total_cost": None,
        }
    }

    assert parse_generation(record) == Generation(
        provider_name="",
        model="",
        generation_time_ms=1831,
        latency_ms=None,
        native_tokens_prompt=None,
        native_tokens_completion=None,
        native_tokens_reasoning=0,
        native_tokens_cached=None,
        total_cost=None,
    )


@pytest.mark.parametrize("body", [{}, {"data": None}, {"data": []}])
def test_a_body_without_a_record_reads_as_all_unknown(body):
    generation = parse_generation(body)

    assert generation.provider_name == ""
    assert generation.total_cost is None
    assert generation.native_tokens_prompt is None


async def test_it_asks_for_the_generation_by_id_with_the_key():
    transport, seen = upstream((200, RECORD))
    client = client_for(transport)

    generation = await client.get_generation(GENERATION_ID, api_key="sk-or-v1-key1")

    assert generation.provider_name == "Azure"
    [request] = seen
    assert request.method == "GET"
    assert str(request.url) == f"https://or.test/api/v1/generation?id={GENERATION_ID}"
    assert request.headers["authorization"] == "Bearer sk-or-v1-key1"
    await client.aclose()


async def test_a_404_right_after_the_stream_is_tried_again_until_the_record_appears():
    transport, seen = upstream((404, NOT_FOUND), (404, NOT_FOUND), (200, RECORD))
    client = client_for(transport)

    generation = await client.get_generation(GENERATION_ID, api_key="k")

    assert generation.native_tokens_completion == 33
    assert generation.total_cost == Decimal("0.0000225")
    assert len(seen) == 3
    await client.aclose()


async def test_it_waits_the_given_pauses_between_404s(monkeypatch):
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(client_module.asyncio, "sleep", sleep)
    transport, _ = upstream((404, NOT_FOUND), (404, NOT_FOUND), (200, RECORD))
    client = client_for(transport, generation_delays=(0.25, 0.5, 1, 2))

    await client.get_generation(GENERATION_ID, api_key="k")

    assert pauses == [0.25, 0.5]
    await client.aclose()


async def test_a_record_still_missing_after_the_last_pause_is_a_not_found_error():
    transport, seen = upstream((404, NOT_FOUND))
    client = client_for(transport)

    with pytest.raises(OpenRouterError) as caught:
        await client.get_generation(GENERATION_ID, api_key="k")

    assert caught.value.kind == "not_found"
    assert caught.value.status == 404
    assert caught.value.message == f"OpenRouter has no record of generation '{GENERATION_ID}'."
    assert len(seen) == 5
    await client.aclose()


async def test_a_rejected_key_is_not_tried_again():
    transport, seen = upstream((401, {"error": {"message": "User not found.", "code": 401}}))
    client = client_for(transport)

    with pytest.raises(OpenRouterError) as caught:
        await client.get_generation(GENERATION_ID, api_key="k")

    assert caught.value.kind == "auth"
    assert len(seen) == 1
    await client.aclose()


async def test_an_overloaded_upstream_is_tried_again_like_the_other_lookups():
    overloaded = {"error": {"message": "Overloaded", "code": 503}}
    transport, seen = upstream((503, overloaded), (200, RECORD))
    client = client_for(transport, retry_delays=(0,))

    generation = await client.get_generation(GENERATION_ID, api_key="k")

    assert generation.latency_ms == 412
    assert len(seen) == 2
    await client.aclose()


async def test_a_record_that_is_not_json_is_a_bad_response():
    client = client_for(httpx.MockTransport(lambda request: httpx.Response(200, text="<html>")))

    with pytest.raises(OpenRouterError) as caught:
        await client.get_generation(GENERATION_ID, api_key="k")

    assert caught.value.kind == "bad_response"
    assert caught.value.message == "OpenRouter sent a generation record that is not JSON."
    await client.aclose()
