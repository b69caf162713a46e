"""Checks a structured answer against the JSON schema its run asked for.

The keywords checked are those OpenAI-style strict structured output takes: `type` (one
type or a list), `properties`, `required`, `additionalProperties` (false, or a schema for
the other properties), `items`, `enum`, `const`, `anyOf`, `oneOf`, `allOf`, `$ref` to
the schema itself or its `$defs`/`definitions`, the number limits (`minimum`,
`maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`) and the size limits of
strings, arrays and objects (`minLength`, `maxLength`, `minItems`, `maxItems`,
`uniqueItems`, `minProperties`, `maxProperties`). `pattern` and `format` are not checked
(a regular expression from a schema could take the server unbounded time on a hostile
answer), nor any other keyword: an answer that breaks only those is shown as matching.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# Beyond this depth a value is not followed further: a hostile answer nested thousands of
# levels deep must not exhaust the stack.
MAX_DEPTH = 64
# An answer that breaks the schema everywhere is described by its first few problems.
MAX_ERRORS = 10
# The most (value, schema) pairs one answer's check looks at: `anyOf` inside `anyOf`
# checks every branch of every level, which must not grow without end.
MAX_STEPS = 50_000

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
    """The ways `value` breaks `schema` (the keywords above), at most MAX_ERRORS."""
    errors: list[SchemaError] = []
    try:
        _Checker(schema, errors, [MAX_STEPS]).check(value, schema, "$", 0)
    except _TooLarge:
        errors = errors[: MAX_ERRORS - 1]
        errors.append(SchemaError("$", "too large to check in full; only what is above was found"))
    return errors[:MAX_ERRORS]


class _TooLarge(Exception):
    pass


@dataclass
class _Checker:
    root: dict  # what `$ref`s point into
    errors: list[SchemaError]
    steps_left: list[int]  # shared by the checks of `anyOf`/`oneOf` branches

    def fail(self, path: str, reason: str) -> None:
        self.errors.append(SchemaError(path, reason))

    def check(self, value: Any, schema: Any, path: str, depth: int) -> None:
        if not isinstance(schema, dict) or len(self.errors) >= MAX_ERRORS:
            return
        self.steps_left[0] -= 1
        if self.steps_left[0] < 0:
            raise _TooLarge
        if depth > MAX_DEPTH:
            self.fail(path, "nested too deeply to check")
            return
        if isinstance(schema.get("$ref"), str):
            # A reference counts as a level, so a schema that refers to itself ends.
            target = self.resolve(schema["$ref"])
            if target is None:
                self.fail(path, f"the schema's reference {_quoted(schema['$ref'])} is not found")
            else:
                self.check(value, target, path, depth + 1)
        expected = schema.get("type")
        types = [expected] if isinstance(expected, str) else expected
        if isinstance(types, list) and types:
            known = [name for name in types if name in _TYPE_NAMES]
            if known and not any(_is_type(value, name) for name in known):
                wanted = " or ".join(_TYPE_NAMES[name] for name in known)
                self.fail(path, f"should be {wanted}, not {_describe(value)}")
                return
        enum = schema.get("enum")
        if isinstance(enum, list) and not any(_same(value, choice) for choice in enum):
            choices = ", ".join(json.dumps(choice, ensure_ascii=False) for choice in enum[:10])
            self.fail(path, f"should be one of {choices}")
        if "const" in schema and not _same(value, schema["const"]):
            self.fail(path, f"should be {json.dumps(schema['const'], ensure_ascii=False)}")
        self.check_branches(value, schema, path, depth)
        if isinstance(value, dict):
            self.check_object(value, schema, path, depth)
        elif isinstance(value, list):
            self.check_array(value, schema, path, depth)
        elif isinstance(value, str):
            self.check_size(len(value), schema, path, "minLength", "maxLength", "character")
        elif _is_type(value, "number"):
            self.check_number(value, schema, path)

    def resolve(self, ref: str) -> dict | None:
        """The schema a local `$ref` ("#", "#/$defs/name") points at; None for any other."""
        if ref == "#":
            return self.root
        if not ref.startswith("#/"):
            return None
        target: Any = self.root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        return target if isinstance(target, dict) else None

    def check_branches(self, value: Any, schema: dict, path: str, depth: int) -> None:
        for branch in _schemas(schema.get("allOf")):
            self.check(value, branch, path, depth + 1)
        for keyword, wanted in (("anyOf", "any"), ("oneOf", "exactly one")):
            branches = _schemas(schema.get(keyword))
            if not branches:
                continue
            matching = sum(not self.branch_errors(value, branch, depth) for branch in branches)
            if matching == 0 or (keyword == "oneOf" and matching > 1):
                self.fail(
                    path,
                    f"should match {wanted} of the {len(branches)} forms the schema allows, "
                    f"and matches {matching}",
                )

    def branch_errors(self, value: Any, branch: dict, depth: int) -> list[SchemaError]:
        errors: list[SchemaError] = []
        _Checker(self.root, errors, self.steps_left).check(value, branch, "$", depth + 1)
        return errors

    def check_object(self, value: dict, schema: dict, path: str, depth: int) -> None:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = schema.get("required")
        for name in required if isinstance(required, list) else []:
            if isinstance(name, str) and name not in value:
                self.fail(path, f"the required property {_quoted(name)} is missing")
        extra = schema.get("additionalProperties", True)
        for name, element in value.items():
            where = _member_path(path, name)
            if name in properties:
                self.check(element, properties[name], where, depth + 1)
            elif extra is False:
                self.fail(path, f"the property {_quoted(name)} is not allowed")
            elif isinstance(extra, dict):
                self.check(element, extra, where, depth + 1)
        self.check_size(len(value), schema, path, "minProperties", "maxProperties", "property")

    def check_array(self, value: list, schema: dict, path: str, depth: int) -> None:
        items = schema.get("items")
        if isinstance(items, dict):
            for index, element in enumerate(value):
                self.check(element, items, f"{path}[{index}]", depth + 1)
        self.check_size(len(value), schema, path, "minItems", "maxItems", "item")
        if schema.get("uniqueItems") is True:
            for index, element in enumerate(value):
                if any(_same(element, earlier) for earlier in value[:index]):
                    self.fail(f"{path}[{index}]", "repeats an earlier item")
                    break

    def check_size(
        self, size: int, schema: dict, path: str, low_key: str, high_key: str, unit: str
    ) -> None:
        low, high = schema.get(low_key), schema.get(high_key)
        unit = unit if size == 1 else "properties" if unit == "property" else f"{unit}s"
        if _is_count(low) and size < low:
            self.fail(path, f"has {size:,} {unit}, fewer than {low:,}")
        if _is_count(high) and size > high:
            self.fail(path, f"has {size:,} {unit}, more than {high:,}")

    def check_number(self, value: float, schema: dict, path: str) -> None:
        limits = (
            ("minimum", "at least", lambda limit: value >= limit),
            ("exclusiveMinimum", "more than", lambda limit: value > limit),
            ("maximum", "at most", lambda limit: value <= limit),
            ("exclusiveMaximum", "less than", lambda limit: value < limit),
        )
        for keyword, words, holds in limits:
            limit = schema.get(keyword)
            if _is_type(limit, "number") and not holds(limit):
                self.fail(path, f"should be {words} {_number(limit)}")
        step = schema.get("multipleOf")
        if _is_type(step, "number") and step > 0 and not _multiple(value, step):
            self.fail(path, f"should be a multiple of {_number(step)}")


def _schemas(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _multiple(value: float, step: float) -> bool:
    """Exactly, in decimal: 0.3 is a multiple of 0.1 (in binary floats it is not)."""
    try:
        return Decimal(repr(value)) % Decimal(repr(step)) == 0
    except InvalidOperation:  # too many digits to divide exactly: not refused
        return True


def _number(value: float) -> str:
    return json.dumps(value)


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
