"""Blind runs in the browser: a two-column run shown as Model A and Model B, the vote
that reveals them and moves the leaderboard, and a four-column run's best-of vote."""

from playwright.sync_api import expect

from playground.models import Run, Vote


def start_blind(page, models):
    page.goto("/?models=" + ",".join(models))
    page.get_by_test_id("prompt").fill("Name a river and say one thing about it.")
    page.get_by_test_id("blind").check()
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("result")).to_have_count(len(models))
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "done")
    return Run.objects.latest("pk")


def rating_of(page, model) -> float:
    page.goto("/leaderboard/")
    row = page.locator(f"[data-testid=leaderboard-row][data-model='{model}']")
    return float(row.get_attribute("data-rating")) if row.count() else None


def test_a_blind_vote_reveals_the_models_and_moves_the_leaderboard(page, fake):
    models = ["demo/swift", "demo/echo"]
    run = start_blind(page, models)
    results = page.get_by_test_id("result")
    expect(results.first).to_have_attribute("data-label", "A")
    expect(results.nth(1)).to_have_attribute("data-label", "B")
    # The form, which named the models, gave way to a note, as on the run's own page.
    expect(page.get_by_test_id("blind-setup")).to_be_visible()
    expect(page.get_by_test_id("column-model")).to_have_count(0)
    html = page.locator("#run").inner_html()
    assert "demo/swift" not in html and "demo/echo" not in html
    assert page.locator("[data-testid=result][data-model]").count() == 0

    swift = run.columns.get(model="demo/swift").label
    page.locator(f"[data-testid=vote][data-choice='{swift}']").click()
    expect(page.locator("[data-testid=result][data-model='demo/swift']")).to_have_attribute(
        "data-label", swift
    )
    expect(page.get_by_test_id("result-served-by").first).to_be_visible()
    first = rating_of(page, "demo/swift")
    assert first is not None and first > rating_of(page, "demo/echo")

    # A second battle the other way round: swift's rating comes down.
    run = start_blind(page, models)
    echo = run.columns.get(model="demo/echo").label
    page.locator(f"[data-testid=vote][data-choice='{echo}']").click()
    expect(page.locator("[data-testid=result][data-model='demo/echo']")).to_be_visible()
    assert rating_of(page, "demo/swift") < first


def test_a_four_column_blind_run_takes_a_best_of_vote(page, fake):
    models = ["demo/swift", "demo/echo", "demo/markdown", "demo/reasoner"]
    run = start_blind(page, models)
    choices = page.get_by_test_id("vote")
    expect(choices).to_have_count(5)
    assert [choices.nth(i).get_attribute("data-choice") for i in range(5)] == [
        "A",
        "B",
        "C",
        "D",
        "tie",
    ]
    page.locator("[data-testid=vote][data-choice='C']").click()
    expect(page.locator("[data-testid=result][data-model]")).to_have_count(4)
    assert Vote.objects.get(run=run).choice == "C"
    expect(page.locator("[data-testid=vote][data-choice='C']")).to_have_attribute(
        "aria-pressed", "true"
    )
