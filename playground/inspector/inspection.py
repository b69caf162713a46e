"""What the inspector shows of a column's stream, and what a run's JSON download holds.

A column keeps its stream as a list of entries in arrival order, each with `t_ms` (ms
since the request was sent) and either `event` (the decoded payload) or `comment` (an
SSE comment line, such as OpenRouter's keep-alive).
"""

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from playground.core.formatting import milliseconds, plain_decimal
from playground.inspector.charts import Bar, Chart, bar_chart
from playground.models import Run, RunColumn, StreamJSONEncoder
from playground.setups.format import setup_from_run

EVENTS_PER_PAGE = 100
# The type the event filter gives comment lines; no Responses event is named like this.
COMMENT = "comment"
RUN_FORMAT = "model-playground.run"
RUN_FORMAT_VERSION = 1


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, cls=StreamJSONEncoder)


def entry_type(entry: dict) -> str:
    if "comment" in entry:
        return COMMENT
    event = entry.get("event")
    kind = event.get("type") if isinstance(event, dict) else None
    return kind if isinstance(kind, str) and kind else "(no type)"


@dataclass(frozen=True)
class EventRow:
    """One line of the inspector's stream list."""

    number: int  # arrival order, from 1
    t_ms: float | None
    type: str
    sequence_number: int | None
    comment: str | None
    payload: dict | None

    @property
    def is_comment(self) -> bool:
        return self.comment is not None

    @property
    def payload_json(self) -> str:
        return pretty_json(self.payload)


def _row(number: int, entry: dict) -> EventRow:
    event = entry.get("event")
    sequence = event.get("sequence_number") if isinstance(event, dict) else None
    return EventRow(
        number=number,
        t_ms=entry.get("t_ms"),
        type=entry_type(entry),
        sequence_number=sequence if isinstance(sequence, int) else None,
        comment=entry.get("comment"),
        payload=event if isinstance(event, dict) else None,
    )


def event_types(column: RunColumn) -> list[tuple[str, int]]:
    """The types in the column's stream with how many of each, in order of first arrival."""
    return list(Counter(entry_type(entry) for entry in column.events).items())


@dataclass(frozen=True)
class EventPage:
    rows: list[EventRow]
    matching: int  # entries of the chosen type in the whole stream
    page: int
    has_more: bool

    @property
    def next_page(self) -> int:
        return self.page + 1


def event_page(column: RunColumn, *, type_filter: str = "", page: int = 1) -> EventPage:
    """One page of the stream, filtered by type; numbers stay those of the whole stream."""
    page = max(page, 1)
    numbered = [
        (number, entry)
        for number, entry in enumerate(column.events, start=1)
        if not type_filter or entry_type(entry) == type_filter
    ]
    start = (page - 1) * EVENTS_PER_PAGE
    chosen = numbered[start : start + EVENTS_PER_PAGE]
    return EventPage(
        rows=[_row(number, entry) for number, entry in chosen],
        matching=len(numbered),
        page=page,
        has_more=start + EVENTS_PER_PAGE < len(numbered),
    )


def _iso(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def column_export(column: RunColumn) -> dict[str, Any]:
    """Everything the inspector knows of one column; the key appears only masked."""
    return {
        "position": column.position,
        "model": column.model,
        "status": column.status,
        "served_model": column.served_model,
        "served_provider": column.served_provider,
        "generation_id": column.generation_id,
        # What `GET /generation` reported after the answer, or why it could not be had.
        "generation": column.generation,
        "continues_column": column.previous_id,
        "error": column.error,
        "incomplete_reason": column.incomplete_reason,
        "request": {
            "method": "POST",
            "url": column.request_url,
            "headers": column.request_headers,
            "body": column.request_body,
        },
        "response": {
            "status": column.response_status,
            "headers": column.response_headers,
            "object": column.response,
        },
        "output_text": column.output_text,
        "reasoning_text": column.reasoning_text,
        "tool_calls": column.tool_calls,
        "citations": column.citations,
        "reasoning_encrypted": column.reasoning_encrypted,
        # The cost as a string, as in the usage CSV: JSON numbers would round a cost such
        # as 0.0000225 in most readers.
        "usage": {**column.token_counts, "cost_usd": column.cost_number or None},
        "timings": {**column.timings, **column.marks},
        "events": column.events,
        "events_truncated": column.events_truncated,
    }


def run_export(run: Run) -> dict[str, Any]:
    """A run as one JSON document: its setup and every column, without the key."""
    columns = list(run.columns.all())
    return {
        "format": RUN_FORMAT,
        "version": RUN_FORMAT_VERSION,
        "run": {
            "id": run.pk,
            "status": run.status,
            "created_at": _iso(run.created_at),
            "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at),
            "continues_run": run.parent_id,
            "key": run.key_description,
            "setup": setup_from_run(run),
        },
        "columns": [column_export(column) for column in columns],
    }


def comparison_charts(columns: list[RunColumn]) -> list[Chart]:
    """One chart per figure, a bar per column: time to first token, total time, output
    speed and cost. A column without the figure gets an empty bar marked "—"."""

    def label(column: RunColumn) -> str:
        return f"{column.position + 1}. {column.model}"

    def chart(title: str, unit: str, value, display) -> Chart:
        bars = []
        for column in columns:
            number = value(column)
            bars.append(
                Bar(
                    label=label(column),
                    value=number or 0,
                    display=display(number) if number is not None else "—",
                )
            )
        return bar_chart(title=title, bars=bars, unit=unit, horizontal=True)

    return [
        chart("Time to first token", "ms", lambda c: c.ttft_ms, milliseconds),
        chart("Total time", "ms", lambda c: c.total_ms, milliseconds),
        chart(
            "Output speed", "tokens/s", lambda c: c.tokens_per_second, lambda v: f"{v:.1f} tok/s"
        ),
        chart("Cost", "USD", lambda c: c.cost, lambda v: f"${plain_decimal(v)}"),
    ]
