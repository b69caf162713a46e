"""Which `/responses` bodies OpenRouter refuses with 400 `invalid_prompt` (wire format §2, §5.2).

OpenRouter validates with discriminated unions: an item or tool of an unknown `type`
fails the union, and the zod issues go in `metadata.raw`. Other checks give a message
only, as its Responses skin does.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

PREFIX = "Invalid Responses API request"

ROLES = {"user", "system", "developer", "assistant"}
INPUT_PARTS = {"input_text", "input_image", "input_file", "input_audio", "input_video"}
OUTPUT_PARTS = {"output_text", "refusal"}
IMAGE_DETAILS = {"auto", "low", "high", "original"}
ITEM_TYPES = {
    "message",
    "function_call",
    "function_call_output",
    "reasoning",
    "web_search_call",
    "openrouter:web_search",
    "file_search_call",
    "computer_call",
    "computer_call_output",
    "image_generation_call",
    "code_interpreter_call",
    "local_shell_call",
    "local_shell_call_output",
    "mcp_call",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
    "custom_tool_call",
    "custom_tool_call_output",
    "item_reference",
}
WEB_SEARCH_TOOLS = {
    "openrouter:web_search",
    "web_search",
    "web_search_preview",
    "web_search_preview_2025_03_11",
    "web_search_2025_08_26",
}
TOOL_TYPES = WEB_SEARCH_TOOLS | {
    "function",
    "openrouter:datetime",
    "openrouter:web_fetch",
    "openrouter:image_generation",
    "file_search",
    "code_interpreter",
    "computer_use_preview",
    "image_generation",
    "local_shell",
    "shell",
    "apply_patch",
    "mcp",
    "custom",
}
TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
FORMAT_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
EFFORTS = {"max", "xhigh", "high", "medium", "low", "minimal", "none"}
SUMMARIES = {"auto", "concise", "detailed"}
VERBOSITIES = {"low", "medium", "high"}
SORTS = {"price", "throughput", "latency", "exacto"}
MAX_SEARCH_RESULTS = 25


@dataclass(frozen=True)
class Problem:
    """Why a body is refused; `raw` is zod's issue list, for `metadata.raw`."""

    message: str
    raw: str | None = None


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def request_problem(body: Any) -> Problem | None:
    """Why OpenRouter would refuse this /responses body, or None when it would serve it."""
    try:
        _check(body)
    except _Refused as refused:
        return refused.problem
    return None


def _refuse(message: str) -> None:
    raise _Refused(Problem(message))


def _refuse_union(path: list[str | int], kind: Any) -> None:
    issues = [
        {
            "code": "invalid_union",
            "errors": [],
            "note": "No matching discriminator",
            "discriminator": "type",
            "path": path,
            "message": "Invalid input",
        }
    ]
    where = ".".join(str(part) for part in path)
    raise _Refused(
        Problem(f"{PREFIX}: {where} has an unknown type {kind!r}.", json.dumps(issues, indent=2))
    )


def _check(body: Any) -> None:
    if not isinstance(body, dict):
        _refuse(f"{PREFIX}: the body must be a JSON object.")
    if not isinstance(body.get("input"), str | list):
        _refuse(f"{PREFIX}: input is required (a string or a list of items).")
    _check_models(body)
    if body.get("store") is True:
        _refuse("store: true is not supported. The Responses API is stateless; send store: false.")
    if body.get("previous_response_id") is not None:
        _refuse(
            "previous_response_id is not supported. The Responses API is stateless; "
            "send the earlier turns in input instead."
        )
    limit = body.get("max_output_tokens")
    if limit is not None and (type(limit) is not int or limit < 1):
        _refuse(f"{PREFIX}: max_output_tokens must be a positive integer.")
    _check_sampling(body)
    if isinstance(body["input"], list):
        _check_input(body["input"])
    names = _check_tools(body.get("tools"))
    _check_tool_choice(body.get("tool_choice"), names, body.get("tools"))
    _check_text(body.get("text"))
    _check_reasoning(body.get("reasoning"))
    _check_provider(body.get("provider"))
    include = body.get("include")
    if include is not None and not (
        isinstance(include, list) and all(isinstance(item, str) for item in include)
    ):
        _refuse(f"{PREFIX}: include must be a list of strings.")


def _check_models(body: dict[str, Any]) -> None:
    models = body.get("models")
    if models is not None and not (
        isinstance(models, list) and all(isinstance(model, str) and model for model in models)
    ):
        _refuse(f"{PREFIX}: models must be a list of model IDs.")
    if not isinstance(body.get("model"), str) and not models:
        _refuse(f"{PREFIX}: model is required.")


def _number(body: dict[str, Any], key: str, low: float, high: float) -> None:
    value = body.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        _refuse(f"{PREFIX}: {key} must be a number.")
    if not low <= value <= high:
        _refuse(f"{PREFIX}: {key} must be between {low:g} and {high:g}, got {value}.")


