"""The compare form's fields as text, as a person typed them: `SetupTexts`, read from a
POST (or from a setup written out as the form's fields, format.form_values) by
`setup_texts`, for rules.py to check. Also where each field sits in a setup.
"""

from dataclasses import dataclass, field
from typing import Any

from playground.setups import format as setups
from playground.setups.limits import MAX_COLUMNS, MAX_TOOLS
from playground.setups.variables import variable_names

ROUTING_FIELDS = (
    "provider_order",
    "provider_only",
    "provider_ignore",
    "provider_sort",
    "allow_fallbacks",
    "data_collection",
    "zdr",
    "max_price_prompt",
    "max_price_completion",
    "fallback_models",
)
# Where each column field sits in the setup's column.
COLUMN_PATHS = {
    **{name: f"parameters.{name}" for name in setups.PARAMETERS},
    "provider_order": "routing.order",
    "provider_only": "routing.only",
    "provider_ignore": "routing.ignore",
    "provider_sort": "routing.sort",
    "allow_fallbacks": "routing.allow_fallbacks",
    "data_collection": "routing.data_collection",
    "zdr": "routing.zdr",
    "max_price_prompt": "routing.max_price_prompt",
    "max_price_completion": "routing.max_price_completion",
    "fallback_models": "fallback_models",
}
COLUMN_FIELDS = (*setups.PARAMETERS, *ROUTING_FIELDS)
# The field of variable `city` is `var-city`.
VARIABLE_PREFIX = "var-"
TOOL_FIELDS = ("name", "description", "parameters", "strict")
# Where each of the run's fields sits in a setup.
FIELD_PATHS = {
    **{name: f"parameters.{name}" for name in setups.PARAMETERS},
    "web_search_max_results": "web_search.max_results",
    "schema_name": "structured_output.name",
    "schema": "structured_output.schema",
    "schema_strict": "structured_output.strict",
    "image_urls": "images",
    "image_files": "images",
}


@dataclass
class SetupTexts:
    """A setup as the compare form's fields hold it: text as typed. `columns` are the
    texts of each column's fields (None for a column whose settings were not in the
    page); `tools` those of each tool that is not blank, with its row's position."""

    parameters: dict[str, Any]
    prompt: Any = ""
    instructions: Any = ""
    same_settings: bool = False
    models: list[str] = field(default_factory=list)
    columns: list[dict[str, Any] | None] = field(default_factory=list)
    tools: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    tool_choice: Any = ""
    web_search: bool = False
    web_search_max_results: Any = ""
    schema_name: Any = ""
    schema: Any = ""
    schema_strict: bool = False
    image_urls: Any = ""
    budget: Any = ""
    # Each variable's value as typed, by name (the fields `var-<name>`).
    variables: dict[str, Any] = field(default_factory=dict)


def _nth(values: list[str], position: int) -> str:
    return values[position] if position < len(values) else ""


def column_rows(data) -> list[tuple[str, dict[str, str] | None]]:
    """Each column of a POST (a QueryDict or MultiValueDict): its model and its fields'
    texts, or None when its settings were not in the page. `col-loaded` says, column by
    column, whether they were ("1"); without it (a setup checked whole), every column
    sent them."""
    lists = {name: data.getlist(f"col-{name}") for name in COLUMN_FIELDS}
    loaded = data.getlist("col-loaded")
    if not loaded and not any(lists.values()):
        loaded = ["0"]  # no column sent settings
    rows: list[tuple[str, dict[str, str] | None]] = []
    sent = 0  # the columns whose fields came so far: the lists hold theirs only
    # Far more columns than a run may have are refused, not all shown again.
    for position, model in enumerate(data.getlist("models")[: MAX_COLUMNS * 2]):
        model = model.strip()
        if loaded and _nth(loaded, position) != "1":
            rows.append((model, None))
            continue
        rows.append((model, {name: _nth(values, sent) for name, values in lists.items()}))
        sent += 1
    return rows


def tool_rows(data) -> list[tuple[int, dict[str, str]]]:
    """Each tool of a POST that is not blank, with its position among the rows."""
    lists = {name: data.getlist(f"tool-{name}") for name in TOOL_FIELDS}
    count = min(max(len(values) for values in lists.values()), MAX_TOOLS * 2)
    rows = [
        (position, {name: _nth(values, position) for name, values in lists.items()})
        for position in range(count)
    ]
    return [
        (position, texts)
        for position, texts in rows
        if any(str(text).strip() for text in texts.values())
    ]


def setup_texts(data) -> SetupTexts:
    """The texts of the compare form's fields in a POST."""
    return SetupTexts(
        parameters={name: data.get(name) for name in setups.PARAMETERS},
        prompt=data.get("prompt"),
        instructions=data.get("instructions"),
        same_settings=_on(data.get("same_settings")),
        models=[model.strip() for model in data.getlist("models")],
        columns=[texts for _, texts in column_rows(data)],
        tools=tool_rows(data),
        tool_choice=data.get("tool_choice"),
        web_search=_on(data.get("web_search")),
        web_search_max_results=data.get("web_search_max_results"),
        schema_name=data.get("schema_name"),
        schema=data.get("schema"),
        schema_strict=_on(data.get("schema_strict")),
        image_urls=data.get("image_urls"),
        budget=data.get("budget"),
        variables={
            key.removeprefix(VARIABLE_PREFIX): data.get(key)
            for key in data
            if key.startswith(VARIABLE_PREFIX)
        },
    )


def variable_inputs(values) -> list[tuple[str, str]]:
    """Each variable the prompt and the instructions use, with its value so far, from the
    compare form's fields (a POST, or the initial values of a setup): one input each."""
    names = variable_names(values.get("prompt") or "", values.get("instructions") or "")
    return [(name, values.get(VARIABLE_PREFIX + name) or "") for name in names]


def _on(value: Any) -> bool:
    # As Django's CheckboxInput reads a checkbox (absent: None, off).
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.lower(), bool(value))
    return bool(value)
