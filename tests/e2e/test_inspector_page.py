"""The inspector in a real browser: from a finished column to its request, its stream
filtered by type, its timeline, its code copied to the clipboard, and the run's JSON."""

import ast
import json
from pathlib import Path

from playwright.sync_api import expect

from playground.models import Run


def test_a_finished_column_is_inspected_filtered_copied_and_downloaded(page, fake):
    fake.time_scale = 0.1
    page.goto("/?models=demo/reasoner,demo/swift")
    page.get_by_test_id("prompt").fill("Why do rivers meander?")
    page.get_by_test_id("run").click()
    reasoner = page.locator('[data-testid=result][data-model="demo/reasoner"]')
    expect(reasoner).to_have_attribute("data-status", "done", timeout=20_000)
    expect(page.locator('[data-testid=result][data-status="done"]')).to_have_count(2)
    # A column's end is shown before the run is written; the run's own status after.
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "done")
    run = Run.objects.get()
    column = run.columns.get(model="demo/reasoner")

    reasoner.get_by_test_id("inspect-column").click()
    expect(page.get_by_test_id("column-inspector")).to_be_visible()
    body = json.loads(page.get_by_test_id("request-body").text_content())
    assert body == column.request_body
    expect(page.get_by_test_id("response-status")).to_have_text("200")

    # The stream, filtered to one type and back, each event opening to its JSON.
    events = page.get_by_test_id("event")
    expect(events).to_have_count(min(len(column.events), 100))
    page.get_by_test_id("event-type").select_option("comment")
    expect(events.first).to_have_attribute("data-type", "comment")
    comments = sum(1 for entry in column.events if "comment" in entry)
    expect(events).to_have_count(comments)
    page.get_by_test_id("event-type").select_option("response.reasoning_text.delta")
    expect(events.first).to_have_attribute("data-type", "response.reasoning_text.delta")
    reasoning = [
        entry["event"] for entry in column.events
        if entry.get("event", {}).get("type") == "response.reasoning_text.delta"
    ]  # fmt: skip
    expect(events).to_have_count(len(reasoning))
    events.first.locator("summary").click()
    shown = json.loads(events.first.get_by_test_id("event-json").text_content())
    assert shown == reasoning[0]

    # The timeline, with every moment the reasoning column had.
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_be_visible()
    expect(timeline.get_by_test_id("timeline-mark")).to_have_count(5)
    assert timeline.get_by_test_id("rate-bar").count() > 0
    expect(page.get_by_test_id("timeline-legend")).to_contain_text("first reasoning token")

    # Code, copied with its button, is the code shown and valid Python.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    httpx_snippet = page.locator('[data-testid=snippet][data-snippet="python-httpx"]')
    httpx_snippet.locator("summary").click()
    httpx_snippet.get_by_test_id("copy-snippet").click()
    expect(httpx_snippet.get_by_test_id("copy-snippet")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == httpx_snippet.get_by_test_id("snippet-code").text_content()
    ast.parse(copied)
    assert "OPENROUTER_API_KEY" in copied

    # The whole run as a file.
    with page.expect_download() as download:
        page.get_by_test_id("download-run").first.click()
    assert download.value.suggested_filename == f"run-{run.pk}.json"
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["format"] == "model-playground.run"
    assert [c["request"]["body"] for c in data["columns"]] == [
        c.request_body for c in run.columns.all()
    ]

    # Every column side by side.
    page.get_by_test_id("run-overview").click()
    expect(page.get_by_test_id("column-figure")).to_have_count(2)
    expect(page.get_by_test_id("bar-chart")).to_have_count(4)
    expect(page.locator('[data-testid=bar-chart][data-title="Cost"]')).to_be_visible()
