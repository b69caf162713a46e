"""`/evaluations/`: an evaluation of a setup over a dataset: the form that starts one
(from the compare page's setup, a preset or a run), its page (a viewer that polls its
cells), Stop and Resume, exports, a share link, and two compared."""

import csv
import io
import json
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from playground.core.crypto import KeyUnavailable
from playground.evaluations.checks import CHECK_HELP, CHECK_LABELS, CHECK_TYPES, MAX_CHECKS
from playground.evaluations.lifecycle import (
    EvaluationRefused,
    evaluation_concurrency,
    evaluation_create,
    evaluation_estimate,
    evaluation_problems,
    evaluation_resume,
    evaluations_interrupt_stale,
)
from playground.evaluations.report import (
    SORTS,
    cell_display,
    cell_record,
    column_summaries,
    evaluation_cells,
    evaluation_progress,
    evaluations_compare,
    grid_rows,
    sorted_summaries,
)
from playground.evaluations.runner import evaluation_start, evaluation_stop
from playground.models import Dataset, Evaluation, Preset, Run
from playground.setups.format import setup_from_run
from playground.setups.limits import BUDGET_DECIMAL_PLACES, BUDGET_MAX_DIGITS
from playground.setups.validation import setup_problems, setup_validate
from playground.setups.variables import variable_names
from playground.upstream.connection import connection_for
from playground.views.catalog import catalog_models
from playground.views.common import go_to, number_or_404, refuse_method, without_nul
from playground.views.compare import compare_form

# Where "Evaluate over a dataset" leaves the compare page's setup.
SESSION_SETUP = "evaluation_setup"
# Runs offered as setups to evaluate, newest first.
RECENT_RUNS = 20


def evaluation_for(request, evaluation_id) -> Evaluation:
    """The person's own evaluation, or 404."""
    return get_object_or_404(Evaluation, pk=number_or_404(evaluation_id), owner=request.user)


@login_required
def evaluation_list(request):
    if refused := refuse_method(request, "GET"):
        return refused
    evaluations_interrupt_stale(owner=request.user)
    evaluations = list(Evaluation.objects.filter(owner=request.user))
    listed = []
    for evaluation in evaluations:
        cells = evaluation_cells(evaluation)
        listed.append(
            {
                "evaluation": evaluation,
                "summaries": column_summaries(evaluation, cells),
                "progress": evaluation_progress(evaluation, cells),
            }
        )
    return render(request, "playground/evaluations/list.html", {"listed": listed})


# Starting one ------------------------------------------------------------------------


def _setup_from_source(request, source: str) -> tuple[dict | None, str]:
    """The setup of "preset:<id>" or "run:<id>" the person owns, and its label."""
    kind, _, pk = source.partition(":")
    if not (pk.isascii() and pk.isdigit()) or len(pk) > 18:
        return None, ""
    if kind == "preset":
        preset = Preset.objects.filter(pk=int(pk), owner=request.user).first()
        if preset is not None:
            return preset.latest_version.setup, f"Preset “{preset.name}”"
    if kind == "run":
        run = Run.objects.filter(pk=int(pk), owner=request.user).first()
        if run is not None:
            return setup_from_run(run), f"Run {run.pk}"
    return None, ""


def _checks_from(data) -> list[dict[str, str]]:
    types = data.getlist("check_type")
    values = data.getlist("check_value")
    checks = []
    for position, kind in enumerate(types[: MAX_CHECKS * 2]):
        value = without_nul(values[position]) if position < len(values) else ""
        kind = without_nul(kind).strip()
        if kind or value.strip():
            checks.append({"type": kind, "value": value})
    return checks


def _budget_from(text: str) -> tuple[Decimal | None, str]:
    text = text.strip()
    if not text:
        return None, ""
    try:
        budget = Decimal(text)
    except InvalidOperation:
        return None, f"Budget: “{text}” is not an amount in USD."
    if not budget.is_finite() or budget < 0:
        return None, "Budget: give an amount of 0 or more in USD."
    digits = budget.as_tuple()
    if len(digits.digits) > BUDGET_MAX_DIGITS or -digits.exponent > BUDGET_DECIMAL_PLACES:
        return None, f"Budget: at most {BUDGET_DECIMAL_PLACES} decimal places."
    return budget, ""


