"""What a run may cost at worst, before it starts, from the catalog's prices.

The prompt's tokens are estimated from its text at about CHARS_PER_TOKEN characters a
token: the prompt, the instructions, the tools (name, description and parameters schema)
and the structured output schema, plus IMAGE_TOKENS per image. The output is counted at
its cap: the smallest of the column's max output tokens, the most its model writes (the
catalog's `top_provider.max_completion_tokens`) and the model's context length less the
prompt. The model's fees are added: its price per request and per input image. A column
with fallback models costs at worst what its dearest model costs. Prices are USD per
token, as Decimal. Web search fees (charged per search or per result, as many as the model
makes) are not counted, nor a provider charging more than the catalog's price.
"""

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from playground.core.formatting import plain_decimal
from playground.openrouter import ModelInfo
from playground.setups.format import column_parameters, setup_normalize

CHARS_PER_TOKEN = 4
# OpenAI's count for one image of up to 1024 by 1024 pixels at detail "auto" (the
# detail the playground sends): 85 tokens plus 170 for each of 4 tiles.
IMAGE_TOKENS = 765
# Where a stored estimate rounds to (RunColumn.cost_estimate has 12 decimal places).
STORED_QUANTUM = Decimal("1e-12")


@dataclass(frozen=True)
class ColumnEstimate:
    position: int
    model: str
    prompt_tokens: int
    output_tokens: int | None  # the cap counted; None when unknown
    output_limit: str  # what capped the output: one of OUTPUT_LIMITS
    cost: Decimal | None  # USD at worst; None when a price or limit is unknown
    problem: str = ""  # why the cost is unknown
    images: int = 0
    fees: Decimal = Decimal(0)  # of the cost, USD for the request and its images

    @property
    def number(self) -> int:
        return self.position + 1

    @property
    def display(self) -> str:
        return "unknown" if self.cost is None else f"≤ {money_at_most(self.cost)}"

    @property
    def cost_number(self) -> str:
        return plain_decimal(self.cost)

    @property
    def fees_display(self) -> str:
        return money_at_most(self.fees)

    @property
    def stored(self) -> Decimal | None:
        """The cost as RunColumn.cost_estimate keeps it, rounded up."""
        return None if self.cost is None else self.cost.quantize(STORED_QUANTUM, ROUND_CEILING)


@dataclass(frozen=True)
class RunEstimate:
    columns: tuple[ColumnEstimate, ...]
    budget: Decimal | None = None

    @property
    def total(self) -> Decimal | None:
        costs = [column.cost for column in self.columns]
        return None if any(cost is None for cost in costs) else sum(costs, Decimal(0))

    @property
    def total_number(self) -> str:
        """The exact total written out ("0.0000525"), empty when unknown."""
        return plain_decimal(self.total)

    @property
    def prompt_tokens(self) -> int:
        return self.columns[0].prompt_tokens if self.columns else 0

    @property
    def display(self) -> str:
        total = self.total
        return "unknown" if total is None else f"≤ {money_at_most(total)}"

    @property
    def over_budget(self) -> bool:
        """Whether the worst case may exceed the budget (an unknown cost may)."""
        if self.budget is None:
            return False
        total = self.total
        return total is None or total > self.budget

    @property
    def budget_display(self) -> str:
        return "" if self.budget is None else f"${plain_decimal(self.budget)}"

    def budget_problem(self) -> str:
        """Why the run may not start under its budget; empty when it may."""
        if not self.over_budget:
            return ""
        unknown = next((column for column in self.columns if column.cost is None), None)
        if unknown is not None:
            return (
                f"The budget of {self.budget_display} cannot be kept: the cost of column "
                f"{unknown.number} ({unknown.model}) cannot be estimated ({unknown.problem})."
            )
        return (
            f"At worst this run costs {money_at_most(self.total)}, over its budget of "
            f"{self.budget_display}. Set a lower max output tokens, use fewer or cheaper "
            "models, or raise the budget."
        )


def money_at_most(amount: Decimal) -> str:
    """An upper bound shown short: cents from $1, else two significant digits, always
    rounded up ("$0.0042" for 0.00411)."""
    if amount <= 0:
        return "$0"
    quantum = Decimal("0.01") if amount >= 1 else Decimal(1).scaleb(amount.adjusted() - 1)
    return f"${plain_decimal(amount.quantize(quantum, ROUND_CEILING))}"


def prompt_tokens(setup: dict[str, Any]) -> int:
    """The estimated input tokens of a setup's request (the same for every column)."""
    texts = [setup["prompt"], setup["instructions"]]
    for tool in setup["tools"]:
        texts += [tool["name"], tool.get("description", ""), json.dumps(tool["parameters"])]
    if schema := setup["structured_output"]:
        texts += [schema["name"], json.dumps(schema["schema"])]
    characters = sum(len(text) for text in texts)
    return math.ceil(characters / CHARS_PER_TOKEN) + IMAGE_TOKENS * len(setup["images"])


