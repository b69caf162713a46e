"""The keys page in a real browser: add a key OpenRouter accepts, be told why it refuses
another, pick the default, delete with a confirmation. The fake serves as the real API."""

from playwright.sync_api import expect

from playground.fake_openrouter.server import INVALID_KEY
from playground.models import ApiKey
from tests.keys.test_keys import KEY, OTHER_KEY, assert_no_key_material


def add_key(page, label: str, key: str) -> None:
    page.get_by_test_id("key-label").fill(label)
    page.get_by_test_id("key-secret").fill(key)
    page.get_by_test_id("key-add").click()


def row(page, label: str):
    return page.locator(f'[data-testid=key-row][data-label="{label}"]')


def test_keys_are_added_checked_made_default_and_deleted(page, upstream, alice):
    page.goto("/keys/")
    expect(page.get_by_test_id("no-keys")).to_be_visible()

    add_key(page, "work", KEY)
    work = row(page, "work")
    expect(work.get_by_test_id("key-hint")).to_have_text("…9a2c")
    expect(work.get_by_test_id("key-is-default")).to_be_visible()
    expect(work.get_by_test_id("key-info")).to_contain_text("$25 of $25, resets monthly")

    add_key(page, "broken", INVALID_KEY)
    expect(page.get_by_test_id("key-error")).to_have_text(
        "OpenRouter rejected the API key (User not found.)."
    )
    expect(page.get_by_test_id("key-secret")).to_have_value("")
    expect(page.get_by_test_id("key-row")).to_have_count(1)

    add_key(page, "personal", OTHER_KEY)
    personal = row(page, "personal")
    expect(personal.get_by_test_id("key-hint")).to_have_text("…5e6f")
    expect(personal.get_by_test_id("key-is-default")).to_have_count(0)
    personal.get_by_test_id("key-make-default").click()
    expect(row(page, "personal").get_by_test_id("key-is-default")).to_be_visible()
    expect(row(page, "work").get_by_test_id("key-is-default")).to_have_count(0)
    assert ApiKey.objects.get(is_default=True).label == "personal"

    html = page.content()
    assert_no_key_material(html, KEY)
    assert_no_key_material(html, OTHER_KEY)

    row(page, "personal").get_by_test_id("key-delete").click()
    expect(page.get_by_role("heading")).to_have_text("Delete the key “personal” …5e6f?")
    page.get_by_test_id("confirm-delete").click()
    expect(page.get_by_test_id("messages")).to_contain_text(
        "Deleted “personal” …5e6f. “work” is now your default key."
    )
    expect(page.get_by_test_id("key-row")).to_have_count(1)
    expect(row(page, "work").get_by_test_id("key-is-default")).to_be_visible()
    assert list(ApiKey.objects.values_list("label", flat=True)) == ["work"]
