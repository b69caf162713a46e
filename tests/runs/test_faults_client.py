"""Faults survived by the OpenRouter client itself: retries of the calls that only read,
none of a stream, and connections that cannot be made or cannot be had."""

import asyncio
import socket
import time
from contextlib import aclosing

import httpx
import pytest

from playground.fake_openrouter import FakeOpenRouter
from playground.openrouter import OpenRouterClient, OpenRouterError, StreamOpened
from tests.conftest import serve

BASE_URL = "https://or.test/api/v1"
MODELS = b'{"data":[{"id":"a/one"}]}'
KEY_INFO = b'{"data":{"label":"sk-or-v1-abc...xyz","limit":null,"usage":0}}'


class Answers(httpx.AsyncBaseTransport):
    """Answers requests in turn from a list of (status, headers, body), keeping the
    moment each request came."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.times: list[float] = []

    async def handle_async_request(self, request):
        self.times.append(time.monotonic())
        status, headers, body = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        content_type = "application/json" if status != 200 or b"data:" not in body else ""
        headers = {"content-type": content_type or "text/event-stream", **headers}
        return httpx.Response(status, headers=headers, content=body)


def error(status, message="nope"):
    return status, {}, f'{{"error":{{"message":"{message}","code":{status}}}}}'.encode()


def client_with(transport, **options):
    return OpenRouterClient(
        base_url=BASE_URL, app_url="u", app_title="t", transport=transport, **options
    )


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_a_catalog_call_is_tried_again_after_a_pause_on_429_and_5xx(status):
    upstream = Answers(error(status), error(status), (200, {}, MODELS))
    client = client_with(upstream, retry_delays=(0.1, 0.2))

    models = await client.list_models()

    assert [model.id for model in models] == ["a/one"]
    assert len(upstream.times) == 3
    first, second, third = upstream.times
    assert second - first >= 0.1 and third - second >= 0.2
    await client.aclose()


async def test_a_call_is_tried_at_most_twice_more_and_then_fails_with_the_last_error():
    upstream = Answers(error(503, "No instances available"))
    client = client_with(upstream, retry_delays=(0.01, 0.01))

    with pytest.raises(OpenRouterError) as caught:
        await client.key_info(api_key="sk-or-v1-abc")

    assert len(upstream.times) == 3
    assert caught.value.status == 503
    assert caught.value.message == (
        "The provider is down or overloaded (503): No instances available"
    )
    await client.aclose()


async def test_the_default_pauses_are_short_and_grow():
    upstream = Answers(error(500))
    client = client_with(upstream)

    with pytest.raises(OpenRouterError):
        await client.list_models()

    first, second, third = upstream.times
    assert 0.4 < second - first < 1.0
    assert second - first < third - second < 3.0
    await client.aclose()


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 408, 422])
async def test_a_4xx_other_than_429_is_never_tried_again(status):
    upstream = Answers(error(status), (200, {}, KEY_INFO))
    client = client_with(upstream, retry_delays=(0.01, 0.01))

    with pytest.raises(OpenRouterError) as caught:
        await client.key_info(api_key="sk-or-v1-abc")

    assert len(upstream.times) == 1
    assert caught.value.status == status
    await client.aclose()


async def test_retry_after_is_waited_for_when_short():
    limited = (429, {"retry-after": "0.4"}, b'{"error":{"message":"Slow down","code":429}}')
    upstream = Answers(limited, (200, {}, MODELS))
    client = client_with(upstream, retry_delays=(0.01, 0.01))

    await client.list_models()

    first, second = upstream.times
    assert second - first >= 0.4
    await client.aclose()


async def test_a_long_retry_after_is_not_waited_for_the_error_says_when_to_try():
    limited = (429, {"retry-after": "30"}, b'{"error":{"message":"Slow down","code":429}}')
    upstream = Answers(limited, (200, {}, MODELS))
    client = client_with(upstream, retry_delays=(0.01, 0.01))
    started = time.monotonic()

    with pytest.raises(OpenRouterError) as caught:
        await client.list_models()

    assert time.monotonic() - started < 1.0
    assert len(upstream.times) == 1
    assert caught.value.message == "Rate limited by the provider; try again in 30 s."
    await client.aclose()


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_a_stream_is_never_tried_again(status):
    upstream = Answers(error(status), (200, {}, b"data: [DONE]\n\n"))
    client = client_with(upstream, retry_delays=(0.01, 0.01))

    with pytest.raises(OpenRouterError) as caught:
        async for _event in client.stream({"model": "m"}, api_key="sk-or-v1-abc"):
            pass

    assert caught.value.status == status
    assert len(upstream.times) == 1
    await client.aclose()


async def drain(events):
    async for _event in events:
        pass


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = closed_port()


@pytest.mark.parametrize(
    ("base_url", "detail"),
    [
        (f"http://127.0.0.1:{PORT}/api/v1", f"127.0.0.1:{PORT} refused the connection"),
        ("http://openrouter.invalid/api/v1", "the host name openrouter.invalid could not be found"),
    ],
    ids=["connection refused", "dns failure"],
)
async def test_an_api_that_cannot_be_reached_is_a_clear_error_at_once(base_url, detail):
    client = OpenRouterClient(base_url=base_url, app_url="u", app_title="t")
    started = time.monotonic()

    with pytest.raises(OpenRouterError) as stream_failure:
        async for _event in client.stream({"model": "m"}, api_key="sk-or-v1-abc"):
            pass
    with pytest.raises(OpenRouterError) as catalog_failure:
        await client.list_models()

    assert time.monotonic() - started < 5
    for caught in (stream_failure, catalog_failure):
        assert caught.value.kind == "network"
        assert caught.value.message.startswith("The connection to OpenRouter failed: ")
        assert caught.value.message == f"The connection to OpenRouter failed: {detail}"
    await client.aclose()


async def test_a_full_connection_pool_is_a_clear_error_not_a_wait_forever():
    fake = FakeOpenRouter(time_scale=0)
    with serve(fake.asgi_app) as url:
        client = OpenRouterClient(
            base_url=f"{url}/api/v1",
            app_url="u",
            app_title="t",
            limits=httpx.Limits(max_connections=1),
            timeout=httpx.Timeout(10, pool=0.3),
        )
        # The one connection is held by a stream that sends nothing after its head.
        body = {"model": "fault/silence", "input": "x", "stream": True}
        async with aclosing(client.stream(body, api_key="sk-or-v1-abc")) as held:
            assert isinstance(await anext(held), StreamOpened)
            started = time.monotonic()
            with pytest.raises(OpenRouterError) as catalog_failure:
                await asyncio.wait_for(client.list_models(), 5)
            with pytest.raises(OpenRouterError) as stream_failure:
                other = client.stream({**body, "model": "demo/swift"}, api_key="k")
                await asyncio.wait_for(drain(other), 5)
            assert time.monotonic() - started < 2
        for caught in (catalog_failure, stream_failure):
            assert caught.value.kind == "timeout"
            assert caught.value.message == (
                "This server has too many requests to OpenRouter under way; none finished "
                "within 0.3 s. Try again in a moment."
            )
        # Once the stream is closed, its connection serves the next call.
        assert [model.id for model in await client.list_models()][:1] == ["demo/echo"]
        await client.aclose()
        await asyncio.wait_for(fake.wait_until_closed(), 5)


async def test_the_fault_modes_are_served_but_never_offered_in_the_model_list():
    fake = FakeOpenRouter(time_scale=0)
    client = OpenRouterClient(
        base_url="https://demo.test/api/v1", app_url="u", app_title="t", transport=fake.transport()
    )

    listed = [model.id for model in await client.list_models()]
    with pytest.raises(OpenRouterError) as overloaded:
        await drain(client.stream({"model": "fault/overloaded", "input": "x"}, api_key="k"))
    received = []
    with pytest.raises(OpenRouterError) as reset:
        async for event in client.stream(
            {"model": "fault/reset", "input": "x", "stream": True}, api_key="k"
        ):
            received.append(event)

    assert listed and not [model for model in listed if model.startswith("fault/")]
    assert (overloaded.value.status, overloaded.value.retry_after) == (503, 2)
    # In-process, a reset is what httpx raises for a real one, after the text so far.
    assert reset.value.message == (
        "The connection to OpenRouter failed: [Errno 104] Connection reset by peer"
    )
    assert any(getattr(event, "delta", "") for event in received)
    await client.aclose()
