"""Accounts: the first account, sign-up in each mode, password change, logout, CSRF."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user, get_user_model
from django.test import Client
from django.utils import timezone

from playground.accounts.forms import SignupForm
from playground.models import Invite

User = get_user_model()
NEW_PASSWORD = "a-long-passphrase-42"
SIGNUP = {"username": "carol", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}


def _logged_in_as(client) -> str | None:
    user = get_user(client)
    return user.get_username() if user.is_authenticated else None


def test_the_login_page_offers_the_first_account_while_nobody_exists(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'data-testid="first-account"' in response.content
    assert b'name="username"' in response.content and b'name="password"' in response.content


def test_the_first_account_becomes_the_administrator(client, db):
    response = client.post(
        "/accounts/setup/",
        {
            "username": "ada",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.username == "ada" and user.is_superuser and user.is_staff
    assert client.get("/").status_code == 200


def test_once_an_account_exists_the_setup_page_is_gone(client, alice):
    assert client.get("/accounts/setup/").status_code == 404
    response = client.post(
        "/accounts/setup/",
        {
            "username": "eve",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 404
    assert not User.objects.filter(username="eve").exists()
    assert b"first-account" not in client.get("/accounts/login/").content


def test_a_bad_first_account_form_saves_nothing(client, db):
    response = client.post(
        "/accounts/setup/", {"username": "ada", "password1": "x", "password2": "y"}
    )
    assert response.status_code == 200
    assert not User.objects.exists()


def test_pages_need_a_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_with_the_standard_fields(client, alice):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "alice-password-1"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_createsuperuser_works_without_input(db, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-passphrase-42")
    call_command("createsuperuser", "--noinput", username="root", email="root@example.com")
    assert User.objects.get(username="root").is_superuser


def test_production_settings_pass_the_deploy_check_but_for_the_https_items(settings, db):
    from django.core.checks import run_checks

    settings.DEBUG = False
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    # Each depends on the HTTPS proxy in front and is documented in the README.
    assert ids <= {"security.W004", "security.W008", "security.W012", "security.W016"}


# Sign-up: closed.


def test_closed_sign_up_has_no_page_and_creates_nobody(client, alice, settings):
    settings.PLAYGROUND_SIGNUP = "closed"
    assert client.get("/accounts/signup/").status_code == 404
    assert client.post("/accounts/signup/", SIGNUP).status_code == 404
    assert not User.objects.filter(username="carol").exists()
    assert b'data-testid="signup-link"' not in client.get("/accounts/login/").content


def test_closed_sign_up_refuses_invite_links(client, alice, settings):
    settings.PLAYGROUND_SIGNUP = "closed"
    invite = Invite.objects.create(created_by=alice)
    assert client.post(invite.get_absolute_url(), SIGNUP).status_code == 404
    invite.refresh_from_db()
    assert invite.used_at is None
    assert not User.objects.filter(username="carol").exists()


# Sign-up: open.


def test_open_sign_up_is_linked_from_the_login_page(client, db, settings):
    settings.PLAYGROUND_SIGNUP = "open"
    response = client.get("/accounts/login/")
    assert b'data-testid="signup-link"' in response.content
    assert b'href="/accounts/signup/"' in response.content


def test_open_sign_up_creates_a_normal_user_and_logs_them_in(client, alice, settings):
    settings.PLAYGROUND_SIGNUP = "open"
    assert client.get("/accounts/signup/").status_code == 200
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302 and response["Location"] == "/"
    carol = User.objects.get(username="carol")
    assert not carol.is_staff and not carol.is_superuser
    assert carol.check_password(NEW_PASSWORD)
    assert _logged_in_as(client) == "carol"


def test_sign_up_refuses_a_taken_username_in_any_case(client, alice, settings):
    settings.PLAYGROUND_SIGNUP = "open"
    response = client.post("/accounts/signup/", {**SIGNUP, "username": "Alice"})
    assert response.status_code == 200
    assert b"A user with that username already exists." in response.content
    assert User.objects.count() == 1


def test_sign_up_with_mismatched_passwords_saves_nothing(client, db, settings):
    settings.PLAYGROUND_SIGNUP = "open"
    response = client.post("/accounts/signup/", {**SIGNUP, "password2": "something-else-42"})
    assert response.status_code == 200
    assert b"The two password fields" in response.content
    assert not User.objects.exists()
    assert _logged_in_as(client) is None


def test_open_sign_up_answers_404_to_invite_links(client, alice, settings):
    settings.PLAYGROUND_SIGNUP = "open"
    invite = Invite.objects.create(created_by=alice)
    assert client.get(invite.get_absolute_url()).status_code == 404
    assert client.post(invite.get_absolute_url(), SIGNUP).status_code == 404
    invite.refresh_from_db()
    assert invite.used_at is None


def test_someone_logged_in_is_asked_to_log_out_before_signing_up(alice_client, settings):
    settings.PLAYGROUND_SIGNUP = "open"
    response = alice_client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 200
    assert b'data-testid="signup-logged-in"' in response.content
    assert b"You are logged in as alice" in response.content
    assert not User.objects.filter(username="carol").exists()
    assert _logged_in_as(alice_client) == "alice"


# Sign-up: by invite.


@pytest.fixture
def invite(alice, settings):
    settings.PLAYGROUND_SIGNUP = "invite"
    return Invite.objects.create(note="for carol", created_by=alice)


def test_invite_mode_has_no_open_sign_up(client, invite):
    assert client.get("/accounts/signup/").status_code == 404
    assert client.post("/accounts/signup/", SIGNUP).status_code == 404
    assert b'data-testid="signup-link"' not in client.get("/accounts/login/").content


def test_an_invite_link_creates_one_account_and_is_marked_used(client, invite):
    assert client.get(invite.get_absolute_url()).status_code == 200
    response = client.post(invite.get_absolute_url(), SIGNUP)
    assert response.status_code == 302 and response["Location"] == "/"
    carol = User.objects.get(username="carol")
    assert not carol.is_staff
    invite.refresh_from_db()
    assert invite.used_by == carol and invite.used_at is not None
    assert _logged_in_as(client) == "carol"


def test_an_invite_link_works_only_once(client, invite):
    client.post(invite.get_absolute_url(), SIGNUP)
    other = Client()
    response = other.post(invite.get_absolute_url(), {**SIGNUP, "username": "dave"})
    assert response.status_code == 410
    assert b"This invite has expired or was already used" in response.content
    assert not User.objects.filter(username="dave").exists()
    assert other.get(invite.get_absolute_url()).status_code == 410


def test_an_expired_invite_is_refused_with_a_clear_page(client, invite):
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(invite.get_absolute_url())
    assert response.status_code == 410
    assert b'data-testid="invite-unusable"' in response.content
    assert b"Ask the administrator for a new link" in response.content
    assert client.post(invite.get_absolute_url(), SIGNUP).status_code == 410
    assert not User.objects.filter(username="carol").exists()


def test_an_unknown_invite_token_answers_404(client, invite):
    assert client.get("/accounts/signup/not-a-real-token/").status_code == 404
    assert client.post("/accounts/signup/not-a-real-token/", SIGNUP).status_code == 404
    assert not User.objects.filter(username="carol").exists()


def test_an_invite_used_by_someone_else_meanwhile_creates_no_account(
    client, invite, monkeypatch, django_user_model
):
    # Two people send the same link at once: the other one's claim lands between this
    # request's check and its own claim.
    dave = django_user_model.objects.create_user("dave", password=NEW_PASSWORD)
    is_valid = SignupForm.is_valid

    def is_valid_after_the_other_claim(form):
        Invite.objects.filter(pk=invite.pk).update(used_at=timezone.now(), used_by=dave)
        return is_valid(form)

    monkeypatch.setattr(SignupForm, "is_valid", is_valid_after_the_other_claim)
    response = client.post(invite.get_absolute_url(), SIGNUP)
    assert response.status_code == 410
    assert not User.objects.filter(username="carol").exists()
    invite.refresh_from_db()
    assert invite.used_by == dave
    assert _logged_in_as(client) is None


def test_a_bad_invite_form_leaves_the_invite_unused(client, invite):
    response = client.post(invite.get_absolute_url(), {**SIGNUP, "password2": "nope"})
    assert response.status_code == 200
    invite.refresh_from_db()
    assert invite.used_at is None
    assert client.post(invite.get_absolute_url(), SIGNUP).status_code == 302


def test_someone_logged_in_does_not_use_up_an_invite(alice_client, invite):
    response = alice_client.post(invite.get_absolute_url(), SIGNUP)
    assert b"this invite stays unused" in response.content
    invite.refresh_from_db()
    assert invite.used_at is None
    assert not User.objects.filter(username="carol").exists()


# Password change and logout.

PASSWORD = "/accounts/password/"


def test_changing_the_password_needs_a_login(client, db):
    response = client.get(PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/accounts/password/done/").status_code == 302


def test_a_wrong_old_password_is_a_field_error_and_changes_nothing(alice_client, alice):
    response = alice_client.post(
        PASSWORD,
        {
            "old_password": "not-it",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"] == [
        "Your old password was entered incorrectly. Please enter it again."
    ]
    alice.refresh_from_db()
    assert alice.check_password("alice-password-1")


def test_a_changed_password_is_the_one_that_logs_in(alice_client, alice, client):
    response = alice_client.post(
        PASSWORD,
        {
            "old_password": "alice-password-1",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password/done/"
    done = alice_client.get(response["Location"])
    assert b'data-testid="password-changed"' in done.content
    # The session that changed it stays logged in.
    assert _logged_in_as(alice_client) == "alice"

    fresh = Client()
    old = fresh.post("/accounts/login/", {"username": "alice", "password": "alice-password-1"})
    assert old.status_code == 200
    new = fresh.post("/accounts/login/", {"username": "alice", "password": NEW_PASSWORD})
    assert new.status_code == 302
    assert _logged_in_as(fresh) == "alice"


def test_changing_the_password_logs_out_other_sessions(alice, client):
    elsewhere = Client()
    elsewhere.force_login(alice)
    client.force_login(alice)
    client.post(
        PASSWORD,
        {
            "old_password": "alice-password-1",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert _logged_in_as(elsewhere) is None
    assert elsewhere.get("/").status_code == 302


def test_logout_is_a_post_that_ends_the_session(alice_client):
    assert alice_client.get("/accounts/logout/").status_code == 405
    assert _logged_in_as(alice_client) == "alice"
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert _logged_in_as(alice_client) is None
    assert alice_client.get("/").status_code == 302


# CSRF: a form posted from another site is refused and changes nothing.


def test_sign_up_without_a_csrf_token_is_refused(db, settings):
    settings.PLAYGROUND_SIGNUP = "open"
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/signup/", SIGNUP).status_code == 403
    assert not User.objects.exists()


def test_an_invite_without_a_csrf_token_is_refused_and_stays_unused(invite):
    client = Client(enforce_csrf_checks=True)
    assert client.post(invite.get_absolute_url(), SIGNUP).status_code == 403
    invite.refresh_from_db()
    assert invite.used_at is None


def test_login_without_a_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "alice-password-1"}
    )
    assert response.status_code == 403
    assert _logged_in_as(client) is None


def test_a_password_change_without_a_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(
        PASSWORD,
        {
            "old_password": "alice-password-1",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.check_password("alice-password-1")


def test_the_same_forms_work_with_the_token_from_the_page(alice):
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "alice-password-1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert _logged_in_as(client) == "alice"
