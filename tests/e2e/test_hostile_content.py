"""Hostile model output and shared content in a real browser: shown as text everywhere it
appears (the live stream, the finished column, the stored run, the shared page, the
inspector and the history); no script runs, no request leaves for anywhere it names, and
Chromium reports no Content-Security-Policy violation (nothing even tried).

The demo's echo model answers with the prompt, so the prompt carries the attack. Text a
browser cannot type (NUL, a lone surrogate, a bare carriage return) is written as a
placeholder and put on the wire by the fake, JSON-escaped, as a model could send it."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from playground.fake_openrouter import scenarios
from playground.fake_openrouter.generation import MessageItem, ReasoningTextItem
from playground.models import Run, Share
from playground.presets import sharing
from tests.factories import a_preset, browser_cookies

REMOTE_HOST = "127.0.0.2"
PLACEHOLDERS = {b"@@NUL@@": b"\\u0000", b"@@LONE@@": b"\\ud800", b"@@CR@@": b"\\r"}
HOSTILE_LINES = [
    "<img src=x onerror=\"window.__pwned = 'img'\"> first line",
    "<script>window.__pwned = 'script'</script>",
    "[js link](javascript:window.__pwned='markdown-js')",
    '<a href="javascript:window.__pwned=\'raw-js\'" id="raw-js">raw js link</a>',
    "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="data:text/html,<script>alert(1)</script>">raw data link</a>',
    "[image data link](data:image/png;base64,iVBORw0KGgo=) and [a site](https://example.invalid/)",
    "",
    '<div hx-get="/evil-hx-get" hx-trigger="load" id="hx-block">hx-get block</div>',
    "",
    "<button hx-on:click=\"window.__pwned='hx-on'\""
    " hx-on::load=\"window.__pwned='hx-on-load'\">b</button>",
    "<svg onload=\"window.__pwned='svg'\"><circle r=9 /></svg>",
    '<iframe src="/evil-frame"></iframe><object data="/evil-object"></object>',
    '<style>body { display: none }</style><link rel=stylesheet href="/evil-style">',
    '<meta http-equiv="refresh" content="0;url=/evil-refresh"><base href="/evil-base/">',
    f"![remote image](http://{REMOTE_HOST}/markdown.png)",
    f'<img src="http://{REMOTE_HOST}/raw.png">',
    "",
    "event: done",
    'data: <p id="injected-done">fake end</p>',
    "",
    "@@CR@@@@CR@@event:@@CR@@c0-end@@CR@@data:@@CR@@<p@@CR@@id=injected-cr>cr</p>@@CR@@@@CR@@",
    "CR[@@CR@@] done-marker",
]
HOSTILE_PROMPT = "\n".join(HOSTILE_LINES)
# Shown as text: these exact strings appear on the page.
SHOWN = [
    "<script>window.__pwned = 'script'</script>",
    "onerror=\"window.__pwned = 'img'\"",
    'hx-get="/evil-hx-get"',
    "hx-on:click=",
    "event: done",
    "done-marker",
]
# Elements none of which may exist inside the shown content.
FORBIDDEN = (
    "script, img, svg, iframe, object, embed, style, link, meta, base, button, form, input,"
    " [hx-get], [hx-post], [hx-trigger], [onerror], [onload], #injected-done, #injected-cr,"
    " #raw-js, #hx-block, a[href^='javascript'], a[href^='data']"
)
# Requests a page may make: its own origin only, and nothing the content names.
HOSTILE_PATH = re.compile(r"evil|/x$|\.png$|javascript:|data:")
REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


def hostile_echo(generation, prompt):
    """The echo model, word by word, with a reasoning part too; the placeholders become
    the characters they name on the wire. A pause before the end keeps the column live
    long enough to look at the streamed text."""
    reasoning = ReasoningTextItem(generation, 0)
    message = MessageItem(generation, 1)
    pieces = scenarios.words(prompt.text)

    def steps():
        yield from generation.opening()
        yield from reasoning.open()
        yield from generation.stream(reasoning, pieces[:8], first=0.05, gap=0.005)
        yield from reasoning.close()
        yield from message.open()
        yield from generation.stream(message, pieces, first=0.05, gap=0.005)
        yield 1.5, b": OPENROUTER PROCESSING\n\n"
        yield from message.close()
        yield from generation.complete()

    for delay, chunk in steps():
        for placeholder, escaped in PLACEHOLDERS.items():
            chunk = chunk.replace(placeholder, escaped)
        yield delay, chunk


@pytest.fixture
def hostile_model(monkeypatch, fake):
    monkeypatch.setitem(scenarios.SCENARIOS, "demo/echo", scenarios.Performance(hostile_echo))
    fake.time_scale = 1
    return fake


class Watch:
    """What the browser did: CSP violations it reported and requests it made."""

    def __init__(self, page, origin: str):
        self.origin = origin
        self.violations: list[str] = []
        self.requests: list[str] = []
        page.expose_function("reportViolation", lambda text: self.violations.append(text))
        page.add_init_script(REPORTER)
        page.on("request", lambda request: self.requests.append(request.url))

    def assert_quiet(self, page, where: str) -> None:
        assert self.violations == [], f"{where}: CSP violations {self.violations}"
        foreign = [url for url in self.requests if not url.startswith(self.origin + "/")]
        assert foreign == [], f"{where}: requests elsewhere {foreign}"
        hostile = [url for url in self.requests if HOSTILE_PATH.search(urlsplit(url).path)]
        assert hostile == [], f"{where}: requests the content named {hostile}"
        assert page.evaluate("() => window.__pwned") is None, where
        assert page.evaluate("() => document.body.style.display") != "none", where


def assert_inert(region, where: str) -> None:
    """The region shows the attack as text and holds none of its elements."""
    text = region.first.text_content()
    for shown in SHOWN:
        assert shown in text, f"{where}: {shown!r} is not shown as text"
    assert region.locator(FORBIDDEN).count() == 0, f"{where}: {region.locator(FORBIDDEN).all()}"


def test_hostile_model_output_is_inert_everywhere_it_is_shown(
    page, browser, asgi_server, alice, hostile_model
):
    watch = Watch(page, asgi_server.url)
    page.goto("/?models=demo/echo")
    page.get_by_test_id("prompt").fill(HOSTILE_PROMPT)
    page.get_by_test_id("run").click()
    column = page.locator("[data-testid=result][data-model='demo/echo']")

    # Live: the whole answer streamed, the column not yet ended.
    output = column.get_by_test_id("result-output")
    expect(output).to_contain_text("done-marker")
    expect(column).to_have_attribute("data-status", "streaming")
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "streaming")
    assert_inert(output, "live stream")
    reasoning = column.get_by_test_id("result-reasoning")
    assert "first line" in reasoning.text_content()
    assert reasoning.locator(FORBIDDEN).count() == 0
    watch.assert_quiet(page, "live stream")

    # Ended: the sanitized markdown replaces the streamed text.
    expect(column).to_have_attribute("data-status", "done", timeout=20_000)
    assert_inert(output, "finished column")
    expect(output).to_contain_text("[image: remote image]")
    expect(output).to_contain_text("[js link](javascript:")
    expect(output.locator("a[href]")).to_have_count(1)
    expect(output.locator("a[href]")).to_have_attribute("href", "https://example.invalid/")
    expect(output.locator("a[href]")).to_have_attribute("rel", "noopener noreferrer nofollow")
    assert column.get_by_test_id("result-reasoning").locator(FORBIDDEN).count() == 0
    watch.assert_quiet(page, "finished column")

    run = Run.objects.get(owner=alice)
    stored = run.columns.get().output_text
    assert "done-marker" in stored and "\r" in stored

    # Reopened from storage.
    page.goto(f"/runs/{run.pk}/")
    assert_inert(page.get_by_test_id("result-output"), "stored run")
    watch.assert_quiet(page, "stored run")

    # The inspector: the raw events, the request and the response as text.
    page.goto(f"/runs/{run.pk}/columns/0/")
    expect(page.get_by_test_id("request-body")).to_contain_text("<script>window.__pwned")
    expect(page.get_by_test_id("events")).to_contain_text("done-marker")
    shown = page.locator("[data-testid=column-inspector] pre")
    assert shown.count() > 3
    assert shown.locator(FORBIDDEN).count() == 0
    watch.assert_quiet(page, "inspector")
    page.goto(f"/runs/{run.pk}/inspect/")
    watch.assert_quiet(page, "run inspector")

    # The history lists the prompt.
    page.goto("/runs/")
    prompt_link = page.get_by_test_id("history-prompt").first
    expect(prompt_link).to_contain_text('<img src=x onerror="window.__pwned')
    assert page.get_by_test_id("history").locator("img, script, svg").count() == 0
    watch.assert_quiet(page, "history")

    # Shared: the snapshot, opened by someone without an account.
    page.goto(f"/runs/{run.pk}/")
    page.get_by_test_id("share-run").click()
    expect(page).to_have_url(re.compile(r"/shares/$"))
    share = Share.objects.get(run=run)
    watch.assert_quiet(page, "shares list")

    stranger = browser.new_context(base_url=asgi_server.url)
    try:
        shared = stranger.new_page()
        stranger_watch = Watch(shared, asgi_server.url)
        shared.goto(f"/s/{share.token}/")
        assert_inert(shared.get_by_test_id("result-output"), "shared run")
        expect(shared.get_by_test_id("shared-page")).to_contain_text("done-marker")
        stranger_watch.assert_quiet(shared, "shared run")
    finally:
        stranger.close()


def wait_until(page, condition, timeout_ms=5000) -> None:
    waited = 0
    while not condition():
        assert waited < timeout_ms, "condition not met in time"
        page.wait_for_timeout(50)
        waited += 50


def test_a_remote_image_is_blocked_by_the_policy_if_it_ever_reached_the_page(
    page, asgi_server, hostile_model
):
    """Defence in depth: were an <img> naming another host ever on a page, the
    Content-Security-Policy (img-src) refuses to fetch it."""
    watch = Watch(page, asgi_server.url)
    failed = []
    page.on("requestfailed", lambda request: failed.append((request.url, request.failure)))
    page.goto("/")
    watch.assert_quiet(page, "compare page")
    page.evaluate(
        """() => {
          const img = document.createElement("img");
          img.src = "http://127.0.0.2/probe.png";
          document.body.append(img);
        }"""
    )
    wait_until(page, lambda: watch.violations and failed)
    assert watch.violations == ["img-src http://127.0.0.2/probe.png "]
    # Refused by the browser itself: the request never left.
    assert failed == [("http://127.0.0.2/probe.png", "csp")]


def test_nul_and_lone_surrogates_from_a_model_are_shown_as_replacement_characters(
    page, browser, asgi_server, alice, hostile_model
):
    watch = Watch(page, asgi_server.url)
    page.goto("/?models=demo/echo")
    page.get_by_test_id("prompt").fill("NUL[@@NUL@@] LONE[@@LONE@@] <b>bold?</b> done-marker")
    page.get_by_test_id("run").click()
    column = page.locator("[data-testid=result][data-model='demo/echo']")
    output = column.get_by_test_id("result-output")
    expect(output).to_contain_text("done-marker")
    expect(column).to_have_attribute("data-status", "done", timeout=20_000)
    expect(output).to_contain_text("NUL[\ufffd] LONE[\ufffd] <b>bold?</b> done-marker")
    watch.assert_quiet(page, "finished column")

    run = Run.objects.get(owner=alice)
    assert run.status == Run.Status.DONE
    assert run.columns.get().output_text.startswith("NUL[\ufffd] LONE[\ufffd]")
    for path in (f"/runs/{run.pk}/", f"/runs/{run.pk}/columns/0/", "/runs/"):
        page.goto(path)
        expect(page.locator("main")).to_contain_text("done-marker")
        watch.assert_quiet(page, path)


HOSTILE_NAME = '<img src=x onerror="window.__pwned = \'name\'"> <b hx-get="/evil-name">Trip</b>'
HOSTILE_MODEL = "<svg onload=\"window.__pwned = 'model'\">"


def test_a_hostile_shared_preset_is_inert_for_strangers_and_whoever_copies_it(
    page, browser, asgi_server, alice, bob, client, fake
):
    preset = a_preset(
        alice,
        name=HOSTILE_NAME,
        prompt=HOSTILE_PROMPT,
        models=("demo/echo", HOSTILE_MODEL),
    )
    preset.description = "<script>window.__pwned = 'description'</script>\nsecond line"
    preset.save()
    share = sharing.preset_share(preset=preset)

    # Someone without an account opens the link.
    stranger = browser.new_context(base_url=asgi_server.url)
    try:
        shared = stranger.new_page()
        watch = Watch(shared, asgi_server.url)
        shared.goto(f"/s/{share.token}/")
        expect(shared.get_by_test_id("shared-name")).to_have_text(HOSTILE_NAME)
        expect(shared.locator(".description")).to_contain_text("<script>window.__pwned")
        summary = shared.get_by_test_id("setup-summary")
        expect(summary.get_by_test_id("setup-model").nth(1)).to_have_text(HOSTILE_MODEL)
        assert_inert(summary.get_by_test_id("setup-prompt"), "shared preset prompt")
        assert shared.get_by_test_id("shared-page").locator(FORBIDDEN).count() == 0
        watch.assert_quiet(shared, "shared preset")
    finally:
        stranger.close()

    # Bob copies it into his presets and opens it in the playground.
    client.force_login(bob)
    context = browser.new_context(base_url=asgi_server.url)
    try:
        context.add_cookies(browser_cookies(client, asgi_server.url))
        bobs = context.new_page()
        watch = Watch(bobs, asgi_server.url)
        bobs.goto(f"/s/{share.token}/fork/")
        expect(bobs.locator("main")).to_contain_text(HOSTILE_NAME)
        watch.assert_quiet(bobs, "fork page")
        bobs.get_by_test_id("fork-confirm").click()
        expect(bobs.get_by_test_id("prompt")).to_have_value(HOSTILE_PROMPT)
        expect(bobs.get_by_test_id("column-model").nth(1)).to_have_value(HOSTILE_MODEL)
        expect(bobs.get_by_test_id("preset-link")).to_have_text(HOSTILE_NAME)
        assert (
            bobs.locator("#compare-form")
            .locator("img, script, svg, [hx-get='/evil-name'], [onerror], [onload]")
            .count()
            == 0
        )
        watch.assert_quiet(bobs, "compare page with the copy")
        bobs.goto("/presets/")
        expect(bobs.locator("main")).to_contain_text(HOSTILE_NAME)
        watch.assert_quiet(bobs, "preset list")
    finally:
        context.close()
