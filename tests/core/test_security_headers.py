"""A strict Content-Security-Policy on every page: signed in, anonymous, shared links,
the admin's login and the error pages. Model output and shared content are untrusted, so
no page may allow inline or eval'd scripts, plugins, a foreign <base> or being framed."""

import pytest
from django.test import Client

from tests.factories import a_finished_run, a_preset

pytestmark = pytest.mark.django_db


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.status_code} {response.request['PATH_INFO']} has no CSP header"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(response) -> None:
    policy = policy_of(response)
    where = f"{response.status_code} {response.request['PATH_INFO']}"
    scripts = policy.get("script-src", policy.get("default-src"))
    assert "'unsafe-eval'" not in scripts, where
    assert "'unsafe-inline'" not in scripts, where
    assert policy["default-src"] == ["'self'"], where
    assert policy["object-src"] == ["'none'"], where
    assert policy["base-uri"] == ["'none'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    # No remote images: model output that names an image URL fetches nothing.
    assert all(source in ("'self'", "data:") for source in policy["img-src"]), where
    assert "'unsafe-inline'" not in policy.get("style-src", []), where


@pytest.fixture
def owned(alice):
    run = a_finished_run(alice)
    preset = a_preset(alice)
    return run, preset


def test_every_signed_in_page_sends_the_strict_policy(alice_client, owned, fake):
    run, preset = owned
    paths = [
        "/",
        "/?models=demo/echo",
        f"/?preset={preset.pk}",
        "/runs/",
        f"/runs/{run.pk}/",
        f"/runs/{run.pk}/inspect/",
        f"/runs/{run.pk}/download/",
        f"/runs/{run.pk}/columns/0/",
        f"/runs/{run.pk}/columns/0/events/",
        f"/runs/{run.pk}/delete/",
        "/presets/",
        f"/presets/{preset.pk}/",
        f"/presets/{preset.pk}/versions/",
        f"/presets/{preset.pk}/diff/?a=1&b=1",
        "/presets/export/",
        "/usage/",
        "/usage/export.csv",
        "/keys/",
        "/shares/",
        "/accounts/password/",
        "/accounts/password/done/",
    ]
    for path in paths:
        response = alice_client.get(path)
        assert response.status_code == 200, path
        assert_strict(response)


def test_the_stream_and_htmx_fragments_send_it_too(alice_client, alice, fake):
    # A finished run's stream replays what is stored.
    run = a_finished_run(alice)
    response = alice_client.get(f"/runs/{run.pk}/stream/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert_strict(response)
    response = alice_client.post(
        "/runs/", {"prompt": "", "models": ["demo/echo"]}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert_strict(response)


def test_anonymous_pages_send_the_strict_policy(client):
    for path in ("/accounts/login/", "/accounts/setup/", "/admin/login/"):
        response = client.get(path)
        assert response.status_code in (200, 302), path
        assert_strict(response)
    response = client.get("/")
    assert response.status_code == 302
    assert_strict(response)


def test_a_shared_link_sends_the_strict_policy(alice_client, owned):
    run, preset = owned
    alice_client.post(f"/runs/{run.pk}/share/")
    alice_client.post(f"/presets/{preset.pk}/share/")
    from playground.models import Share

    assert Share.objects.count() == 2
    for share in Share.objects.all():
        response = Client().get(f"/s/{share.token}/")
        assert response.status_code == 200
        assert_strict(response)


def test_error_pages_send_the_strict_policy(alice_client, client):
    not_found = client.get("/no/such/page/")
    assert not_found.status_code == 404
    assert_strict(not_found)
    assert_strict(alice_client.get("/runs/999999/"))
    wrong_method = alice_client.delete("/runs/")
    assert wrong_method.status_code == 405
    assert_strict(wrong_method)
    # A Host the app does not serve is refused before any view runs.
    bad_host = client.get("/accounts/login/", headers={"host": "evil.example"})
    assert bad_host.status_code == 400
    assert_strict(bad_host)
