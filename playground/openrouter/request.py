"""The body and headers of a streamed `POST /responses` call, and the input items of a
conversation's history (wire format §2)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
REASONING_SUMMARIES = ("auto", "concise", "detailed")
VERBOSITIES = ("low", "medium", "high")
# What `include` asks for: reasoning an upstream would otherwise keep to itself.
ENCRYPTED_REASONING = "reasoning.encrypted_content"
TOOL_CHOICES = ("auto", "none", "required")
PROVIDER_SORTS = ("price", "throughput", "latency")
DATA_COLLECTION = ("allow", "deny")
WEB_SEARCH_MAX_RESULTS = 10
# The name rule OpenAI applies to function tools and JSON schema formats, which providers
# behind OpenRouter enforce with a 400.
NAME_PATTERN = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_IMAGE_URL = re.compile(r"https://\S+|data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+")
# A float carries any decimal of up to 15 significant digits unchanged (DBL_DIG).
_PRICE_DIGITS = 15


@dataclass(frozen=True)
class FunctionTool:
    """A function the model may call; `parameters` is the JSON schema of its arguments."""

    name: str
    description: str = ""
    parameters: dict = field(default_factory=dict)
    strict: bool | None = None

    def __post_init__(self) -> None:
        _check_name(self.name, "tool")
        if not isinstance(self.description, str):
            raise ValueError(f"The description of tool {self.name!r} must be text.")
        if not isinstance(self.parameters, dict):
            raise ValueError(f"The parameters of tool {self.name!r} must be a JSON schema object.")
        _check_optional_bool(self.strict, f"The strict setting of tool {self.name!r}")

    def to_api(self) -> dict[str, Any]:
        # Flat, Responses style; Chat's nested {"function": {...}} is rejected (wire format §2.2).
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "strict": self.strict,
        }


@dataclass(frozen=True)
class JsonSchemaFormat:
    """Structured output: the answer must be JSON matching `schema`."""

    name: str
    schema: dict
    strict: bool = True

    def __post_init__(self) -> None:
        _check_name(self.name, "JSON schema")
        if not isinstance(self.schema, dict):
            raise ValueError("The JSON schema must be a JSON object.")
        if not isinstance(self.strict, bool):
            raise ValueError("The strict setting of the JSON schema must be true or false.")

    def to_api(self) -> dict[str, Any]:
        # Flat, Responses style: not nested under a "json_schema" key (wire format §2).
        return {
            "type": "json_schema",
            "name": self.name,
            "schema": self.schema,
            "strict": self.strict,
        }


@dataclass(frozen=True)
class ProviderPreferences:
    """OpenRouter's routing preferences; provider slugs such as "deepinfra". Max prices
    are USD per million tokens."""

    order: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    sort: str | None = None
    allow_fallbacks: bool | None = None
    data_collection: str | None = None
    zdr: bool | None = None
    max_price_prompt: Decimal | None = None
    max_price_completion: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("order", "only", "ignore"):
            _set_tuple(self, name, _check_names(getattr(self, name), f"Provider {name}"))
        _check_choice(self.sort, PROVIDER_SORTS, "provider sort")
        _check_choice(self.data_collection, DATA_COLLECTION, "data collection setting")
        _check_optional_bool(self.allow_fallbacks, "Allow fallbacks")
        _check_optional_bool(self.zdr, "Zero data retention")
        _check_price(self.max_price_prompt, "prompt")
        _check_price(self.max_price_completion, "completion")

    def to_api(self) -> dict[str, Any]:
        """Only the preferences that were set; {} when none were."""
        body: dict[str, Any] = {}
        for name in ("order", "only", "ignore"):
            if slugs := getattr(self, name):
                body[name] = list(slugs)
        optional = {
            "allow_fallbacks": self.allow_fallbacks,
            "data_collection": self.data_collection,
            "zdr": self.zdr,
            "sort": self.sort,
        }
        body |= {name: value for name, value in optional.items() if value is not None}
        max_price = {
            "prompt": self.max_price_prompt,
            "completion": self.max_price_completion,
        }
        if any(price is not None for price in max_price.values()):
            body["max_price"] = {
                name: _json_number(price) for name, price in max_price.items() if price is not None
            }
        return body


@dataclass(frozen=True)
class RequestParams:
    """One column's request. None (or empty) means "not sent": the provider's default
    applies. Every value is checked here, so a body is never built from one that
    OpenRouter would refuse for its shape; raises ValueError with a message to show."""

    model: str
    prompt: str
    instructions: str = ""
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    reasoning_effort: str | None = None
    top_k: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    reasoning_summary: str | None = None
    reasoning_max_tokens: int | None = None
    verbosity: str | None = None
    tools: tuple[FunctionTool, ...] = ()
    tool_choice: str | None = None
    web_search_max_results: int | None = None
    json_schema: JsonSchemaFormat | None = None
    provider: ProviderPreferences | None = None
    fallback_models: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    history: tuple[dict, ...] = ()
    # Ask for the reasoning as an opaque blob, so the next turn can send it back: the
    # API keeps nothing between calls (wire format §2, `include`).
    keep_reasoning: bool = False

    def __post_init__(self) -> None:
        for name in ("tools", "fallback_models", "images", "history"):
            value = getattr(self, name)
            if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
                raise ValueError(f"{_label(name)} must be a list.")
            _set_tuple(self, name, value)
        _check_number(self.temperature, "Temperature", 0, 2)
        _check_number(self.top_p, "Top P", 0, 1)
        _check_number(self.frequency_penalty, "Frequency penalty", -2, 2)
        _check_number(self.presence_penalty, "Presence penalty", -2, 2)
        _check_whole(self.top_k, "Top K", 0)
        _check_whole(self.max_output_tokens, "Max output tokens", 1)
        _check_whole(self.reasoning_max_tokens, "The reasoning token budget", 1)
        _check_whole(
            self.web_search_max_results, "Web search max results", 1, WEB_SEARCH_MAX_RESULTS
        )
        _check_choice(self.reasoning_effort, REASONING_EFFORTS, "reasoning effort")
        _check_choice(self.reasoning_summary, REASONING_SUMMARIES, "reasoning summary")
        _check_choice(self.verbosity, VERBOSITIES, "verbosity")
        if self.reasoning_effort is not None and self.reasoning_max_tokens is not None:
            # OpenRouter takes one or the other (wire format §2, `reasoning`).
            raise ValueError("Set a reasoning effort or a reasoning token budget, not both.")
        self._check_tools()
        if self.json_schema is not None and not isinstance(self.json_schema, JsonSchemaFormat):
            raise ValueError("The JSON schema format is not a JsonSchemaFormat.")
        if self.provider is not None and not isinstance(self.provider, ProviderPreferences):
            raise ValueError("The provider preferences are not ProviderPreferences.")
        _check_names(self.fallback_models, "Fallback models")
        for url in self.images:
            _check_image_url(url)
        if not all(isinstance(item, dict) for item in self.history):
            raise ValueError("Every history item must be a JSON object.")

    def _check_tools(self) -> None:
        if not all(isinstance(tool, FunctionTool) for tool in self.tools):
            raise ValueError("Every tool must be a FunctionTool.")
        names = [tool.name for tool in self.tools]
        if duplicate := next((name for name in names if names.count(name) > 1), None):
            raise ValueError(f"Two tools are named {duplicate!r}; tool names must differ.")
        choice = self.tool_choice
        if choice is not None and choice not in TOOL_CHOICES and choice not in names:
            raise ValueError(
                f"The tool choice {choice!r} is neither auto, none, required"
                " nor the name of a function tool."
            )


def build_body(params: RequestParams) -> dict[str, Any]:
    """The JSON body, keys in the order of the wire format's example request (§2)."""
    body: dict[str, Any] = {"model": params.model}
    if params.instructions:
        body["instructions"] = params.instructions
    body["input"] = _input(params)
    tools = [tool.to_api() for tool in params.tools]
    if params.web_search_max_results is not None:
        tools.append(
            {
                "type": "openrouter:web_search",
                "parameters": {"max_results": params.web_search_max_results},
            }
        )
    if tools:
        body["tools"] = tools
    if params.tool_choice is not None:
        body["tool_choice"] = (
            params.tool_choice
            if params.tool_choice in TOOL_CHOICES
            else {"type": "function", "name": params.tool_choice}
        )
    reasoning = {
        "effort": params.reasoning_effort,
        "max_tokens": params.reasoning_max_tokens,
        "summary": params.reasoning_summary,
    }
    if any(value is not None for value in reasoning.values()):
        body["reasoning"] = {name: value for name, value in reasoning.items() if value is not None}
    if params.keep_reasoning:
        body["include"] = [ENCRYPTED_REASONING]
    text: dict[str, Any] = {}
    if params.json_schema is not None:
        text["format"] = params.json_schema.to_api()
    if params.verbosity is not None:
        text["verbosity"] = params.verbosity
    if text:
        body["text"] = text
    optional = {
        "max_output_tokens": params.max_output_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "top_k": params.top_k,
        "frequency_penalty": params.frequency_penalty,
        "presence_penalty": params.presence_penalty,
    }
    body |= {name: value for name, value in optional.items() if value is not None}
    if params.fallback_models:
        body["models"] = [params.model, *params.fallback_models]
    if params.provider is not None and (provider := params.provider.to_api()):
        body["provider"] = provider
    body["stream"] = True
    return body


