"""A compare setup: what a preset stores, a run starts from and a share shows.

The setup format, version 2 (also the `setup` of each preset in an export file):

    {"version": 2,
     "prompt": "…", "instructions": "…",
     "parameters": {"temperature": 0.7, "top_p": null, "top_k": null,
                    "max_output_tokens": 500, "frequency_penalty": null,
                    "presence_penalty": null, "reasoning_effort": "low",
                    "reasoning_max_tokens": null, "reasoning_summary": null,
                    "verbosity": null},
     "same_settings": true,
     "columns": [
       {"model": "openai/gpt-5", "parameters": {}, "routing": {}, "fallback_models": []},
       {"model": "meta-llama/llama-3.3-70b-instruct",
        "parameters": {"temperature": 0.2},
        "routing": {"order": ["deepinfra", "together"], "only": [], "ignore": [],
                    "sort": "price", "allow_fallbacks": false, "data_collection": "deny",
                    "zdr": true, "max_price_prompt": "0.5", "max_price_completion": "1.5"},
        "fallback_models": ["mistralai/mistral-small"]}],
     "tools": [{"name": "get_weather", "description": "…",
                "parameters": {"type": "object", "properties": {…}, "required": […]},
                "strict": true}],
     "tool_choice": "auto",
     "web_search": {"max_results": 3},
     "structured_output": {"name": "answer", "schema": {"type": "object", …}, "strict": true},
     "images": ["https://…/photo.jpg", "data:image/png;base64,…"],
     "budget": "0.05",
     "variables": {"city": "Lisbon"}}

- `parameters` are the run's; null leaves the model's default. A run's parameter is sent
  to every column as set: OpenRouter ignores one a model does not take, and the compare
  page says which columns ignore which.
- `same_settings`: every column uses the run's parameters. When false, a column's own
  `parameters` (only those set) replace the run's; a column that sets a reasoning effort
  or a reasoning token budget replaces both (OpenRouter takes one or the other).
- `routing`: OpenRouter's provider preferences for that column, only those set; slugs
  such as "deepinfra"; max prices are USD per million tokens, as decimal strings.
- `fallback_models`: tried in order when the column's model cannot serve (`models`).
- `web_search`: null when off. `structured_output`, `tool_choice`: null when unused.
- `images`: https:// URLs and uploaded images as base64 data: URLs (PNG, JPEG, GIF or
  WebP, checked by their content), sent with the prompt to every column.
- `budget`: the most the run may cost at worst, in USD, as a decimal string; null for
  none.
- `variables`: the value of each `{{name}}` the prompt and the instructions use
  (playground/setups/variables.py), filled in when the request is built; `prompt` and
  `instructions` keep the variables as written. An evaluation gives each case its own.

Version 1 setups (no "version"; parameters temperature, max_output_tokens and
reasoning_effort; columns of {"model": …} only) keep opening: `setup_normalize` reads
them as version 2 with everything else unset.

Every limit is in playground/setups/limits.py. The rules of the values are
playground/setups/rules.py's, on plain data: setup_validate (validation.py) checks a setup
from a file or an import by them, and the compare form (forms.py) checks its fields by
them, so a setup that is stored can always be opened and run.
"""

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.datastructures import MultiValueDict

from playground.openrouter import (
    FunctionTool,
    JsonSchemaFormat,
    ProviderPreferences,
    RequestParams,
)
from playground.setups.variables import fill

