"""Badges that say at a glance which column of a finished run was the fastest or the
cheapest, among the columns that answered.

A badge goes to the best value among at least two columns that have it, and to every
column tied at that value. A blind run's columns get the timing badges before the vote,
but not the cost one: the price of an answer points at its model.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from playground.models import RunColumn


@dataclass(frozen=True)
class Badge:
    key: str  # its `data-badge`
    words: str
    # Whether it reads the cost, which a blind run keeps until the vote.
    costs: bool = False


BADGES = (
    Badge("fastest-first-token", "Fastest first token"),
    Badge("fastest-total", "Fastest in total"),
    Badge("fastest-speed", "Fastest output"),
    Badge("cheapest", "Cheapest", costs=True),
)

# Each badge's value of a column (None when it has none), and whether lower is better.
_MEASURES: dict[str, tuple[Callable[[RunColumn], float | Decimal | None], bool]] = {
    "fastest-first-token": (lambda column: column.ttft_ms, True),
    "fastest-total": (lambda column: column.total_ms, True),
    "fastest-speed": (lambda column: column.tokens_per_second, False),
    "cheapest": (lambda column: column.cost, True),
}


def run_badges(columns: Iterable[RunColumn], *, hidden: bool = False) -> dict[int, list[Badge]]:
    """Each column's badges, by position (every position present, most with none)."""
    columns = list(columns)
    won: dict[int, list[Badge]] = {column.position: [] for column in columns}
    for badge in BADGES:
        if hidden and badge.costs:
            continue
        measure, lower = _MEASURES[badge.key]
        values = {
            column.position: value
            for column in columns
            if column.answered and (value := measure(column)) is not None
        }
        if len(values) < 2:
            continue
        best = min(values.values()) if lower else max(values.values())
        for position, value in values.items():
            if value == best:
                won[position].append(badge)
    return won


def badges_attach(columns: Iterable[RunColumn], *, hidden: bool = False) -> None:
    """Sets each column's `badges` (what the `result` partial shows)."""
    columns = list(columns)
    won = run_badges(columns, hidden=hidden)
    for column in columns:
        column.badges = won[column.position]
