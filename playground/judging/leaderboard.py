"""The leaderboard: people's votes on blind runs as battles, their Bradley-Terry ratings
with bootstrap intervals (ratings.py), the pairwise win rates as a heat map, and the
battles as CSV. Everyone's view shows aggregates only: no prompt, run or person."""

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, QuerySet

from playground.judging.ratings import Battle, Standing, standings, win_rates
from playground.models import Run, RunColumn, Vote

# A reload shows the same intervals: the bootstrap's seed is fixed.
BOOTSTRAP_SEED = 1000
BOOTSTRAP_ROUNDS = 1000
# The fit and its bootstrap take about 2 s for 5,000 battles: they are kept until a vote
# changes (the cache key names the votes' count and latest change).
CACHE_SECONDS = 3600
ANSWERED = (RunColumn.Status.DONE, RunColumn.Status.INCOMPLETE)


@dataclass(frozen=True)
class Fought:
    """A vote as a battle, with when it was cast."""

    battle: Battle
    voted_at: datetime.datetime
    run_id: int
    choice: str


def votes_in(
    *, owner=None, since: datetime.date | None = None, until: datetime.date | None = None
) -> QuerySet:
    """The votes the leaderboard counts: on blind runs that finished (not stopped or
    interrupted); `owner`'s only when given; cast within the dates when given."""
    votes = Vote.objects.filter(run__blind=True, run__status=Run.Status.DONE)
    if owner is not None:
        votes = votes.filter(owner=owner)
    if since is not None:
        votes = votes.filter(created_at__date__gte=since)
    if until is not None:
        votes = votes.filter(created_at__date__lte=until)
    return votes


def battles_of(votes: QuerySet) -> list[Fought]:
    """Each vote as a battle between its run's models, in their labels' order. A vote
    counts only when every column it judged answered without error (a pick judges them
    all); a run with the same model in two columns says nothing of how it compares, and
    counts for nothing."""
    votes = list(votes.select_related("run").order_by("created_at", "pk"))
    columns: dict[int, list[RunColumn]] = {}
    for column in RunColumn.objects.filter(run_id__in=[v.run_id for v in votes]).only(
        "run_id", "position", "model", "status"
    ):
        columns.setdefault(column.run_id, []).append(column)
    fought = []
    for vote in votes:
        shown = sorted(columns.get(vote.run_id, []), key=lambda c: c.position)
        models = tuple(column.model for column in shown)
        if len(shown) < 2 or len(set(models)) != len(models):
            continue
        if any(column.status not in ANSWERED for column in shown):
            continue
        by_label = {column.label: column.model for column in shown}
        if vote.choice == Vote.TIE:
            battle = Battle(models=models, tie=True)
        elif vote.choice == Vote.BOTH_BAD and len(models) == 2:
            battle = Battle(models=models, both_bad=True)
        elif vote.choice in by_label:
            battle = Battle(models=models, winner=by_label[vote.choice])
        else:
            continue
        fought.append(Fought(battle, vote.created_at, vote.run_id, vote.choice))
    return fought


@dataclass(frozen=True)
class Board:
    standings: list[Standing]
    win_rates: dict[tuple[str, str], float | None]
    battles: int


def board(votes: QuerySet, *, scope: str) -> Board:
    """The standings and win rates of these votes, from the cache while no vote changed."""
    seen = votes.aggregate(count=Count("pk"), latest=Max("updated_at"))
    named = f"{scope}:{seen['count']}:{seen['latest']}"
    key = "playground:leaderboard:" + hashlib.sha256(named.encode()).hexdigest()
    found = cache.get(key)
    if found is not None:
        return found
    battles = [fought.battle for fought in battles_of(votes)]
    made = Board(
        standings(battles, rounds=BOOTSTRAP_ROUNDS, seed=BOOTSTRAP_SEED),
        win_rates(battles),
        len(battles),
    )
    cache.set(key, made, CACHE_SECONDS)
    return made


@dataclass(frozen=True)
class HeatCell:
    x: int
    y: int
    rate: float | None
    row_model: str
    column_model: str

    @property
    def shade(self) -> str:
        """One of eleven classes, heat-0 (never wins) to heat-10 (always); heat-none for
        a pair that never met. The number is written in the cell too."""
        return "heat-none" if self.rate is None else f"heat-{round(self.rate * 10)}"

    @property
    def text(self) -> str:
        return "—" if self.rate is None else f"{self.rate:.0%}"


@dataclass(frozen=True)
class HeatMap:
    models: list[str]
    cells: list[HeatCell]
    cell: int
    left: int
    top: int

    @property
    def width(self) -> int:
        return self.left + self.cell * len(self.models) + 10

    @property
    def height(self) -> int:
        return self.top + self.cell * len(self.models) + 10

    @property
    def row_labels(self) -> list[dict[str, Any]]:
        return [
            {"text": model, "x": self.left - 6, "y": self.top + i * self.cell + self.cell // 2 + 4}
            for i, model in enumerate(self.models)
        ]

    @property
    def column_labels(self) -> list[dict[str, Any]]:
        return [
            {"text": model, "x": self.left + i * self.cell + self.cell // 2, "y": self.top - 8}
            for i, model in enumerate(self.models)
        ]


def heat_map(board: Board, *, cell: int = 56) -> HeatMap:
    """The pairwise win rates, the row's model over the column's, in rating order."""
    models = [standing.model for standing in board.standings]
    longest = max((len(model) for model in models), default=0)
    # Room for the names: the rows' at the left, the columns' slanted above.
    left = 20 + 7 * longest
    top = 20 + 5 * longest
    cells = [
        HeatCell(
            left + j * cell,
            top + i * cell,
            None if row == column else board.win_rates.get((row, column)),
            row,
            column,
        )
        for i, row in enumerate(models)
        for j, column in enumerate(models)
    ]
    return HeatMap(models, cells, cell, left, top)
