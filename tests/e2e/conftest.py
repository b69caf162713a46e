"""Playwright driving Debian's Chromium against the real ASGI server."""

import os

import pytest
from playwright.sync_api import expect

from playground.bench.browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories import browser_cookies

# The machines the suite runs on are shared and noisy: every wait, the page's actions and
# the `expect` assertions alike, gets WAIT_MS before it fails.
WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser(_uvicorn_server):
    """Chromium for one test module. Module-scoped on purpose: Playwright's sync API
    leaves its event loop marked as running in the test thread, which Django takes for
    an async context, so it must not outlive the browser tests. While it lives, the
    test thread's own (sequential) database calls are allowed."""
    if not os.path.exists(CHROMIUM):
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, asgi_server, alice_client):
    context = browser.new_context(base_url=asgi_server.url, viewport={"width": 1400, "height": 900})
    context.add_cookies(browser_cookies(alice_client, asgi_server.url))
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
