"""The client against streams built as bytes and cut into awkward network chunks."""

import asyncio
import json
from contextlib import aclosing

import httpx
import pytest

from playground.openrouter import (
    OpenRouterClient,
    OpenRouterError,
    OutputTextDelta,
    ResponseCompleted,
    ResponseFold,
    StreamComment,
    StreamEvent,
    StreamOpened,
    UnknownEvent,
)

BASE_URL = "https://or.test/api/v1"
KEEPALIVE = b": OPENROUTER PROCESSING\n\n"
DONE = b"data: [DONE]\n\n"


class ChunkedBody(httpx.AsyncByteStream):
    """A response body that arrives chunk by chunk, then ends, fails or hangs."""

    def __init__(self, chunks, *, failure=None, hang=False):
        self.chunks = chunks
        self.failure = failure
        self.hang = hang
        self.closed = False

    async def __aiter__(self):
        for chunk in self.chunks:
            yield chunk
        if self.failure is not None:
            raise self.failure
        if self.hang:
            await asyncio.Event().wait()

    async def aclose(self):
        self.closed = True


class Upstream(httpx.AsyncBaseTransport):
    """Answers every request with one canned response and keeps the requests it saw."""

    def __init__(
        self,
        chunks=(),
        *,
        status=200,
        content_type="text/event-stream",
        headers=None,
        fail_before=None,
        fail_during=None,
        hang=False,
    ):
        self.chunks = list(chunks)
        self.status = status
        self.headers = {"content-type": content_type, **(headers or {})}
        self.fail_before = fail_before
        self.fail_during = fail_during
        self.hang = hang
        self.requests: list[httpx.Request] = []
        self.body: ChunkedBody | None = None

    async def handle_async_request(self, request):
        self.requests.append(request)
        if self.fail_before is not None:
            raise self.fail_before("upstream failure", request=request)
        failure = (
            self.fail_during("upstream failure", request=request) if self.fail_during else None
        )
        self.body = ChunkedBody(self.chunks, failure=failure, hang=self.hang)
        return httpx.Response(self.status, headers=self.headers, stream=self.body)


def cut(data: bytes, size: int = 7) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def frame(event: dict, *, named: bool = False, line_end: str = "\n") -> bytes:
    payload = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    lines = [f"event: {event['type']}"] if named else []
    lines.append(f"data: {payload}")
    return (line_end.join(lines) + line_end * 2).encode()


def text_events(*deltas: str) -> list[dict]:
    response = {"id": "gen-1-abc", "object": "response", "model": "openai/gpt-4o", "output": []}
    text = "".join(deltas)
    message = {
        "type": "message",
        "id": "msg_tmp_abc",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    events = [
        {"type": "response.created", "response": {**response, "status": "in_progress"}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**message, "content": []},
        },
        *(
            {
                "type": "response.output_text.delta",
                "output_index": 0,
                "content_index": 0,
                "delta": d,
            }
            for d in deltas
        ),
        {"type": "response.output_item.done", "output_index": 0, "item": message},
        {
            "type": "response.completed",
            "response": {**response, "status": "completed", "output": [message]},
        },
    ]
    return [{**event, "sequence_number": n} for n, event in enumerate(events)]


async def collect(upstream: Upstream, body: dict | None = None) -> list[StreamEvent]:
    client = OpenRouterClient(
        base_url=BASE_URL, app_url="https://app.test", app_title="Play", transport=upstream
    )
    try:
        events = [
            event async for event in client.stream(body or {"model": "m"}, api_key="sk-or-v1-key1")
        ]
    finally:
        await client.aclose()
    # The response head and comments are for the inspector; these tests read payloads.
    return [event for event in events if not isinstance(event, StreamOpened | StreamComment)]


def answer(events: list[StreamEvent]) -> str:
    fold = ResponseFold()
    for event in events:
        fold.apply(event)
    return fold.text


async def test_it_posts_the_body_with_attribution_headers_to_responses():
    upstream = Upstream([DONE])

    await collect(upstream, {"model": "openai/gpt-4o", "stream": True})

    [request] = upstream.requests
    assert request.method == "POST"
    assert str(request.url) == "https://or.test/api/v1/responses"
    assert json.loads(request.content) == {"model": "openai/gpt-4o", "stream": True}
    assert request.headers["authorization"] == "Bearer sk-or-v1-key1"
    assert request.headers["http-referer"] == "https://app.test"
    assert request.headers["x-openrouter-title"] == "Play"
    assert request.headers["accept"] == "text/event-stream"