@login_required
def evaluation_new(request):
    """GET: the form, with a setup from `?source=` (a preset or a run) and a dataset
    from `?dataset=`. POST from the compare page's "Evaluate over a dataset": the form
    with that page's setup. POST with `start`: the evaluation starts, or the form says
    everything that keeps it from starting."""
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    data = request.POST if request.method == "POST" else request.GET
    problems: list[str] = []
    setup, setup_label = None, ""
    if "setup" in data:
        try:
            setup, errors = setup_validate(json.loads(data["setup"]))
        except ValueError:
            setup, errors = None, {"setup": ["is not readable"]}
        if setup is None:
            problems.append(f"The setup cannot be evaluated: {setup_problems(errors)}")
        setup_label = data.get("setup_label", "")[:200]
    elif request.method == "POST" and "models" in data:
        # The compare page's setup, kept in the session for the form to open with (a
        # setup with images is too large for a URL).
        form, _ = compare_form(request, request.POST, request.FILES, purpose="preset")
        if form.is_valid():
            request.session[SESSION_SETUP] = form.cleaned_data["setup"]
            return go_to(request, f"{reverse('evaluation-new')}?source=compare")
        for name, errors in form.errors.items():
            # A field's error ("Enter a number.") says nothing of which field it is here,
            # away from the compare page.
            field = form.fields.get(name)
            lead = f"{field.label}: " if field is not None and field.label else ""
            for error in errors:
                messages.error(
                    request, f"The compare page's setup cannot be evaluated: {lead}{error}"
                )
        return go_to(request, "evaluation-new")
    elif data.get("source") == "compare":
        setup, setup_label = request.session.get(SESSION_SETUP), "The compare page's setup"
        if setup is None:
            problems.append(
                "The compare page's setup is no longer here (a new login clears it): press "
                "“Evaluate over a dataset” on the compare page again, or choose a preset or "
                "a run."
            )
    elif source := data.get("source", ""):
        setup, setup_label = _setup_from_source(request, source)
        if setup is None:
            raise Http404
        else:
            setup, errors = setup_validate(setup)
            if setup is None:
                problems.append(f"That setup cannot be evaluated: {setup_problems(errors)}")
    datasets = list(Dataset.objects.filter(owner=request.user).order_by("name", "pk"))
    chosen = None
    if wanted := data.get("dataset", ""):
        # A dataset, like a preset or a run, that is not the person's does not exist.
        chosen = next((d for d in datasets if d.pk == number_or_404(wanted)), None)
        if chosen is None:
            raise Http404
    checks = _checks_from(data)
    judge_model = without_nul(data.get("judge_model", "")).strip()[:200]
    budget_text = without_nul(data.get("budget", ""))[:50]
    budget, budget_problem = _budget_from(budget_text)
    catalog = catalog_models(request.user)
    estimate = None
    if setup is not None and chosen is not None:
        estimate = evaluation_estimate(
            setup=setup,
            rows=chosen.rows,
            checks=[c for c in checks if c["type"] in CHECK_TYPES],
            judge_model=judge_model,
            catalog=catalog or [],
            budget=budget,
        )
    if request.method == "POST" and "start" in data:
        if setup is None and not problems:
            problems.append("Choose a setup to evaluate: a preset, a run, or the compare page's.")
        if chosen is None:
            problems.append("Choose the dataset to evaluate over.")
        if budget_problem:
            problems.append(budget_problem)
        if setup is not None and not setup["prompt"].strip():
            problems.append("The setup has no prompt: write one on the compare page.")
        if not problems:
            try:
                connection = connection_for(request.user)
                evaluation = evaluation_create(
                    owner=request.user,
                    setup=setup,
                    dataset=chosen,
                    checks=checks,
                    judge_model=judge_model,
                    budget=budget,
                    connection=connection,
                    catalog=catalog,
                )
            except KeyUnavailable:
                problems.append("Your default key can no longer be decrypted: add it again first.")
            except EvaluationRefused as refusal:
                problems += refusal.problems
            else:
                evaluation_start(evaluation)
                return go_to(request, evaluation)
    elif setup is not None and chosen is not None:
        problems += evaluation_problems(
            setup=setup,
            dataset=chosen,
            checks=[c for c in checks if c["type"] in CHECK_TYPES and c["value"].strip()],
            judge_model=judge_model,
            catalog_ids=None if catalog is None else {m.id for m in catalog},
        )
    if not checks and "start" not in data:
        checks = [{"type": "icontains", "value": "{{expected}}"}]
    sources = [
        (f"preset:{preset.pk}", f"Preset “{preset.name}”")
        for preset in Preset.objects.filter(owner=request.user).order_by("name")[:50]
    ] + [
        (f"run:{run.pk}", f"Run {run.pk}: {run.prompt[:60]}")
        for run in Run.objects.filter(owner=request.user, evaluation__isnull=True)[:RECENT_RUNS]
    ]
    context = {
        "setup": setup,
        "setup_json": json.dumps(setup) if setup is not None else "",
        "setup_label": setup_label,
        "variables": variable_names(setup["prompt"], setup["instructions"]) if setup else [],
        "sources": sources,
        "source": data.get("source", ""),
        "datasets": datasets,
        "chosen": chosen,
        "checks": checks,
        "check_types": [(kind, CHECK_LABELS[kind], CHECK_HELP[kind]) for kind in CHECK_TYPES],
        "judge_model": judge_model,
        "catalog": catalog or [],
        "budget": budget_text,
        "estimate": estimate,
        "problems": problems,
        "concurrency": evaluation_concurrency(),
    }
    status = 400 if problems and "start" in data else 200
    return render(request, "playground/evaluations/new.html", context, status=status)


