"""The model list: fetched from /models and cached, with a last good copy per API that is
used (and its age shown) when the API cannot be reached, and a refresh action."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from playground.fake_openrouter import CATALOG
from playground.models import CatalogCopy, Run
from playground.openrouter import OpenRouterError
from playground.upstream import connection as upstream_module

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page as a person reads it: Django writes ages with no-break spaces."""
    return response.content.decode().replace("\xa0", " ")


KEY = "sk-or-v1-server-secret-9f3a"
DOWN = "http://127.0.0.1:9/api/v1"  # nothing listens there


@pytest.fixture
def server_key(settings):
    """Runs and the model list go to OPENROUTER_BASE_URL with the server's key."""
    settings.OPENROUTER_API_KEY = KEY
    return settings


@pytest.fixture
def api(upstream, server_key):
    """The fake serving as the real API on a loopback port."""
    return upstream


@pytest.fixture
def api_down(server_key):
    server_key.OPENROUTER_BASE_URL = DOWN
    return server_key


def models_calls(fake) -> int:
    return sum(r.path == "/api/v1/models" for r in fake.requests)


def store_copy(base_url: str, *, hours_ago: float, models: list[dict] = CATALOG) -> CatalogCopy:
    return CatalogCopy.objects.create(
        base_url=base_url,
        body={"data": models, "total_count": len(models)},
        fetched_at=timezone.now() - timedelta(hours=hours_ago),
    )


def test_a_fetched_list_is_stored_as_the_last_good_copy(api, alice_client, settings):
    alice_client.get("/")

    copy = CatalogCopy.objects.get()
    assert copy.base_url == settings.OPENROUTER_BASE_URL
    assert [entry["id"] for entry in copy.body["data"]] == [entry["id"] for entry in CATALOG]
    assert copy.body["data"][0]["pricing"]["prompt"] == CATALOG[0]["pricing"]["prompt"]
    assert timezone.now() - copy.fetched_at < timedelta(minutes=1)
    assert models_calls(api) == 1


def test_the_list_is_cached_for_the_configured_time(api, alice_client, settings):
    alice_client.get("/")
    alice_client.get("/models/")
    assert models_calls(api) == 1

    settings.PLAYGROUND_CATALOG_TTL = 0  # nothing is kept
    cache.clear()
    alice_client.get("/")
    alice_client.get("/")
    assert models_calls(api) == 3
    assert CatalogCopy.objects.count() == 1  # one row per API, replaced each time


def test_with_the_api_down_the_last_good_copy_is_used_and_its_age_shown(api_down, alice_client):
    store_copy(DOWN, hours_ago=3)

    response = alice_client.get("/")

    assert response.status_code == 200
    html = text(response)
    assert "Model list from 3 hours ago: OpenRouter could not be reached (" in html
    assert "127.0.0.1:9 refused the connection" in html
    assert '<option value="demo/markdown">' in html
    assert "The model list could not be loaded" not in html


