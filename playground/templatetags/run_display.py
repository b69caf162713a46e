"""What a run page shows of its columns."""

from django import template

from playground.core import formatting
from playground.models import RunColumn
from playground.runs.column_view import ColumnView
from playground.runs.structured_output import json_schema_format

register = template.Library()


@register.simple_tag
def column_view(column) -> ColumnView:
    """`{% column_view column as view %}`: the facts a finished column shows. Reads no
    more from the database, so a stream may render it."""
    return ColumnView(column)


@register.filter
def streams_markdown(column: RunColumn) -> bool:
    """Whether the column's answer streams as rendered markdown (runs/task.py): all but
    an answer checked against a JSON schema, which streams as its text."""
    return json_schema_format(column.request_body) is None


@register.filter
def status_label(column: RunColumn) -> str:
    """A finished column's status as its pill shows it: an incomplete one says why."""
    if column.status == RunColumn.Status.INCOMPLETE and column.incomplete_reason:
        return f"incomplete: {formatting.humanize_reason(column.incomplete_reason)}"
    return str(column.status)
