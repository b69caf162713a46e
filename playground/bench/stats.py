"""Percentiles, the direct-versus-app difference and the app-over-bare-relay ratio the
figures are made of."""

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 to 100), interpolated between the nearest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def added_ms(app: Sequence[float], direct: Sequence[float], q: float) -> float:
    """What the app adds at the q-th percentile, in ms: the app's percentile minus the
    direct one, both measured interleaved under the same conditions. Noise can make the
    difference slightly negative; that reads as nothing measurable, 0."""
    return max(0.0, ms(percentile(app, q) - percentile(direct, q)))


def ratio(app: float | None, bare: float | None) -> float | None:
    """The app's figure over the bare relay's, or None when either is missing or the bare
    relay's is 0 (nothing to divide by: a difference too small to measure)."""
    if app is None or bare is None or bare == 0:
        return None
    return round(app / bare, 3)


def busiest(shares: dict[str, float]) -> str:
    """The process that used the most CPU (its share of one core), of those measured."""
    return max(shares, key=lambda name: shares[name])
