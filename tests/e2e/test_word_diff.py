"""The word diff of two answers in a real browser: it appears below a run's answers once
the run has finished, the columns and the side-by-side view are picked in its form."""

from playwright.sync_api import expect

from playground.models import Run


def test_two_answers_of_a_finished_run_are_compared_word_by_word(page, fake):
    fake.time_scale = 0.5  # long enough to see the run stream before its diff
    page.goto("/?models=demo/swift,demo/echo")
    page.get_by_test_id("prompt").fill("Name the longest river.")
    page.get_by_test_id("run").click()
    expect(page.locator(".result[data-status=streaming]").first).to_be_visible()
    expect(page.get_by_test_id("diff-view")).to_have_count(0)
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "done")
    run = Run.objects.latest("created_at")

    # Fetched when the stream says the run is done, without a reload.
    view = page.get_by_test_id("diff-view")
    expect(view).to_have_attribute("data-mode", "inline")
    expect(page.get_by_test_id("diff-left")).to_have_value("0")
    expect(page.get_by_test_id("diff-right")).to_have_value("1")
    expect(view.locator("ins").first).to_be_visible()
    expect(view.locator("del").first).to_be_visible()
    expect(view.locator("ins").first).to_have_css("text-decoration-line", "underline")
    expect(view.locator("del").first).to_have_css("text-decoration-line", "line-through")
    expect(view.locator("h3")).to_have_text("Column 1 · demo/swift → Column 2 · demo/echo")
    assert "You wrote:" in view.locator("ins").all_inner_texts()[0]

    page.get_by_test_id("diff-left").select_option("1")
    page.get_by_test_id("diff-right").select_option("0")
    expect(view.locator("h3")).to_have_text("Column 2 · demo/echo → Column 1 · demo/swift")
    expect(view.locator("del").first).to_contain_text("You wrote:")

    page.get_by_test_id("diff-mode-side-by-side").check()
    expect(view).to_have_attribute("data-mode", "side-by-side")
    left, right = page.get_by_test_id("diff-side-left"), page.get_by_test_id("diff-side-right")
    expect(left.locator("h3")).to_have_text("Column 2 · demo/echo")
    expect(left.locator("del").first).to_be_visible()
    expect(left.locator("ins")).to_have_count(0)
    expect(right.locator("ins").first).to_be_visible()
    expect(right.locator("del")).to_have_count(0)
    # The form kept its choice: only the diff was swapped.
    expect(page.get_by_test_id("diff-left")).to_have_value("1")
    expect(page.get_by_test_id("diff-left")).to_have_count(1)

    # Picking one column twice says so in place of the diff.
    page.get_by_test_id("diff-right").select_option("1")
    expect(page.get_by_test_id("diff-error")).to_have_text(
        "Both sides are column 2: pick two different columns to compare."
    )

    # A finished run's own page fetches the diff as it loads.
    page.goto(f"/runs/{run.pk}/")
    expect(page.get_by_test_id("diff-view").locator("ins").first).to_be_visible()
