"""Accessibility in a real browser: axe-core finds nothing serious or critical on the main
pages, in the light theme, in the dark one the system asks for and in the dark one the
toggle chooses; the theme follows the system until the toggle overrides it, and the choice
is remembered; screen readers hear a column's status, not each of its tokens."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from playground.models import Run
from tests.factories import a_finished_run, a_preset, a_stored_key
from tests.keys.test_keys import KEY

AXE = Axe()

# (the system's colour scheme, whether the toggle is pressed to dark over it)
THEMES = {
    "light": ("light", False),
    "dark by the system": ("dark", False),
    "dark by the toggle": ("light", True),
}

# The page's background is dark when its luminance is under half (of 255 per channel).
IS_DARK = """() => {
    const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
}"""

# Live regions: what a screen reader reads out when it changes.
LIVE = "[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log]"


def is_dark(page) -> bool:
    return page.evaluate(IS_DARK)


@pytest.fixture(params=THEMES)
def theme(request, page):
    scheme, toggled = THEMES[request.param]
    page.emulate_media(color_scheme=scheme)
    if toggled:
        page.goto("/runs/")
        page.get_by_test_id("theme-toggle").click()
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    return request.param


def assert_accessible(page, theme: str) -> None:
    """Nothing serious or critical by axe-core's rules, in the theme asked for."""
    assert is_dark(page) == (theme != "light"), f"{page.url} is not in the {theme} theme"
    violations = AXE.run(page).response["violations"]
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"{page.url} in the {theme} theme:\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n  at {[node['target'] for node in v['nodes']]}"
        for v in serious
    )


def test_the_compare_page_a_run_and_its_inspector_are_accessible(page, fake, theme):
    fake.time_scale = 0.1
    page.goto("/?models=demo/swift,demo/markdown")
    assert_accessible(page, theme)

    page.get_by_test_id("prompt").fill("Explain streaming in one paragraph.")
    page.get_by_test_id("run").click()
    expect(page.locator("[data-testid=result][data-status=done]")).to_have_count(2)
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "done")
    assert_accessible(page, theme)

    run = Run.objects.get()
    page.goto(f"/runs/{run.pk}/")
    expect(page.get_by_test_id("result")).to_have_count(2)
    assert_accessible(page, theme)

    page.goto(reverse("column-inspect", args=[run.pk, 1]))
    expect(page.get_by_test_id("column-inspector")).to_be_visible()
    assert_accessible(page, theme)


def test_presets_history_keys_and_usage_are_accessible(page, alice, theme):
    a_preset(alice)
    a_finished_run(alice)
    a_stored_key(alice, "work", KEY, default=True)
    for path in ("/presets/", "/runs/", "/keys/", "/usage/"):
        page.goto(path)
        assert_accessible(page, theme)


def test_the_theme_follows_the_system_until_the_toggle_overrides_it(page):
    toggle = page.get_by_test_id("theme-toggle")
    # Read as the body appears, before anything of the page is drawn: no light flash.
    page.add_init_script(
        """new MutationObserver(function (records, observer) {
               if (!document.body) return;
               window.themeAtFirstPaint = document.documentElement.dataset.theme || "system";
               observer.disconnect();
           }).observe(document, { childList: true, subtree: true });"""
    )
    page.emulate_media(color_scheme="dark")
    page.goto("/runs/")
    assert is_dark(page)
    expect(toggle).to_have_accessible_name("Dark theme")
    expect(toggle).to_have_attribute("aria-pressed", "true")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert not is_dark(page)
    page.reload()
    assert page.evaluate("window.themeAtFirstPaint") == "light"
    assert not is_dark(page)
    expect(toggle).to_have_attribute("aria-pressed", "false")

    # Pressed back to what the system says, the choice is forgotten: the page follows the
    # system again, whichever way it turns.
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("localStorage.length") == 0
    page.emulate_media(color_scheme="light")
    assert not is_dark(page)
    expect(toggle).to_have_attribute("aria-pressed", "false")

    toggle.click()
    page.goto("/usage/")
    assert page.evaluate("window.themeAtFirstPaint") == "dark"
    assert is_dark(page)
    expect(toggle).to_have_attribute("aria-pressed", "true")


def test_the_toggle_is_reached_and_pressed_from_the_keyboard_with_a_visible_focus_ring(page):
    page.emulate_media(color_scheme="light")
    page.goto("/runs/")
    toggle = page.get_by_test_id("theme-toggle")
    toggle.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    expect(toggle).to_be_focused()
    outline = toggle.evaluate(
        "e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth"
    )
    assert outline == "solid 2px"
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert is_dark(page)


def test_screen_readers_hear_a_columns_status_but_not_its_tokens(page, fake):
    fake.time_scale = 0.5
    page.goto("/?models=demo/slow,demo/swift")
    page.get_by_test_id("prompt").fill("Take your time.")
    page.get_by_test_id("run").click()
    slow = page.locator('[data-testid=result][data-model="demo/slow"]')
    expect(slow.get_by_test_id("result-output")).not_to_be_empty()
    expect(page.get_by_test_id("run-status").get_by_role("status")).to_have_text("Streaming…")
    expect(slow.get_by_role("status")).to_have_text("demo/slow: streaming")
    assert_no_live_region_around_the_answers(page)

    swift = page.locator('[data-testid=result][data-model="demo/swift"]')
    expect(swift.get_by_role("status")).to_have_text("demo/swift: done")
    page.get_by_test_id("stop").click()
    expect(slow.get_by_role("status")).to_have_text("demo/slow: cancelled")
    expect(page.get_by_test_id("run-status").get_by_role("status")).to_have_text("Stopped.")
    assert_no_live_region_around_the_answers(page)


def assert_no_live_region_around_the_answers(page) -> None:
    outputs = page.get_by_test_id("result-output")
    expect(outputs).to_have_count(2)
    for output in outputs.all():
        assert output.evaluate(f"e => e.closest({LIVE!r})") is None
        expect(output.locator(LIVE)).to_have_count(0)
    for reasoning in page.get_by_test_id("result-reasoning").all():
        assert reasoning.evaluate(f"e => e.closest({LIVE!r}) || e.querySelector({LIVE!r})") is None
