"""What a run page shows of its columns and its conversation."""

from django import template

from playground.column_view import ColumnView
from playground.conversations import Conversation, conversation_of

register = template.Library()


@register.simple_tag
def column_view(column) -> ColumnView:
    """`{% column_view column as view %}`: the facts a finished column shows. Reads no
    more from the database, so a stream may render it."""
    return ColumnView(column)


@register.simple_tag
def conversation(run, columns) -> Conversation:
    """`{% conversation run columns as convo %}`: the earlier turns of the run's
    conversation, the later ones, and the follow-up box (on the latest turn)."""
    return conversation_of(run, columns)
