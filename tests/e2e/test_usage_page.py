"""The usage page in a real browser: reached from the navigation, drawn as charts and
totals, narrowed to another period, and downloaded as CSV."""

import csv
import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from playground.models import Run
from tests.factories import a_finished_run


def chart(page, title: str):
    return page.locator(f'[data-testid=bar-chart][data-title="{title}"]')


def test_usage_is_charted_totalled_narrowed_and_downloaded(page, alice, bob, fake):
    a_finished_run(alice)  # two columns at $0.0000225 each
    a_finished_run(alice)
    older = a_finished_run(alice, models=["demo/markdown"])
    twenty_days_ago = timezone.now() - timedelta(days=20)
    Run.objects.filter(pk=older.pk).update(created_at=twenty_days_ago)
    a_finished_run(bob)
    older_day = timezone.localdate(twenty_days_ago).isoformat()

    page.goto("/")
    page.get_by_test_id("nav-usage").click()
    expect(page.get_by_role("heading", name="Usage", exact=True)).to_be_visible()
    expect(page.get_by_test_id("usage-period-30")).to_have_attribute("aria-current", "true")
    expect(page.get_by_test_id("total-runs")).to_have_text("3")
    expect(page.get_by_test_id("total-cost")).to_have_text("$0.0001125")
    cost_per_day = chart(page, "Cost per day")
    expect(cost_per_day).to_be_visible()
    expect(cost_per_day.get_by_test_id("chart-bar")).to_have_count(30)
    expect(cost_per_day).to_have_attribute(
        "aria-label", re.compile(r"^Cost per day: 30 bars from ")
    )
    expect(chart(page, "Cost per model").get_by_test_id("chart-bar")).to_have_count(3)
    expect(page.get_by_test_id("usage-day")).to_have_count(30)

    page.get_by_test_id("usage-period-7").click()
    expect(page.get_by_test_id("total-runs")).to_have_text("2")
    expect(page.get_by_test_id("total-cost")).to_have_text("$0.00009")
    expect(page.get_by_test_id("usage-day")).to_have_count(7)

    page.get_by_test_id("usage-start").fill(older_day)
    page.get_by_test_id("usage-end").fill(older_day)
    page.get_by_test_id("usage-show").click()
    expect(page.get_by_test_id("usage-period")).to_have_text(f"{older_day} to {older_day}")
    expect(page.get_by_test_id("total-runs")).to_have_text("1")
    expect(page.get_by_test_id("total-cost")).to_have_text("$0.0000225")
    expect(chart(page, "Cost per model").get_by_test_id("chart-bar")).to_have_attribute(
        "data-label", "demo/markdown"
    )

    with page.expect_download() as download_info:
        page.get_by_test_id("usage-export").click()
    download = download_info.value
    assert download.suggested_filename == f"usage-{older_day}-to-{older_day}.csv"
    with open(download.path(), newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows == [
        ["date", "model", "runs", "input_tokens", "output_tokens", "reasoning_tokens", "cost_usd"],
        [older_day, "demo/markdown", "1", "12", "9", "0", "0.0000225"],
    ]

    page.get_by_test_id("usage-start").fill(older_day)
    page.get_by_test_id("usage-end").fill("2000-01-01")
    page.get_by_test_id("usage-show").click()
    expect(page.get_by_test_id("end-error")).to_have_text(
        "The last day must be on or after the first day."
    )
