"""A person's own OpenRouter keys: checked with OpenRouter when added, stored encrypted,
listed by label and last four characters, and never shown again in any form. The fake
serves as the real API here, on a loopback port."""

import json
import logging
from decimal import Decimal

import httpx
import pytest
from django.test import Client

from playground.core.crypto import decrypt_secret, encrypt_secret
from playground.fake_openrouter.server import INVALID_KEY
from playground.keys.api_keys import KEY_SLICE_CHARS
from playground.models import ApiKey
from tests.conftest import serve

KEY = "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"
OTHER_KEY = "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"

pytestmark = pytest.mark.django_db


def key_slices(key: str) -> list[str]:
    return [key[i : i + KEY_SLICE_CHARS] for i in range(len(key) - KEY_SLICE_CHARS + 1)]


def assert_no_key_material(text: str | bytes, key: str = KEY) -> None:
    if isinstance(text, bytes):
        text = text.decode()
    shown = [piece for piece in key_slices(key) if piece.lower() in text.lower()]
    assert not shown, f"the page shows part of the key: {shown}"


def add(client, label="work", key=KEY, **kwargs):
    return client.post("/keys/", {"label": label, "key": key}, **kwargs)


def stored(owner, label: str, key: str, **fields) -> ApiKey:
    """A key as adding it stores it, without asking OpenRouter."""
    return ApiKey.objects.create(
        owner=owner,
        label=label,
        secret=encrypt_secret(key, owner_id=owner.pk),
        last_four=key[-4:],
        **fields,
    )


def test_adding_a_key_checks_it_stores_it_encrypted_and_shows_what_openrouter_says(
    upstream, alice_client, alice
):
    response = add(alice_client, follow=True)

    html = response.content.decode()
    assert "Added “work” …9a2c. It is your default key." in html
    assert "work" in html and "…9a2c" in html
    assert "$25 of $25, resets monthly" in html
    assert "Free tier</dt><dd>no" in html
    assert_no_key_material(html)

    api_key = ApiKey.objects.get(owner=alice)
    assert api_key.label == "work" and api_key.last_four == "9a2c" and api_key.is_default
    assert_no_key_material(api_key.secret)
    assert decrypt_secret(api_key.secret, owner_id=alice.pk) == KEY
    # The fake names the key by a masked copy of it ("sk-or-v1-7f3...a2c"): that is
    # key material, replaced by the hint before it is stored.
    assert api_key.info["label"] == "…9a2c"
    assert api_key.info["limit"] == "25" and api_key.info["limit_remaining"] == "25"
    assert_no_key_material(str(api_key.info))
    [check] = [r for r in upstream.requests if r.path == "/api/v1/key"]
    assert check.headers["authorization"] == f"Bearer {KEY}"


def test_a_key_openrouter_rejects_is_refused_with_the_reason_and_nothing_is_stored(
    upstream, alice_client
):
    response = add(alice_client, key=INVALID_KEY)

    assert response.status_code == 400
    html = response.content.decode()
    assert "OpenRouter rejected the API key (User not found.)." in html
    assert 'value="work"' in html  # the label is kept, the key is not
    # The fake's refused key is made of words ("-invalid" is in "aria-invalid"): the whole
    # key is looked for here, slices of a real key everywhere else.
    assert INVALID_KEY not in html
    assert not ApiKey.objects.exists()


def test_an_unreachable_openrouter_saves_nothing_and_says_why(settings, alice_client):
    settings.OPENROUTER_BASE_URL = "http://127.0.0.1:9/api/v1"  # nothing listens there

    response = add(alice_client)

    assert response.status_code == 502
    html = response.content.decode()
    assert "The key could not be checked, so it was not saved" in html
    assert_no_key_material(html)
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    ("label", "key", "error"),
    [
        ("", KEY, "This field is required."),
        ("work", "", "Paste the key from openrouter.ai/settings/keys."),
        ("work", KEY[:30] + " " + KEY[30:], "A key has no spaces or line breaks"),
        ("work", "x" * 301, "at most 300 characters"),
        ("x" * 101, KEY, "at most 100 characters"),
        (f"mine {KEY[20:40]}", KEY, "The label must not contain the key."),
    ],
)
def test_a_form_error_is_explained_and_the_key_is_not_sent_back(
    upstream, alice_client, label, key, error
):
    response = add(alice_client, label=label, key=key)

    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert_no_key_material(html)
    assert not ApiKey.objects.exists()
    assert not upstream.requests  # nothing was sent to OpenRouter


def test_a_label_is_used_once_per_person(upstream, alice_client, alice, bob):
    stored(alice, "work", OTHER_KEY)
    stored(bob, "personal", OTHER_KEY)

    response = add(alice_client, label="work")
    assert response.status_code == 400
    assert "You already have a key with this label." in response.content.decode()

    assert add(alice_client, label="personal").status_code == 302
    assert ApiKey.objects.filter(owner=alice).count() == 2


