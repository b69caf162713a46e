"""The model catalog from `GET /models`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ._values import as_decimal, as_dict, as_list, as_str, is_int


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    context_length: int | None
    prompt_price: Decimal | None  # USD per token
    completion_price: Decimal | None  # USD per token
    reasoning: bool
    description: str


def parse_models(body: dict) -> list[ModelInfo]:
    """The models of a `/models` body, sorted by id; entries without an id are skipped."""
    models = [
        _model_info(entry)
        for entry in as_list(body.get("data"))
        if isinstance(entry, dict) and as_str(entry.get("id"))
    ]
    return sorted(models, key=lambda model: model.id)


def _model_info(entry: dict) -> ModelInfo:
    pricing = as_dict(entry.get("pricing"))
    context_length = entry.get("context_length")
    supported = {as_str(name) for name in as_list(entry.get("supported_parameters"))}
    return ModelInfo(
        id=entry["id"],
        name=as_str(entry.get("name")) or entry["id"],
        context_length=context_length if is_int(context_length) else None,
        prompt_price=_price(pricing.get("prompt")),
        completion_price=_price(pricing.get("completion")),
        reasoning=isinstance(entry.get("reasoning"), dict)
        or bool(supported & {"reasoning", "include_reasoning"}),
        description=as_str(entry.get("description")),
    )


def _price(value: Any) -> Decimal | None:
    price = as_decimal(value)
    # Routers such as openrouter/auto price at "-1": variable, so unknown.
    return price if price is not None and price >= 0 else None
