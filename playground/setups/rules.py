"""The rules of a setup's values, checked on the setup as a person types it: the compare
form's texts (texts.SetupTexts), from a page's POST or written out from a setup. Plain
data: no form is built. The compare form (forms.py) hands its data here and shows the
problems on its fields; setup_validate (validation.py) does the same for a setup from a
file or an import, so both refuse the same setups in the same words.

The checks run in three rounds, each only when the one before found nothing, so that a
later rule never speaks of a value an earlier one refused: every value on its own; then
what values say of each other (tool choice, tool names, the answer's schema); then the
request each column would send. Rules that need the catalog are run_rules.py's, asked
through `catalog` (a ColumnCatalog) at the points where they apply.

One concern (the value rules of a setup, in the order they are checked), hence its
length.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from playground.core.formatting import plain_decimal
from playground.openrouter import (
    DATA_COLLECTION,
    PROVIDER_SORTS,
    REASONING_EFFORTS,
    REASONING_SUMMARIES,
    TOOL_CHOICES,
    VERBOSITIES,
    WEB_SEARCH_MAX_RESULTS,
)
from playground.openrouter.request import NAME_PATTERN
from playground.setups import format as setups
from playground.setups.images import (
    ImageProblem,
    image_data_url,
    image_from_text,
    image_problem,
    too_large_message,
)
from playground.setups.limits import (
    BUDGET_DECIMAL_PLACES,
    BUDGET_MAX_DIGITS,
    MAX_COLUMNS,
    MAX_FALLBACK_MODELS,
    MAX_FALLBACK_MODELS_CHARS,
    MAX_IMAGE_BYTES,
    MAX_IMAGES,
    MAX_INSTRUCTIONS_CHARS,
    MAX_MODEL_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_OUTPUT_TOKENS,
    MAX_PROMPT_CHARS,
    MAX_PROVIDER_LIST_CHARS,
    MAX_PROVIDER_SLUG_CHARS,
    MAX_PROVIDERS,
    MAX_SCHEMA_CHARS,
    MAX_TOOL_DESCRIPTION_CHARS,
    MAX_TOOLS,
    PRICE_DECIMAL_PLACES,
    PRICE_MAX_DIGITS,
)
from playground.setups.schemas import SchemaProblem, object_schema
from playground.setups.texts import (
    COLUMN_PATHS,
    FIELD_PATHS,
    SetupTexts,
)
from playground.setups.values import (
    read_choice,
    read_decimal,
    read_number,
    read_text,
    read_whole_number,
    read_yes_no,
)
from playground.setups.variables import variable_names

# Each parameter: how it is read, and its bounds (OpenRouter's, wire format §2).
PARAMETER_RULES: dict[str, tuple[str, Any, Any]] = {
    "temperature": ("number", 0, 2),
    "top_p": ("number", 0, 1),
    "top_k": ("whole", 0, None),
    "max_output_tokens": ("whole", 1, MAX_OUTPUT_TOKENS),
    "frequency_penalty": ("number", -2, 2),
    "presence_penalty": ("number", -2, 2),
    "reasoning_effort": ("choice", REASONING_EFFORTS, None),
    "reasoning_max_tokens": ("whole", 1, MAX_OUTPUT_TOKENS),
    "reasoning_summary": ("choice", REASONING_SUMMARIES, None),
    "verbosity": ("choice", VERBOSITIES, None),
}
# How the column's fields are named in messages (their labels, in lower case).
COLUMN_FIELD_WORDS = {
    **{name: label.lower() for name, label in setups.PARAMETER_LABELS.items()},
    "provider_order": "provider order",
    "provider_only": "only providers",
    "provider_ignore": "ignore providers",
    "provider_sort": "sort providers by",
    "allow_fallbacks": "allow other providers",
    "data_collection": "data collection",
    "zdr": "zero data retention",
    "max_price_prompt": "max prompt price ($/m tokens)",
    "max_price_completion": "max completion price ($/m tokens)",
    "fallback_models": "fallback models",
}
# The provider lists, with how "At most 20 …" names them.
_PROVIDER_LISTS = {
    "provider_order": "providers in the order",
    "provider_only": "providers to use",
    "provider_ignore": "providers to ignore",
}
BOTH_REASONING = "Set a reasoning effort or a reasoning token budget, not both."
NEED_PROMPT = "Write a prompt to send to the models."


@dataclass(frozen=True)
class Problem:
    """What is wrong, where: `path` in the setup ("columns[1].routing.sort"), the
    `message` as the field itself says it, and the form `field` it concerns ("" for the
    setup as a whole: listed above the form). A column's or a tool's field also has the
    message as listed above the form (`listed`), naming the column or tool."""

    path: str
    message: str
    field: str = ""
    column: int | None = None
    tool: int | None = None
    listed: str = ""

    @property
    def said(self) -> str:
        """The message for the setup as a whole (an import file's list)."""
        return self.listed or self.message


class ColumnCatalog(Protocol):
    """The rules of run_rules.py that the catalog's entry of a column's model decides."""

    def column_problems(
        self, position: int, model: str, typed: dict[str, Any], parsed: dict[str, Any]
    ) -> list[tuple[str, str]]: ...

    def setup_problems(self, setup: dict[str, Any], position: int) -> list[Problem]: ...


class Upload(Protocol):
    name: str
    size: int

    def read(self) -> bytes: ...


@dataclass
class Checked:
    """What setup_check found: the setup (None unless every rule passed) and the
    problems in the order they were found."""

    setup: dict[str, Any] | None
    problems: list[Problem]

    def by_path(self) -> dict[str, list[str]]:
        """The problems keyed by where they sit in the setup: first those about the setup
        as a whole, a column or a tool, then those of the run's fields, field by field."""
        errors: dict[str, list[str]] = {}
        fields: dict[str, list[Problem]] = {}
        for problem in self.problems:
            if problem.field and problem.column is None and problem.tool is None:
                fields.setdefault(problem.field, []).append(problem)
            else:
                errors.setdefault(problem.path, []).append(problem.said)
        placed = {message for messages in errors.values() for message in messages}
        for problems in fields.values():
            for problem in problems:
                if problem.message not in placed:
                    errors.setdefault(problem.path, []).append(problem.message)
        return errors


def column_label(position: int, model: str) -> str:
    """How messages name a column: "Column 2 (demo/swift)"."""
    return f"Column {position + 1} ({model})" if model else f"Column {position + 1}"


def tool_label(position: int, name: Any) -> str:
    """How messages name a tool: "Tool 1 (get_weather)"."""
    name = str(name or "").strip()
    return f"Tool {position + 1}" + (f" ({name})" if name else "")


# Reading each value


def read_parameter(name: str, text: Any) -> tuple[Any, list[str]]:
    kind, low, high = PARAMETER_RULES[name]
    if kind == "number":
        return read_number(text, minimum=low, maximum=high)
    if kind == "whole":
        return read_whole_number(text, minimum=low, maximum=high)
    return read_choice(text, low)


def read_parameters(texts: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The parameters as they are set (unset ones None), and (field, message) for those
    that are wrong on their own."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name in setups.PARAMETERS:
        value, messages = read_parameter(name, texts.get(name))
        problems += [(name, message) for message in messages]
        if not messages:
            values[name] = setups.blank_to_none(value)
    return values, problems


def reasoning_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """A reasoning effort and a token budget both set (of the parameters read well)."""
    if values.get("reasoning_effort") and values.get("reasoning_max_tokens") is not None:
        # OpenRouter takes one or the other (wire format §2, `reasoning`).
        return [("reasoning_max_tokens", BOTH_REASONING)]
    return []


def comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def comma_list_problem(
    items: list[str], *, most: int, longest: int, many: str, one: str, those: str
) -> str:
    """What is wrong with a comma-separated list of ids (provider slugs, model ids): too
    many of them, or one too long or with a space (two ids typed without a comma)."""
    if len(items) > most:
        return f"At most {most} {many}."
    for item in items:
        if len(item) > longest or any(c.isspace() for c in item):
            return f"“{item[:40]}” is not {one}: separate {those} with commas."
    return ""


def read_routing(texts: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A column's routing fields: their values, and (field, message) for those that are
    wrong."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []

    def keep(name: str, value: Any, messages: list[str]) -> None:
        problems.extend((name, message) for message in messages)
        if not messages:
            values[name] = value

    for name, what in _PROVIDER_LISTS.items():
        text, messages = read_text(texts.get(name), max_length=MAX_PROVIDER_LIST_CHARS)
        slugs = comma_list(text)
        if not messages and (
            problem := comma_list_problem(
                slugs,
                most=MAX_PROVIDERS,
                longest=MAX_PROVIDER_SLUG_CHARS,
                many=what,
                one="a provider slug",
                those="slugs",
            )
        ):
            messages = [problem]
        keep(name, slugs, messages)
    keep("provider_sort", *read_choice(texts.get("provider_sort"), PROVIDER_SORTS))
    keep("allow_fallbacks", *read_yes_no(texts.get("allow_fallbacks")))
    keep("data_collection", *read_choice(texts.get("data_collection"), DATA_COLLECTION))
    keep("zdr", *read_yes_no(texts.get("zdr")))
    for name in ("max_price_prompt", "max_price_completion"):
        price = read_decimal(
            texts.get(name),
            minimum=0,
            max_digits=PRICE_MAX_DIGITS,
            decimal_places=PRICE_DECIMAL_PLACES,
        )
        keep(name, *price)
    text, messages = read_text(texts.get("fallback_models"), max_length=MAX_FALLBACK_MODELS_CHARS)
    models = comma_list(text)
    if not messages and (
        problem := comma_list_problem(
            models,
            most=MAX_FALLBACK_MODELS,
            longest=MAX_MODEL_ID_CHARS,
            many="fallback models",
            one="a model id",
            those="models",
        )
    ):
        messages = [problem]
    keep("fallback_models", models, messages)
    return values, problems


def _price_text(value: Decimal | None) -> str | None:
    return None if value is None else plain_decimal(value)


def column_message(label: str, name: str, message: str) -> str:
    """A column's problem as listed above the form: naming the column and its model, and
    the field unless the message names the column already."""
    if message.startswith(label):
        return message
    return f"{label}, {COLUMN_FIELD_WORDS[name]}: {message}"


def check_column(
    position: int,
    model: str,
    texts: dict[str, Any],
    *,
    same_settings: bool,
    catalog: ColumnCatalog | None = None,
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """One column whose settings were in the page: its setup, or its problems."""
    if same_settings:
        # The run's settings apply: the column's own are neither checked nor used.
        texts = {**texts, **dict.fromkeys(setups.PARAMETERS, "")}
    parameters, found = read_parameters(texts)
    routing, routing_found = read_routing(texts)
    # A field's own problems first, then what the fields say together (as a form does).
    found += routing_found + reasoning_problems(parameters)
    if catalog is not None:
        found += catalog.column_problems(position, model, texts, parameters)
    found = _by_field(found)
    label = column_label(position, model)
    where = f"columns[{position}]"
    problems = [
        Problem(
            f"{where}.{COLUMN_PATHS[name]}",
            message,
            field=name,
            column=position,
            listed=column_message(label, name, message),
        )
        for name, message in found
    ]
    if problems:
        return None, problems
    settings = {
        "sort": routing["provider_sort"] or None,
        "allow_fallbacks": routing["allow_fallbacks"],
        "data_collection": routing["data_collection"] or None,
        "zdr": routing["zdr"],
        "max_price_prompt": _price_text(routing["max_price_prompt"]),
        "max_price_completion": _price_text(routing["max_price_completion"]),
    }
    lists = {
        name: routing[f"provider_{name}"]
        for name in setups.PROVIDER_LISTS
        if routing[f"provider_{name}"]
    }
    return {
        "model": model,
        "parameters": {name: value for name, value in parameters.items() if value is not None},
        "routing": lists | {name: value for name, value in settings.items() if value is not None},
        "fallback_models": routing["fallback_models"],
    }, []


def _by_field(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The problems grouped by field, fields in the order their first problem came (as a
    form's errors are listed)."""
    fields: dict[str, list[tuple[str, str]]] = {}
    for item in found:
        fields.setdefault(item[0], []).append(item)
    return [item for items in fields.values() for item in items]


def tool_name_problem(name: str) -> str:
    if not name:
        return "Name the tool, or clear its fields to remove it."
    if not NAME_PATTERN.fullmatch(name):
        return "A tool name is 1 to 64 letters, digits, underscores or hyphens."
    return ""


def check_tool(position: int, texts: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """One tool: its setup, or its problems."""
    found: list[tuple[str, str]] = []
    name, messages = read_text(texts.get("name"), max_length=MAX_NAME_CHARS)
    if not messages and (problem := tool_name_problem(name)):
        messages = [problem]
    found += [("name", message) for message in messages]
    description, messages = read_text(
        texts.get("description"), max_length=MAX_TOOL_DESCRIPTION_CHARS
    )
    found += [("description", message) for message in messages]
    text, messages = read_text(texts.get("parameters"), max_length=MAX_SCHEMA_CHARS, strip=False)
    schema: dict[str, Any] = {"type": "object", "properties": {}}
    if not messages and text.strip():
        try:
            schema = object_schema(text)
        except SchemaProblem as error:
            messages = error.messages
    found += [("parameters", message) for message in messages]
    strict, messages = read_yes_no(texts.get("strict"))
    found += [("strict", message) for message in messages]
    if found:
        label = tool_label(position, texts.get("name"))
        return None, [
            Problem(
                f"tools[{position}].{name}",
                message,
                field=name,
                tool=position,
                listed=f"{label}, {name}: {message}",
            )
            for name, message in found
        ]
    return {"name": name, "description": description, "parameters": schema, "strict": strict}, []


def tool_choice_problem(choice: str, names: list[str]) -> str:
    if choice and not names:
        return "There is no tool to choose: add one, or clear this."
    if choice and choice not in TOOL_CHOICES and choice not in names:
        return f"Choose auto, none, required or the name of a tool ({', '.join(names)})."
    return ""


def schema_name_problem(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        return "Name the schema: 1 to 64 letters, digits, underscores or hyphens."
    return ""


def images_count_problem(count: int) -> str:
    if count > MAX_IMAGES:
        return f"{count} images: a run can send at most {MAX_IMAGES}."
    return ""


def models_problems(models: list[str]) -> list[Problem]:
    """The columns' models: at least one, at most MAX_COLUMNS, each named."""
    if not models:
        return [Problem("columns", "Add at least one column.")]
    if len(models) > MAX_COLUMNS:
        return [Problem("columns", f"At most {MAX_COLUMNS} columns can run at once.")]
    problems = []
    for number, model in enumerate(models, start=1):
        where = f"columns[{number - 1}].model"
        if not model:
            problems.append(Problem(where, f"Column {number} has no model: pick one."))
        elif len(model) > MAX_MODEL_ID_CHARS:
            problems.append(Problem(where, f"Column {number}: the model id is too long."))
    return problems


def read_variables(
    typed: dict[str, Any], prompt: str, instructions: str, *, require: bool
) -> tuple[dict[str, str], list[Problem]]:
    """The values of the variables the prompt and the instructions use (values of others
    are dropped: they would only go stale). `require`: a run needs a value for each."""
    values: dict[str, str] = {}
    problems: list[Problem] = []
    missing = []
    for name in variable_names(prompt, instructions):
        value, messages = read_text(typed.get(name), max_length=MAX_PROMPT_CHARS)
        path = f"variables.{name}"
        problems += [Problem(path, f"{{{{{name}}}}}: {message}") for message in messages]
        if messages:
            continue
        if value:
            values[name] = value
        elif require:
            missing.append(name)
    if missing:
        listed = ", ".join(f"{{{{{name}}}}}" for name in missing)
        problems.append(
            Problem("variables", f"Give a value to every variable of the prompt: {listed}.")
        )
    return values, problems


def _field(name: str, messages: list[str]) -> list[Problem]:
    return [Problem(FIELD_PATHS.get(name, name), message, field=name) for message in messages]


def setup_check(
    texts: SetupTexts,
    *,
    catalog: ColumnCatalog | None = None,
    require_prompt: bool = False,
    uploads: list[Upload] = (),
    kept_images: list[str] = (),
    blocked: bool = False,
) -> Checked:
    """Every rule of a setup's values, on its texts. `catalog`: the rules of the columns'
    models (none without). `require_prompt`: a run needs one. `uploads`: image files
    sent with the form; `kept_images`: data: URLs kept from the setup it was opened from.
    `blocked`: the form found a problem of its own, so only the first round runs."""
    problems: list[Problem] = []
    parameters, found = read_parameters(texts.parameters)
    fields: dict[str, list[str]] = {}
    for name, message in found:
        fields.setdefault(name, []).append(message)
    crossed = reasoning_problems(parameters)
    # The run's own fields, in the order the form has them.
    values: dict[str, Any] = {}
    for name, value, limit in (
        ("prompt", texts.prompt, MAX_PROMPT_CHARS),
        ("instructions", texts.instructions, MAX_INSTRUCTIONS_CHARS),
        ("tool_choice", texts.tool_choice, MAX_NAME_CHARS),
    ):
        values[name], fields[name] = read_text(value, max_length=limit)
    if require_prompt and not values["prompt"] and not fields["prompt"]:
        fields["prompt"] = [NEED_PROMPT]
    variables, variable_problems = read_variables(
        texts.variables, values["prompt"], values["instructions"], require=require_prompt
    )
    problems += variable_problems
    values["web_search_max_results"], fields["web_search_max_results"] = read_whole_number(
        texts.web_search_max_results, minimum=1, maximum=WEB_SEARCH_MAX_RESULTS
    )
    values["schema_name"], fields["schema_name"] = read_text(
        texts.schema_name, max_length=MAX_NAME_CHARS
    )
    values["schema"], fields["schema"] = read_text(
        texts.schema, max_length=MAX_SCHEMA_CHARS, strip=False
    )
    values["image_urls"], fields["image_urls"] = read_text(texts.image_urls)
    values["budget"], fields["budget"] = read_decimal(
        texts.budget,
        minimum=0,
        max_digits=BUDGET_MAX_DIGITS,
        decimal_places=BUDGET_DECIMAL_PLACES,
    )
    field_order = (*setups.PARAMETERS, "prompt", "instructions", "tool_choice")
    field_order += ("web_search_max_results", "schema_name", "schema", "image_urls", "budget")
    for name in field_order:
        problems += _field(name, fields.get(name, []))
    for name, message in crossed:
        problems += _field(name, [message])
    problems += models_problems(texts.models)
    columns = []
    for position, (model, typed) in enumerate(
        list(zip(texts.models, texts.columns, strict=False))[:MAX_COLUMNS]
    ):
        if typed is None:
            columns.append({"model": model, "parameters": {}, "routing": {}, "fallback_models": []})
            continue
        column, found_here = check_column(
            position, model, typed, same_settings=texts.same_settings, catalog=catalog
        )
        problems += found_here
        columns.append(column)
    tools = []
    if len(texts.tools) > MAX_TOOLS:
        problems.append(Problem("tools", f"At most {MAX_TOOLS} tools."))
        tools = None
    else:
        for position, typed in texts.tools:
            tool, found_here = check_tool(position, typed)
            problems += found_here
            tools.append(tool)
    images = _images(values["image_urls"] if not fields["image_urls"] else "", kept_images, uploads)
    problems += images[1]
    if blocked or problems:
        return Checked(None, problems)
    # What values say of each other.
    names = [tool["name"] for tool in tools]
    choice = values["tool_choice"]
    if problem := tool_choice_problem(choice, names):
        problems.append(Problem("tool_choice", problem, field="tool_choice"))
    if len(set(names)) < len(names):
        problems.append(Problem("tools", "Two tools have the same name: tool names must differ."))
    structured = None
    if values["schema"].strip():
        try:
            schema = object_schema(values["schema"])
        except SchemaProblem as error:
            problems += _field("schema", error.messages)
        else:
            name = values["schema_name"].strip()
            if problem := schema_name_problem(name):
                problems += _field("schema_name", [problem])
            else:
                structured = {"name": name, "schema": schema, "strict": texts.schema_strict}
    if problems:
        return Checked(None, problems)
    search = values["web_search_max_results"] or setups.DEFAULT_WEB_SEARCH_RESULTS
    budget = values["budget"]
    setup = {
        "version": setups.VERSION,
        "prompt": values["prompt"],
        "instructions": values["instructions"],
        "parameters": parameters,
        "same_settings": texts.same_settings,
        "columns": columns,
        "tools": tools,
        "tool_choice": choice or None,
        "web_search": {"max_results": search} if texts.web_search else None,
        "structured_output": structured,
        "images": images[0],
        "budget": None if budget is None else plain_decimal(budget),
        "variables": variables,
    }
    # The request each column would send.
    for position, column in enumerate(setup["columns"]):
        if catalog is not None and (found_here := catalog.setup_problems(setup, position)):
            problems += found_here
            continue
        try:
            setups.setup_request_params(setup, position)
        except ValueError as error:
            label = column_label(position, column["model"])
            problems.append(Problem(f"columns[{position}]", f"{label}: {error}"))
    return Checked(None if problems else setup, problems)


def _images(typed: str, kept: list[str], uploads: list[Upload]) -> tuple[list[str], list[Problem]]:
    """The images to send: those typed (URLs, or data: URLs of a setup checked whole),
    those kept, and the files uploaded; with the problems of those that cannot be."""
    images: list[str] = []
    problems: list[Problem] = []
    for line in filter(None, (line.strip() for line in typed.splitlines())):
        try:
            images.append(image_from_text(line))
        except ImageProblem as error:
            problems += _field("image_urls", [str(error)])
    images += kept
    for upload in uploads:
        name = f"“{upload.name}”"
        # The size is known before the file is read: an oversized one never is.
        if upload.size > MAX_IMAGE_BYTES:
            problems += _field("image_files", [too_large_message(upload.size, name)])
            continue
        data = upload.read()
        if problem := image_problem(data, name):
            problems += _field("image_files", [problem])
        else:
            images.append(image_data_url(data))
    if problem := images_count_problem(len(images)):
        problems += _field("image_files" if uploads else "image_urls", [problem])
    return images, problems
