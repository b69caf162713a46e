"""Creating a run and storing what its stream produced."""

import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import OperationalError, transaction
from django.db import connection as database
from django.utils import timezone

from playground.core.formatting import plain_decimal
from playground.models import Run, RunColumn
from playground.openrouter import (
    Generation,
    ModelInfo,
    build_body,
    build_headers,
    redact_headers,
)
from playground.runs.streaming import ColumnState
from playground.setups.estimates import RunEstimate, run_estimate
from playground.setups.format import setup_normalize, setup_request_params
from playground.setups.variables import fill
from playground.upstream.connection import Connection

# Fields a finished stream fills in; saved in one UPDATE per column at the end.
STREAM_FIELDS = [
    "status", "output_text", "reasoning_text", "tool_calls", "input_tokens", "output_tokens",
    "reasoning_tokens", "cached_tokens", "cost", "ttft_ms", "total_ms", "served_model",
    "generation_id", "incomplete_reason", "error", "events", "events_truncated",
    "request_headers", "response_status", "response_headers", "response", "marks",
    "served_provider", "citations", "reasoning_encrypted",
]  # fmt: skip

# Pauses before the final write is tried again when the database is busy ("database is
# locked") or gone for a moment: until it succeeds, the answers exist only in memory.
FINAL_WRITE_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)
# Every column ends within PLAYGROUND_COLUMN_MAX_SECONDS; a run still "streaming" this
# much later has no stream left (its server process stopped) and will never end alone.
STALE_MARGIN_SECONDS = 60
INTERRUPTED_ERROR = {
    "message": "The server stopped before this answer was complete.",
    "kind": "interrupted",
}

logger = logging.getLogger(__name__)


class BudgetExceeded(ValueError):
    """The run's worst case is over its budget (or unknown while it has one)."""


def key_fields(connection: Connection) -> dict[str, Any]:
    """A new run's record of the key it uses (never the key itself)."""
    return {
        "key_source": connection.source,
        "key_hint": connection.key_hint,
        "key_label": connection.key_label,
        "api_key_id": connection.key_id,
    }


def request_fields(connection: Connection) -> dict[str, Any]:
    """A new column's request URL and headers (key redacted), from the same settings the
    shared client sends them from."""
    headers = build_headers(
        api_key=connection.api_key,
        app_url=settings.OPENROUTER_APP_URL,
        app_title=settings.OPENROUTER_APP_TITLE,
    )
    return {
        "request_url": f"{connection.base_url.rstrip('/')}/responses",
        "request_headers": redact_headers(headers),
    }


def run_create(
    *,
    owner,
    setup: dict[str, Any],
    connection: Connection,
    catalog: Iterable[ModelInfo] | None = None,
    estimate: RunEstimate | None = None,
    keep_running: bool = False,
    evaluation=None,
    blind: bool = False,
) -> Run:
    """Stores a run of a valid setup (playground/setups/format.py, any version) and, per column,
    the exact request it will send (key redacted) and, given the catalog, its worst-case
    cost (playground/setups/estimates.py). A column whose model (or a fallback) reasons asks for
    its reasoning back (`include`), so that a next turn can send it again.

    Raises BudgetExceeded, saving nothing, when the catalog shows the worst case over the
    setup's budget. `estimate`, when the caller has one of this setup from this catalog
    (the compare form's), is used rather than made again. `keep_running`: the run goes
    on when nobody watches it (playground/runs/live.py). `evaluation`: the evaluation
    the run is a cell (or a judge call) of. `blind`: the columns are shuffled (the stored
    setup too: every later use of it reads columns by position) and shown as Model A, B,
    … until the person votes or reveals them.
    """
    setup = setup_normalize(setup)
    catalog = None if catalog is None else list(catalog)
    if blind:
        columns = list(setup["columns"])
        secrets.SystemRandom().shuffle(columns)
        setup = {**setup, "columns": columns}
        estimate = None  # its columns are in the order before the shuffle
    if estimate is None and catalog is not None:
        estimate = run_estimate(setup, catalog)
    reasoners = {model.id for model in catalog or () if model.reasoning}
    if estimate is not None and (problem := estimate.budget_problem()):
        raise BudgetExceeded(problem)
    request = request_fields(connection)
    parameters = setup["parameters"]
    budget = setup["budget"]
    with transaction.atomic():
        run = Run.objects.create(
            owner=owner,
            # As sent: the history and the page show what the models were asked.
            prompt=fill(setup["prompt"], setup["variables"]),
            instructions=fill(setup["instructions"], setup["variables"]),
            temperature=parameters["temperature"],
            max_output_tokens=parameters["max_output_tokens"],
            reasoning_effort=parameters["reasoning_effort"] or "",
            setup=setup,
            budget=None if budget is None else Decimal(budget),
            keep_running=keep_running,
            evaluation=evaluation,
            blind=blind,
            **key_fields(connection),
        )
        RunColumn.objects.bulk_create(
            RunColumn(
                run=run,
                position=position,
                model=column["model"],
                request_body=build_body(
                    setup_request_params(
                        setup,
                        position,
                        keep_reasoning=bool(
                            reasoners & {column["model"], *column["fallback_models"]}
                        ),
                    )
                ),
                **request,
                cost_estimate=estimate.columns[position].stored if estimate else None,
            )
            for position, column in enumerate(setup["columns"])
        )
    return run


