"""What OpenRouter recorded about one generation, from `GET /generation?id=` (SPEC §6)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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


def parse_generation(body: dict) -> Generation:
    """The generation of a `/generation` body; missing or odd fields read as unknown."""
    data = as_dict(body.get("data"))
    return Generation(
        provider_name=as_str(data.get("provider_name")),
        model=as_str(data.get("model")),
        generation_time_ms=as_count(data.get("generation_time")),
        latency_ms=as_count(data.get("latency")),
        native_tokens_prompt=as_count(data.get("native_tokens_prompt")),
        native_tokens_completion=as_count(data.get("native_tokens_completion")),
        native_tokens_reasoning=as_count(data.get("native_tokens_reasoning")),
        native_tokens_cached=as_count(data.get("native_tokens_cached")),
        total_cost=as_decimal(data.get("total_cost")),
    )
