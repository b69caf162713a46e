"""The formatting helpers of playground/core/formatting.py, as template filters."""

from django import template

from playground.core import formatting

register = template.Library()
register.filter("milliseconds", formatting.milliseconds)
register.filter("per_million", formatting.per_million)
register.filter("humanize_reason", formatting.humanize_reason)
register.filter("usd", formatting.usd)
register.filter("percent_change", formatting.percent_change)
