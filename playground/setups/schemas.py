"""The JSON schemas a person writes in a setup: a tool's parameters and the structured
output's answer. Each is the schema of an object, checked against the JSON Schema
metaschema of its draft (Draft 2020-12 unless it names another with "$schema") by the
jsonschema library. Plain data: problems are SchemaProblem (a ValueError) with the
messages to show.
"""

import json
from typing import Any

from jsonschema.exceptions import SchemaError
from jsonschema.validators import Draft202012Validator, validator_for

# The type names of JSON Schema, named when a "type" is none of them.
JSON_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")
# jsonschema's messages quote the offending value whole; a pasted schema can be large.
_MAX_MESSAGE_CHARS = 300


class SchemaProblem(ValueError):
    """A schema that cannot be sent: `messages` say what is wrong and where."""

    def __init__(self, messages: list[str]):
        super().__init__(*messages)
        self.messages = messages


def object_schema(text: str) -> dict[str, Any]:
    """The JSON schema of an object, parsed from text; SchemaProblem saying where it is
    wrong."""
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as error:
        raise SchemaProblem(
            [f"Not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."]
        ) from None
    except RecursionError:
        raise SchemaProblem(["Not valid JSON: nested too deeply."]) from None
    return checked_object_schema(schema)


def checked_object_schema(schema: Any) -> dict[str, Any]:
    """`schema` (parsed JSON) if it is the JSON schema of an object; SchemaProblem."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise SchemaProblem(
            ['Must be the JSON schema of an object: {"type": "object", "properties": {…}}.']
        )
    if problems := schema_problems(schema):
        raise SchemaProblem(problems)
    return schema


def schema_validator(schema: dict[str, Any]) -> Any:
    """The validator class of the schema's draft (its "$schema"), Draft 2020-12 by
    default."""
    try:
        return validator_for(schema, default=Draft202012Validator)
    except (TypeError, ValueError, AttributeError):
        # A "$schema" that is no URI: the default draft's metaschema says so.
        return Draft202012Validator


def schema_problems(schema: dict[str, Any]) -> list[str]:
    """What keeps `schema` from being a JSON schema, by its draft's metaschema; and
    required properties it does not define, which the metaschema allows but a model
    asked for them could never give."""
    validator = schema_validator(schema)
    try:
        validator.check_schema(schema)
    except SchemaError as error:
        return [_problem(error)]
    except RecursionError:
        return ["The schema is nested too deeply."]
    return _undefined_required(schema)


def _problem(error: SchemaError) -> str:
    """The metaschema's complaint, naming the place in the schema ("properties.city")."""
    where = _place(list(error.path))
    if list(error.schema_path)[-3:-1] == ["properties", "type"]:
        # A type that is no JSON type: name the ones there are, as the form always has.
        parent = _place(list(error.path)[:-1])
        what = f"type {json.dumps(error.instance)[:100]} is not one of {', '.join(JSON_TYPES)}"
        return f"{parent}: {what}." if parent else f"{what}."
    message = error.message
    if len(message) > _MAX_MESSAGE_CHARS:
        message = message[:_MAX_MESSAGE_CHARS] + "…"
    return f"{where}: {message}." if where else f"{message}."


def _place(path: list[str | int]) -> str:
    """["properties", "tags", "items", 0] → "properties.tags.items[0]"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _undefined_required(schema: Any, where: str = "") -> list[str]:
    """Names in "required" that "properties" lacks, in this object schema and those of
    its properties."""
    if not isinstance(schema, dict):
        return []
    problems = []
    properties = schema.get("properties")
    required = schema.get("required")
    if isinstance(properties, dict):
        if isinstance(required, list):
            missing = [name for name in required if name not in properties]
            if missing:
                prefix = f"{where}: " if where else ""
                problems.append(f"{prefix}required names {', '.join(missing)}, not in properties.")
        for name, item in properties.items():
            inner = f"{where}.properties.{name}" if where else f"properties.{name}"
            problems += _undefined_required(item, inner)
    return problems