# One evaluation -----------------------------------------------------------------------


def _grid_context(evaluation: Evaluation, request, cells) -> dict:
    failing = request.GET.get("show") == "failing"
    # Only the numbers the filter offers: int() of any digits would take "²" or 5,000 9s.
    positions = {str(position): position for position in range(len(evaluation.checks))}
    check = positions.get(request.GET.get("check", ""))
    sort = request.GET.get("sort", "")
    sort = sort if sort in SORTS else ""
    summaries = sorted_summaries(column_summaries(evaluation, cells), sort)
    order = [summary.position for summary in summaries]
    rows = grid_rows(evaluation, cells, failing=failing, check=check)
    for row in rows:
        row["cells"] = [_cell_view(row["cells"][position]) for position in order]
    return {
        "summaries": summaries,
        "rows": rows,
        "failing": failing,
        "check": check,
        "sort": sort,
        "filters": _filters(failing, check, sort),
    }


def _filters(failing: bool, check: int | None, sort: str) -> str:
    parts = []
    if failing:
        parts.append("show=failing")
    if check is not None:
        parts.append(f"check={check}")
    if sort:
        parts.append(f"sort={sort}")
    return "&".join(parts)


def _cell_view(cell) -> dict | None:
    return None if cell is None else cell_display(cell_record(cell), position=cell.position)


def _since(cells) -> str:
    """The moment of the latest change the page shows, for the next poll."""
    latest = max((cell.updated_at for cell in cells), default=None)
    return "" if latest is None else latest.isoformat()


def _head_context(evaluation: Evaluation, cells) -> dict:
    return {
        "evaluation": evaluation,
        "progress": evaluation_progress(evaluation, cells),
        "since": _since(cells),
    }


@login_required
def evaluation_detail(request, evaluation_id: int):
    evaluation = evaluation_for(request, evaluation_id)
    if refused := refuse_method(request, "GET"):
        return refused
    if evaluations_interrupt_stale(owner=request.user):
        evaluation.refresh_from_db()
    cells = evaluation_cells(evaluation)
    others = Evaluation.objects.filter(
        owner=request.user, dataset_name=evaluation.dataset_name
    ).exclude(pk=evaluation.pk)
    context = _head_context(evaluation, cells) | _grid_context(evaluation, request, cells)
    context["others"] = others[:20]
    return render(request, "playground/evaluations/detail.html", context)


@login_required
def evaluation_progress_view(request, evaluation_id: int):
    """What changed since `since`: the head (status, progress, summaries, actions) and
    every cell that changed, swapped in by id. The page polls it while the evaluation
    is live; the head it returns stops polling once it has ended."""
    evaluation = evaluation_for(request, evaluation_id)
    if refused := refuse_method(request, "GET"):
        return refused
    if evaluations_interrupt_stale(owner=request.user):
        evaluation.refresh_from_db()
    since = None
    try:
        since = datetime.fromisoformat(request.GET.get("since", ""))
    except ValueError:
        since = None
    if since is not None and timezone.is_naive(since):
        since = None
    cells = evaluation_cells(evaluation)
    changed = [cell for cell in cells if since is None or cell.updated_at > since]
    context = _head_context(evaluation, cells) | _grid_context(evaluation, request, cells)
    context["changed"] = [_cell_view(cell) for cell in changed]
    response = render(request, "playground/evaluations/progress.html", context)
    if not evaluation.is_live and context["filters"]:
        # Filtered or sorted, the page could only swap the cells it showed: once it has
        # ended, it is shown again whole, with every cell that now fails and in order.
        response["HX-Refresh"] = "true"
    return response


