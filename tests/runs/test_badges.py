"""The badges of a finished run: the best first token, total, speed and cost among the
columns that answered, ties included, never from one column alone."""

from decimal import Decimal

from playground.models import RunColumn
from playground.runs.badges import run_badges


def column(position, *, status="done", ttft=None, total=None, tokens=None, cost=None):
    return RunColumn(
        position=position,
        model=f"m/{position}",
        status=status,
        ttft_ms=ttft,
        total_ms=total,
        output_tokens=tokens,
        cost=None if cost is None else Decimal(cost),
    )


def keys(won):
    return {position: [badge.key for badge in badges] for position, badges in won.items()}


def test_each_badge_goes_to_the_best_column():
    columns = [
        column(0, ttft=100, total=2100, tokens=100, cost="0.002"),  # 50 tok/s
        column(1, ttft=300, total=1300, tokens=100, cost="0.001"),  # 100 tok/s
        column(2, ttft=200, total=1700, tokens=300, cost="0.003"),  # 200 tok/s
    ]
    assert keys(run_badges(columns)) == {
        0: ["fastest-first-token"],
        1: ["fastest-total", "cheapest"],
        2: ["fastest-speed"],
    }


def test_a_tie_gives_the_badge_to_every_column_at_the_best_value():
    columns = [column(0, ttft=100, cost="0.001"), column(1, ttft=100, cost="0.001")]
    assert keys(run_badges(columns)) == {
        0: ["fastest-first-token", "cheapest"],
        1: ["fastest-first-token", "cheapest"],
    }


def test_only_columns_that_answered_compete_and_one_alone_wins_nothing():
    columns = [
        column(0, ttft=100, total=500, tokens=10, cost="0.001"),
        column(1, status="error", ttft=10, total=20, cost="0"),
        column(2, status="cancelled", ttft=5, total=30, cost="0"),
    ]
    assert keys(run_badges(columns)) == {0: [], 1: [], 2: []}
    # A column cut at its output limit answered, and competes.
    columns.append(column(3, status="incomplete", ttft=50, total=900, tokens=10, cost="0.002"))
    assert keys(run_badges(columns))[3] == ["fastest-first-token"]


def test_a_figure_a_column_lacks_is_not_counted_against_it():
    columns = [column(0, ttft=100), column(1, cost="0.001"), column(2, cost="0.002")]
    assert keys(run_badges(columns)) == {0: [], 1: ["cheapest"], 2: []}


def test_a_blind_run_before_the_vote_gets_no_cost_badge():
    columns = [column(0, ttft=100, cost="0.001"), column(1, ttft=200, cost="0.002")]
    assert keys(run_badges(columns, hidden=True)) == {0: ["fastest-first-token"], 1: []}