def _input(params: RequestParams) -> list[dict]:
    items = list(params.history)
    # A continuation after tool results ends with their function_call_output items: the
    # model answers them, with no new user message.
    if params.prompt or params.images or not items:
        items.append(user_message(params.prompt, params.images))
    return items


def user_message(text: str, images: Sequence[str] = ()) -> dict[str, Any]:
    """A user turn: its text, then its images (https:// or data:image/... URLs)."""
    for url in images:
        _check_image_url(url)
    return {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": text},
            # `detail` is required by OpenRouter's schema (wire format §2.1).
            *({"type": "input_image", "image_url": url, "detail": "auto"} for url in images),
        ],
    }


def assistant_message(id: str, text: str) -> dict[str, Any]:
    """An earlier answer replayed; OpenRouter requires its `id` and `status` (wire format §2.1)."""
    return {
        "type": "message",
        "role": "assistant",
        "id": id,
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def reasoning_item(id: str, summary: list, encrypted_content: str) -> dict[str, Any]:
    """Earlier reasoning replayed as it came: its summary parts and its opaque blob,
    unchanged (wire format §2.1)."""
    return {
        "type": "reasoning",
        "id": id,
        "summary": summary,
        "encrypted_content": encrypted_content,
    }


def function_call_item(id: str, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """A tool call the model made, replayed before its output."""
    return {
        "type": "function_call",
        "id": id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


def function_call_output_item(call_id: str, output: str) -> dict[str, Any]:
    """The result of the tool call `call_id`, as the person typed it."""
    return {"type": "function_call_output", "call_id": call_id, "output": output}


def build_headers(*, api_key: str, app_url: str, app_title: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {api_key}",
        "HTTP-Referer": app_url,
        "X-OpenRouter-Title": app_title,
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
    }


def redact_key(key: str) -> str:
    if not key:
        return ""
    # A key this short would be shown whole; real keys are ~70 characters.
    if len(key) <= 4:
        return "…"
    return f"…{key[-4:]}"


# OpenRouter's keys start with this; showing it tells a reader which kind of key was sent
# without giving away any of the random part.
KEY_PREFIX = "sk-or-"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers as they may be logged or shown: the API key reduced to OpenRouter's
    public prefix and its last four, "Bearer sk-or-…abcd"."""
    redacted = dict(headers)
    for name, value in headers.items():
        if name.lower() == "authorization":
            key = value.removeprefix("Bearer ")
            prefix = KEY_PREFIX if key.startswith(KEY_PREFIX) and len(key) > 16 else ""
            redacted[name] = f"Bearer {prefix}{redact_key(key)}"
    return redacted


def _json_number(value: Decimal) -> int | float:
    """A Decimal as the JSON number with the same digits.

    The body goes through the standard `json` encoder (httpx's `json=`, and the stored
    copy of the request), which cannot write a Decimal, and a price must go out as a
    number, not a string. A float is written with its shortest repr, which gives back the
    exact digits of any decimal of at most 15 significant digits, and prices are checked
    to have no more: Decimal("0.15") goes out as 0.15, never 0.15000000000000002.
    """
    return int(value) if value == value.to_integral_value() else float(value)


def _set_tuple(instance: object, name: str, value: Sequence) -> None:
    # Frozen dataclasses: lists given by callers are stored as tuples, so a value cannot
    # change after it was checked.
    object.__setattr__(instance, name, tuple(value))


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _check_name(name: Any, what: str) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"The {what} name {name!r} must be 1 to 64 letters, digits, underscores or hyphens."
        )


def _check_names(values: Any, what: str) -> tuple[str, ...]:
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Sequence):
        raise ValueError(f"{what} must be a list of names.")
    if not all(isinstance(value, str) and value.strip() for value in values):
        raise ValueError(f"{what} must be a list of non-empty names.")
    return tuple(values)


def _check_choice(value: Any, choices: tuple[str, ...], what: str) -> None:
    if value is not None and value not in choices:
        raise ValueError(f"Unknown {what} {value!r}: use one of {', '.join(choices)}.")


def _check_optional_bool(value: Any, what: str) -> None:
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{what} must be true, false or unset.")


def _check_number(value: Any, what: str, low: float, high: float) -> None:
    if value is None:
        return
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{what} must be a number from {low} to {high}, not {value!r}.")


def _check_whole(value: Any, what: str, low: int, high: int | None = None) -> None:
    if value is None:
        return
    in_range = (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value >= low
        and (high is None or value <= high)
    )
    if not in_range:
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ValueError(f"{what} must be a whole number {bounds}, not {value!r}.")


def _check_price(value: Any, which: str) -> None:
    if value is None:
        return
    what = f"The max {which} price"
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"{what} must be a decimal amount of USD of at least 0, not {value!r}.")
    if len(value.normalize().as_tuple().digits) > _PRICE_DIGITS:
        raise ValueError(f"{what} has more than {_PRICE_DIGITS} significant digits.")


def _check_image_url(url: Any) -> None:
    if not isinstance(url, str) or not _IMAGE_URL.fullmatch(url):
        shown = url[:60] + "…" if isinstance(url, str) and len(url) > 60 else url
        raise ValueError(
            f"The image {shown!r} is neither an https:// URL nor a base64 data URL"
            " of a PNG, JPEG, GIF or WebP image."
        )
