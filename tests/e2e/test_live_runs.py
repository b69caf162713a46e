"""A run outlives the browser: a reload, a second tab or a dropped connection loses
nothing and doubles nothing, Stop in one tab ends the run in every tab, and a run nobody
watches any more is stopped after the grace."""

import re

import pytest
from playwright.sync_api import expect

from playground.models import Run, RunColumn
from tests.e2e.conftest import WAIT_MS
from tests.factories import browser_cookies
from tests.polling import wait_until

LIVE_TEXT = "[data-testid=result][data-status=streaming] [data-testid=result-output]"


def start_run(page, models, prompt="Explain streaming in one paragraph."):
    page.goto("/?models=" + ",".join(models))
    page.get_by_test_id("prompt").fill(prompt)
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("result")).to_have_count(len(models))
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{LIVE_TEXT}')].some(o => o.textContent.length)"
    )
    return Run.objects.latest("created_at")


def live_texts(page) -> list[str]:
    """What each column shows while it streams (its raw text, as it arrives)."""
    return page.eval_on_selector_all(
        "[data-testid=result]",
        """results => results.map(r => r.dataset.status === 'streaming'
             ? r.querySelector('[data-testid=result-output]').textContent : null)""",
    )


def watch_until_done(page, run) -> list[list[str]]:
    """The columns' live text, taken every 100 ms until the run ends."""
    seen = []
    while page.get_by_test_id("run-status").get_attribute("data-status") in (
        "pending",
        "streaming",
    ):
        seen.append(live_texts(page))
        page.wait_for_timeout(100)
    return seen


def letters(text: str) -> str:
    """The letters of a text: what its markdown and the HTML made of it have in common
    (markup, list numbers, table rules and spacing differ; a code fence's language is
    dropped first, as the page shows it only as a label)."""
    text = re.sub(r"^```.*$", "", text, flags=re.MULTILINE)
    return re.sub(r"[^A-Za-z]", "", text)


def assert_nothing_lost_or_doubled(seen, run):
    """Every snapshot of a column's live answer (rendered as it streams) shows the start of
    its stored answer: text shown twice, or a gap, would not. The run ended done, with its
    answers whole."""
    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.DONE, timeout=20)
    stored = [c.output_text for c in RunColumn.objects.filter(run=run).order_by("position")]
    for snapshot in seen:
        for text, answer in zip(snapshot, stored, strict=True):
            if text is not None:
                assert letters(answer).startswith(letters(text)), (text, answer)
    assert any(text for snapshot in seen for text in snapshot if text)


def test_a_reload_mid_run_shows_the_text_so_far_and_finishes_it(page, fake):
    fake.time_scale = 0.1  # demo/slow then takes about 4 s
    started = fake.streams_started
    run = start_run(page, ["demo/slow", "demo/markdown"])
    page.reload()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "streaming")
    assert "another tab" not in page.content()
    seen = watch_until_done(page, run)
    assert_nothing_lost_or_doubled(seen, run)
    expect(page.get_by_test_id("result").first).to_have_attribute("data-status", "done")
    # One upstream request per column, the reload's included.
    assert fake.streams_started - started == 2


def test_a_second_tab_opened_mid_run_ends_with_the_same_text(page, browser, fake, alice_client):
    fake.time_scale = 0.1
    run = start_run(page, ["demo/slow"])
    other = page.context.new_page()
    other.set_default_timeout(WAIT_MS)
    other.goto(f"/runs/{run.pk}/")
    seen = watch_until_done(other, run)
    assert_nothing_lost_or_doubled(seen, run)
    for tab in (page, other):
        expect(tab.get_by_test_id("result").first).to_have_attribute("data-status", "done")
    texts = [tab.get_by_test_id("result-output").first.text_content() for tab in (page, other)]
    assert texts[0] == texts[1]


def test_a_connection_dropped_for_three_seconds_loses_and_doubles_nothing(page, fake):
    fake.time_scale = 0.2  # demo/slow then takes about 8 s
    run = start_run(page, ["demo/slow"])
    before = live_texts(page)
    page.context.set_offline(True)
    page.wait_for_timeout(3000)
    page.context.set_offline(False)
    seen = [before, *watch_until_done(page, run)]
    assert_nothing_lost_or_doubled(seen, run)
    expect(page.get_by_test_id("result").first).to_have_attribute("data-status", "done")


