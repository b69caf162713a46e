"""With OPENROUTER_API_KEY set, runs go to OPENROUTER_BASE_URL over real HTTP with that
key, and the key never reaches a page. The fake serves as the real API here, on a
loopback port."""

import pytest

from playground.models import Run
from tests.factories import run_events, session_cookies

KEY = "sk-or-v1-server-secret-9f3a"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def upstream(upstream, settings):
    settings.OPENROUTER_API_KEY = KEY
    settings.OPENROUTER_APP_TITLE = "Playground Tests"
    return upstream


def test_a_run_uses_the_server_key_and_never_shows_it(upstream, asgi_server, client, alice):
    client.force_login(alice)
    page = client.get("/")
    assert b"demo-banner" not in page.content
    response = client.post(
        "/runs/", {"prompt": "Hi there", "models": ["demo/swift"]}, headers={"HX-Request": "true"}
    )
    run = Run.objects.get()
    assert run.key_source == "server" and run.key_hint == "…9f3a"
    assert "Server key …9f3a" in response.content.decode()

    events = run_events(asgi_server, session_cookies(client), run)
    assert events[-1][0] == "done"
    assert run.columns.get().status == "done"

    sent = next(r for r in upstream.requests if r.path == "/api/v1/responses")
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["x-openrouter-title"] == "Playground Tests"
    assert sent.headers["http-referer"]
    assert sent.json["model"] == "demo/swift" and sent.json["stream"] is True

    shown = [page.content, response.content, client.get(f"/runs/{run.pk}/").content]
    shown += [data.encode() for _, data in events]
    assert not any(KEY.encode() in content for content in shown)
    stored = run.columns.get().request_headers
    assert KEY not in str(stored)
    # The inspector's copy says what was really sent, the key aside.
    assert stored["X-OpenRouter-Title"] == sent.headers["x-openrouter-title"]
    assert stored["HTTP-Referer"] == sent.headers["http-referer"]
    assert stored["Authorization"] == "Bearer sk-or-…9f3a"


def test_the_catalog_comes_from_the_configured_api(upstream, alice_client):
    html = alice_client.get("/").content.decode()
    assert '<option value="demo/markdown">' in html
    assert any(r.path == "/api/v1/models" for r in upstream.requests)
    alice_client.get("/")
    assert sum(r.path == "/api/v1/models" for r in upstream.requests) == 1  # cached


def test_an_unreachable_api_is_explained_on_the_page(settings, alice_client):
    settings.OPENROUTER_API_KEY = KEY
    settings.OPENROUTER_BASE_URL = "http://127.0.0.1:9/api/v1"  # nothing listens there
    response = alice_client.get("/")
    assert response.status_code == 200
    assert "The model list could not be loaded" in response.content.decode()
    response = alice_client.post("/runs/", {"prompt": "Hi", "models": ["x/y"]})
    assert response.status_code == 400
    assert not Run.objects.exists()
