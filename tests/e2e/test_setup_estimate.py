"""The cost estimate in a real browser: it follows the form as the person types, and a
run whose worst case is over its budget is refused with the form kept as it was."""

from decimal import Decimal

from playwright.sync_api import expect

from playground.models import Run


def total(page) -> Decimal:
    return Decimal(page.get_by_test_id("estimate-total").get_attribute("data-total"))


def test_the_estimate_updates_as_the_prompt_grows(page, fake):
    page.goto("/?models=demo/swift,demo/echo")
    estimate = page.get_by_test_id("estimate-total")
    expect(estimate).to_contain_text("Worst case ≤ $")  # shown on arrival
    page.get_by_test_id("max_output_tokens").fill("100")
    # swift: 100 output tokens at $0.0000004; echo: 100 at $0.00000008.
    expect(estimate).to_have_attribute("data-total", "0.000048")
    expect(estimate).to_contain_text("(column 1 ≤ $0.00004, column 2 ≤ $0.000008)")
    before = total(page)

    page.get_by_test_id("prompt").fill("x" * 4000)
    expect(estimate).to_have_attribute("data-prompt-tokens", "1000")
    # 1000 prompt tokens more: $0.0001 for swift and $0.00002 for echo.
    assert total(page) == before + Decimal("0.00012")
    expect(estimate).to_contain_text("Worst case ≤ $0.00017")

    page.get_by_test_id("prompt").press_sequentially(" more words")
    expect(estimate).to_have_attribute("data-prompt-tokens", "1003")
    assert not Run.objects.exists()


def test_a_run_over_its_budget_is_refused_and_one_within_it_runs(page, fake):
    page.goto("/?models=demo/swift,demo/echo")
    page.get_by_test_id("prompt").fill("Tell me everything.")
    page.get_by_test_id("budget").fill("0.005")
    budget_line = page.get_by_test_id("estimate-budget")
    # Without max output tokens the output may reach each model's output limit: 16,384
    # tokens at $0.0000004 for swift, $0.0066 alone.
    expect(budget_line).to_have_attribute("data-over", "true")
    expect(budget_line).to_contain_text("over its budget of $0.005")

    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("budget-error")).to_contain_text(
        "At worst this run costs $0.0092, over its budget of $0.005."
    )
    expect(page.get_by_test_id("prompt")).to_have_value("Tell me everything.")
    expect(page.get_by_test_id("budget")).to_have_value("0.005")
    expect(page.get_by_test_id("result")).to_have_count(0)
    assert not Run.objects.exists()

    page.get_by_test_id("max_output_tokens").fill("2000")
    expect(page.get_by_test_id("estimate-budget")).to_contain_text("Within the budget of $0.005.")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("result")).to_have_count(2)
    run = Run.objects.get()
    assert run.budget == Decimal("0.005")
    assert sum(column.cost_estimate for column in run.columns.all()) <= Decimal("0.005")
