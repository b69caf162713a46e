"""A preset's life in a real browser: saved from the compare page, edited into a second
version, the first restored, shared, opened without an account, copied by another
person, revoked. And a finished run shared as a snapshot."""

import re

from playwright.sync_api import expect

from playground.models import Preset
from tests.factories import browser_cookies


def session_context(browser, asgi_server, client, user):
    """A fresh browser context logged in as `user` (None: nobody logged in)."""
    context = browser.new_context(base_url=asgi_server.url)
    if user is not None:
        client.force_login(user)
        context.add_cookies(browser_cookies(client, asgi_server.url))
    return context


def test_a_preset_is_saved_versioned_restored_shared_copied_and_revoked(
    page, browser, asgi_server, alice, bob, fake
):
    from django.test import Client

    page.goto("/?models=demo/swift,demo/echo")
    page.get_by_test_id("prompt").fill("First wording")
    page.get_by_test_id("preset-save").locator("summary").click()
    page.get_by_test_id("preset-name").fill("Flow preset")
    page.get_by_test_id("save-preset").click()
    expect(page.get_by_test_id("messages")).to_contain_text("Saved the preset “Flow preset”")
    preset = Preset.objects.get(owner=alice)
    expect(page).to_have_url(re.compile(rf"/\?preset={preset.pk}$"))

    page.get_by_test_id("prompt").fill("Second wording")
    page.get_by_test_id("save-version").click()
    expect(page.get_by_test_id("messages")).to_contain_text("as version 2")
    expect(page.get_by_test_id("prompt")).to_have_value("Second wording")

    page.goto(f"/presets/{preset.pk}/versions/")
    page.locator("[data-testid=version-row][data-version='1']").get_by_test_id(
        "restore-version"
    ).click()
    expect(page.locator("[data-testid=version-row]")).to_have_count(3)
    assert preset.latest_version.setup["prompt"] == "First wording"

    page.goto(f"/presets/{preset.pk}/")
    page.get_by_test_id("share-preset").click()
    expect(page).to_have_url(re.compile(r"/shares/$"))
    link = page.get_by_test_id("share-link").input_value()
    assert re.fullmatch(rf"{re.escape(asgi_server.url)}/s/[A-Za-z0-9_-]{{43}}/", link)

    anonymous = session_context(browser, asgi_server, Client(), None)
    stranger = anonymous.new_page()
    stranger.goto(link)
    expect(stranger.get_by_test_id("shared-name")).to_have_text("Flow preset")
    expect(stranger.get_by_test_id("setup-prompt")).to_have_text("First wording")
    expect(stranger.get_by_test_id("setup-model")).to_have_text(["demo/swift", "demo/echo"])
    expect(stranger.get_by_test_id("nav-presets")).to_have_count(0)
    stranger.get_by_test_id("fork").click()
    expect(stranger).to_have_url(re.compile(r"/accounts/login/"))

    as_bob = session_context(browser, asgi_server, Client(), bob)
    bobs_page = as_bob.new_page()
    bobs_page.goto(link)
    bobs_page.get_by_test_id("fork").click()
    bobs_page.get_by_test_id("fork-confirm").click()
    expect(bobs_page.get_by_test_id("prompt")).to_have_value("First wording")
    copy = Preset.objects.get(owner=bob)
    expect(bobs_page).to_have_url(re.compile(rf"/\?preset={copy.pk}$"))
    as_bob.close()

    page.goto("/shares/")
    expect(page.get_by_test_id("share-last-opened")).not_to_have_text("never")
    page.get_by_test_id("revoke").click()
    expect(page.get_by_test_id("share-row")).to_have_attribute("data-state", "revoked")
    response = stranger.goto(link)
    assert response.status == 404
    anonymous.close()


def test_a_finished_run_is_shared_and_its_snapshot_opens_without_an_account(
    page, browser, asgi_server, fake
):
    from django.test import Client

    page.goto("/?models=demo/swift,demo/markdown")
    page.get_by_test_id("prompt").fill("Share this answer")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "done")
    answer = page.get_by_test_id("result-output").first.inner_text()
    page.get_by_test_id("share-run").click()
    expect(page).to_have_url(re.compile(r"/shares/$"))
    link = page.get_by_test_id("share-link").input_value()

    anonymous = session_context(browser, asgi_server, Client(), None)
    stranger = anonymous.new_page()
    stranger.goto(link)
    expect(stranger.get_by_test_id("shared-page")).to_have_attribute("data-kind", "run")
    expect(stranger.get_by_test_id("setup-prompt")).to_have_text("Share this answer")
    expect(stranger.get_by_test_id("result")).to_have_count(2)
    expect(stranger.get_by_test_id("result-output").first).to_have_text(answer)
    expect(stranger.get_by_test_id("result-usage").first).to_contain_text("tok/s")
    anonymous.close()
