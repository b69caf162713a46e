"""What a run page shows of its columns."""

from django import template

from playground.core import formatting
from playground.models import RunColumn
from playground.runs.column_view import ColumnView

register = template.Library()


@register.simple_tag
def column_view(column) -> ColumnView:
    """`{% column_view column as view %}`: the facts a finished column shows. Reads no
    more from the database, so a stream may render it."""
    return ColumnView(column)


@register.filter
def status_label(column: RunColumn) -> str:
    """A finished column's status as its pill shows it: an incomplete one says why."""
    if column.status == RunColumn.Status.INCOMPLETE and column.incomplete_reason:
        return f"incomplete: {formatting.humanize_reason(column.incomplete_reason)}"
    return str(column.status)