@dataclass(frozen=True)
class Prompt:
    tokens: int  # estimated, images included
    images: int


def body_prompt(body: dict[str, Any]) -> Prompt:
    """The estimated input of a request body as stored: every text in it (the whole
    conversation so far, instructions, tools, the schema) at CHARS_PER_TOKEN, each image
    at IMAGE_TOKENS."""
    characters = images = 0
    pending: list[Any] = [body.get(key) for key in ("input", "instructions", "tools", "text")]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            characters += len(value)
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            if value.get("type") == "input_image":
                images += 1
                continue
            pending.extend(value.values())
    return Prompt(math.ceil(characters / CHARS_PER_TOKEN) + IMAGE_TOKENS * images, images)


def requests_estimate(
    bodies: Sequence[dict[str, Any]], catalog: Iterable[ModelInfo], budget: Decimal | None
) -> RunEstimate:
    """The worst case of a run made of these request bodies (a follow-up's, which carry
    the conversation so far), held to `budget`."""
    by_id = {model.id: model for model in catalog}
    return RunEstimate(
        columns=tuple(
            _worst_case(
                position,
                (body["model"], *[m for m in body.get("models", []) if m != body["model"]]),
                body_prompt(body),
                body.get("max_output_tokens"),
                by_id,
            )
            for position, body in enumerate(bodies)
        ),
        budget=budget,
    )


# What may cap a column's output, as the estimate names it ("up to N tokens (its …)").
OUTPUT_LIMITS = ("max output tokens", "output limit", "context length")


def _output_cap(info: ModelInfo, tokens: int, max_output: int | None) -> tuple[int, str]:
    """The most output tokens a column may be charged for, and what sets that: the
    smallest of its max output tokens, its model's output limit and the context left
    after the prompt. (0, "") when none is known."""
    context_left = None if info.context_length is None else max(info.context_length - tokens, 0)
    caps = [
        (cap, name)
        for cap, name in zip(
            (max_output, info.max_completion_tokens, context_left), OUTPUT_LIMITS, strict=True
        )
        if cap is not None
    ]
    return min(caps, key=lambda cap: cap[0]) if caps else (0, "")


def _worst_case(
    position: int,
    models: Sequence[str],
    prompt: Prompt,
    max_output: int | None,
    catalog: Mapping[str, ModelInfo],
) -> ColumnEstimate:
    """The dearest of `models` for `prompt` in, up to its output cap out, and its fees."""
    worst: ColumnEstimate | None = None
    for model_id in models:
        info = catalog.get(model_id)
        if info is None or info.prompt_price is None or info.completion_price is None:
            problem = f"no price for {model_id}"
        elif info.request_price is None or (prompt.images and info.image_price is None):
            fee = "request" if info.request_price is None else "image"
            problem = f"no price per {fee} for {model_id}"
        elif not (cap := _output_cap(info, prompt.tokens, max_output))[1]:
            problem = f"no max output tokens, output limit or context length for {model_id}"
        else:
            output, limit = cap
            fees = info.request_price + prompt.images * (info.image_price or 0)
            cost = prompt.tokens * info.prompt_price + output * info.completion_price + fees
            if worst is None or cost > worst.cost:
                worst = ColumnEstimate(
                    position, models[0], prompt.tokens, output, limit, cost, "", prompt.images, fees
                )
            continue
        return ColumnEstimate(position, models[0], prompt.tokens, None, "", None, problem)
    assert worst is not None
    return worst


def model_worst_case(
    model: str, prompt_tokens: int, max_output: int | None, catalog: Mapping[str, ModelInfo]
) -> ColumnEstimate:
    """The worst case of one request to `model` of `prompt_tokens` in and at most
    `max_output` out (an evaluation's judge, which reads an answer not written yet)."""
    return _worst_case(0, (model,), Prompt(prompt_tokens, 0), max_output, catalog)


def run_estimate(setup: dict[str, Any], catalog: Iterable[ModelInfo]) -> RunEstimate:
    """Every column's worst case and the run's budget."""
    setup = setup_normalize(setup)
    by_id = {model.id: model for model in catalog}
    budget = setup["budget"]
    prompt = Prompt(prompt_tokens(setup), len(setup["images"]))  # the same for every column
    return RunEstimate(
        columns=tuple(
            # Each column's worst case: its dearest model (its own or a fallback).
            _worst_case(
                position,
                (column["model"], *column["fallback_models"]),
                prompt,
                column_parameters(setup, position)["max_output_tokens"],
                by_id,
            )
            for position, column in enumerate(setup["columns"])
        ),
        budget=None if budget is None else Decimal(str(budget)),
    )