VERSION = 2
# The run's parameters, in the order the form shows them.
PARAMETERS = (
    "temperature",
    "top_p",
    "top_k",
    "max_output_tokens",
    "frequency_penalty",
    "presence_penalty",
    "reasoning_effort",
    "reasoning_max_tokens",
    "reasoning_summary",
    "verbosity",
)
# How OpenRouter's catalog names each parameter in a model's `supported_parameters`.
SUPPORT_NAMES = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "max_output_tokens": "max_tokens",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "reasoning_effort": "reasoning",
    "reasoning_max_tokens": "reasoning",
    "reasoning_summary": "reasoning",
    "verbosity": "verbosity",
}
PARAMETER_LABELS = {
    "temperature": "Temperature",
    "top_p": "Top P",
    "top_k": "Top K",
    "max_output_tokens": "Max output tokens",
    "frequency_penalty": "Frequency penalty",
    "presence_penalty": "Presence penalty",
    "reasoning_effort": "Reasoning effort",
    "reasoning_max_tokens": "Reasoning token budget",
    "reasoning_summary": "Reasoning summary",
    "verbosity": "Verbosity",
}
REASONING_CHOICE = ("reasoning_effort", "reasoning_max_tokens")
PROVIDER_LISTS = ("order", "only", "ignore")
ROUTING = (
    *PROVIDER_LISTS,
    "sort",
    "allow_fallbacks",
    "data_collection",
    "zdr",
    "max_price_prompt",
    "max_price_completion",
)
DEFAULT_WEB_SEARCH_RESULTS = 3
DEFAULT_SCHEMA_NAME = "answer"


def setup_normalize(setup: dict[str, Any]) -> dict[str, Any]:
    """A stored setup (version 1 or 2) as a complete version 2 setup."""
    parameters = setup.get("parameters") or {}
    return {
        "version": VERSION,
        "prompt": setup.get("prompt", ""),
        "instructions": setup.get("instructions", ""),
        "parameters": {name: blank_to_none(parameters.get(name)) for name in PARAMETERS},
        "same_settings": setup.get("same_settings", True),
        "columns": [_column(column) for column in setup.get("columns", [])],
        "tools": list(setup.get("tools") or []),
        "tool_choice": setup.get("tool_choice") or None,
        "web_search": setup.get("web_search") or None,
        "structured_output": setup.get("structured_output") or None,
        "images": list(setup.get("images") or []),
        "budget": setup.get("budget"),
        "variables": dict(setup.get("variables") or {}),
    }


def _column(column: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": column.get("model", ""),
        "parameters": {
            name: value
            for name, value in (column.get("parameters") or {}).items()
            if name in PARAMETERS
        },
        "routing": {
            name: value for name, value in (column.get("routing") or {}).items() if name in ROUTING
        },
        "fallback_models": list(column.get("fallback_models") or []),
    }


def blank_to_none(value: Any) -> Any:
    # A blank form field means the model's default; 0 (a temperature) is a real value.
    return None if value in ("", None) else value


def setup_from_values(
    *,
    prompt: str,
    instructions: str,
    parameters: dict[str, Any],
    models: list[str],
    **rest: Any,
) -> dict[str, Any]:
    """A setup of the run's values and one column per model; `rest` sets the other keys
    of the format ("tools", "images", "columns"…)."""
    return setup_normalize(
        {
            "prompt": prompt,
            "instructions": instructions,
            "parameters": parameters,
            "columns": [{"model": model} for model in models],
            **rest,
        }
    )


def setup_from_run(run) -> dict[str, Any]:
    """The setup a run was made from: stored whole since version 2, read from the run's
    own fields before."""
    if run.setup:
        return setup_normalize(run.setup)
    return setup_from_values(
        prompt=run.prompt,
        instructions=run.instructions,
        parameters={
            "temperature": run.temperature,
            "max_output_tokens": run.max_output_tokens,
            "reasoning_effort": run.reasoning_effort,
        },
        models=list(run.columns.values_list("model", flat=True)),
    )


def setup_from_cleaned(cleaned: dict[str, Any]) -> dict[str, Any]:
    """The setup of a valid SetupForm."""
    return cleaned["setup"]


def column_parameters(setup: dict[str, Any], position: int) -> dict[str, Any]:
    """The parameters column `position` sends: the run's, with the column's own over them
    unless every column has the same settings. Unset ones are None."""
    values = dict(setup["parameters"])
    own = {} if setup["same_settings"] else setup["columns"][position]["parameters"]
    own = {name: value for name, value in own.items() if value is not None}
    if any(name in own for name in REASONING_CHOICE):
        # The column chose effort or budget: the run's choice of the other must not stay.
        values |= dict.fromkeys(REASONING_CHOICE)
    return values | own


