"""What a column records for the inspector: the request as OpenRouter received it, the
response's head, every event and comment with the time its bytes arrived, and the
timeline's moments."""

import asyncio
import json

import httpx
import pytest

from playground.models import Run
from playground.openrouter import (
    OpenRouterClient,
    OpenRouterError,
    OutputTextDelta,
    StreamComment,
    StreamOpened,
)
from tests.factories import run_events, session_cookies

KEY = "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"


def frame(payload: dict) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def delta(text: str, n: int) -> dict:
    return {
        "type": "response.output_text.delta",
        "output_index": 0,
        "content_index": 0,
        "delta": text,
        "sequence_number": n,
    }


class Scheduled(httpx.AsyncByteStream):
    """A body whose chunks come after the given pauses."""

    def __init__(self, schedule: list[tuple[float, bytes]]):
        self.schedule = schedule

    async def __aiter__(self):
        for pause, chunk in self.schedule:
            await asyncio.sleep(pause)
            yield chunk


class Upstream(httpx.AsyncBaseTransport):
    def __init__(self, schedule, *, status=200, content_type="text/event-stream"):
        self.schedule = schedule
        self.status = status
        self.content_type = content_type

    async def handle_async_request(self, request):
        headers = {"content-type": self.content_type, "X-Generation-Id": "gen-42"}
        return httpx.Response(self.status, headers=headers, stream=Scheduled(self.schedule))


def client_for(upstream) -> OpenRouterClient:
    return OpenRouterClient(
        base_url="https://or.test/api/v1", app_url="https://app.test", app_title="Play",
        transport=upstream,
    )  # fmt: skip


async def test_events_carry_the_time_their_bytes_arrived_not_when_they_were_processed():
    burst = frame(delta("a", 1)) + b": OPENROUTER PROCESSING\n\n" + frame(delta("b", 2))
    upstream = Upstream([(0, burst), (0.05, frame(delta("c", 3)))])
    client = client_for(upstream)
    arrivals = []
    async for event in client.stream({"model": "m"}, api_key=KEY):
        arrivals.append((type(event).__name__, event.arrived))
        # A slow consumer: each event takes 30 ms to handle.
        await asyncio.sleep(0.03)
    await client.aclose()

    names = [name for name, _ in arrivals]
    assert names == [
        "StreamOpened", "OutputTextDelta", "StreamComment", "OutputTextDelta", "OutputTextDelta",
    ]  # fmt: skip
    times = [arrived for _, arrived in arrivals]
    assert times == sorted(times)
    # The first chunk's three events arrived together, however long each took to handle.
    assert times[1] == times[2] == times[3]
    # The next chunk came after its own pause (and the consumer's 90 ms), stamped once.
    assert times[4] - times[3] >= 0.05


async def test_the_response_head_comes_first_even_before_an_error_status():
    error = json.dumps({"error": {"code": 402, "message": "Insufficient credits"}}).encode()
    upstream = Upstream([(0, error)], status=402, content_type="application/json")
    client = client_for(upstream)
    seen = []
    with pytest.raises(OpenRouterError) as caught:
        async for event in client.stream({"model": "m"}, api_key=KEY):
            seen.append(event)
    await client.aclose()

    assert caught.value.status == 402
    [opened] = seen
    assert isinstance(opened, StreamOpened)
    assert opened.status == 402
    assert opened.headers["X-Generation-Id"] == "gen-42"
    # The headers as sent: names as written, the library's own ones included.
    assert opened.request_headers["X-OpenRouter-Title"] == "Play"
    assert opened.request_headers["Authorization"] == f"Bearer {KEY}"
    assert "user-agent" in {name.lower() for name in opened.request_headers}


async def test_comment_lines_become_comment_events_with_their_text():
    upstream = Upstream([(0, b": OPENROUTER PROCESSING\n\n:\n\n" + frame(delta("x", 0)))])
    client = client_for(upstream)
    events = [event async for event in client.stream({"model": "m"}, api_key=KEY)]
    await client.aclose()

    comments = [event.text for event in events if isinstance(event, StreamComment)]
    assert comments == ["OPENROUTER PROCESSING", ""]
    assert isinstance(events[-1], OutputTextDelta)


@pytest.fixture
def upstream(upstream, settings):
    settings.OPENROUTER_API_KEY = KEY
    upstream.time_scale = 0.05
    return upstream


@pytest.mark.django_db(transaction=True)
def test_a_column_records_exactly_what_openrouter_received_and_when_each_event_arrived(
    upstream, asgi_server, client, alice
):
    client.force_login(alice)
    client.post(
        "/runs/",
        {"prompt": "Why is the sky blue?", "models": ["demo/swift", "demo/reasoner"],
         "temperature": "0.4", "max_output_tokens": "300"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    run = Run.objects.get()
    assert run_events(asgi_server, session_cookies(client), run)[-1][0] == "done"

    received = {r.json["model"]: r for r in upstream.requests if r.path == "/api/v1/responses"}
    for column in run.columns.all():
        sent = received[column.model]
        # The stored body is the body OpenRouter received, value for value.
        assert column.request_body == sent.json
        # And the stored headers are the ones it received, the key masked.
        shown = {name.lower(): value for name, value in column.request_headers.items()}
        assert shown.pop("authorization") == f"Bearer sk-or-…{KEY[-4:]}"
        assert sent.headers.pop("authorization") == f"Bearer {KEY}"
        assert shown == sent.headers
        assert KEY[9:17] not in json.dumps(column.request_headers)

        assert column.response_status == 200
        assert column.response_headers["x-generation-id"] == column.generation_id
        assert column.response["status"] == "completed"
        assert column.response["id"] == column.generation_id

        times = [entry["t_ms"] for entry in column.events]
        assert times == sorted(times) and times[0] > 0
        assert any("comment" in entry for entry in column.events)
        marks = column.marks
        assert 0 < marks["first_byte_ms"] <= times[0]
        assert marks["first_answer_ms"] <= marks["last_token_ms"] <= marks["end_ms"]
        assert round(marks["end_ms"]) == column.total_ms
    reasoner = run.columns.get(model="demo/reasoner")
    assert reasoner.marks["first_reasoning_ms"] < reasoner.marks["first_answer_ms"]
    assert reasoner.ttft_ms == round(reasoner.marks["first_reasoning_ms"])
