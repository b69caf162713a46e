from decimal import Decimal

from django import template

from playground.models import plain_decimal

register = template.Library()


@register.filter
def milliseconds(value: int | None) -> str:
    """412 → "412 ms"; 2310 → "2.31 s"; None → "—"."""
    if value is None:
        return "—"
    if value < 1000:
        return f"{value} ms"
    return f"{value / 1000:.2f} s"


@register.filter
def per_million(price: Decimal | None) -> str:
    """A per-token USD price as USD per million tokens, without trailing zeros."""
    if price is None:
        return "?"
    text = f"{price * 1_000_000:.4f}".rstrip("0").rstrip(".")
    return text or "0"


@register.filter
def humanize_reason(reason: str) -> str:
    """An incomplete_details.reason as words: "max_output_tokens" → "max output tokens"."""
    return reason.replace("_", " ")


@register.filter
def usd(value: Decimal | None) -> str:
    """An exact amount in USD, never rounded: 0.000045 → "$0.000045", None → "—"."""
    return f"${plain_decimal(value)}" if value is not None else "—"
