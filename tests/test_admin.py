"""Django admin: resetting a person's password, invite links, and what it shows of keys,
presets and shares."""

import pytest
from django.contrib.auth import get_user
from django.test import Client

from playground.models import ApiKey, Invite, Share
from playground.presets.versions import preset_create

# What the database holds for a key: ciphertext that must never reach a page.
STORED_SECRET = "gAAAAABstored-ciphertext-of-the-key-0123456789"
SETUP = {"prompt": "Say hi", "models": ["demo/swift"], "parameters": {}}


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="root-password-1")
    client.force_login(root)
    client.user = root
    return client


def test_the_admin_can_reset_a_persons_password(admin_client, alice):
    url = f"/admin/auth/user/{alice.pk}/password/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "usable_password": "true",
            "password1": "reset-by-admin-77",
            "password2": "reset-by-admin-77",
        },
    )
    assert response.status_code == 302

    fresh = Client()
    old = fresh.post("/accounts/login/", {"username": "alice", "password": "alice-password-1"})
    assert old.status_code == 200
    new = fresh.post("/accounts/login/", {"username": "alice", "password": "reset-by-admin-77"})
    assert new.status_code == 302
    assert get_user(fresh).get_username() == "alice"


def test_a_person_who_is_not_staff_cannot_open_the_admin(alice_client):
    response = alice_client.get("/admin/playground/invite/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_invite_made_in_the_admin_records_who_made_it(admin_client):
    response = admin_client.post(
        "/admin/playground/invite/add/",
        {"note": "for carol", "expires_at_0": "2099-01-01", "expires_at_1": "12:00:00"},
    )
    assert response.status_code == 302
    invite = Invite.objects.get()
    assert invite.note == "for carol"
    assert invite.created_by == admin_client.user
    assert invite.used_at is None


def test_the_invite_list_and_page_show_the_full_sign_up_link(admin_client, settings):
    settings.PLAYGROUND_SIGNUP = "invite"
    invite = Invite.objects.create(note="for carol", created_by=admin_client.user)
    link = f"http://testserver/accounts/signup/{invite.token}/"

    listing = admin_client.get("/admin/playground/invite/")
    assert listing.status_code == 200
    assert link in listing.content.decode()
    assert "for carol" in listing.content.decode()

    page = admin_client.get(f"/admin/playground/invite/{invite.pk}/change/")
    assert page.status_code == 200
    assert link in page.content.decode()
    # Shown to copy, not a field to edit.
    assert f'value="{link}"' not in page.content.decode()


def test_the_invite_list_warns_when_invites_are_switched_off(admin_client, settings):
    settings.PLAYGROUND_SIGNUP = "closed"
    response = admin_client.get("/admin/playground/invite/")
    assert "until PLAYGROUND_SIGNUP is set to “invite”" in response.content.decode()


@pytest.fixture
def api_key(alice):
    return ApiKey.objects.create(
        owner=alice, label="Work", secret=STORED_SECRET, last_four="wxyz", is_default=True
    )


def test_the_key_admin_never_shows_the_stored_secret(admin_client, api_key):
    pages = [
        "/admin/playground/apikey/",
        f"/admin/playground/apikey/{api_key.pk}/change/",
        f"/admin/playground/apikey/{api_key.pk}/delete/",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert STORED_SECRET not in response.content.decode(), url
    listing = admin_client.get("/admin/playground/apikey/").content.decode()
    assert "Work" in listing and "wxyz" in listing


def test_keys_cannot_be_added_or_edited_in_the_admin(admin_client, api_key):
    assert admin_client.get("/admin/playground/apikey/add/").status_code == 403
    admin_client.post(
        f"/admin/playground/apikey/{api_key.pk}/change/",
        {"label": "Changed", "secret": "sk-or-v1-planted", "last_four": "0000"},
    )
    api_key.refresh_from_db()
    assert api_key.label == "Work"
    assert api_key.secret == STORED_SECRET


def test_the_admin_can_delete_a_key(admin_client, api_key):
    response = admin_client.post(f"/admin/playground/apikey/{api_key.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ApiKey.objects.exists()


def test_a_preset_shows_its_versions_read_only(admin_client, alice):
    preset = preset_create(owner=alice, name="Greeting", setup=SETUP, note="first words")
    listing = admin_client.get("/admin/playground/preset/").content.decode()
    assert "Greeting" in listing
    page = admin_client.get(f"/admin/playground/preset/{preset.pk}/change/").content.decode()
    assert "first words" in page
    assert 'name="versions-0-note"' not in page


def test_a_share_can_be_seen_and_revoked_but_not_made_in_the_admin(admin_client, alice):
    preset = preset_create(owner=alice, name="Greeting", setup=SETUP)
    share = Share.objects.create(owner=alice, kind=Share.Kind.PRESET, preset=preset)
    listing = admin_client.get("/admin/playground/share/")
    assert listing.status_code == 200 and "alice" in listing.content.decode()
    page = admin_client.get(f"/admin/playground/share/{share.pk}/change/")
    assert share.token in page.content.decode()
    assert admin_client.get("/admin/playground/share/add/").status_code == 403

    response = admin_client.post(
        f"/admin/playground/share/{share.pk}/change/",
        {"revoked_at_0": "2030-01-01", "revoked_at_1": "12:00:00"},
    )
    assert response.status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None
