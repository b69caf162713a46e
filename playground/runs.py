"""Creating a run and storing what its stream produced."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from playground.models import Run, RunColumn
from playground.openrouter import RequestParams, build_body, build_headers, redact_headers
from playground.streaming import ColumnState
from playground.upstream import Connection

# Fields a finished stream fills in; saved in one UPDATE per column at the end.
STREAM_FIELDS = [
    "status", "output_text", "reasoning_text", "tool_calls", "input_tokens", "output_tokens",
    "reasoning_tokens", "cached_tokens", "cost", "ttft_ms", "total_ms", "served_model",
    "generation_id", "incomplete_reason", "error", "events", "events_truncated",
    "request_headers", "response_status", "response_headers", "response", "marks",
]  # fmt: skip


def run_create(*, owner, setup: dict[str, Any], connection: Connection) -> Run:
    """Stores a run of a valid setup (playground/setups.py) and, per column, the exact
    request it will send (key redacted).

    The headers come from the same settings the shared client sends them from.
    """
    headers = redact_headers(
        build_headers(
            api_key=connection.api_key,
            app_url=settings.OPENROUTER_APP_URL,
            app_title=settings.OPENROUTER_APP_TITLE,
        )
    )
    parameters = setup["parameters"]
    with transaction.atomic():
        run = Run.objects.create(
            owner=owner,
            prompt=setup["prompt"],
            instructions=setup["instructions"],
            temperature=parameters["temperature"],
            max_output_tokens=parameters["max_output_tokens"],
            reasoning_effort=parameters["reasoning_effort"] or "",
            key_source=connection.source,
            key_hint=connection.key_hint,
            key_label=connection.key_label,
            api_key_id=connection.key_id,
        )
        RunColumn.objects.bulk_create(
            RunColumn(
                run=run,
                position=position,
                model=column["model"],
                request_url=f"{connection.base_url.rstrip('/')}/responses",
                request_body=build_body(
                    RequestParams(
                        model=column["model"],
                        prompt=run.prompt,
                        instructions=run.instructions,
                        temperature=run.temperature,
                        max_output_tokens=run.max_output_tokens,
                        reasoning_effort=run.reasoning_effort or None,
                    )
                ),
                request_headers=headers,
            )
            for position, column in enumerate(setup["columns"])
        )
    return run


def column_apply(column: RunColumn, state: ColumnState) -> None:
    """Copies a column's stream state onto its row (in memory; `run_finish` saves)."""
    fold = state.fold
    if state.cancelled:
        column.status = RunColumn.Status.CANCELLED
    elif fold.status == "completed":
        column.status = RunColumn.Status.DONE
    elif fold.status == "incomplete":
        column.status = RunColumn.Status.INCOMPLETE
    else:
        column.status = RunColumn.Status.ERROR
    column.output_text = fold.text
    column.reasoning_text = fold.reasoning
    column.tool_calls = [
        {"call_id": call.call_id, "name": call.name, "arguments": call.arguments}
        for call in fold.function_calls
    ]
    usage = fold.usage
    if usage is not None:
        column.input_tokens = usage.input_tokens
        column.output_tokens = usage.output_tokens
        column.reasoning_tokens = usage.reasoning_tokens
        column.cached_tokens = usage.cached_tokens
        column.cost = usage.cost
    column.ttft_ms = state.ttft_ms
    column.total_ms = state.total_ms
    column.served_model = fold.model
    column.generation_id = fold.response_id
    column.incomplete_reason = fold.incomplete_reason or ""
    column.error = fold.error.to_dict() if fold.error else None
    if state.cancelled and column.error is None:
        column.error = {"message": "Stopped before the answer was complete.", "kind": "cancelled"}
    column.events = state.events
    column.events_truncated = state.events_truncated
    if state.request_headers:
        # The headers actually sent replace the ones planned when the run was created.
        column.request_headers = state.request_headers
    column.response_status = state.response_status
    column.response_headers = state.response_headers
    column.response = state.fold.response
    column.marks = state.marks


def run_finish(run: Run, columns: list[RunColumn], *, cancelled: bool) -> None:
    """Saves the run's end state and every column in one transaction."""
    run.status = Run.Status.CANCELLED if cancelled else Run.Status.DONE
    run.finished_at = timezone.now()
    with transaction.atomic():
        run.save(update_fields=["status", "finished_at"])
        RunColumn.objects.bulk_update(columns, STREAM_FIELDS)


def run_fail(run: Run, columns: list[RunColumn], *, message: str) -> None:
    """Ends a run that cannot start (its key is gone): every column says why."""
    for column in columns:
        column.status = RunColumn.Status.ERROR
        column.error = {"message": message, "kind": "key"}
    run_finish(run, columns, cancelled=False)