async def test_it_reads_data_only_framing_after_keep_alives_and_stops_at_done():
    after_done = frame({"type": "response.output_text.delta", "delta": "ignored"})
    stream = KEEPALIVE * 3 + b"".join(map(frame, text_events("Hel", "lo"))) + DONE + after_done

    events = await collect(Upstream(cut(stream)))

    assert [event.sequence_number for event in events] == [0, 1, 2, 3, 4, 5]
    assert isinstance(events[-1], ResponseCompleted)
    assert answer(events) == "Hello"


async def test_it_reads_openai_event_framing_that_ends_without_done():
    stream = b"".join(frame(event, named=True) for event in text_events("Bon", "jour"))

    events = await collect(Upstream(cut(stream, 5)))

    assert isinstance(events[-1], ResponseCompleted)
    assert answer(events) == "Bonjour"


async def test_it_skips_keep_alive_comments_between_events():
    frames = [frame(event) for event in text_events("a", "b")]
    stream = b": \n\n:\n\n".join(frames) + KEEPALIVE + DONE

    events = await collect(Upstream(cut(stream, 3)))

    assert [event.sequence_number for event in events] == [0, 1, 2, 3, 4, 5]
    assert answer(events) == "ab"


async def test_it_reads_crlf_line_ends():
    stream = b"".join(frame(event, line_end="\r\n") for event in text_events("x", "y"))
    stream = b": OPENROUTER PROCESSING\r\n\r\n" + stream + b"data: [DONE]\r\n\r\n"

    # Odd chunk sizes split some CR LF pairs between chunks.
    events = await collect(Upstream(cut(stream, 11)))

    assert [event.sequence_number for event in events] == [0, 1, 2, 3, 4, 5]
    assert answer(events) == "xy"


async def test_it_keeps_text_when_utf8_is_split_across_chunks():
    stream = b"".join(map(frame, text_events("Olá ", "🙂"))) + DONE
    split_at = stream.index("🙂".encode()) + 2

    events = await collect(Upstream([stream[:split_at], stream[split_at:]]))

    deltas = [event.delta for event in events if isinstance(event, OutputTextDelta)]
    assert deltas == ["Olá ", "🙂"]


async def test_it_passes_unknown_events_through_and_carries_on():
    debug = {"type": "response.debug", "debug": {"echo_upstream_body": {}}, "sequence_number": 0}
    stream = frame(debug) + b"".join(map(frame, text_events("ok"))) + DONE

    events = await collect(Upstream(cut(stream)))

    assert events[0] == UnknownEvent(raw=debug, sequence_number=0, type="response.debug")
    assert answer(events) == "ok"


async def test_a_success_that_is_not_an_event_stream_is_a_bad_response():
    upstream = Upstream([b'{"id":"gen-1"}'], content_type="application/json")

    with pytest.raises(OpenRouterError) as caught:
        await collect(upstream)

    assert caught.value.kind == "bad_response"
    assert "application/json" in caught.value.message


async def test_an_event_that_is_not_json_is_a_bad_response():
    with pytest.raises(OpenRouterError) as caught:
        await collect(Upstream([b"data: {oops\n\n"]))

    assert caught.value.kind == "bad_response"


async def test_an_error_status_raises_with_the_upstream_message():
    body = b'{"error":{"message":"User not found.","code":401}}'
    upstream = Upstream([body], status=401, content_type="application/json")

    with pytest.raises(OpenRouterError) as caught:
        await collect(upstream)

    assert caught.value.kind == "auth"
    assert caught.value.message == "OpenRouter rejected the API key (User not found.)."
    assert upstream.body.closed


async def test_a_rate_limit_status_carries_retry_after():
    upstream = Upstream(
        [b'{"error":{"message":"Slow down","code":429}}'],
        status=429,
        content_type="application/json",
        headers={"retry-after": "3"},
    )

    with pytest.raises(OpenRouterError) as caught:
        await collect(upstream)

    assert caught.value.retry_after == 3.0


@pytest.mark.parametrize(
    ("failure", "kind"),
    [(httpx.ConnectTimeout, "timeout"), (httpx.ConnectError, "network")],
)
async def test_a_transport_failure_before_the_stream_becomes_an_openrouter_error(failure, kind):
    with pytest.raises(OpenRouterError) as caught:
        await collect(Upstream(fail_before=failure))

    assert caught.value.kind == kind
    assert caught.value.status is None


async def test_a_connect_timeout_names_the_connect_timeout():
    with pytest.raises(OpenRouterError) as caught:
        await collect(Upstream(fail_before=httpx.ConnectTimeout))

    assert caught.value.message == "No answer from OpenRouter within 10 s."