def _check_sampling(body: dict[str, Any]) -> None:
    _number(body, "temperature", 0, 2)
    _number(body, "top_p", 0, 1)
    _number(body, "frequency_penalty", -2, 2)
    _number(body, "presence_penalty", -2, 2)
    top_k = body.get("top_k")
    if top_k is not None and (type(top_k) is not int or top_k < 0):
        _refuse(f"{PREFIX}: top_k must be a non-negative integer.")


def _check_input(items: list[Any]) -> None:
    call_ids: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            _refuse_union(["input", index], type(item).__name__)
        kind = item.get("type", "message" if "role" in item else None)
        if kind not in ITEM_TYPES:
            _refuse_union(["input", index], kind)
        if kind == "message":
            _check_message(item, index)
        elif kind == "function_call":
            for key in ("call_id", "name", "arguments"):
                if not isinstance(item.get(key), str):
                    _refuse(f"{PREFIX}: input.{index}.{key} must be a string.")
            call_ids.add(item["call_id"])
        elif kind == "function_call_output":
            call_id = item.get("call_id")
            if not isinstance(call_id, str):
                _refuse(f"{PREFIX}: input.{index}.call_id must be a string.")
            if not isinstance(item.get("output"), str | list):
                _refuse(f"{PREFIX}: input.{index}.output must be a string or a list of parts.")
            if call_id not in call_ids:
                _refuse(f"No tool call found for function call output with call_id {call_id}.")


def _check_message(item: dict[str, Any], index: int) -> None:
    role = item.get("role")
    if role not in ROLES:
        _refuse(f"{PREFIX}: input.{index}.role must be one of {', '.join(sorted(ROLES))}.")
    content = item.get("content")
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        _refuse(f"{PREFIX}: input.{index}.content must be a string or a list of parts.")
    allowed = INPUT_PARTS | (OUTPUT_PARTS if role == "assistant" else set())
    for number, part in enumerate(content):
        where = ["input", index, "content", number]
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in allowed:
            _refuse_union(where, kind)
        if kind in {"input_text", "output_text"} and not isinstance(part.get("text"), str):
            _refuse(f"{PREFIX}: input.{index}.content.{number}.text must be a string.")
        if kind == "input_image":
            _check_image(part, f"input.{index}.content.{number}")
    if role == "assistant" and any(part["type"] in OUTPUT_PARTS for part in content):
        # An output message being replayed needs its id and status (wire format §2.1).
        for key in ("id", "status"):
            if not isinstance(item.get(key), str):
                _refuse(f"{PREFIX}: input.{index}.{key} is required on an assistant message.")


def _check_image(part: dict[str, Any], where: str) -> None:
    url = part.get("image_url")
    if not isinstance(url, str) or not re.match(r"(https?://|data:image/)", url):
        _refuse(f"{PREFIX}: {where}.image_url must be an http(s) URL or a data:image/ URL.")
    if part.get("detail") not in IMAGE_DETAILS:
        _refuse(f"{PREFIX}: {where}.detail must be one of auto, low, high, original.")


def _check_tools(tools: Any) -> list[str]:
    """The function tools' names."""
    if tools is None:
        return []
    if not isinstance(tools, list):
        _refuse(f"{PREFIX}: tools must be a list.")
    names: list[str] = []
    for index, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind not in TOOL_TYPES:
            _refuse_union(["tools", index], kind)
        if kind == "function":
            names.append(_check_function(tool, index))
        elif kind in WEB_SEARCH_TOOLS:
            _check_web_search(tool, index)
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        _refuse(f"{PREFIX}: tool names must be unique; {sorted(duplicates)[0]!r} is repeated.")
    return names


def _check_function(tool: dict[str, Any], index: int) -> str:
    name = tool.get("name")
    if not isinstance(name, str) or not TOOL_NAME.fullmatch(name):
        _refuse(
            f"{PREFIX}: tools.{index}.name must be 1 to 64 letters, digits, underscores or dashes."
        )
    parameters = tool.get("parameters")
    if parameters is not None:
        kind = parameters.get("type") if isinstance(parameters, dict) else type(parameters).__name__
        if not isinstance(parameters, dict) or kind != "object":
            _refuse(
                f"Invalid schema for function '{name}': schema must be a JSON Schema of "
                f"'type: \"object\"', got 'type: \"{kind}\"'."
            )
    strict = tool.get("strict")
    if strict is not None and not isinstance(strict, bool):
        _refuse(f"{PREFIX}: tools.{index}.strict must be a boolean or null.")
    return name


