"""An evaluation shared by link: a frozen snapshot, read-only, like a shared run."""

from typing import Any

from playground.evaluations.report import cell_record, column_summaries, evaluation_cells
from playground.models import Evaluation, Share
from playground.presets.sharing import NotShareable


def evaluation_snapshot(evaluation: Evaluation) -> dict[str, Any]:
    """What the share page shows: the setup's prompt and models, the checks, the cases,
    every cell and each column's summary. No key, no owner."""
    cells = evaluation_cells(evaluation)
    return {
        "name": evaluation.name,
        "dataset_name": evaluation.dataset_name,
        "created_at": evaluation.created_at.isoformat(),
        "setup": evaluation.setup,
        "checks": evaluation.checks,
        "rows": evaluation.rows,
        "cells": [cell_record(cell) | {"position": cell.position} for cell in cells],
        "summaries": [s.as_json() for s in column_summaries(evaluation, cells)],
    }


def evaluation_share(*, evaluation: Evaluation) -> Share:
    if evaluation.is_live:
        raise NotShareable("Only an evaluation that has ended can be shared: wait or stop it.")
    return Share.objects.create(
        owner=evaluation.owner,
        kind=Share.Kind.EVALUATION,
        evaluation=evaluation,
        snapshot=evaluation_snapshot(evaluation),
    )
