"""What OpenRouter recorded about one generation, from `GET /generation?id=` (wire format §6)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ._values import as_count, as_decimal, as_dict, as_str


@dataclass(frozen=True)
class Generation:
    """A generation's provider, timings and the provider's own token counts. Counts and
    times are None when OpenRouter did not report them; `total_cost` is USD."""

    provider_name: str
    model: str
    generation_time_ms: int | None
    latency_ms: int | None  # until the first token
    native_tokens_prompt: int | None
    native_tokens_completion: int | None
    native_tokens_reasoning: int | None
    native_tokens_cached: int | None
    total_cost: Decimal | None


# The API's names for the fields whose names here carry their unit.
_API_NAMES = {"generation_time_ms": "generation_time", "latency_ms": "latency"}


def parse_generation(body: dict) -> Generation:
    """The generation of a `/generation` body; missing or odd fields read as unknown."""
    return _generation(as_dict(body.get("data")), _API_NAMES)


def stored_generation(record: dict) -> Generation:
    """A generation as a column stores it: its fields by name, the cost as a string."""
    return _generation(record, {})


def _generation(data: dict, names: dict[str, str]) -> Generation:
    def get(field: str) -> Any:
        return data.get(names.get(field, field))

    return Generation(
        provider_name=as_str(get("provider_name")),
        model=as_str(get("model")),
        generation_time_ms=as_count(get("generation_time_ms")),
        latency_ms=as_count(get("latency_ms")),
        native_tokens_prompt=as_count(get("native_tokens_prompt")),
        native_tokens_completion=as_count(get("native_tokens_completion")),
        native_tokens_reasoning=as_count(get("native_tokens_reasoning")),
        native_tokens_cached=as_count(get("native_tokens_cached")),
        total_cost=as_decimal(get("total_cost")),
    )