@pytest.mark.parametrize(
    ("failure", "kind"),
    [(httpx.ReadTimeout, "timeout"), (httpx.RemoteProtocolError, "network")],
)
async def test_a_transport_failure_during_the_stream_comes_after_the_events_so_far(failure, kind):
    stream = b"".join(map(frame, text_events("partial")[:3]))
    client = OpenRouterClient(
        base_url=BASE_URL,
        app_url="u",
        app_title="t",
        transport=Upstream(cut(stream), fail_during=failure),
    )
    received = []

    with pytest.raises(OpenRouterError) as caught:
        async for event in client.stream({}, api_key="k"):
            received.append(event)

    assert caught.value.kind == kind
    assert answer(received) == "partial"
    await client.aclose()


async def test_closing_the_stream_early_closes_the_upstream_response():
    upstream = Upstream(map(frame, text_events("one", "two")), hang=True)
    client = OpenRouterClient(base_url=BASE_URL, app_url="u", app_title="t", transport=upstream)

    async with aclosing(client.stream({}, api_key="k")) as events:
        await anext(events)
        assert not upstream.body.closed

    assert upstream.body.closed
    await client.aclose()


async def test_cancelling_the_reader_closes_the_upstream_response():
    upstream = Upstream([frame(text_events("one")[0])], hang=True)
    client = OpenRouterClient(base_url=BASE_URL, app_url="u", app_title="t", transport=upstream)
    first_event = asyncio.Event()

    async def read():
        async for _event in client.stream({}, api_key="k"):
            first_event.set()

    task = asyncio.create_task(read())
    await first_event.wait()
    assert not upstream.body.closed
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert upstream.body.closed
    await client.aclose()


async def test_it_closes_the_upstream_response_after_done():
    upstream = Upstream([DONE])

    await collect(upstream)

    assert upstream.body.closed


async def test_list_models_parses_the_catalog_without_a_key():
    body = json.dumps(
        {"data": [{"id": "b/two"}, {"id": "a/one", "pricing": {"prompt": "0.000001"}}]}
    )
    upstream = Upstream([body.encode()], content_type="application/json")
    client = OpenRouterClient(
        base_url=BASE_URL + "/", app_url="u", app_title="t", transport=upstream
    )

    models = await client.list_models()

    assert [model.id for model in models] == ["a/one", "b/two"]
    [request] = upstream.requests
    assert str(request.url) == "https://or.test/api/v1/models"
    assert "authorization" not in request.headers
    await client.aclose()


async def test_list_models_sends_the_key_when_given():
    upstream = Upstream([b'{"data":[]}'], content_type="application/json")
    client = OpenRouterClient(base_url=BASE_URL, app_url="u", app_title="t", transport=upstream)

    assert await client.list_models(api_key="sk-or-v1-abc") == []

    assert upstream.requests[0].headers["authorization"] == "Bearer sk-or-v1-abc"
    await client.aclose()


@pytest.mark.parametrize(
    ("upstream", "kind"),
    [
        (Upstream([b"<html>oops</html>"], status=503, content_type="text/html"), "provider_down"),
        (Upstream([b"<html>ok?</html>"], content_type="text/html"), "bad_response"),
        (Upstream(fail_before=httpx.ConnectError), "network"),
    ],
)
async def test_list_models_failures_become_openrouter_errors(upstream, kind):
    client = OpenRouterClient(
        base_url=BASE_URL, app_url="u", app_title="t", transport=upstream, retry_delays=()
    )

    with pytest.raises(OpenRouterError) as caught:
        await client.list_models()

    assert caught.value.kind == kind
    await client.aclose()


async def test_model_endpoints_are_read_by_tag_and_provider_name():
    body = json.dumps(
        {
            "data": {
                "id": "a/one",
                "endpoints": [
                    {"tag": "deepinfra/fp8", "provider_name": "DeepInfra"},
                    {"tag": "", "provider_name": "Google Vertex"},
                    {"tag": "", "provider_name": ""},
                    "not an endpoint",
                ],
            }
        }
    )
    upstream = Upstream([body.encode()], content_type="application/json")
    client = OpenRouterClient(base_url=BASE_URL, app_url="u", app_title="t", transport=upstream)

    deepinfra, vertex = await client.model_endpoints("a/one:free", api_key="sk-or-v1-abc")

    assert str(upstream.requests[0].url) == "https://or.test/api/v1/models/a/one%3Afree/endpoints"
    # OpenRouter takes a provider's slug, with or without its variant, or its name.
    for reference in ("deepinfra", "DeepInfra", "deepinfra/fp8", " DEEPINFRA "):
        assert deepinfra.answers_to(reference)
    assert not deepinfra.answers_to("deep") and not deepinfra.answers_to("")
    assert vertex.answers_to("google-vertex") and vertex.answers_to("Google Vertex")
    await client.aclose()
