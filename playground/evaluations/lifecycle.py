"""Creating an evaluation, its worst case before it starts, and what each cell ends as.

Every cell is a run of one column (playground/runs/): the setup with the case's values as
its variables. Its request, stream, usage and inspector are a run's; the cell keeps the
check results. A judge check is a run of its own too (checks.py, `judge_setup`), so its
cost is counted, shown apart, and in the usage page like any other.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from playground.core.formatting import plain_decimal
from playground.evaluations.checks import (
    CHECK_LABELS,
    JUDGE_INSTRUCTIONS,
    JUDGE_MAX_OUTPUT_TOKENS,
    checks_problems,
)
from playground.models import Dataset, Evaluation, EvaluationCell
from playground.openrouter import ModelInfo
from playground.runs.lifecycle import key_fields
from playground.setups.estimates import (
    CHARS_PER_TOKEN,
    model_worst_case,
    money_at_most,
    run_estimate,
)
from playground.setups.format import setup_normalize
from playground.setups.variables import fill, variable_names
from playground.upstream.connection import Connection

# The judge's message around the prompt, the answer and the rubric, in characters.
JUDGE_FRAME_CHARS = 200
# A running evaluation's task writes its heartbeat this often; one silent for
# HEARTBEAT_STALE_SECONDS lost its process (killed, not stopped) and is interrupted.
HEARTBEAT_SECONDS = 5
HEARTBEAT_STALE_SECONDS = 60


class EvaluationRefused(ValueError):
    """What keeps an evaluation from starting; nothing was saved."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class EvaluationEstimate:
    """How many generations an evaluation makes and what they cost at worst."""

    generations: int
    judge_calls: int
    total: Decimal | None  # None when a price or a limit is unknown
    unknown: str  # why it is unknown
    budget: Decimal | None

    @property
    def display(self) -> str:
        return "unknown" if self.total is None else f"≤ {money_at_most(self.total)}"

    @property
    def total_number(self) -> str:
        return plain_decimal(self.total)

    def budget_problem(self) -> str:
        if self.budget is None:
            return ""
        budget = f"${plain_decimal(self.budget)}"
        if self.total is None:
            return f"The budget of {budget} cannot be kept: {self.unknown}."
        if self.total > self.budget:
            return (
                f"At worst this evaluation costs {money_at_most(self.total)}, over its budget "
                f"of {budget}. Use fewer rows or models, a lower max output tokens, or raise "
                "the budget."
            )
        return ""


def cell_setup(setup: dict[str, Any], position: int, row: Mapping[str, str]) -> dict[str, Any]:
    """The setup of one cell: column `position` alone, the case's values as variables."""
    setup = setup_normalize(setup)
    return {
        **setup,
        "columns": [setup["columns"][position]],
        "variables": dict(row),
        "budget": None,
    }


def evaluation_concurrency() -> int:
    """Generations at once: PLAYGROUND_EVALUATION_CONCURRENCY, within the run limit."""
    concurrency = max(1, settings.PLAYGROUND_EVALUATION_CONCURRENCY)
    limit = settings.PLAYGROUND_MAX_CONCURRENT_RUNS
    return min(concurrency, limit) if limit > 0 else concurrency


def evaluation_problems(
    *,
    setup: dict[str, Any],
    dataset: Dataset,
    checks: list[dict[str, str]],
    judge_model: str,
    catalog_ids: set[str] | None,
) -> list[str]:
    """Everything that keeps this setup, dataset and checks from an evaluation, named
    before anything runs."""
    problems = []
    columns = set(dataset.columns)
    if not dataset.rows:
        problems.append(f"The dataset “{dataset.name}” has no rows.")
    if lacking := [
        name
        for name in variable_names(setup["prompt"], setup["instructions"])
        if name not in columns
    ]:
        problems.append(_lacking("The prompt uses", lacking, dataset))
    if catalog_ids is not None:
        # As the compare page's Run refuses them: every cell of such a column would fail.
        for number, column in enumerate(setup["columns"], start=1):
            if column["model"] not in catalog_ids:
                problems.append(f"Column {number}: unknown model “{column['model']}”.")
            problems += [
                f"Column {number}: unknown fallback model “{model}”."
                for model in column.get("fallback_models", [])
                if model not in catalog_ids
            ]
    problems += checks_problems(checks)
    values = [
        check["value"]
        for check in checks
        if isinstance(check, dict) and isinstance(check.get("value"), str)
    ]
    if lacking := [name for name in variable_names(*values) if name not in columns]:
        problems.append(_lacking("The checks use", lacking, dataset))
    judged = any(isinstance(check, dict) and check.get("type") == "judge" for check in checks)
    if judged and not judge_model:
        problems.append(f"{CHECK_LABELS['judge']}: pick the model that judges the answers.")
    elif judged and catalog_ids is not None and judge_model not in catalog_ids:
        problems.append(f"The judge model {judge_model} is not in the catalog.")
    return problems


def _lacking(lead: str, names: list[str], dataset: Dataset) -> str:
    listed = ", ".join(f"{{{{{name}}}}}" for name in names)
    return f"{lead} {listed}, which the dataset “{dataset.name}” has no column for."


