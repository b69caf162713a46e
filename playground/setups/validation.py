"""A setup as plain data (a preset file, an import, a share, Run again) checked before
anything is saved or run: `setup_validate`.

First the JSON shape (each key of the format with the type it must have), so that nothing
of the wrong type reaches the rules; then the values, by the rules of rules.py on the
setup written out as the compare form's texts, the same rules the form's fields are
checked by, so a file and the page refuse the same setups in the same words.
"""

from typing import Any

from playground.setups.format import (
    PARAMETERS,
    PROVIDER_LISTS,
    VERSION,
    form_values,
    setup_normalize,
)
from playground.setups.rules import setup_check
from playground.setups.texts import setup_texts


def setup_validate(setup: Any) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Checks a setup from outside (an import file, a share, a stored run to run again),
    version 1 or 2: the normalized setup, or the errors keyed by field ("prompt",
    "parameters.temperature", "columns[2].model", "columns[0].routing.sort",
    "tools[1].parameters", "setup")."""
    if not isinstance(setup, dict):
        return None, {"setup": ["must be an object"]}
    errors = _shape_errors(setup)
    if errors:
        return None, errors
    checked = setup_check(setup_texts(form_values(setup_normalize(setup))))
    if checked.setup is None:
        return None, checked.by_path()
    return checked.setup, {}


def setup_problems(errors: dict[str, list[str]]) -> str:
    """The errors of `setup_validate` in one line, each after the field it concerns."""
    return "; ".join(
        f"{path}: {message}" for path, messages in errors.items() for message in messages
    )


# The JSON type each key of a setup must have before its values can be checked.
_OBJECT, _LIST, _TEXT = dict, list, str
_SHAPES = {
    "prompt": (_TEXT,),
    "instructions": (_TEXT,),
    "parameters": (_OBJECT,),
    "same_settings": (bool,),
    "tools": (_LIST,),
    "tool_choice": (_TEXT,),
    "web_search": (_OBJECT,),
    "structured_output": (_OBJECT,),
    "images": (_LIST,),
    "budget": (_TEXT, int, float),
    "variables": (_OBJECT,),
}
_SHAPE_WORDS = {
    _TEXT: "a string",
    _OBJECT: "an object",
    _LIST: "a list",
    bool: "true or false",
    int: "a number",
    float: "a number",
}
_COLUMN_SHAPES = {
    "model": (_TEXT,),
    "parameters": (_OBJECT,),
    "routing": (_OBJECT,),
    "fallback_models": (_LIST,),
}
_TOOL_SHAPES = {
    "name": (_TEXT,),
    "description": (_TEXT,),
    "parameters": (_OBJECT,),
    "strict": (bool,),
}


def _shape_errors(setup: dict[str, Any]) -> dict[str, list[str]]:
    """Values of the wrong JSON type, which the form could not even read. Keys the
    format does not have are left out of the setup, not refused."""
    errors: dict[str, list[str]] = {}
    if setup.get("version", VERSION) not in (1, VERSION):
        errors["version"] = [f"must be 1 or {VERSION}"]
    _check_shapes(setup, _SHAPES, "", errors, required=("columns",))
    if isinstance(setup.get("columns"), list):
        for number, column in enumerate(setup["columns"]):
            where = f"columns[{number}]"
            if not isinstance(column, dict):
                errors[where] = ['must be an object like {"model": "…"}']
                continue
            _check_shapes(column, _COLUMN_SHAPES, f"{where}.", errors, required=("model",))
            _check_parameters(column.get("parameters"), f"{where}.parameters", errors)
            routing = column.get("routing")
            for name in PROVIDER_LISTS if isinstance(routing, dict) else ():
                if routing.get(name) is not None and not _strings(routing[name]):
                    errors[f"{where}.routing.{name}"] = ["must be a list of provider slugs"]
            if column.get("fallback_models") is not None and not _strings(
                column["fallback_models"]
            ):
                errors[f"{where}.fallback_models"] = ["must be a list of model ids"]
    elif "columns" in setup:
        errors["columns"] = ['must be a list of {"model": "…"} objects']
    _check_parameters(setup.get("parameters"), "parameters", errors)
    if isinstance(setup.get("tools"), list):
        for number, tool in enumerate(setup["tools"]):
            if not isinstance(tool, dict):
                errors[f"tools[{number}]"] = ["must be an object"]
            else:
                _check_shapes(tool, _TOOL_SHAPES, f"tools[{number}].", errors, required=("name",))
    variables = setup.get("variables")
    if isinstance(variables, dict) and not _strings(list(variables.values())):
        errors["variables"] = ["must be an object of names and text values"]
    if isinstance(setup.get("images"), list) and not _strings(setup["images"]):
        errors["images"] = ["must be a list of image URLs"]
    search = setup.get("web_search")
    if isinstance(search, dict):
        results = search.get("max_results")
        if results is not None and (isinstance(results, bool) or not isinstance(results, int)):
            errors["web_search.max_results"] = ["must be a whole number"]
    schema = setup.get("structured_output")
    if isinstance(schema, dict):
        _check_shapes(
            schema,
            {"name": (_TEXT,), "schema": (_OBJECT,), "strict": (bool,)},
            "structured_output.",
            errors,
            required=("name", "schema"),
        )
    return errors


def _check_parameters(parameters: Any, where: str, errors: dict[str, list[str]]) -> None:
    for name in PARAMETERS if isinstance(parameters, dict) else ():
        value = parameters.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float | str)
        ):
            errors[f"{where}.{name}"] = ["must be a number or a string"]


def _check_shapes(
    value: dict[str, Any],
    shapes: dict[str, tuple[type, ...]],
    prefix: str,
    errors: dict[str, list[str]],
    *,
    required: tuple[str, ...] = (),
) -> None:
    for name in required:
        if name not in value:
            errors[f"{prefix}{name}"] = ["This field is required."]
    for name, types in shapes.items():
        item = value.get(name)
        if item is None and name not in required:
            continue
        if (isinstance(item, bool) and bool not in types) or not isinstance(item, types):
            errors.setdefault(f"{prefix}{name}", [f"must be {_SHAPE_WORDS[types[0]]}"])


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
