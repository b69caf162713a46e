"""Tolerant readers for JSON values whose shape is not guaranteed.

Each returns the empty value of its type (0, "", {}, [], None) when the value is
missing or has another shape, so that an odd payload never raises.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def as_int(value: Any) -> int:
    return value if is_int(value) else 0


def as_count(value: Any) -> int | None:
    """A whole number, or a number with a fraction rounded (durations in ms); None when
    missing or not a number, so that unknown stays apart from zero."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if isinstance(value, int):
        return value
    return round(value) if math.isfinite(value) else None


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_decimal(value: Any) -> Decimal | None:
    """A number or numeric string as an exact Decimal (floats via their shortest repr)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


# Neither NUL nor a lone surrogate can be encoded for the browser or stored in
# PostgreSQL: in text from upstream, each becomes U+FFFD.
_UNSAFE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    return _UNSAFE_CHARACTERS.sub("\ufffd", text)


def clean_json(value: Any) -> Any:
    """Decoded JSON with every string (keys too) passed through `clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_json(key): clean_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    return value
