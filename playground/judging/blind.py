"""Blind runs: the columns shuffled when the run is made (runs/lifecycle.py `run_create`)
and named Model A, B, … until the person votes, or reveals them without a vote (the
run then counts for nothing on the leaderboard).

Until then nothing the app sends says which model is which: the pages and the stream
render each column by its label (the `hidden` flag of the run's templates), the compare
form on the run's page lists the models in an order of their own, and the inspector, the
download and sharing wait for the reveal.
"""

import json
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from playground.models import Run, RunColumn, Vote
from playground.openrouter import ModelInfo
from playground.openrouter.catalog import models_filter


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
        _reveal_conversation(run)
    return vote


def _reveal_conversation(run: Run) -> None:
    """Reveals the run and every turn of its conversation: their columns are the same
    models under the same labels, so revealing one reveals them all."""
    now = timezone.now()
    turns = {run.pk}
    parent = run.parent_id
    while parent is not None and parent not in turns:
        turns.add(parent)
        parent = Run.objects.filter(pk=parent).values_list("parent_id", flat=True).first()
    later = set(turns)
    while later:
        later = set(Run.objects.filter(parent_id__in=later).values_list("pk", flat=True)) - turns
        turns |= later
    Run.objects.filter(pk__in=turns, blind=True, revealed_at__isnull=True).update(revealed_at=now)
    run.revealed_at = run.revealed_at or now


def run_reveal(*, run: Run) -> None:
    """Shows which model is which without a vote: the run then counts for nothing."""
    if run.blind and run.revealed_at is None:
        if not run.is_finished:
            raise VoteRefused("Reveal once every answer has ended.")
        with transaction.atomic():
            _reveal_conversation(run)


# What "Surprise me" draws from, as the model picker's filters name them.
SURPRISE_POOLS = {
    "all": "any model",
    "free": "free models",
    "reasoning": "reasoning models",
    "tools": "models that call tools",
    "image_input": "models that read images",
}
# Ids typed for "Surprise me": a run has at most eight columns, but the draw may be from
# many more.
MAX_SURPRISE_IDS = 100


class SurpriseRefused(ValueError):
    """Why no two models can be drawn, in words for the person."""


def surprise_pool(catalog: list[ModelInfo], *, pool: str, ids: str) -> list[str]:
    """The models "Surprise me" draws from: the ids typed (separated by commas, spaces or
    lines), every one in the catalog, or else the catalog's models of `pool`."""
    known = {model.id for model in catalog}
    typed = list(dict.fromkeys(ids.replace(",", " ").split()))
    if typed:
        if len(typed) > MAX_SURPRISE_IDS:
            raise SurpriseRefused(f"Type at most {MAX_SURPRISE_IDS} model ids to draw from.")
        if unknown := [model for model in typed if model not in known]:
            listed = ", ".join(unknown[:5])
            raise SurpriseRefused(f"Not in the catalog: {listed}. Pick ids from the model list.")
        chosen = typed
    else:
        flags = {name: name == pool for name in SURPRISE_POOLS if name != "all"}
        chosen = [model.id for model in models_filter(catalog, **flags)]
    if len(chosen) < 2:
        what = "the ids typed" if typed else SURPRISE_POOLS.get(pool, "the catalog")
        raise SurpriseRefused(f"Two different models are needed, and {what} offer fewer.")
    return chosen


def surprise_pick(pool: list[str]) -> list[str]:
    """Two different models of `pool`, at random."""
    return secrets.SystemRandom().sample(pool, 2)