def test_stop_in_one_tab_ends_the_run_in_both(page, fake):
    fake.time_scale = 0.5  # demo/slow would take about 20 s
    run = start_run(page, ["demo/slow", "demo/slow"])
    other = page.context.new_page()
    other.set_default_timeout(WAIT_MS)
    other.goto(f"/runs/{run.pk}/")
    expect(other.locator(LIVE_TEXT).first).not_to_be_empty()

    other.get_by_test_id("stop").click()
    for tab in (page, other):
        for index in range(2):
            expect(tab.get_by_test_id("result").nth(index)).to_have_attribute(
                "data-status", "cancelled"
            )
        expect(tab.get_by_test_id("run-status")).to_have_attribute("data-status", "cancelled")
        expect(tab.get_by_test_id("stop")).to_have_count(0)
    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.CANCELLED)
    assert fake.open_streams == 0


def test_closing_every_tab_stops_the_run_after_the_grace(
    browser, asgi_server, alice_client, fake, settings
):
    settings.PLAYGROUND_ORPHAN_GRACE_SECONDS = 1
    fake.time_scale = 0.5  # demo/slow would take about 20 s
    context = browser.new_context(base_url=asgi_server.url)
    context.add_cookies(browser_cookies(alice_client, asgi_server.url))
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    run = start_run(tab, ["demo/slow"])
    context.close()

    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.CANCELLED, timeout=10)
    wait_until(lambda: fake.open_streams == 0, timeout=2)
    [column] = RunColumn.objects.filter(run=run)
    assert column.error_message == "Stopped: no one was watching."
    assert column.output_text


def _shown_parts(tab) -> list[list[str]]:
    """The test ids each part of the run's view holds: its status line, then each column."""
    return tab.evaluate(
        """() => [document.querySelector('[data-testid=run-status]'),
                  ...document.querySelectorAll('[data-testid=result]')].map(part =>
             [...new Set([...part.querySelectorAll('[data-testid]')]
               .filter(node => !node.closest('[hidden]'))
               .map(node => node.dataset.testid))].sort())"""
    )


@pytest.mark.parametrize("when", ["before the first token", "mid-answer"])
def test_right_after_stop_every_viewer_has_the_view_a_reload_shows(page, fake, when):
    """Whenever it is stopped, the columns get their usage, inspector link and note, and
    the run its actions, at once, in the tab that stopped and in another one."""
    # Before: the first token would come after 20 s. Mid-answer: text is on the page.
    fake.time_scale = 20 if when == "before the first token" else 0.5
    page.goto("/?models=demo/slow,demo/slow")
    page.get_by_test_id("prompt").fill("Take your time.")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("result")).to_have_count(2)
    run = Run.objects.latest("created_at")
    other = page.context.new_page()
    other.set_default_timeout(WAIT_MS)
    other.goto(f"/runs/{run.pk}/")
    expect(other.get_by_test_id("stop")).to_be_visible()
    if when == "mid-answer":
        expect(other.locator(LIVE_TEXT).first).not_to_be_empty()

    page.keyboard.press("Escape")
    for tab in (page, other):
        expect(tab.get_by_test_id("run-status")).to_have_attribute("data-status", "cancelled")
        for action in ("share-run", "rerun", "inspect-run", "delete-run"):
            expect(tab.get_by_test_id(action)).to_be_visible()
        for index in range(2):
            column = tab.get_by_test_id("result").nth(index)
            expect(column).to_have_attribute("data-status", "cancelled")
            expect(column.get_by_test_id("result-error")).to_have_text(
                "Stopped before the answer was complete."
            )
            expect(column.get_by_test_id("result-usage")).to_be_visible()
            expect(column.get_by_test_id("inspect-column")).to_be_visible()
    shown = {"stopped": _shown_parts(page), "watching": _shown_parts(other)}
    other.reload()
    expect(other.get_by_test_id("run-status")).to_have_attribute("data-status", "cancelled")
    reloaded = _shown_parts(other)
    assert shown == {"stopped": reloaded, "watching": reloaded}
