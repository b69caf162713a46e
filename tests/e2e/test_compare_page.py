"""The compare page in a real browser: columns stream at once, Stop, failures, reopening,
and hostile model output."""

import re

from playwright.sync_api import expect

from playground.models import Run, RunColumn
from tests.polling import wait_until


def start_run(page, models, prompt="Explain streaming in one paragraph."):
    page.goto("/?models=" + ",".join(models))
    page.get_by_test_id("prompt").fill(prompt)
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("result")).to_have_count(len(models))


def result(page, model):
    return page.locator(f'[data-testid=result][data-model="{model}"]')


def test_a_three_column_run_streams_at_once_and_finishes_with_usage(page, fake):
    fake.time_scale = 0.5
    models = ["demo/swift", "demo/reasoner", "demo/markdown"]
    start_run(page, models)
    # While the slower columns are still streaming, text is already on screen.
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid=result][data-status=streaming]')]
               .some(r => r.querySelector('[data-testid=result-output]').textContent.length > 0)"""
    )
    expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
    for model in models:
        column = result(page, model)
        expect(column).to_have_attribute("data-status", "done", timeout=20_000)
        usage = column.get_by_test_id("result-usage")
        assert int(usage.get_attribute("data-input-tokens")) > 0
        assert int(usage.get_attribute("data-output-tokens")) > 0
        assert float(usage.get_attribute("data-cost")) > 0
        assert int(usage.get_attribute("data-ttft-ms")) <= int(usage.get_attribute("data-total-ms"))
        assert usage.get_attribute("data-served-model")
        expect(usage).to_contain_text("Cost")
        expect(column.get_by_test_id("result-output")).not_to_be_empty()
    expect(result(page, "demo/reasoner").get_by_test_id("result-reasoning")).not_to_be_empty()
    expect(result(page, "demo/markdown").locator("pre code")).to_have_count(1)
    expect(page.get_by_test_id("stop")).to_have_count(0)
    run = Run.objects.get()
    assert run.status == Run.Status.DONE


def test_stop_cancels_every_column_and_keeps_the_partial_text(page, fake):
    fake.time_scale = 0.5  # demo/slow would take about 20 s
    start_run(page, ["demo/slow", "demo/slow"])
    expect(result(page, "demo/slow").first.get_by_test_id("result-output")).not_to_be_empty()
    page.get_by_test_id("stop").click()
    for index in range(2):
        expect(page.get_by_test_id("result").nth(index)).to_have_attribute(
            "data-status", "cancelled"
        )
    shown = page.get_by_test_id("result-output").first.text_content()
    assert shown
    expect(page.get_by_test_id("stop")).to_have_count(0)

    run = Run.objects.get()
    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.CANCELLED)
    assert fake.open_streams == 0
    first = RunColumn.objects.get(run=run, position=0)
    assert first.status == "cancelled" and first.output_text.startswith(shown.strip())

    # Reopening shows the stored partial answer, still marked cancelled.
    page.goto(f"/runs/{run.pk}/")
    expect(page.get_by_test_id("result").first).to_have_attribute("data-status", "cancelled")
    expect(page.get_by_test_id("result-output").first).to_contain_text(shown[:20])


def test_escape_stops_and_ctrl_enter_runs(page, fake):
    fake.time_scale = 0.5
    page.goto("/?models=demo/slow")
    page.get_by_test_id("prompt").fill("Take your time.")
    page.get_by_test_id("prompt").press("Control+Enter")
    expect(page.get_by_test_id("result")).to_have_count(1)
    expect(page.get_by_test_id("result-output")).not_to_be_empty()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("result")).to_have_attribute("data-status", "cancelled")
    wait_until(lambda: Run.objects.get().status == Run.Status.CANCELLED)


def test_a_failing_column_says_why_beside_two_good_ones(page, fake):
    start_run(page, ["demo/swift", "demo/fail-rate-limit", "demo/echo"])
    failing = result(page, "demo/fail-rate-limit")
    expect(failing).to_have_attribute("data-status", "error")
    expect(failing.get_by_test_id("result-error")).to_contain_text("7 s")
    expect(result(page, "demo/swift")).to_have_attribute("data-status", "done")
    expect(result(page, "demo/echo")).to_have_attribute("data-status", "done")
    expect(result(page, "demo/echo").get_by_test_id("result-output")).to_contain_text(
        "Explain streaming"
    )


def test_a_finished_run_reopens_from_storage(page, fake):
    start_run(page, ["demo/swift", "demo/markdown"])
    for model in ("demo/swift", "demo/markdown"):
        expect(result(page, model)).to_have_attribute("data-status", "done")
    answer = result(page, "demo/swift").get_by_test_id("result-output").text_content()
    cost = result(page, "demo/swift").get_by_test_id("result-usage").get_attribute("data-cost")
    # The stream ends (its generation lookups included) before the run is reopened.
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "done")
    calls = len(fake.requests)
    url = page.url

    page.goto(url)
    expect(result(page, "demo/swift")).to_have_attribute("data-status", "done")
    expect(result(page, "demo/swift").get_by_test_id("result-output")).to_have_text(answer)
    assert (
        result(page, "demo/swift").get_by_test_id("result-usage").get_attribute("data-cost") == cost
    )
    expect(page.get_by_test_id("prompt")).to_have_value("Explain streaming in one paragraph.")
    page.reload()
    expect(result(page, "demo/markdown")).to_have_attribute("data-status", "done")
    assert len(fake.requests) == calls


def test_model_output_with_html_shows_as_text(page, fake):
    hostile = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> done'
    start_run(page, ["demo/echo"], prompt=hostile)
    column = result(page, "demo/echo")
    expect(column).to_have_attribute("data-status", "done")
    output = column.get_by_test_id("result-output")
    expect(output).to_contain_text("<script>window.pwned = 1</script>")
    expect(output).to_contain_text('<img src=x onerror="window.pwned = 2">')
    assert output.locator("script, img").count() == 0
    assert page.evaluate("() => window.pwned") is None


def test_columns_can_be_added_up_to_eight_and_removed(page, fake):
    page.goto("/")
    columns = page.get_by_test_id("column")
    expect(columns).to_have_count(2)
    for _ in range(10):
        if page.get_by_test_id("add-column").is_enabled():
            page.get_by_test_id("add-column").click()
    expect(columns).to_have_count(8)
    expect(page.get_by_test_id("add-column")).to_be_disabled()
    columns.nth(7).get_by_test_id("remove-column").click()
    expect(columns).to_have_count(7)
    expect(page.get_by_test_id("add-column")).to_be_enabled()


def test_a_bad_form_shows_the_error_and_runs_nothing(page, fake):
    page.goto("/?models=demo/swift,nobody/nothing")
    page.get_by_test_id("prompt").fill("Hello")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text("unknown model “nobody/nothing”")
    expect(page.get_by_test_id("prompt")).to_have_value("Hello")
    assert not Run.objects.exists()


def test_the_demo_banner_says_responses_are_simulated(page, fake):
    page.goto("/")
    expect(page.get_by_test_id("demo-banner")).to_contain_text("simulated")