def test_a_run_can_start_from_the_last_good_copy(api_down, alice_client):
    store_copy(DOWN, hours_ago=3)

    response = alice_client.post(
        "/runs/", {"prompt": "Hi", "models": ["demo/swift"]}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert Run.objects.get().columns.get().model == "demo/swift"
    # A model the copy does not list is still refused.
    response = alice_client.post("/runs/", {"prompt": "Hi", "models": ["x/unknown"]})
    assert response.status_code == 400
    assert "unknown model “x/unknown”" in text(response)


def test_never_fetched_and_the_api_down_is_an_error(api_down, alice_client):
    response = alice_client.get("/")

    assert response.status_code == 200
    html = text(response)
    assert "The model list could not be loaded: The connection to OpenRouter failed" in html
    assert "Model list from" not in html
    assert not CatalogCopy.objects.exists()
    response = alice_client.post("/runs/", {"prompt": "Hi", "models": ["demo/swift"]})
    assert response.status_code == 400
    assert not Run.objects.exists()


def test_a_copy_of_another_api_is_not_used(api_down, alice_client):
    store_copy("https://elsewhere.example/api/v1", hours_ago=1)

    html = text(alice_client.get("/"))

    assert "The model list could not be loaded" in html
    assert '<option value="demo/markdown">' not in html


def test_while_the_api_is_down_it_is_not_asked_again_on_every_page(
    server_key, alice_client, monkeypatch
):
    store_copy(server_key.OPENROUTER_BASE_URL, hours_ago=2)
    calls = []

    async def unreachable(connection):
        calls.append(connection.base_url)
        raise OpenRouterError(kind="network", code="network", message="No route to host.")

    monkeypatch.setattr(upstream_module, "_fetch_models_body", unreachable)

    for _ in range(3):
        html = text(alice_client.get("/"))
        assert "Model list from 2 hours ago: OpenRouter could not be reached (No route" in html

    assert len(calls) == 1


def test_refresh_fetches_again_now_and_says_so(api, alice_client, settings):
    alice_client.get("/")
    assert models_calls(api) == 1
    CatalogCopy.objects.update(
        body={"data": CATALOG[:1]}, fetched_at=timezone.now() - timedelta(hours=3)
    )

    response = alice_client.post("/models/refresh/", {"next": "/"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = text(response)
    assert f"Model list refreshed: {len(CATALOG)} models." in html
    assert 'id="catalog-status"' in html
    assert '<datalist id="model-catalog" hx-swap-oob="true">' in html
    assert '<option value="demo/markdown">' in html
    assert models_calls(api) == 2
    copy = CatalogCopy.objects.get()
    assert timezone.now() - copy.fetched_at < timedelta(minutes=1)
    assert len(copy.body["data"]) == len(CATALOG)
    # The refreshed list is the cached one now.
    alice_client.get("/")
    assert models_calls(api) == 2


def test_a_failed_refresh_keeps_the_copy_and_says_why(api_down, alice_client):
    copy = store_copy(DOWN, hours_ago=3)

    response = alice_client.post("/models/refresh/", {"next": "/"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = text(response)
    assert (
        "The model list could not be refreshed: The connection to OpenRouter failed: "
        "127.0.0.1:9 refused the connection. The list from 3 hours ago stays in use."
    ) in html
    assert "Model list from 3 hours ago: OpenRouter could not be reached" in html
    assert '<option value="demo/markdown">' in html
    kept = CatalogCopy.objects.get()
    assert (kept.body, kept.fetched_at) == (copy.body, copy.fetched_at)
    assert "Model list from 3 hours ago" in text(alice_client.get("/"))


def test_a_failed_refresh_without_any_copy_says_the_list_could_not_be_loaded(
    api_down, alice_client
):
    response = alice_client.post("/models/refresh/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "The model list could not be loaded: The connection" in text(response)
    assert not CatalogCopy.objects.exists()


def test_refresh_without_javascript_goes_back_with_a_message(api, alice_client):
    response = alice_client.post("/models/refresh/", {"next": "/runs/"}, follow=True)

    assert response.redirect_chain[-1] == ("/runs/", 302)
    assert f"Model list refreshed: {len(CATALOG)} models." in text(response)


def test_a_failed_refresh_without_javascript_shows_the_error(api_down, alice_client):
    store_copy(DOWN, hours_ago=5)

    response = alice_client.post("/models/refresh/", {"next": "/"}, follow=True)

    html = text(response)
    assert "The model list could not be refreshed" in html
    assert "The list from 5 hours ago stays in use." in html


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", ""])
def test_refresh_never_sends_anyone_to_another_site(api, alice_client, next_url):
    response = alice_client.post("/models/refresh/", {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_refresh_needs_a_post_with_the_csrf_token(api, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert client.get("/models/refresh/").status_code == 405
    assert client.post("/models/refresh/").status_code == 403
    assert models_calls(api) == 0


def test_anonymous_people_are_sent_to_log_in(api, client):
    response = client.post("/models/refresh/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert models_calls(api) == 0


def test_an_empty_model_list_does_not_replace_the_last_good_copy(
    server_key, alice_client, monkeypatch
):
    copy = store_copy(server_key.OPENROUTER_BASE_URL, hours_ago=4)

    async def empty(connection):
        return {"data": [], "total_count": 0}

    monkeypatch.setattr(upstream_module, "_fetch_models_body", empty)

    html = text(alice_client.get("/"))

    assert "Model list from 4 hours ago: OpenRouter could not be reached (OpenRouter sent a" in (
        html
    )
    assert '<option value="demo/markdown">' in html
    assert CatalogCopy.objects.get().body == copy.body


def test_with_a_key_a_blank_compare_page_opens_with_gpt_oss_and_another_model(api, alice_client):
    html = alice_client.get("/").content.decode()
    models = re.findall(r'name="models" value="([^"]*)"', html)
    assert models[0] == "openai/gpt-oss-20b"
    assert models[1] and models[1] != "openai/gpt-oss-20b"


def test_the_default_models_can_be_set(api, alice_client, settings):
    settings.PLAYGROUND_DEFAULT_MODELS = ["demo/echo", "demo/markdown", "demo/slow"]
    html = alice_client.get("/").content.decode()
    models = re.findall(r'name="models" value="([^"]*)"', html)
    assert models[:3] == ["demo/echo", "demo/markdown", "demo/slow"]


def test_the_demo_keeps_its_demo_models(alice_client, fake):
    models = re.findall(r'name="models" value="([^"]*)"', alice_client.get("/").content.decode())
    assert models[:2] == ["demo/swift", "demo/reasoner"]
