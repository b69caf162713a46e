"""Login rate limiting: repeated failures lock a username or an address for a while,
never for good. Time is the throttle's clock, moved by the test."""

import pytest

from playground.accounts import throttle

LOGIN = "/accounts/login/"
LOCKED = b"Too many failed login attempts."


class Clock:
    def __init__(self):
        # The start of a lock period, so a test's failures fall in one counting window.
        self.now = 900.0 * 2_000_000

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch, settings):
    settings.PLAYGROUND_LOGIN_MAX_FAILURES = 5
    settings.PLAYGROUND_LOGIN_MAX_FAILURES_PER_IP = 20
    settings.PLAYGROUND_LOGIN_LOCK_SECONDS = 900
    clock = Clock()
    monkeypatch.setattr(throttle, "_now", lambda: clock.now)
    return clock


def _login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def _fail(client, username="alice", times=1, **extra):
    for _ in range(times):
        response = _login(client, username, "wrong-password", **extra)
    return response


def _logged_in_as(client) -> str | None:
    from django.contrib.auth import get_user

    user = get_user(client)
    return user.get_username() if user.is_authenticated else None


def test_a_wrong_password_says_so_without_locking(client, alice, clock):
    response = _fail(client, times=4)
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert LOCKED not in response.content


def test_the_fifth_failure_locks_the_account_and_says_when_to_try_again(client, alice, clock):
    response = _fail(client, times=5)
    assert response.status_code == 429
    assert b"Too many failed login attempts. Try again in 15 minutes." in response.content
    assert response["Retry-After"] == "900"


def test_while_locked_the_right_password_is_refused_too(client, alice, clock):
    _fail(client, times=5)
    clock.advance(60)
    response = _login(client, "alice", "alice-password-1")
    assert response.status_code == 429
    assert b"Try again in 14 minutes." in response.content
    assert _logged_in_as(client) is None


def test_the_last_minute_of_a_lock_says_one_minute(client, alice, clock):
    _fail(client, times=5)
    clock.advance(900 - 30)
    response = _login(client, "alice", "alice-password-1")
    assert response.status_code == 429
    assert b"Try again in 1 minute." in response.content


def test_the_lock_ends_by_itself(client, alice, clock):
    _fail(client, times=5)
    clock.advance(901)
    response = _login(client, "alice", "alice-password-1")
    assert response.status_code == 302
    assert _logged_in_as(client) == "alice"


def test_after_a_lock_the_full_number_of_attempts_is_available_again(client, alice, clock):
    _fail(client, times=5)
    clock.advance(901)
    assert _fail(client, times=4).status_code == 200
    assert _fail(client).status_code == 429


def test_a_successful_login_clears_the_usernames_failures(client, alice, clock):
    _fail(client, times=4)
    assert _login(client, "alice", "alice-password-1").status_code == 302
    client.logout()
    response = _fail(client, times=4)
    assert response.status_code == 200
    assert _login(client, "alice", "alice-password-1").status_code == 302


def test_usernames_are_counted_regardless_of_case(client, alice, clock):
    _fail(client, "Alice", times=2)
    _fail(client, "ALICE", times=2)
    assert _fail(client, " alice").status_code == 429
    assert _login(client, "alice", "alice-password-1").status_code == 429


def test_a_locked_account_does_not_block_other_people(client, alice, bob, clock):
    _fail(client, times=5)
    assert _login(client, "bob", "bob-password-1").status_code == 302
    assert _logged_in_as(client) == "bob"


def test_the_lock_holds_from_every_address(client, alice, clock):
    _fail(client, times=5, REMOTE_ADDR="10.0.0.1")
    response = _login(client, "alice", "alice-password-1", REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 429


def test_unknown_usernames_are_counted_too(client, db, clock):
    assert _fail(client, "nobody", times=5).status_code == 429


def test_twenty_failures_from_one_address_lock_that_address(client, bob, clock):
    for number in range(19):
        assert _fail(client, f"guess{number}", REMOTE_ADDR="10.0.0.9").status_code == 200
    assert _fail(client, "guess19", REMOTE_ADDR="10.0.0.9").status_code == 429
    response = _login(client, "bob", "bob-password-1", REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert LOCKED in response.content
    # Elsewhere, bob is not held up by what another address did.
    assert _login(client, "bob", "bob-password-1", REMOTE_ADDR="10.0.0.10").status_code == 302


def test_a_forwarded_for_header_does_not_escape_the_address_limit(client, db, clock):
    for number in range(20):
        response = _fail(
            client, f"guess{number}", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=f"1.2.3.{number}"
        )
    assert response.status_code == 429


def test_a_success_does_not_clear_the_address_failures(client, alice, bob, clock):
    for number in range(19):
        _fail(client, f"guess{number}")
    assert _login(client, "bob", "bob-password-1").status_code == 302
    client.logout()
    assert _fail(client, "guess19").status_code == 429


def test_failures_in_separate_lock_periods_do_not_add_up(client, alice, clock):
    _fail(client, times=4)
    clock.advance(900)
    assert _fail(client, times=4).status_code == 200
    assert _login(client, "alice", "alice-password-1").status_code == 302


def test_a_form_without_a_password_is_not_counted(client, alice, clock):
    for _ in range(6):
        response = client.post(LOGIN, {"username": "alice", "password": ""})
    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert _login(client, "alice", "alice-password-1").status_code == 302


def test_the_admin_login_page_is_limited_too(client, django_user_model, clock):
    django_user_model.objects.create_superuser("root", password="root-password-1")
    for _ in range(5):
        client.post("/admin/login/", {"username": "root", "password": "wrong-password"})
    response = client.post("/admin/login/", {"username": "root", "password": "root-password-1"})
    assert LOCKED in response.content
    assert _logged_in_as(client) is None
    # Both login pages share one count.
    assert _login(client, "root", "root-password-1").status_code == 429
