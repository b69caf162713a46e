"""What a validated /responses body asks of the model, besides answering the prompt.

A `Plan` is read from the request alone; whether the chosen model can do it is
`routing`'s business, and how each model does it is its scenario's.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from .validation import WEB_SEARCH_TOOLS

DEFAULT_SEARCH_RESULTS = 3
ENCRYPTED_REASONING = "reasoning.encrypted_content"


@dataclass(frozen=True)
class FunctionTool:
    name: str
    parameters: dict[str, Any] | None


@dataclass(frozen=True)
class ToolResult:
    """A `function_call_output` in the input, with the name of the call it answers."""

    name: str
    output: str


@dataclass(frozen=True)
class JsonFormat:
    """`text.format`: a JSON schema, or any JSON object when `schema` is None."""

    name: str
    schema: dict[str, Any] | None
    strict: bool


@dataclass(frozen=True)
class Image:
    url: str
    detail: str

    @property
    def label(self) -> str:
        """How an answer names it: the URL, or "an uploaded image/png" for a data URL."""
        match = re.match(r"data:(image/[\w.+-]+)", self.url)
        return f"an uploaded {match[1]}" if match else self.url


@dataclass(frozen=True)
class Reasoning:
    enabled: bool = True
    summary: str | None = None
    budget: int | None = None  # reasoning.max_tokens
    encrypted: bool = False


@dataclass(frozen=True)
class Plan:
    # The function to call, when the model is to call one rather than answer.
    call: FunctionTool | None = None
    tools_offered: bool = False
    tool_choice_none: bool = False
    results: tuple[ToolResult, ...] = ()
    json_format: JsonFormat | None = None
    search_results: int | None = None  # None: no web search
    images: tuple[Image, ...] = ()
    reasoning: Reasoning = field(default_factory=Reasoning)
    require_parameters: bool = False


def plan_of(body: dict[str, Any]) -> Plan:
    items = body["input"] if isinstance(body.get("input"), list) else []
    tools = [tool for tool in body.get("tools") or [] if isinstance(tool, dict)]
    functions = [
        FunctionTool(tool["name"], tool.get("parameters"))
        for tool in tools
        if tool.get("type") == "function"
    ]
    choice = body.get("tool_choice")
    results = _trailing_results(items)
    call = None if results else _chosen(functions, choice)
    provider = body.get("provider") if isinstance(body.get("provider"), dict) else {}
    return Plan(
        call=call,
        tools_offered=bool(functions),
        tool_choice_none=choice == "none",
        results=results,
        json_format=_json_format(body.get("text")),
        search_results=_search_results(tools, body.get("plugins")),
        images=_images(items),
        reasoning=_reasoning(body.get("reasoning"), body.get("include")),
        require_parameters=provider.get("require_parameters") is True,
    )


def _chosen(functions: list[FunctionTool], choice: Any) -> FunctionTool | None:
    """The function a model calls: the one tool_choice names, else the first offered."""
    if not functions or choice == "none":
        return None
    if isinstance(choice, dict) and choice.get("type") == "function":
        return next((tool for tool in functions if tool.name == choice.get("name")), None)
    if isinstance(choice, dict) and choice.get("type") != "allowed_tools":
        return None  # a server tool is forced, e.g. web search
    return functions[0]


def _trailing_results(items: list[Any]) -> tuple[ToolResult, ...]:
    """When the input ends with a function_call_output: every output since the last
    user message (one turn may call several tools, one after another), named after the
    call it answers."""
    dicts = [item for item in items if isinstance(item, dict)]
    if not dicts or dicts[-1].get("type") != "function_call_output":
        return ()
    users = [index for index, item in enumerate(dicts) if item.get("role") == "user"]
    turn = dicts[users[-1] + 1 :] if users else dicts
    names = {
        item.get("call_id"): item.get("name")
        for item in dicts
        if item.get("type") == "function_call"
    }
    return tuple(
        ToolResult(names.get(item.get("call_id")) or "the tool", output_text(item.get("output")))
        for item in turn
        if item.get("type") == "function_call_output"
    )


def output_text(output: Any) -> str:
    """A function_call_output's output: a string, or the text of its parts."""
    if isinstance(output, str):
        return output
    texts = []
    for part in output if isinstance(output, list) else []:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif isinstance(part, dict):
            texts.append(f"[{part.get('type', 'part')}]")
    return " ".join(texts)


def _json_format(text: Any) -> JsonFormat | None:
    form = text.get("format") if isinstance(text, dict) else None
    if not isinstance(form, dict):
        return None
    if form.get("type") == "json_schema":
        return JsonFormat(form["name"], form["schema"], form.get("strict") is True)
    if form.get("type") == "json_object":
        return JsonFormat("json_object", None, strict=False)
    return None


def _search_results(tools: list[dict[str, Any]], plugins: Any) -> int | None:
    for tool in tools:
        if tool.get("type") in WEB_SEARCH_TOOLS:
            parameters = tool.get("parameters")
            source = parameters if isinstance(parameters, dict) else tool
            return source.get("max_results") or DEFAULT_SEARCH_RESULTS
    # The deprecated plugin form still works (wire format §2.2).
    for plugin in plugins if isinstance(plugins, list) else []:
        if isinstance(plugin, dict) and plugin.get("id") == "web":
            limit = plugin.get("max_results")
            return limit if type(limit) is int and limit > 0 else DEFAULT_SEARCH_RESULTS
    return None


def _images(items: list[Any]) -> tuple[Image, ...]:
    images = []
    for item in items:
        content = item.get("content") if isinstance(item, dict) else None
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "input_image":
                images.append(Image(part["image_url"], part.get("detail", "auto")))
    return tuple(images)


def _reasoning(reasoning: Any, include: Any) -> Reasoning:
    encrypted = isinstance(include, list) and ENCRYPTED_REASONING in include
    if not isinstance(reasoning, dict):
        return Reasoning(encrypted=encrypted)
    enabled = reasoning.get("enabled") is not False and reasoning.get("effort") != "none"
    budget = reasoning.get("max_tokens")
    return Reasoning(
        enabled=enabled and budget != 0,
        summary=reasoning.get("summary"),
        budget=budget,
        encrypted=encrypted,
    )
