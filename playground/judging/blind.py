"""Blind runs: the columns shuffled when the run is made (runs/lifecycle.py `run_create`)
and named Model A, B, … until the person votes, or reveals them without a vote (the
run then counts for nothing on the leaderboard).

Until then nothing the app sends says which model is which: the pages and the stream
render each column by its label (the `hidden` flag of the run's templates), the compare
form on the run's page lists the models in an order of their own, and the inspector, the
download and sharing wait for the reveal.
"""

import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from playground.models import Run, RunColumn, Vote


class VoteRefused(ValueError):
    """Why this vote cannot be taken, in words for the person."""


def setup_unordered(setup: dict[str, Any]) -> dict[str, Any]:
    """The setup with its columns in an order that says nothing of their labels (by
    model, then by their settings), for the compare form of a hidden run's page."""
    columns = sorted(setup["columns"], key=lambda c: (c["model"], json.dumps(c, sort_keys=True)))
    return {**setup, "columns": columns}


def vote_choices(columns: list[RunColumn]) -> list[tuple[str, str]]:
    """The choices a run's vote offers, as (value, words): with two columns, A better,
    B better, a tie or both bad; with more, the best of them or a tie."""
    labels = [column.label for column in columns]
    if len(labels) == 2:
        return [
            (labels[0], f"Model {labels[0]} is better"),
            (labels[1], f"Model {labels[1]} is better"),
            (Vote.TIE, "Tie"),
            (Vote.BOTH_BAD, "Both are bad"),
        ]
    return [(label, f"Model {label} is the best") for label in labels] + [(Vote.TIE, "Tie")]


def vote_problem(run: Run, columns: list[RunColumn], choice: str) -> str:
    """Why `choice` cannot be this run's vote; empty when it can."""
    if not run.blind:
        return "Only a blind run takes a vote."
    if not run.is_finished:
        return "Vote once every answer has ended."
    if run.revealed_at is not None and not Vote.objects.filter(run=run).exists():
        return "Its models were revealed without a vote: it counts for nothing."
    if choice not in {value for value, _ in vote_choices(columns)}:
        return "Choose one of the vote's buttons."
    return ""


def run_vote(*, run: Run, columns: list[RunColumn], choice: str) -> Vote:
    """Records (or changes) the person's vote and reveals the run. Raises VoteRefused."""
    if problem := vote_problem(run, columns, choice):
        raise VoteRefused(problem)
    with transaction.atomic():
        vote, _ = Vote.objects.update_or_create(
            run=run, defaults={"owner": run.owner, "choice": choice}
        )
        if run.revealed_at is None:
            run.revealed_at = timezone.now()
            run.save(update_fields=["revealed_at"])
    return vote


def run_reveal(*, run: Run) -> None:
    """Shows which model is which without a vote: the run then counts for nothing."""
    if run.blind and run.revealed_at is None:
        if not run.is_finished:
            raise VoteRefused("Reveal once every answer has ended.")
        run.revealed_at = timezone.now()
        run.save(update_fields=["revealed_at"])
