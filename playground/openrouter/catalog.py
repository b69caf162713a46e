"""The model catalog from `GET /models`, and the searching, filtering and sorting of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ._values import as_decimal, as_dict, as_list, as_str, is_int

MILLION = Decimal(1_000_000)

# The orders a model list can be shown in; the first is the default.
SORTS = ("name", "price", "context")


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    context_length: int | None
    prompt_price: Decimal | None  # USD per token; None when unknown
    completion_price: Decimal | None  # USD per token; None when unknown
    reasoning: bool
    description: str
    input_modalities: tuple[str, ...] = ()
    output_modalities: tuple[str, ...] = ()
    supported_parameters: frozenset[str] = field(default_factory=frozenset)
    # The most its top provider writes in one answer; None when the catalog gives none.
    max_completion_tokens: int | None = None
    request_price: Decimal | None = Decimal(0)  # USD per request; None when unknown
    image_price: Decimal | None = Decimal(0)  # USD per input image; None when unknown

    @property
    def tools(self) -> bool:
        return "tools" in self.supported_parameters

    @property
    def structured_output(self) -> bool:
        # OpenRouter lists JSON-schema output as "structured_outputs"; "response_format" is
        # the Chat Completions spelling of the same request field.
        return bool(self.supported_parameters & {"structured_outputs", "response_format"})

    @property
    def image_input(self) -> bool:
        return "image" in self.input_modalities

    @property
    def free(self) -> bool:
        return self.prompt_price == 0 and self.completion_price == 0

    @property
    def prompt_price_per_million(self) -> Decimal | None:
        """USD per million input tokens, exact."""
        return None if self.prompt_price is None else self.prompt_price * MILLION

    @property
    def completion_price_per_million(self) -> Decimal | None:
        """USD per million output tokens, exact."""
        return None if self.completion_price is None else self.completion_price * MILLION


def parse_models(body: dict) -> list[ModelInfo]:
    """The models of a `/models` body, sorted by id; entries without an id are skipped."""
    models = [
        _model_info(entry)
        for entry in as_list(body.get("data"))
        if isinstance(entry, dict) and as_str(entry.get("id"))
    ]
    return sorted(models, key=lambda model: model.id)


@dataclass(frozen=True)
class ModelEndpoint:
    """One provider's endpoint of a model: what `provider.only`, `order` and `ignore`
    may name it by (its slug `tag`, such as "deepinfra/fp8", or its name)."""

    tag: str
    provider_name: str

    def answers_to(self, reference: str) -> bool:
        """OpenRouter takes a provider's slug (with or without its variant after "/")
        or its name, in any case."""
        wanted = provider_slug(reference)
        names = {self.tag, self.tag.split("/")[0], self.provider_name}
        return bool(wanted) and wanted in {provider_slug(name) for name in names if name}


def provider_slug(text: str) -> str:
    """A provider reference in one spelling: lower case, words joined by "-"."""
    return "-".join(text.lower().replace("_", " ").replace("-", " ").split())


def parse_endpoints(body: dict) -> list[ModelEndpoint]:
    """The endpoints of a `/models/{author}/{slug}/endpoints` body; entries with neither
    a tag nor a provider name are skipped."""
    data = body.get("data")
    entries = as_list(data.get("endpoints")) if isinstance(data, dict) else []
    endpoints = [
        ModelEndpoint(
            tag=as_str(entry.get("tag")), provider_name=as_str(entry.get("provider_name"))
        )
        for entry in entries
        if isinstance(entry, dict)
    ]
    return [endpoint for endpoint in endpoints if endpoint.tag or endpoint.provider_name]


def models_filter(
    models: Iterable[ModelInfo],
    *,
    search: str = "",
    free: bool = False,
    reasoning: bool = False,
    tools: bool = False,
    image_input: bool = False,
) -> list[ModelInfo]:
    """The models matching every word of `search` (in the name or the id, any case) and
    having every capability asked for."""
    words = search.casefold().split()
    return [
        model
        for model in models
        if all(word in model.name.casefold() or word in model.id.casefold() for word in words)
        and (model.free or not free)
        and (model.reasoning or not reasoning)
        and (model.tools or not tools)
        and (model.image_input or not image_input)
    ]


def models_sort(models: Iterable[ModelInfo], *, by: str) -> list[ModelInfo]:
    """The models by name, by price (input, then output; cheapest first) or by context
    length (longest first). Unknown prices and lengths go last; an unknown order is by name."""
    if by == "price":
        return sorted(models, key=_price_key)
    if by == "context":
        return sorted(models, key=_context_key)
    return sorted(models, key=_name_key)


def _name_key(model: ModelInfo) -> tuple:
    return (model.name.casefold(), model.id)


def _price_key(model: ModelInfo) -> tuple:
    return (
        model.prompt_price is None,
        model.prompt_price or 0,
        model.completion_price is None,
        model.completion_price or 0,
        *_name_key(model),
    )


def _context_key(model: ModelInfo) -> tuple:
    return (model.context_length is None, -(model.context_length or 0), *_name_key(model))


def _model_info(entry: dict) -> ModelInfo:
    pricing = as_dict(entry.get("pricing"))
    architecture = as_dict(entry.get("architecture"))
    context_length = entry.get("context_length")
    max_completion = as_dict(entry.get("top_provider")).get("max_completion_tokens")
    supported = frozenset(
        name for name in as_list(entry.get("supported_parameters")) if isinstance(name, str)
    )
    inputs, outputs = _modalities_of(as_str(architecture.get("modality")))
    return ModelInfo(
        id=entry["id"],
        name=as_str(entry.get("name")) or entry["id"],
        context_length=context_length if is_int(context_length) else None,
        prompt_price=_price(pricing.get("prompt")),
        completion_price=_price(pricing.get("completion")),
        reasoning=isinstance(entry.get("reasoning"), dict)
        or bool(supported & {"reasoning", "include_reasoning"}),
        description=as_str(entry.get("description")),
        input_modalities=_names(architecture.get("input_modalities")) or inputs,
        output_modalities=_names(architecture.get("output_modalities")) or outputs,
        supported_parameters=supported,
        max_completion_tokens=max_completion if _positive(max_completion) else None,
        request_price=_fee(pricing.get("request")),
        image_price=_fee(pricing.get("image")),
    )


def _names(value: Any) -> tuple[str, ...]:
    """A list of names as a tuple without blanks or repeats, in order."""
    names = (name.strip() for name in as_list(value) if isinstance(name, str))
    return tuple(dict.fromkeys(name for name in names if name))


def _modalities_of(modality: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # Older entries only carry the summary string, e.g. "text+image->text".
    if "->" not in modality:
        return (), ()
    inputs, _, outputs = modality.partition("->")
    return _names(inputs.split("+")), _names(outputs.split("+"))


def _price(value: Any) -> Decimal | None:
    price = as_decimal(value)
    # Routers such as openrouter/auto price at "-1": variable, so unknown.
    return price if price is not None and price >= 0 else None


def _fee(value: Any) -> Decimal | None:
    """An optional price: none listed is no fee; one listed but unreadable or "-1" is unknown."""
    return Decimal(0) if value is None or value == "" else _price(value)


def _positive(value: Any) -> bool:
    return is_int(value) and value > 0