def setup_request_params(setup: dict[str, Any], position: int, **changes: Any) -> RequestParams:
    """The request of column `position` of a setup; `changes` replace fields (the history
    and prompt of a follow-up). Raises ValueError for a setup that was not validated."""
    setup = setup_normalize(setup)
    column = setup["columns"][position]
    search = setup["web_search"]
    schema = setup["structured_output"]
    variables = setup["variables"]
    params = RequestParams(
        model=column["model"],
        prompt=fill(setup["prompt"], variables),
        instructions=fill(setup["instructions"], variables),
        **column_parameters(setup, position),
        tools=tuple(FunctionTool(**tool) for tool in setup["tools"]),
        tool_choice=setup["tool_choice"],
        web_search_max_results=(
            (search.get("max_results") or DEFAULT_WEB_SEARCH_RESULTS) if search else None
        ),
        json_schema=JsonSchemaFormat(**schema) if schema else None,
        provider=_provider(column["routing"]),
        fallback_models=tuple(column["fallback_models"]),
        images=tuple(setup["images"]),
    )
    return replace(params, **changes) if changes else params


def _provider(routing: dict[str, Any]) -> ProviderPreferences | None:
    if not routing:
        return None
    prices = {
        name: Decimal(str(routing[name])) if routing.get(name) is not None else None
        for name in ("max_price_prompt", "max_price_completion")
    }
    return ProviderPreferences(
        **{name: tuple(routing.get(name) or ()) for name in PROVIDER_LISTS},
        sort=routing.get("sort"),
        allow_fallbacks=routing.get("allow_fallbacks"),
        data_collection=routing.get("data_collection"),
        zdr=routing.get("zdr"),
        **prices,
    )


