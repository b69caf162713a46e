"""Over a run limit, the compare page says so in place and keeps what was typed."""

from playwright.sync_api import expect

from playground.models import Run
from tests.factories import a_finished_run


def test_over_the_limit_the_form_says_why_and_keeps_the_prompt(page, alice, settings, fake):
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 1
    a_finished_run(alice, status="pending")  # opened nowhere yet: it still counts
    page.goto("/?models=demo/echo")
    page.get_by_test_id("prompt").fill("A question worth keeping")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text(
        "Your other run is still running, and only one may run at once."
    )
    expect(page.get_by_test_id("prompt")).to_have_value("A question worth keeping")
    expect(page.get_by_test_id("run")).to_be_enabled()
    assert Run.objects.filter(owner=alice).count() == 1
