"""Stored objects for tests, and reading a run's stream from the real server."""

import html
import re
from decimal import Decimal

import httpx
from django.utils import timezone
from httpx_sse import ServerSentEvent, connect_sse

from playground.core.crypto import encrypt_secret
from playground.models import ApiKey, Run
from playground.openrouter import FunctionTool, JsonSchemaFormat
from playground.presets.versions import preset_create
from playground.setups.format import setup_from_values
from playground.upstream.connection import connection_for

# A function tool and a JSON schema the demo models answer (demo/tool-caller calls the
# tool; demo/sloppy-json breaks the schema).
WEATHER = FunctionTool(
    name="get_weather",
    description="The weather in a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)
PERSON = JsonSchemaFormat(
    name="person",
    schema={
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    },
)


def a_setup(prompt="Name three rivers.", models=("demo/swift", "demo/echo"), **parameters):
    return setup_from_values(
        prompt=prompt, instructions="", parameters=parameters, models=list(models)
    )


def a_preset(owner, name="Rivers", **setup):
    return preset_create(owner=owner, name=name, description="Geography", setup=a_setup(**setup))


def a_run(owner, models=("demo/swift", "demo/echo"), prompt="Name three rivers."):
    """A run as its POST stores it, before the browser opens its stream."""
    from playground.runs.lifecycle import run_create

    return run_create(owner=owner, setup=a_setup(prompt, models), connection=connection_for(owner))


def session_cookies(client) -> dict[str, str]:
    """The session cookie of a logged-in Django test client, as a dict for a real HTTP
    client (httpx). Log the client in first (`client.force_login(user)`); for alice the
    `alice_session` fixture does both."""
    return {"sessionid": client.cookies["sessionid"].value}


def browser_cookies(client, url: str) -> list[dict[str, str]]:
    """The same cookies for a Playwright browser context (`context.add_cookies`), set
    for the server at `url`."""
    return [
        {"name": name, "value": value, "url": url}
        for name, value in session_cookies(client).items()
    ]


def run_events(server, cookies, run, *, stop_after=None, timeout=30) -> list[tuple[str, str]]:
    """The SSE events of a run's stream from the real server as (name, data) pairs,
    optionally hanging up after the first event whose name ends with `stop_after`."""
    return [
        (sse.event, sse.data)
        for sse in run_sse(server, cookies, run, stop_after=stop_after, timeout=timeout)
    ]


def run_sse(
    server, cookies, run, *, last_event_id=None, stop_after=None, timeout=30
) -> list[ServerSentEvent]:
    """The SSE events of a run's stream, ids included, from the event after
    `last_event_id` (sent as the browser's `Last-Event-ID`) when given."""
    events = []
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    with (
        httpx.Client(base_url=server.url, cookies=cookies, timeout=timeout) as http,
        connect_sse(http, "GET", f"/runs/{run.pk}/stream/", headers=headers) as source,
    ):
        assert source.response.status_code == 200
        for sse in source.iter_sse():
            events.append(sse)
            if stop_after and sse.event.endswith(stop_after):
                break
    return events


def a_finished_run(
    owner,
    *,
    prompt="Name three rivers.",
    models=("demo/swift", "demo/echo"),
    output="The **Nile**, the Amazon and the Danube.",
    status=Run.Status.DONE,
):
    """A run as it is stored once every column has answered."""
    run = a_run(owner, models, prompt)
    run.columns.update(
        status="done",
        output_text=output,
        input_tokens=12,
        output_tokens=9,
        cost=Decimal("0.0000225"),
        ttft_ms=120,
        total_ms=480,
        served_model="demo/swift-2026",
    )
    run.status = status
    run.finished_at = timezone.now()
    run.save()
    return run


def a_stored_key(owner, label: str, key: str, *, default: bool = False) -> ApiKey:
    """A person's key as stored after the check with OpenRouter (without that check)."""
    return ApiKey.objects.create(
        owner=owner,
        label=label,
        secret=encrypt_secret(key, owner_id=owner.pk),
        last_four=key[-4:],
        is_default=default,
    )


def a_run_sending(owner, *requests, prompt: str = "Name three rivers.", parent=None) -> Run:
    """A pending run whose columns send exactly these requests
    (playground.openrouter.RequestParams), with options the compare form may not offer."""
    from playground.models import RunColumn
    from playground.openrouter import build_body
    from playground.runs.lifecycle import key_fields, request_fields

    connection = connection_for(owner)
    run = Run.objects.create(owner=owner, prompt=prompt, parent=parent, **key_fields(connection))
    for position, params in enumerate(requests):
        RunColumn.objects.create(
            run=run,
            position=position,
            model=params.model,
            request_body=build_body(params),
            **request_fields(connection),
        )
    return run


def streamed_answer(events, position: int) -> tuple[str, str]:
    """What a page shows of column `position` from a run's SSE events ((name, data)
    pairs), as HTML: its finished blocks (each appended once) and its growing block (each
    replacing the one before). Once the column has ended, the two together are
    render_markdown of its stored answer."""
    blocks = "".join(data for name, data in events if name == f"c{position}-blocks")
    tails = [data for name, data in events if name == f"c{position}-output"]
    return blocks, tails[-1] if tails else ""


def visible_text(html_text: str) -> str:
    """The text of an HTML fragment, its tags dropped and its entities read."""
    return html.unescape(re.sub(r"<[^>]*>", "", html_text))
