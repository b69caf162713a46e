"""Account pages in a real browser: changing a password, signing up by invite."""

import re

import pytest
from playwright.sync_api import expect

from playground.models import Invite

NEW_PASSWORD = "a-long-passphrase-42"


@pytest.fixture
def fresh_page(browser, asgi_server):
    """A browser with no session, as someone arriving from elsewhere."""
    context = browser.new_context(base_url=asgi_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, username, password):
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_test_id("login-submit").click()


def test_a_password_changed_in_the_browser_is_the_one_that_logs_in(page, fresh_page, alice):
    page.goto("/accounts/password/")
    page.locator("input[name=old_password]").fill("alice-password-1")
    page.locator("input[name=new_password1]").fill(NEW_PASSWORD)
    page.locator("input[name=new_password2]").fill(NEW_PASSWORD)
    page.get_by_test_id("password-change-submit").click()
    expect(page.get_by_test_id("password-changed")).to_contain_text("Password changed")

    log_in(fresh_page, "alice", "alice-password-1")
    expect(fresh_page.locator(".errorlist")).to_contain_text("correct username and password")

    log_in(fresh_page, "alice", NEW_PASSWORD)
    expect(fresh_page).to_have_url(re.compile(r"/$"))
    expect(fresh_page.locator(".account")).to_contain_text("alice")


def test_a_wrong_old_password_is_shown_beside_the_field(page, alice):
    page.goto("/accounts/password/")
    page.locator("input[name=old_password]").fill("not-my-password")
    page.locator("input[name=new_password1]").fill(NEW_PASSWORD)
    page.locator("input[name=new_password2]").fill(NEW_PASSWORD)
    page.get_by_test_id("password-change-submit").click()
    expect(page.get_by_test_id("password-change-form")).to_contain_text(
        "Your old password was entered incorrectly"
    )
    alice.refresh_from_db()
    assert alice.check_password("alice-password-1")


def test_an_invite_link_signs_up_once_in_the_browser(fresh_page, alice, settings):
    settings.PLAYGROUND_SIGNUP = "invite"
    invite = Invite.objects.create(note="for carol", created_by=alice)

    fresh_page.goto(invite.get_absolute_url())
    form = fresh_page.get_by_test_id("signup-form")
    form.locator("input[name=username]").fill("carol")
    form.locator("input[name=password1]").fill(NEW_PASSWORD)
    form.locator("input[name=password2]").fill(NEW_PASSWORD)
    fresh_page.get_by_test_id("signup-submit").click()
    expect(fresh_page).to_have_url(re.compile(r"/$"))
    expect(fresh_page.locator(".account")).to_contain_text("carol")

    fresh_page.get_by_role("button", name="Log out").click()
    fresh_page.goto(invite.get_absolute_url())
    expect(fresh_page.get_by_test_id("invite-unusable")).to_contain_text(
        "This invite has expired or was already used"
    )


def test_repeated_wrong_passwords_show_when_to_try_again(fresh_page, alice, settings):
    settings.PLAYGROUND_LOGIN_MAX_FAILURES = 2
    log_in(fresh_page, "alice", "wrong-password")
    log_in(fresh_page, "alice", "wrong-password")
    expect(fresh_page.locator(".errorlist")).to_contain_text(
        "Too many failed login attempts. Try again in 15 minutes."
    )
    log_in(fresh_page, "alice", "alice-password-1")
    expect(fresh_page.locator(".errorlist")).to_contain_text("Too many failed login attempts.")
    expect(fresh_page).to_have_url(re.compile(r"/accounts/login/$"))
