"""Tolerant readers for JSON values whose shape is not guaranteed.

Each returns the empty value of its type (0, "", {}, [], None) when the value is
missing or has another shape, so that an odd payload never raises.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def as_int(value: Any) -> int:
    return value if is_int(value) else 0


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
