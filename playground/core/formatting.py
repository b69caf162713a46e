"""How amounts and durations are written for people: money exactly as reported (never
rounded), milliseconds as ms or s. Templates reach these as filters
(templatetags/playground.py); code that writes text or CSV calls them here."""

from decimal import Decimal


def plain_decimal(value: Decimal | None) -> str:
    """A decimal written out in full without padding: 0.0000225 → "0.0000225", None → ""."""
    if value is None:
        return ""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def milliseconds(value: int | None) -> str:
    """412 → "412 ms"; 2310 → "2.31 s"; None → "—"."""
    if value is None:
        return "—"
    if value < 1000:
        return f"{value} ms"
    return f"{value / 1000:.2f} s"


def per_million(price: Decimal | None) -> str:
    """A per-token USD price as USD per million tokens, without trailing zeros."""
    if price is None:
        return "?"
    text = f"{price * 1_000_000:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def humanize_reason(reason: str) -> str:
    """An incomplete_details.reason as words: "max_output_tokens" → "max output tokens"."""
    return reason.replace("_", " ")


def usd(value: Decimal | None) -> str:
    """An exact amount in USD, never rounded: 0.000045 → "$0.000045", None → "—"."""
    return f"${plain_decimal(value)}" if value is not None else "—"


def percent_change(delta: float | None) -> str:
    """A change of a rate (0 to 1) in percentage points: "+20 pts", "-5 pts", "0 pts"."""
    if delta is None:
        return ""
    points = round(delta * 100)
    sign = "+" if points > 0 else ("-" if points < 0 else "")
    return f"{sign}{abs(points)} pts"
