"""Nothing a person sends can point the app's requests elsewhere or add headers to them.

Fields that name another API (`base_url`, `api_base`, `url`, …) or extra headers, posted
to a run, a preset save, a preset import file, a key, or carried through a shared link's
fork, are refused or ignored. The fake serving as OpenRouter records every request it
gets: all go to the configured host with the app's own headers; a second fake, the
address the fields name, gets nothing."""

import json
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from playground.fake_openrouter import FakeOpenRouter
from playground.models import ApiKey, Preset, Run
from playground.presets import sharing
from playground.setups.format import PARAMETERS
from tests.conftest import serve
from tests.factories import run_events, session_cookies

pytestmark = pytest.mark.django_db(transaction=True)

SERVER_KEY = "sk-or-v1-server-key-7e41"
ATTACKER_KEY = "sk-or-v1-attacker-0000"
INJECTED_HEADER = "x-injected"
REQUEST_FIELDS = {"model", "input", "stream", "instructions", "temperature"}
REQUEST_FIELDS |= {"max_output_tokens", "reasoning", "usage", "store"}
SETUP_FIELDS = {
    "version", "prompt", "instructions", "parameters", "same_settings", "columns", "tools",
    "tool_choice", "web_search", "structured_output", "images", "budget", "variables",
}  # fmt: skip
COLUMN = {"parameters": {}, "routing": {}, "fallback_models": []}


@pytest.fixture
def trap():
    """The address the hostile fields point at: it must never be called."""
    fake = FakeOpenRouter(time_scale=0)
    with serve(fake.asgi_app) as url:
        yield fake, f"{url}/api/v1"


@pytest.fixture
def configured(upstream, settings):
    settings.OPENROUTER_API_KEY = SERVER_KEY
    return upstream


def hostile_fields(trap_url: str) -> dict[str, str]:
    """Every name a client might hope the server reads as a destination or a header."""
    return {
        "base_url": trap_url,
        "api_base": trap_url,
        "openai_api_base": trap_url,
        "OPENROUTER_BASE_URL": trap_url,
        "url": f"{trap_url}/responses",
        "request_url": f"{trap_url}/responses",
        "endpoint": f"{trap_url}/responses",
        "host": urlsplit(trap_url).netloc,
        "headers": json.dumps({"X-Injected": "1", "Authorization": f"Bearer {ATTACKER_KEY}"}),
        "extra_headers": json.dumps({"X-Injected": "1"}),
        "X-Injected": "1",
        "HTTP-Referer": trap_url,
        "X-OpenRouter-Title": "Injected title",
        "Authorization": f"Bearer {ATTACKER_KEY}",
        "api_key": ATTACKER_KEY,
        "extra_body": json.dumps({"provider": {"order": ["attacker"]}}),
    }


# Request headers sent to the app itself, which must not be passed on.
HOSTILE_REQUEST_HEADERS = {
    "X-Injected": "1",
    "X-Forwarded-Host": "trap.example",
    "X-OpenRouter-Title": "Injected title",
    "Referer": "http://trap.example/",
}


def assert_only_the_configured_api_was_called(upstream, trap, settings, *, key=SERVER_KEY):
    fake, _ = trap
    assert fake.requests == []
    assert upstream.requests, "nothing reached the configured API"
    configured = urlsplit(settings.OPENROUTER_BASE_URL)
    for request in upstream.requests:
        assert request.headers["host"] == configured.netloc
        assert request.path.startswith(configured.path + "/")
        assert INJECTED_HEADER not in request.headers
        assert "x-forwarded-host" not in request.headers
        if request.path.endswith("/responses"):
            assert request.headers["authorization"] == f"Bearer {key}"
            assert request.headers["x-openrouter-title"] == settings.OPENROUTER_APP_TITLE
            assert request.headers["http-referer"] == settings.OPENROUTER_APP_URL
            assert set(request.json) <= REQUEST_FIELDS, set(request.json) - REQUEST_FIELDS


def assert_stored_run_is_clean(run: Run, settings) -> None:
    for column in run.columns.all():
        assert column.request_url == f"{settings.OPENROUTER_BASE_URL}/responses"
        assert set(column.request_body) <= REQUEST_FIELDS
        assert "X-Injected" not in column.request_headers
        assert column.request_headers["X-OpenRouter-Title"] == settings.OPENROUTER_APP_TITLE


def test_a_run_ignores_fields_and_headers_that_name_another_api(
    configured, trap, asgi_server, client, alice, settings
):
    client.force_login(alice)
    data = {"prompt": "Hi there", "models": ["demo/echo"], **hostile_fields(trap[1])}
    response = client.post(
        "/runs/", data, headers={"HX-Request": "true", **HOSTILE_REQUEST_HEADERS}
    )
    assert response.status_code == 200
    run = Run.objects.get()
    assert run.key_source == "server"
    assert_stored_run_is_clean(run, settings)

    events = run_events(asgi_server, session_cookies(client), run)
    assert events[-1][0] == "done"
    assert run.columns.get().status == "done"
    assert_only_the_configured_api_was_called(configured, trap, settings)