def test_the_list_shows_labels_and_last_four_only(upstream, alice_client, alice, bob):
    add(alice_client, label="work")
    add(alice_client, label="side project", key=OTHER_KEY)
    stored(bob, "bobs key", "sk-or-v1-bob-0000000000000000000000000000000000000000zzzz")

    html = alice_client.get("/keys/").content.decode()

    assert html.count('data-testid="key-row"') == 2
    assert "work" in html and "…9a2c" in html
    assert "side project" in html and "…5e6f" in html
    assert "bobs key" not in html and "zzzz" not in html
    assert_no_key_material(html, KEY)
    assert_no_key_material(html, OTHER_KEY)


def test_the_first_key_is_the_default_and_another_can_be_picked(upstream, alice_client, alice):
    add(alice_client, label="work")
    add(alice_client, label="personal", key=OTHER_KEY)
    work, personal = (ApiKey.objects.get(label=name) for name in ("work", "personal"))
    assert work.is_default and not personal.is_default

    response = alice_client.post(f"/keys/{personal.pk}/default/", follow=True)

    assert "“personal” is now your default key." in response.content.decode()
    work.refresh_from_db()
    personal.refresh_from_db()
    assert personal.is_default and not work.is_default


def test_refresh_shows_what_the_key_has_spent_since(upstream, alice_client, alice, settings):
    add(alice_client)
    api_key = ApiKey.objects.get()
    checked = api_key.info_checked_at
    answer = httpx.post(
        f"{settings.OPENROUTER_BASE_URL}/responses",
        json={"model": "demo/swift", "input": "Hello"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    cost = Decimal(str(answer.json()["usage"]["cost"]))
    assert cost > 0

    response = alice_client.post(f"/keys/{api_key.pk}/refresh/", follow=True)

    api_key.refresh_from_db()
    assert Decimal(api_key.info["usage"]) == cost
    assert Decimal(api_key.info["limit_remaining"]) == 25 - cost
    assert api_key.info_checked_at > checked
    html = response.content.decode()
    assert "Updated what OpenRouter says of “work”." in html
    assert f"Used</dt><dd>${api_key.info['usage']}</dd>" in html
    assert_no_key_material(html)


def test_refreshing_a_key_openrouter_now_refuses_says_so_and_keeps_it(
    upstream, alice_client, alice
):
    api_key = stored(alice, "old", INVALID_KEY, info={"label": "old", "limit": None})

    html = alice_client.post(f"/keys/{api_key.pk}/refresh/", follow=True).content.decode()

    assert "“old”: OpenRouter rejected the API key (User not found.)." in html
    assert 'data-testid="key-rejected"' in html
    api_key.refresh_from_db()
    assert api_key.info["rejected"] == "OpenRouter rejected the API key (User not found.)."
    assert api_key.info["label"] == "old"


def test_a_key_that_cannot_be_decrypted_is_listed_as_unavailable(upstream, alice_client, alice):
    broken = stored(alice, "broken", KEY)
    ApiKey.objects.filter(pk=broken.pk).update(secret="gone:AAAA")

    html = alice_client.get("/keys/").content.decode()
    assert 'data-testid="key-unavailable"' in html and "Key unavailable" in html

    html = alice_client.post(f"/keys/{broken.pk}/refresh/", follow=True).content.decode()
    assert "“broken” cannot be decrypted on this server any more" in html
    assert not upstream.requests

    alice_client.post(f"/keys/{broken.pk}/delete/")
    assert not ApiKey.objects.exists()


def test_deleting_asks_first_then_deletes_and_hands_the_default_on(upstream, alice_client, alice):
    add(alice_client, label="work")
    add(alice_client, label="personal", key=OTHER_KEY)
    work = ApiKey.objects.get(label="work")

    confirm = alice_client.get(f"/keys/{work.pk}/delete/").content.decode()
    assert "Delete the key “work” …9a2c?" in confirm
    assert "It is your default key: “personal” …5e6f becomes the default." in confirm
    assert ApiKey.objects.filter(pk=work.pk).exists()
    assert_no_key_material(confirm)

    html = alice_client.post(f"/keys/{work.pk}/delete/", follow=True).content.decode()

    assert "Deleted “work” …9a2c. “personal” is now your default key." in html
    assert list(ApiKey.objects.values_list("label", "is_default")) == [("personal", True)]


def test_deleting_a_key_that_is_not_the_default_leaves_the_default(upstream, alice_client):
    add(alice_client, label="work")
    add(alice_client, label="personal", key=OTHER_KEY)
    personal = ApiKey.objects.get(label="personal")

    alice_client.post(f"/keys/{personal.pk}/delete/")

    assert list(ApiKey.objects.values_list("label", "is_default")) == [("work", True)]


def snapshot():
    return list(ApiKey.objects.order_by("pk").values())


@pytest.mark.parametrize("action", ["default", "refresh", "delete"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_person_gets_404_on_a_key_and_nothing_changes(
    upstream, client, alice, bob, action, method
):
    first = stored(alice, "first", KEY, is_default=True)
    second = stored(alice, "second", OTHER_KEY)
    before = snapshot()
    client.force_login(bob)

    for api_key in (first, second):
        response = getattr(client, method)(f"/keys/{api_key.pk}/{action}/")
        assert response.status_code == 404

    assert snapshot() == before
    assert not upstream.requests


def test_the_actions_only_change_things_on_post(upstream, alice_client, alice):
    api_key = stored(alice, "first", KEY)
    before = snapshot()

    assert alice_client.get(f"/keys/{api_key.pk}/default/").status_code == 405
    assert alice_client.get(f"/keys/{api_key.pk}/refresh/").status_code == 405
    assert alice_client.get(f"/keys/{api_key.pk}/delete/").status_code == 200
    assert alice_client.put(f"/keys/{api_key.pk}/delete/").status_code == 405

    assert snapshot() == before


@pytest.mark.parametrize("action", ["default", "refresh", "delete"])
def test_anonymous_people_are_sent_to_log_in(upstream, client, alice, action):
    api_key = stored(alice, "first", KEY)
    before = snapshot()

    for response in (
        client.get("/keys/"),
        add(client),
        client.post(f"/keys/{api_key.pk}/{action}/"),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    assert snapshot() == before


def test_posts_without_the_csrf_token_are_refused(upstream, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    api_key = stored(alice, "first", KEY)
    before = snapshot()

    assert add(client, label="sneaky", key=OTHER_KEY).status_code == 403
    for action in ("default", "refresh", "delete"):
        assert client.post(f"/keys/{api_key.pk}/{action}/").status_code == 403

    assert snapshot() == before
    assert not upstream.requests


def test_no_log_line_holds_the_key(upstream, alice_client, alice, caplog, settings):
    caplog.set_level(logging.DEBUG)

    add(alice_client)
    add(alice_client, label="bad", key=INVALID_KEY)
    alice_client.post(f"/keys/{ApiKey.objects.get().pk}/refresh/")
    settings.OPENROUTER_BASE_URL = "http://127.0.0.1:9/api/v1"
    add(alice_client, label="other")

    assert_no_key_material(caplog.text)
    assert INVALID_KEY not in caplog.text


def test_a_named_unlimited_key_shows_its_name_and_no_limit(alice_client, alice):
    info = {
        "label": "Team budget",
        "limit": None,
        "limit_remaining": None,
        "limit_reset": None,
        "usage": "3.25",
        "is_free_tier": True,
        "expires_at": "2027-12-31T23:59:59+00:00",
    }
    stored(alice, "team", KEY, info=info)

    html = alice_client.get("/keys/").content.decode()

    for fact in (
        "Name on OpenRouter</dt><dd>Team budget",
        "Credit limit</dt><dd>none",
        "Used</dt><dd>$3.25",
        "Free tier</dt><dd>yes",
        "Expires</dt><dd>2027-12-31 23:59 UTC",
    ):
        assert fact in html


def answering(status: int, body: dict, headers: tuple = ()):
    """An API that answers every request the same way."""

    async def app(scope, receive, send):
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), *headers],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    return app


def test_a_rate_limited_check_is_not_a_refusal_and_saves_nothing(settings, alice_client):
    app = answering(
        429, {"error": {"code": 429, "message": "Slow down"}}, ((b"retry-after", b"7"),)
    )
    with serve(app) as url:
        settings.OPENROUTER_BASE_URL = f"{url}/api/v1"
        response = add(alice_client)

    assert response.status_code == 502
    html = response.content.decode()
    assert "it was not saved: Rate limited by the provider; try again in 7 s." in html
    assert 'data-testid="key-error"' not in html
    assert not ApiKey.objects.exists()


def test_an_upstream_message_that_repeats_the_key_is_not_shown(settings, alice_client):
    masked = f"{KEY[:12]}...{KEY[-3:]}"
    app = answering(401, {"error": {"code": 401, "message": f"Key {masked} is disabled"}})
    with serve(app) as url:
        settings.OPENROUTER_BASE_URL = f"{url}/api/v1"
        response = add(alice_client)

    html = response.content.decode()
    assert "OpenRouter did not accept the key." in html
    assert_no_key_material(html)
    assert not ApiKey.objects.exists()


def test_a_named_key_keeps_its_name_and_a_masked_one_becomes_the_hint(settings, alice_client):
    for upstream_label, stored_label in (
        ("Team budget", "Team budget"),
        (f"{KEY[:12]}...{KEY[-3:]}", "…9a2c"),  # OpenRouter's name for an unnamed key
    ):
        app = answering(200, {"data": {"label": upstream_label, "limit": None, "usage": 0}})
        with serve(app) as url:
            settings.OPENROUTER_BASE_URL = f"{url}/api/v1"
            add(alice_client, label="mine")
        assert ApiKey.objects.get().info["label"] == stored_label
        ApiKey.objects.all().delete()