def column_apply(column: RunColumn, state: ColumnState) -> None:
    """Copies a column's stream state onto its row (in memory; `run_finish` saves)."""
    fold = state.fold
    if state.interrupted:
        column.status = RunColumn.Status.ERROR
    elif state.cancelled:
        column.status = RunColumn.Status.CANCELLED
    elif fold.status == "completed":
        column.status = RunColumn.Status.DONE
    elif fold.status == "incomplete":
        column.status = RunColumn.Status.INCOMPLETE
    else:
        column.status = RunColumn.Status.ERROR
    column.output_text = fold.text
    # Reasoning text and summaries, in output order; the section that shows them is the same.
    column.reasoning_text = fold.reasoning
    column.reasoning_encrypted = fold.reasoning_encrypted
    # The item `id` too: replaying a call in the next request names it (wire format §2.1).
    column.tool_calls = [asdict(call) for call in fold.function_calls]
    column.citations = [asdict(citation) for citation in fold.citations]
    usage = fold.usage
    if usage is not None:
        column.input_tokens = usage.input_tokens
        column.output_tokens = usage.output_tokens
        column.reasoning_tokens = usage.reasoning_tokens
        column.cached_tokens = usage.cached_tokens
        column.cost = usage.cost
    column.ttft_ms = state.ttft_ms
    column.total_ms = state.total_ms
    # Cut to their columns' size: the upstream decides how long these are.
    column.served_model = fold.served_model[:200]
    column.served_provider = fold.served_provider[:200]
    column.generation_id = fold.response_id
    column.incomplete_reason = fold.incomplete_reason or ""
    column.error = fold.error.to_dict() if fold.error else None
    if state.interrupted and column.error is None:
        column.error = INTERRUPTED_ERROR
    elif state.cancelled and column.error is None:
        column.error = {
            "message": state.cancel_message or "Stopped before the answer was complete.",
            "kind": "cancelled",
        }
    column.events = state.events
    column.events_truncated = state.events_truncated
    if state.request_headers:
        # The headers actually sent replace the ones planned when the run was created.
        column.request_headers = state.request_headers
    column.response_status = state.response_status
    column.response_headers = state.response_headers
    column.response = state.fold.response
    column.marks = state.marks


def columns_save(columns: list[RunColumn]) -> None:
    """Writes what the streams filled in, one UPDATE per column: bulk_update's CASE
    expressions over large JSON values cost several times the CPU, which stalls the
    worker's other streams."""
    for column in columns:
        column.save(update_fields=STREAM_FIELDS)