def evaluation_estimate(
    *,
    setup: dict[str, Any],
    rows: list[dict[str, str]],
    checks: list[dict[str, str]],
    judge_model: str,
    catalog: Iterable[ModelInfo],
    budget: Decimal | None,
) -> EvaluationEstimate:
    """The worst case of every cell (its prompt filled with its case) and of every judge
    call (the cell's prompt, its longest answer and the rubric in, the judge's cap out)."""
    catalog = list(catalog)
    by_id = {model.id: model for model in catalog}
    judges = [check for check in checks if check.get("type") == "judge"]
    total: Decimal | None = Decimal(0)
    unknown = ""
    generations = 0
    for row in rows:
        filled = {**setup_normalize(setup), "variables": dict(row)}
        estimate = run_estimate(filled, catalog)
        prompt_chars = len(fill(filled["prompt"], row)) + len(fill(filled["instructions"], row))
        for column in estimate.columns:
            generations += 1
            costs = [(column.cost, f"column {column.number} ({column.model}): {column.problem}")]
            for check in judges:
                rubric = fill(check["value"], row)
                characters = (
                    prompt_chars + len(rubric) + len(JUDGE_INSTRUCTIONS) + JUDGE_FRAME_CHARS
                )
                tokens = math.ceil(characters / CHARS_PER_TOKEN) + (column.output_tokens or 0)
                judge = model_worst_case(judge_model, tokens, JUDGE_MAX_OUTPUT_TOKENS, by_id)
                unread = column.output_tokens is None
                why = "the answer's length is unknown" if unread else judge.problem
                costs.append((None if unread else judge.cost, f"the judge ({judge_model}): {why}"))
            for cost, why in costs:
                if cost is None:
                    total, unknown = None, unknown or f"the cost of {why} cannot be estimated"
                elif total is not None:
                    total += cost
    return EvaluationEstimate(
        generations=generations,
        judge_calls=generations * len(judges),
        total=total,
        unknown=unknown,
        budget=budget,
    )


def evaluation_create(
    *,
    owner,
    setup: dict[str, Any],
    dataset: Dataset,
    checks: list[dict[str, str]],
    judge_model: str,
    budget: Decimal | None,
    connection: Connection,
    catalog: Iterable[ModelInfo] | None,
) -> Evaluation:
    """Stores an evaluation of a valid setup over the dataset's rows as they are now, with
    a pending cell per row and column. Raises EvaluationRefused, saving nothing, for every
    problem of `evaluation_problems` and a worst case over the budget."""
    setup = setup_normalize(setup)
    setup = {**setup, "variables": {}, "budget": None}
    catalog = None if catalog is None else list(catalog)
    ids = None if catalog is None else {model.id for model in catalog}
    checks = [{"type": check.get("type"), "value": check.get("value", "")} for check in checks]
    problems = evaluation_problems(
        setup=setup, dataset=dataset, checks=checks, judge_model=judge_model, catalog_ids=ids
    )
    if problems:
        raise EvaluationRefused(problems)
    rows = [dict(row) for row in dataset.rows]
    estimate = None
    if catalog is not None:
        estimate = evaluation_estimate(
            setup=setup,
            rows=rows,
            checks=checks,
            judge_model=judge_model,
            catalog=catalog,
            budget=budget,
        )
        if problem := estimate.budget_problem():
            raise EvaluationRefused([problem])
    elif budget is not None:
        raise EvaluationRefused(["The budget cannot be kept: the catalog could not be read."])
    with transaction.atomic():
        evaluation = Evaluation.objects.create(
            owner=owner,
            name=f"{dataset.name}: {len(setup['columns'])} models",
            dataset=dataset,
            dataset_name=dataset.name,
            setup=setup,
            rows=rows,
            checks=checks,
            judge_model=judge_model if any(c["type"] == "judge" for c in checks) else "",
            concurrency=evaluation_concurrency(),
            budget=budget,
            cost_estimate=None if estimate is None or estimate.total is None else estimate.total,
            **key_fields(connection),
        )
        EvaluationCell.objects.bulk_create(
            EvaluationCell(
                evaluation=evaluation, row=number, position=position, model=column["model"]
            )
            for number in range(1, len(rows) + 1)
            for position, column in enumerate(setup["columns"])
        )
    return evaluation


def evaluation_resume(evaluation: Evaluation) -> bool:
    """Queues a stopped or interrupted evaluation again: its task runs only the cells not
    finished. False when it is not stopped."""
    resumable = (Evaluation.Status.INTERRUPTED, Evaluation.Status.CANCELLED)
    resumed = Evaluation.objects.filter(pk=evaluation.pk, status__in=resumable).update(
        status=Evaluation.Status.QUEUED,
        stop_requested=False,
        finished_at=None,
        error="",
        heartbeat_at=timezone.now(),
    )
    if resumed:
        evaluation.status = Evaluation.Status.QUEUED
    return bool(resumed)


def evaluations_interrupt_stale(*, owner=None) -> int:
    """Marks as interrupted the evaluations whose task is gone without a word (its
    process was killed): running with a heartbeat older than HEARTBEAT_STALE_SECONDS, or
    queued that long without ever starting. Their unfinished cells are resumable."""
    before = timezone.now() - timedelta(seconds=HEARTBEAT_STALE_SECONDS)
    stale = Evaluation.objects.filter(
        Q(status=Evaluation.Status.RUNNING, heartbeat_at__lt=before)
        | Q(status=Evaluation.Status.QUEUED, created_at__lt=before, heartbeat_at__isnull=True)
        | Q(status=Evaluation.Status.QUEUED, heartbeat_at__lt=before)
    )
    if owner is not None:
        stale = stale.filter(owner=owner)
    ids = list(stale.values_list("pk", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        EvaluationCell.objects.filter(
            evaluation_id__in=ids, status=EvaluationCell.Status.RUNNING
        ).update(status=EvaluationCell.Status.INTERRUPTED)
        count = Evaluation.objects.filter(pk__in=ids).update(
            status=Evaluation.Status.INTERRUPTED, finished_at=timezone.now()
        )
    return count
