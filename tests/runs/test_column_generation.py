"""The generation lookup after each column ends (`GET /generation`): stored on the
column, swapped into its panel after its end event, never delaying that event, bounded,
and explained when it fails."""

import asyncio
import html
import time

import httpx
import pytest
from httpx_sse import connect_sse

from playground.models import RunColumn
from playground.openrouter import OpenRouterClient, OpenRouterError
from playground.runs import task
from tests.factories import a_run

pytestmark = pytest.mark.django_db(transaction=True)


def timed_events(server, cookies, run) -> list[tuple[str, str, float]]:
    """The run's stream as (event, data, seconds since it opened)."""
    events = []
    start = time.monotonic()
    with (
        httpx.Client(base_url=server.url, cookies=cookies, timeout=30) as http,
        connect_sse(http, "GET", f"/runs/{run.pk}/stream/") as source,
    ):
        for sse in source.iter_sse():
            events.append((sse.event, sse.data, time.monotonic() - start))
    return events


def test_each_answer_is_followed_by_its_generation_record_then_done(
    asgi_server, alice_session, alice, fake
):
    run = a_run(alice, ["demo/swift", "demo/reasoner"])

    events = timed_events(asgi_server, alice_session, run)

    names = [name for name, _, _ in events]
    assert names[-1] == "done"
    data = {name: value for name, value, _ in events}
    for position in (0, 1):
        assert names.index(f"c{position}-end") < names.index(f"c{position}-generation")
        # The end shows the panel waiting; the record replaces it by its id.
        panel_id = f'id="generation-{run.pk}-{position}"'
        assert panel_id in data[f"c{position}-end"]
        assert "Looking up the generation record…" in data[f"c{position}-end"]
        assert panel_id in data[f"c{position}-generation"]
    panel = data["c0-generation"]
    assert 'data-state="found"' in panel and 'hx-swap-oob="true"' in panel
    assert "Demo Labs" in panel and "Cost billed" in panel

    swift = RunColumn.objects.get(run=run, position=0)
    record = swift.generation
    assert record["provider_name"] == "Demo Labs"
    assert record["model"] == "demo/swift"
    assert record["native_tokens_prompt"] > 0 and record["native_tokens_completion"] > 0
    assert record["total_cost"] == swift.cost_number  # billed as the stream reported
    assert f"${record['total_cost']}" in panel
    assert RunColumn.objects.get(run=run, position=1).generation["native_tokens_reasoning"] > 0


def test_a_failed_lookup_is_stored_and_explained(
    asgi_server, alice_session, alice, fake, monkeypatch
):
    async def no_record(self, generation_id, *, api_key):
        raise OpenRouterError(
            kind="not_found",
            code="not_found",
            status=404,
            message=f"OpenRouter has no record of generation {generation_id!r}.",
        )

    monkeypatch.setattr(OpenRouterClient, "get_generation", no_record)
    run = a_run(alice, ["demo/swift"])

    events = timed_events(asgi_server, alice_session, run)

    column = RunColumn.objects.get(run=run)
    message = f"OpenRouter has no record of generation {column.generation_id!r}."
    assert column.generation == {"error": message}
    panel = dict((name, value) for name, value, _ in events)["c0-generation"]
    assert 'data-state="error"' in panel and html.escape(message) in panel
    assert [name for name, _, _ in events][-1] == "done"


def test_a_slow_lookup_does_not_delay_the_end_of_its_column(
    asgi_server, alice_session, alice, fake, monkeypatch
):
    real = OpenRouterClient.get_generation

    async def slow(self, generation_id, *, api_key):
        await asyncio.sleep(1.0)
        return await real(self, generation_id, api_key=api_key)

    monkeypatch.setattr(OpenRouterClient, "get_generation", slow)
    run = a_run(alice, ["demo/swift"])

    events = {name: moment for name, _, moment in timed_events(asgi_server, alice_session, run)}

    assert events["c0-generation"] - events["c0-end"] > 0.8
    assert events["done"] >= events["c0-generation"]
    assert RunColumn.objects.get(run=run).generation["provider_name"] == "Demo Labs"


def test_the_wait_for_records_is_bounded(asgi_server, alice_session, alice, fake, monkeypatch):
    async def never(self, generation_id, *, api_key):
        await asyncio.sleep(60)

    monkeypatch.setattr(OpenRouterClient, "get_generation", never)
    monkeypatch.setattr(task, "GENERATION_WAIT_SECONDS", 0.5)
    run = a_run(alice, ["demo/swift"])

    events = timed_events(asgi_server, alice_session, run)

    assert events[-1][0] == "done" and events[-1][2] < 5
    assert RunColumn.objects.get(run=run).generation == {
        "error": "OpenRouter had no record of this generation within 0.5 s; its inspector has "
        "the generation id to look up later."
    }


def test_a_failed_column_is_not_looked_up(asgi_server, alice_session, alice, fake, monkeypatch):
    looked_up = []
    real = OpenRouterClient.get_generation

    async def recording(self, generation_id, *, api_key):
        looked_up.append(generation_id)
        return await real(self, generation_id, api_key=api_key)

    monkeypatch.setattr(OpenRouterClient, "get_generation", recording)
    run = a_run(alice, ["fault/error-event", "demo/swift"])

    names = [name for name, _, _ in timed_events(asgi_server, alice_session, run)]

    assert "c0-generation" not in names and "c1-generation" in names
    failed, answered = RunColumn.objects.filter(run=run).order_by("position")
    assert failed.status == "error" and failed.generation == {}
    assert looked_up == [answered.generation_id]
