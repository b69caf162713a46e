"""Checks a structured answer against the JSON schema its run asked for.

The subset checked is the one the playground's schemas use: `type` (one type or a list),
`properties`, `required`, `items` (one schema for every element), `enum` and
`additionalProperties` (false, or a schema for the other properties). Other keywords
(`$ref`, `anyOf`, `pattern`, `minimum`, …) are not checked: an answer that breaks only
those is shown as matching.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Beyond this depth a value is not followed further: a hostile answer nested thousands of
# levels deep must not exhaust the stack.
MAX_DEPTH = 64
# An answer that breaks the schema everywhere is described by its first few problems.
MAX_ERRORS = 10

_TYPE_NAMES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


@dataclass(frozen=True)
class SchemaError:
    """Where the answer breaks the schema ("$.items[2].name") and how."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class StructuredOutput:
    """A structured answer as the column shows it: pretty JSON when it parses, and what
    is wrong with it, if anything."""

    schema_name: str
    pretty: str = ""
    json_error: str = ""
    errors: tuple[SchemaError, ...] = ()

    @property
    def valid_json(self) -> bool:
        return not self.json_error

    @property
    def matches(self) -> bool:
        return self.valid_json and not self.errors


def json_schema_format(request_body: Any) -> dict | None:
    """The request's `text.format` when it asked for a JSON schema, else None."""
    text = request_body.get("text") if isinstance(request_body, dict) else None
    form = text.get("format") if isinstance(text, dict) else None
    if isinstance(form, dict) and form.get("type") == "json_schema":
        return form
    return None


def structured_output(text: str, form: dict) -> StructuredOutput:
    """Parses an answer as JSON and checks it against `form`'s schema."""
    name = form.get("name") if isinstance(form.get("name"), str) else ""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as error:
        return StructuredOutput(schema_name=name, json_error=_json_error(error))
    except RecursionError:
        return StructuredOutput(schema_name=name, json_error="it is nested too deeply to read")
    try:
        pretty = json.dumps(value, indent=2, ensure_ascii=False)
    except RecursionError:
        return StructuredOutput(schema_name=name, json_error="it is nested too deeply to read")
    schema = form.get("schema")
    errors = schema_errors(value, schema) if isinstance(schema, dict) else []
    return StructuredOutput(schema_name=name, pretty=pretty, errors=tuple(errors))


def schema_errors(value: Any, schema: dict) -> list[SchemaError]:
    """The ways `value` breaks `schema` (the subset above), at most MAX_ERRORS."""
    errors: list[SchemaError] = []
    _check(value, schema, "$", errors, 0)
    return errors[:MAX_ERRORS]


def _check(value: Any, schema: Any, path: str, errors: list[SchemaError], depth: int) -> None:
    if not isinstance(schema, dict) or len(errors) >= MAX_ERRORS:
        return
    if depth > MAX_DEPTH:
        errors.append(SchemaError(path, "nested too deeply to check"))
        return
    expected = schema.get("type")
    types = [expected] if isinstance(expected, str) else expected
    if isinstance(types, list) and types:
        known = [name for name in types if name in _TYPE_NAMES]
        if known and not any(_is_type(value, name) for name in known):
            wanted = " or ".join(_TYPE_NAMES[name] for name in known)
            errors.append(SchemaError(path, f"should be {wanted}, not {_describe(value)}"))
            return
    enum = schema.get("enum")
    if isinstance(enum, list) and not any(_same(value, choice) for choice in enum):
        choices = ", ".join(json.dumps(choice, ensure_ascii=False) for choice in enum[:10])
        errors.append(SchemaError(path, f"should be one of {choices}"))
    if isinstance(value, dict):
        _check_object(value, schema, path, errors, depth)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for index, element in enumerate(value):
                _check(element, items, f"{path}[{index}]", errors, depth + 1)


def _check_object(
    value: dict, schema: dict, path: str, errors: list[SchemaError], depth: int
) -> None:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    for name in required if isinstance(required, list) else []:
        if isinstance(name, str) and name not in value:
            errors.append(SchemaError(path, f"the required property {_quoted(name)} is missing"))
    extra = schema.get("additionalProperties", True)
    for name, element in value.items():
        where = _member_path(path, name)
        if name in properties:
            _check(element, properties[name], where, errors, depth + 1)
        elif extra is False:
            errors.append(SchemaError(path, f"the property {_quoted(name)} is not allowed"))
        elif isinstance(extra, dict):
            _check(element, extra, where, errors, depth + 1)


def _is_type(value: Any, name: str) -> bool:
    match name:
        case "object":
            return isinstance(value, dict)
        case "array":
            return isinstance(value, list)
        case "string":
            return isinstance(value, str)
        case "boolean":
            return isinstance(value, bool)
        case "null":
            return value is None
        case "integer":
            # JSON has one kind of number: 2.0 is an integer (JSON Schema says so too).
            return (isinstance(value, int) and not isinstance(value, bool)) or (
                isinstance(value, float) and value.is_integer()
            )
        case "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
    return True


def _same(value: Any, choice: Any) -> bool:
    """JSON equality: in Python True == 1, in JSON they differ."""
    if isinstance(value, bool) or isinstance(choice, bool):
        return type(value) is type(choice) and value == choice
    if isinstance(value, list) and isinstance(choice, list):
        return len(value) == len(choice) and all(map(_same, value, choice))
    if isinstance(value, dict) and isinstance(choice, dict):
        return value.keys() == choice.keys() and all(_same(value[k], choice[k]) for k in value)
    return value == choice


def _describe(value: Any) -> str:
    for name in ("object", "array", "string", "boolean", "null"):
        if _is_type(value, name):
            return _TYPE_NAMES[name]
    return "an integer" if _is_type(value, "integer") else "a number"


def _member_path(path: str, name: str) -> str:
    if name.isidentifier():
        return f"{path}.{name}"
    return f"{path}[{json.dumps(name, ensure_ascii=False)}]"


def _quoted(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json_error(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno}, column {error.colno}"
    return str(error)