def run_finish(
    run: Run, columns: list[RunColumn], *, cancelled: bool, interrupted: bool = False
) -> None:
    """Saves the run's end state and every column in one transaction, tried again a few
    times when the database is busy or briefly gone.

    `interrupted`: the stream was ended because the server is stopping. Raises
    OperationalError when every try failed (the run then stays "streaming" until it is
    found stale and marked interrupted).
    """
    if interrupted:
        run.status = Run.Status.INTERRUPTED
    else:
        run.status = Run.Status.CANCELLED if cancelled else Run.Status.DONE
    run.finished_at = timezone.now()
    for pause in (*FINAL_WRITE_RETRY_DELAYS, None):
        try:
            with transaction.atomic():
                run.save(update_fields=["status", "finished_at"])
                columns_save(columns)
            return
        except OperationalError:
            if pause is None:
                raise
            logger.warning("Saving run %s failed; trying again in %g s", run.pk, pause)
            if not database.in_atomic_block:
                # A connection that broke is opened again by the next query.
                database.close()
            time.sleep(pause)


def stale_before() -> datetime:
    """A run still streaming that started before this has no stream left."""
    seconds = settings.PLAYGROUND_COLUMN_MAX_SECONDS + STALE_MARGIN_SECONDS
    return timezone.now() - timedelta(seconds=seconds)


def runs_interrupt_stale(*, owner=None) -> int:
    """Marks as interrupted the runs left "streaming" by a server process that stopped
    (their own or everyone's); returns how many. Their columns that never ended say so."""
    stale = Run.objects.filter(status=Run.Status.STREAMING, started_at__lt=stale_before())
    if owner is not None:
        stale = stale.filter(owner=owner)
    return _runs_interrupt(list(stale.values_list("pk", flat=True)))


def run_interrupt_abandoned(run: Run) -> bool:
    """Marks this run interrupted if it is still "streaming" while no task generates it
    (the process that ran its task stopped), and then reloads it."""
    marked = _runs_interrupt([run.pk]) > 0
    run.refresh_from_db()
    return marked


def _runs_interrupt(ids: list[int]) -> int:
    if not ids:
        return 0
    with transaction.atomic():
        marked = Run.objects.filter(pk__in=ids, status=Run.Status.STREAMING).update(
            status=Run.Status.INTERRUPTED, finished_at=timezone.now()
        )
        RunColumn.objects.filter(
            run__in=ids,
            run__status=Run.Status.INTERRUPTED,
            status__in=[RunColumn.Status.PENDING, RunColumn.Status.STREAMING],
        ).update(status=RunColumn.Status.ERROR, error=INTERRUPTED_ERROR)
    return marked


def run_interrupt_if_stale(run: Run) -> bool:
    """Marks this run interrupted if it is stale (see `runs_interrupt_stale`), and then
    reloads it."""
    if run.status != Run.Status.STREAMING or run.started_at is None:
        return False
    if run.started_at >= stale_before():
        return False
    marked = runs_interrupt_stale(owner=run.owner_id) > 0
    run.refresh_from_db()
    return marked


def run_cancel_unstarted(run: Run) -> bool:
    """Cancels a run whose task has not started (still pending): its columns say so."""
    with transaction.atomic():
        marked = Run.objects.filter(pk=run.pk, status=Run.Status.PENDING).update(
            status=Run.Status.CANCELLED, finished_at=timezone.now()
        )
        if marked:
            run.columns.update(
                status=RunColumn.Status.CANCELLED,
                error={"message": "Stopped before it started.", "kind": "cancelled"},
            )
    run.refresh_from_db()
    return bool(marked)


def run_fail(run: Run, columns: list[RunColumn], *, message: str) -> None:
    """Ends a run that cannot start (its key is gone): every column says why."""
    for column in columns:
        column.status = RunColumn.Status.ERROR
        column.error = {"message": message, "kind": "key"}
    run_finish(run, columns, cancelled=False)


def generation_record(generation: Generation) -> dict[str, Any]:
    """A generation record as stored on its column (`RunColumn.generation`); the cost as
    a string, so that it is kept exactly as billed."""
    return asdict(generation) | {"total_cost": plain_decimal(generation.total_cost) or None}


def generation_failure(message: str) -> dict[str, str]:
    """What a column stores when its generation record could not be had: the reason."""
    return {"error": message}


def columns_save_generation(columns: list[RunColumn]) -> None:
    """Stores the generation records looked up after the run was saved."""
    with transaction.atomic():
        for column in columns:
            column.save(update_fields=["generation"])