@login_required
def evaluation_stop_view(request, evaluation_id: int):
    evaluation = evaluation_for(request, evaluation_id)
    if refused := refuse_method(request, "POST"):
        return refused
    if evaluation.is_live:
        evaluation_stop(evaluation)
    return go_to(request, evaluation)


@login_required
def evaluation_resume_view(request, evaluation_id: int):
    """Runs again only the cells not finished, with the key it was started with."""
    evaluation = evaluation_for(request, evaluation_id)
    if refused := refuse_method(request, "POST"):
        return refused
    if evaluation_resume(evaluation):
        evaluation_start(evaluation)
    else:
        messages.error(request, "Only a stopped or interrupted evaluation can be resumed.")
    return go_to(request, evaluation)


@login_required
def evaluation_delete(request, evaluation_id: int):
    evaluation = evaluation_for(request, evaluation_id)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if evaluation.is_live:
        # Its task would go on writing cells of an evaluation that is gone.
        messages.error(request, "Stop the evaluation before deleting it.")
        return go_to(request, evaluation)
    if request.method == "POST":
        evaluation.delete()
        messages.success(request, "Deleted the evaluation and its generations.")
        return go_to(request, "evaluations")
    return render(request, "playground/evaluations/delete.html", {"evaluation": evaluation})


EXPORT_COLUMNS = [
    "row", "model", "status", "passed", "checks_passed", "checks_total", "output", "error",
    "served_model", "served_provider", "input_tokens", "output_tokens", "cost", "judge_cost",
    "ttft_ms", "total_ms", "run_id",
]  # fmt: skip


@login_required
def evaluation_export(request, evaluation_id: int, kind: str):
    """Every cell with its case, checks, usage and timings, as CSV (one line per cell, a
    column per case value and per check) or JSON. Keys are never part of it."""
    evaluation = evaluation_for(request, evaluation_id)
    if refused := refuse_method(request, "GET"):
        return refused
    if kind not in ("csv", "json"):
        raise Http404
    cells = evaluation_cells(evaluation)
    records = [cell_record(cell) for cell in cells]
    filename = f"{slugify(evaluation.name) or 'evaluation'}-{evaluation.pk}.{kind}"
    if kind == "json":
        body = {
            "evaluation": {
                "id": evaluation.pk,
                "name": evaluation.name,
                "status": evaluation.status,
                "dataset": evaluation.dataset_name,
                "models": evaluation.models,
                "setup": evaluation.setup,
                "checks": evaluation.checks,
                "created_at": evaluation.created_at.isoformat(),
            },
            "summaries": [s.as_json() for s in column_summaries(evaluation, cells)],
            "cells": [record | {"case": evaluation.rows[record["row"] - 1]} for record in records],
        }
        response = JsonResponse(body, json_dumps_params={"indent": 2, "ensure_ascii": False})
    else:
        variables = list(evaluation.rows[0]) if evaluation.rows else []
        out = io.StringIO()
        writer = csv.writer(out)
        check_names = [f"check {n}: {c['type']}" for n, c in enumerate(evaluation.checks, 1)]
        writer.writerow([*EXPORT_COLUMNS, *variables, *check_names])
        for record in records:
            case = evaluation.rows[record["row"] - 1]
            results = [_outcome(result) for result in record["checks"]]
            writer.writerow(
                [
                    *(record[name] if record[name] is not None else "" for name in EXPORT_COLUMNS),
                    *(case.get(name, "") for name in variables),
                    *results,
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _outcome(result: dict) -> str:
    """A check's outcome in the CSV: pass or fail, and the reason when there is one (a
    judge gives one for a pass too, and it is all anyone sees of why)."""
    outcome = "pass" if result["passed"] else "fail"
    return f"{outcome}: {result['reason']}" if result["reason"] else outcome


@login_required
def evaluation_compare(request, evaluation_id: int):
    """This evaluation against another of the same dataset (`?with=`): what regressed,
    what was fixed, and the change per model."""
    evaluation = evaluation_for(request, evaluation_id)
    if refused := refuse_method(request, "GET"):
        return refused
    other = evaluation_for(request, request.GET.get("with"))
    if other.dataset_name != evaluation.dataset_name or len(other.rows) != len(evaluation.rows):
        messages.error(request, "Only two evaluations of the same dataset can be compared.")
        return go_to(request, evaluation)
    before, after = sorted((other, evaluation), key=lambda e: (e.created_at, e.pk))
    context = {"before": before, "after": after, **evaluations_compare(before, after)}
    return render(request, "playground/evaluations/compare.html", context)