def setup_initial(setup: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The compare form's initial values of a stored setup (any version), and the setup
    as version 2 (its columns, tools and images fill the rest of the form)."""
    setup = setup_normalize(setup)
    return form_values(setup, multi=False), setup


def form_values(setup: dict[str, Any], *, multi: bool = True) -> Any:
    """The run-level values of a version 2 setup as the compare form's fields take them:
    text for every field (a MultiValueDict with the per-column and per-tool lists when
    `multi`, to validate it; a dict of initial values otherwise)."""
    values: dict[str, Any] = {
        "prompt": setup["prompt"],
        "instructions": setup["instructions"],
        **{name: _text(value) for name, value in setup["parameters"].items()},
        "tool_choice": setup["tool_choice"] or "",
        "budget": _text(setup["budget"]),
        "image_urls": "\n".join(url for url in setup["images"] if not url.startswith("data:")),
        **{f"var-{name}": value for name, value in setup["variables"].items()},
    }
    search = setup["web_search"]
    schema = setup["structured_output"] or {}
    if not multi:
        return values | {
            "same_settings": setup["same_settings"],
            "web_search": bool(search),
            "web_search_max_results": (search or {}).get("max_results")
            or DEFAULT_WEB_SEARCH_RESULTS,
            "schema_name": schema.get("name", DEFAULT_SCHEMA_NAME),
            "schema": _json_text(schema["schema"]) if schema else "",
            "schema_strict": schema.get("strict", True),
        }
    data = MultiValueDict({name: [value] for name, value in values.items()})
    # Uploaded images travel in the same field as URLs when a setup is checked whole.
    data["image_urls"] = "\n".join(setup["images"])
    for name, on in (
        ("same_settings", setup["same_settings"]),
        ("web_search", bool(search)),
        ("schema_strict", schema.get("strict", True)),
    ):
        if on:
            data[name] = "on"
    if search:
        data["web_search_max_results"] = _text(search.get("max_results"))
    if schema:
        data["schema_name"] = _text(schema.get("name"))
        data["schema"] = _json_text(schema.get("schema"))
    data.setlist("models", [column["model"] for column in setup["columns"]])
    for name, value_lists in column_values(setup["columns"]).items():
        data.setlist(f"col-{name}", value_lists)
    for name, value_lists in tool_values(setup["tools"]).items():
        data.setlist(f"tool-{name}", value_lists)
    return data


def column_values(columns: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each column field's text, one per column (the compare form's `col-…` lists)."""
    values: dict[str, list[str]] = {}
    for column in columns:
        own = column["parameters"]
        routing = column["routing"]
        texts = {name: _text(own.get(name)) for name in PARAMETERS}
        texts |= {f"provider_{name}": ", ".join(routing.get(name) or ()) for name in PROVIDER_LISTS}
        texts |= {
            "provider_sort": _text(routing.get("sort")),
            "allow_fallbacks": _text(routing.get("allow_fallbacks")),
            "data_collection": _text(routing.get("data_collection")),
            "zdr": _text(routing.get("zdr")),
            "max_price_prompt": _text(routing.get("max_price_prompt")),
            "max_price_completion": _text(routing.get("max_price_completion")),
            "fallback_models": ", ".join(column["fallback_models"]),
        }
        for name, text in texts.items():
            values.setdefault(name, []).append(text)
    return values


def tool_values(tools: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each tool field's text, one per tool (the compare form's `tool-…` lists)."""
    values: dict[str, list[str]] = {"name": [], "description": [], "parameters": [], "strict": []}
    for tool in tools:
        values["name"].append(_text(tool.get("name")))
        values["description"].append(_text(tool.get("description")))
        values["parameters"].append(_json_text(tool.get("parameters")))
        values["strict"].append(_text(tool.get("strict")))
    return values


def _text(value: Any) -> str:
    """A setup value as form text: "" for unset, "true"/"false" for yes/no settings."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False)


def column_describe(column: dict[str, Any]) -> str:
    """A column's own settings in words: "temperature 0.2 · only swiftserve · fallbacks
    demo/echo"; empty when it has none."""
    parts = [
        f"{PARAMETER_LABELS[name].lower()} {value}"
        for name, value in column.get("parameters", {}).items()
        if value is not None
    ]
    routing = column.get("routing", {})
    for name in PROVIDER_LISTS:
        if slugs := routing.get(name):
            parts.append(f"{name} {', '.join(slugs)}")
    for name, words in (
        ("sort", "sort by {}"),
        ("data_collection", "data collection {}"),
        ("max_price_prompt", "max prompt ${}/M"),
        ("max_price_completion", "max completion ${}/M"),
    ):
        if routing.get(name) is not None:
            parts.append(words.format(routing[name]))
    if routing.get("allow_fallbacks") is not None:
        parts.append("other providers " + ("allowed" if routing["allow_fallbacks"] else "refused"))
    if routing.get("zdr") is not None:
        parts.append("zero data retention" + ("" if routing["zdr"] else " not required"))
    if models := column.get("fallback_models"):
        parts.append(f"fallbacks {', '.join(models)}")
    return " · ".join(parts)


def setup_features(setup: dict[str, Any]) -> list[tuple[str, str]]:
    """What a version 2 setup asks beyond the prompt and parameters, in words, as
    (label, value) pairs; unset ones are left out."""
    features = []
    if tools := setup["tools"]:
        features.append(("Tools", ", ".join(tool["name"] for tool in tools)))
    if setup["tool_choice"]:
        features.append(("Tool choice", setup["tool_choice"]))
    if search := setup["web_search"]:
        results = search.get("max_results") or DEFAULT_WEB_SEARCH_RESULTS
        features.append(("Web search", f"on, up to {results} results"))
    if schema := setup["structured_output"]:
        strict = "strict" if schema.get("strict", True) else "not strict"
        features.append(("Structured output", f"{schema['name']} ({strict})"))
    if images := setup["images"]:
        features.append(("Images", ", ".join(image_label(url) for url in images)))
    if setup["budget"] is not None:
        features.append(("Budget", f"${setup['budget']}"))
    return features


def image_label(url: str) -> str:
    """An image as pages name it: its URL, or "uploaded image/png, 12 KB" for a data URL
    (never the data itself)."""
    head, _, data = url.partition(";base64,")
    if not url.startswith("data:") or not data:
        return url
    size = len(data) * 3 // 4 - (len(data) - len(data.rstrip("=")))
    return f"uploaded {head.removeprefix('data:')}, {filesizeformat(size)}"
