"""What OpenRouter says about an API key, from `GET /key` (wire format §6, "GET /api/v1/key")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from ._values import as_decimal, as_dict, as_str


@dataclass(frozen=True)
class KeyInfo:
    """Amounts are USD; `limit`, `limit_remaining` and `limit_reset` are None for a key
    without a credit limit.

    `label` is the name the key was given on openrouter.ai, or for an unnamed key a
    masked form of the key itself ("sk-or-v1-au7...890"): callers that show or store it
    must check it shares nothing with the key.
    """

    label: str
    limit: Decimal | None
    limit_remaining: Decimal | None
    limit_reset: str | None  # "daily", "weekly", "monthly"
    usage: Decimal | None
    is_free_tier: bool  # has never bought credits
    expires_at: datetime | None


def parse_key_info(body: dict) -> KeyInfo:
    """The key info of a `/key` body; missing or odd fields read as unknown."""
    data = as_dict(body.get("data"))
    return KeyInfo(
        label=as_str(data.get("label")),
        limit=as_decimal(data.get("limit")),
        limit_remaining=as_decimal(data.get("limit_remaining")),
        limit_reset=as_str(data.get("limit_reset")) or None,
        usage=as_decimal(data.get("usage")),
        is_free_tier=data.get("is_free_tier") is True,
        expires_at=_datetime(data.get("expires_at")),
    )


def _datetime(value: object) -> datetime | None:
    text = as_str(value)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    # OpenRouter writes UTC ("2027-12-31T23:59:59Z"); a bare timestamp is read as UTC too.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