def _check_web_search(tool: dict[str, Any], index: int) -> None:
    parameters = tool.get("parameters", tool)
    if not isinstance(parameters, dict):
        _refuse(f"{PREFIX}: tools.{index}.parameters must be an object.")
    limit = parameters.get("max_results")
    if limit is not None and (type(limit) is not int or not 1 <= limit <= MAX_SEARCH_RESULTS):
        _refuse(
            f"{PREFIX}: tools.{index}.parameters.max_results must be an integer from 1 to "
            f"{MAX_SEARCH_RESULTS}."
        )


def _check_tool_choice(choice: Any, names: list[str], tools: Any) -> None:
    if choice is None:
        return
    if isinstance(choice, str):
        if choice not in {"auto", "none", "required"}:
            _refuse(f"{PREFIX}: tool_choice must be auto, none, required or a tool.")
        if choice == "required" and not tools:
            _refuse("Tool choice 'required' must be specified with 'tools' parameter.")
        return
    if not isinstance(choice, dict) or not isinstance(choice.get("type"), str):
        _refuse(f"{PREFIX}: tool_choice must be auto, none, required or a tool.")
    if choice["type"] == "function" and choice.get("name") not in names:
        _refuse(f"Tool choice 'function' not found in 'tools' parameter: {choice.get('name')!r}.")


def _check_text(text: Any) -> None:
    if text is None:
        return
    if not isinstance(text, dict):
        _refuse(f"{PREFIX}: text must be an object.")
    verbosity = text.get("verbosity")
    if verbosity is not None and verbosity not in VERBOSITIES:
        _refuse(f"{PREFIX}: text.verbosity must be low, medium or high.")
    form = text.get("format")
    if form is None:
        return
    kind = form.get("type") if isinstance(form, dict) else None
    if kind not in {"text", "json_object", "json_schema"}:
        _refuse_union(["text", "format"], kind)
    if kind == "json_schema":
        if not isinstance(form.get("name"), str) or not FORMAT_NAME.fullmatch(form["name"]):
            _refuse(
                f"{PREFIX}: text.format.name must be 1 to 64 letters, digits, underscores "
                "or dashes."
            )
        if not isinstance(form.get("schema"), dict):
            _refuse(f"{PREFIX}: text.format.schema must be a JSON Schema object.")
        strict = form.get("strict")
        if strict is not None and not isinstance(strict, bool):
            _refuse(f"{PREFIX}: text.format.strict must be a boolean or null.")


def _check_reasoning(reasoning: Any) -> None:
    if reasoning is None:
        return
    if not isinstance(reasoning, dict):
        _refuse(f"{PREFIX}: reasoning must be an object.")
    effort, budget = reasoning.get("effort"), reasoning.get("max_tokens")
    if effort is not None and effort not in EFFORTS:
        _refuse(f"{PREFIX}: reasoning.effort must be one of {', '.join(sorted(EFFORTS))}.")
    summary = reasoning.get("summary")
    if summary is not None and summary not in SUMMARIES:
        _refuse(f"{PREFIX}: reasoning.summary must be auto, concise or detailed.")
    if budget is not None and (type(budget) is not int or budget < 0):
        _refuse(f"{PREFIX}: reasoning.max_tokens must be a non-negative integer.")
    if effort is not None and budget is not None:
        _refuse(f"{PREFIX}: reasoning takes effort or max_tokens, not both.")
    enabled = reasoning.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        _refuse(f"{PREFIX}: reasoning.enabled must be a boolean.")


def _check_provider(provider: Any) -> None:
    if provider is None:
        return
    if not isinstance(provider, dict):
        _refuse(f"{PREFIX}: provider must be an object.")
    for key in ("order", "only", "ignore"):
        value = provider.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(slug, str) and slug for slug in value)
        ):
            _refuse(f"{PREFIX}: provider.{key} must be a list of provider names.")
    for key in ("allow_fallbacks", "zdr", "require_parameters"):
        value = provider.get(key)
        if value is not None and not isinstance(value, bool):
            _refuse(f"{PREFIX}: provider.{key} must be a boolean.")
    sort = provider.get("sort")
    if sort is not None and not isinstance(sort, dict) and sort not in SORTS:
        _refuse(f"{PREFIX}: provider.sort must be price, throughput or latency.")
    collection = provider.get("data_collection")
    if collection is not None and collection not in {"allow", "deny"}:
        _refuse(f"{PREFIX}: provider.data_collection must be allow or deny.")
    prices = provider.get("max_price")
    if prices is None:
        return
    if not isinstance(prices, dict):
        _refuse(f"{PREFIX}: provider.max_price must be an object.")
    for key, value in prices.items():
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            _refuse(f"{PREFIX}: provider.max_price.{key} must be a number.")
        try:
            number = float(value)
        except ValueError:
            number = -1
        if not number >= 0:
            _refuse(f"{PREFIX}: provider.max_price.{key} must be a non-negative number.")