def test_run_again_sends_to_the_configured_api_only(
    configured, trap, asgi_server, client, alice, settings
):
    client.force_login(alice)
    client.post("/runs/", {"prompt": "First", "models": ["demo/swift"]})
    first = Run.objects.get()
    run_events(asgi_server, session_cookies(client), first)
    configured.requests.clear()

    response = client.post(
        f"/runs/{first.pk}/rerun/", hostile_fields(trap[1]), headers=HOSTILE_REQUEST_HEADERS
    )
    assert response.status_code == 302
    again = Run.objects.exclude(pk=first.pk).get()
    assert_stored_run_is_clean(again, settings)
    run_events(asgi_server, session_cookies(client), again)
    assert_only_the_configured_api_was_called(configured, trap, settings)


def test_a_saved_preset_keeps_only_the_setup(configured, trap, client, alice):
    client.force_login(alice)
    data = {
        "prompt": "Saved",
        "models": ["demo/swift"],
        "name": "Mine",
        "description": "",
        **hostile_fields(trap[1]),
    }
    response = client.post("/presets/save/", data, headers=HOSTILE_REQUEST_HEADERS)
    assert response.status_code == 302
    setup = Preset.objects.get().latest_version.setup
    assert set(setup) == SETUP_FIELDS
    assert setup["columns"] == [{"model": "demo/swift", **COLUMN}]
    assert trap[0].requests == []


def import_file(content: dict) -> SimpleUploadedFile:
    raw = json.dumps(content).encode()
    return SimpleUploadedFile("presets.json", raw, content_type="application/json")


def preset_file(trap_url: str, **extra) -> dict:
    setup = {
        "prompt": "Imported",
        "instructions": "",
        "parameters": {"temperature": None, "headers": {"X-Injected": "1"}},
        "columns": [{"model": "demo/echo", "base_url": trap_url, "headers": {"X-Injected": "1"}}],
        **hostile_fields(trap_url),
    }
    return {
        "format": "model-playground.presets",
        "version": 1,
        "presets": [{"name": "Imported", "description": "", "setup": setup}],
        **extra,
    }


def test_an_import_file_naming_another_api_is_refused_or_cleaned(configured, trap, client, alice):
    client.force_login(alice)
    trap_url = trap[1]
    # Beside the presets, such a field is an unknown field: the whole file is refused.
    response = client.post(
        "/presets/import/", {"file": import_file(preset_file(trap_url, base_url=trap_url))}
    )
    assert response.status_code == 400
    assert "base_url: unknown field." in response.content.decode()
    assert not Preset.objects.exists()

    # Inside a setup, only the setup's own fields are kept.
    response = client.post("/presets/import/", {"file": import_file(preset_file(trap_url))})
    assert response.status_code == 302
    setup = Preset.objects.get().latest_version.setup
    assert set(setup) == SETUP_FIELDS
    assert set(setup["parameters"]) == set(PARAMETERS)
    assert setup["columns"] == [{"model": "demo/echo", **COLUMN}]
    assert trap[0].requests == []


def test_a_forked_shared_preset_runs_against_the_configured_api(
    configured, trap, asgi_server, client, alice, bob, settings
):
    client.force_login(alice)
    client.post("/presets/import/", {"file": import_file(preset_file(trap[1]))})
    share = sharing.preset_share(preset=Preset.objects.get(owner=alice))

    bob_client = Client()
    bob_client.force_login(bob)
    response = bob_client.post(
        f"/s/{share.token}/fork/", hostile_fields(trap[1]), headers=HOSTILE_REQUEST_HEADERS
    )
    assert response.status_code == 302
    forked = Preset.objects.get(owner=bob)
    assert set(forked.latest_version.setup) == SETUP_FIELDS

    # Bob opens it in the playground and runs it as the form shows it.
    page = bob_client.get(f"/?preset={forked.pk}").content.decode()
    assert 'value="demo/echo"' in page
    bob_client.post(
        "/runs/", {"prompt": "Imported", "models": ["demo/echo"], **hostile_fields(trap[1])}
    )
    run = Run.objects.get(owner=bob)
    assert_stored_run_is_clean(run, settings)
    run_events(asgi_server, session_cookies(bob_client), run)
    assert_only_the_configured_api_was_called(configured, trap, settings)


def test_adding_a_key_checks_it_with_the_configured_api_only(configured, trap, client, alice):
    client.force_login(alice)
    data = {"label": "work", "key": "sk-or-v1-mine-1234abcd", **hostile_fields(trap[1])}
    data["label"] = "work"
    response = client.post("/keys/", data, headers=HOSTILE_REQUEST_HEADERS)
    assert response.status_code == 302
    assert ApiKey.objects.filter(owner=alice).count() == 1
    assert trap[0].requests == []
    checks = [r for r in configured.requests if r.path.endswith("/key")]
    assert checks and all(
        r.headers["authorization"] == "Bearer sk-or-v1-mine-1234abcd" for r in checks
    )
    assert all(INJECTED_HEADER not in r.headers for r in configured.requests)


def test_a_key_with_a_line_break_cannot_smuggle_a_header(configured, trap, client, alice):
    client.force_login(alice)
    for key in ("sk-or-v1-abc\r\nX-Injected: 1", "sk-or-v1-abc\nX-Injected: 1"):
        response = client.post("/keys/", {"label": "work", "key": key})
        assert response.status_code == 400
        assert "A key has no spaces or line breaks" in response.content.decode()
    assert not ApiKey.objects.exists()
    assert configured.requests == [] and trap[0].requests == []
