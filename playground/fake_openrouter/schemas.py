"""Plausible values for a JSON schema: a function call's arguments, a structured answer.

Only what a model would be asked for is covered: objects, arrays, strings (with formats
and enums), numbers, booleans, `anyOf`/`oneOf`/`allOf`, local `$ref`s. Values stay within
the schema's bounds, so the result is valid for any schema a person would write, and
the same schema always gives the same value.
"""

import math
import re
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 8


@dataclass(frozen=True)
class Hints:
    """What the request says, to make values fit it: a place it names, its topic."""

    place: str = "Paris"
    topic: str = "your question"


_PLACE = re.compile(r"\b(?:in|at|for|near|to) ([A-Z][\w'-]*(?: [A-Z][\w'-]*)*)")


def place_in(text: str) -> str | None:
    """A capitalised place the text names after "in", "at", "for", "near" or "to"."""
    match = _PLACE.search(text)
    return match[1] if match else None


def example(schema: Any, *, hints: Hints, required_only: bool) -> Any:
    """A value valid for `schema`. `required_only` leaves out optional properties, as a
    model filling a function's arguments does."""
    return _Maker(root=schema, hints=hints, required_only=required_only).value(schema, "", 0)


def missing_required(schema: Any, value: Any) -> Any:
    """`value` with one required property taken away: a sloppy model's JSON."""
    if not isinstance(value, dict) or not value:
        return {"note": "no answer"} if not isinstance(value, dict) else value
    required = schema.get("required") if isinstance(schema, dict) else None
    names = [name for name in required or [] if name in value] or list(value)
    return {key: item for key, item in value.items() if key != names[0]}


@dataclass(frozen=True)
class _Maker:
    root: Any
    hints: Hints
    required_only: bool

    def value(self, schema: Any, name: str, depth: int) -> Any:
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return self._string({}, name)
        schema = self._resolved(schema)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            options = [option for option in schema.get(key) or [] if not _is_null(option)]
            if options:
                return self.value(options[0], name, depth + 1)
        if isinstance(schema.get("allOf"), list):
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                merged = _merge(merged, self._resolved(part) if isinstance(part, dict) else {})
            return self.value(merged, name, depth + 1)
        kind = _kind(schema)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind == "integer":
            return self._number(schema, name, integer=True)
        if kind == "number":
            return self._number(schema, name, integer=False)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(schema, name)

    def _resolved(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while isinstance(schema.get("$ref"), str) and seen < MAX_DEPTH:
            target: Any = self.root
            for part in schema["$ref"].removeprefix("#").strip("/").split("/"):
                target = target.get(part) if isinstance(target, dict) and part else target
            schema = target if isinstance(target, dict) else {}
            seen += 1
        return schema

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return {}
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        names = list(properties)
        if self.required_only and set(required) & set(names):
            names = [name for name in names if name in required]
        names += [name for name in required if isinstance(name, str) and name not in properties]
        return {name: self.value(properties.get(name), name, depth + 1) for name in names}

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        count = max(_int(schema.get("minItems"), 0), 1)
        if type(schema.get("maxItems")) is int:
            count = max(0, min(count, schema["maxItems"]))
        items = schema.get("items")
        prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
        values = []
        for index in range(count):
            item = prefix[index] if index < len(prefix) else items
            item = item if isinstance(item, dict) else {}
            values.append(self.value(item, _singular(name), depth + 1))
        if schema.get("uniqueItems"):
            values = [_varied(value, index) for index, value in enumerate(values)]
        return values

    def _number(self, schema: dict[str, Any], name: str, *, integer: bool) -> int | float:
        words = _words(name)
        guess: float = 1
        for hint, value in _NUMBER_HINTS:
            if hint & words:
                guess = value
                break
        low = _bound(schema, "minimum", "exclusiveMinimum", integer=integer, up=True)
        high = _bound(schema, "maximum", "exclusiveMaximum", integer=integer, up=False)
        if integer:
            low = None if low is None else math.ceil(low)
            high = None if high is None else math.floor(high)
        if low is not None and guess < low:
            guess = low
        if high is not None and guess > high:
            guess = high
        return int(guess) if integer else guess

    def _string(self, schema: dict[str, Any], name: str) -> str:
        form = schema.get("format")
        text = (_FORMATS.get(form) if isinstance(form, str) else None) or self._named(name)
        low = _int(schema.get("minLength"), 0)
        high = _int(schema.get("maxLength"), 0)
        if len(text) < low:
            text += "x" * (low - len(text))
        if high and len(text) > high:
            text = text[:high]
        return text

    def _named(self, name: str) -> str:
        words = _words(name)
        if words & {"location", "city", "place", "destination", "where", "town", "address"}:
            return self.hints.place
        if words & {"query", "q", "search", "topic", "question", "prompt", "subject", "keywords"}:
            return self.hints.topic
        for hint, text in _STRING_HINTS:
            if hint & words:
                return text
        if words & {"description", "summary", "text", "answer", "content", "reason", "body"}:
            return f"A short note on {self.hints.topic}."
        return f"example {name.replace('_', ' ')}".strip() if name else "example"


_FORMATS = {
    "date": "2026-03-14",
    "date-time": "2026-03-14T09:30:00Z",
    "time": "09:30:00",
    "email": "alex@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "3f2a6c1e-8b4d-4e7a-9c2f-5d1b0a7e6f34",
    "hostname": "example.com",
    "ipv4": "192.0.2.10",
}
_STRING_HINTS: list[tuple[set[str], str]] = [
    ({"unit", "units"}, "celsius"),
    ({"country"}, "Portugal"),
    ({"email"}, "alex@example.com"),
    ({"url", "link", "website", "uri", "href"}, "https://example.com/"),
    ({"name", "author", "person", "user", "username"}, "Alex Morgan"),
    ({"title", "headline"}, "A short overview"),
    ({"lang", "language", "locale"}, "en"),
    ({"currency"}, "EUR"),
    ({"date", "day"}, "2026-03-14"),
    ({"time"}, "09:30"),
    ({"id", "identifier", "code", "sku"}, "A-1001"),
    ({"color", "colour"}, "blue"),
    ({"status", "state"}, "active"),
    ({"category", "type", "kind"}, "general"),
    ({"phone"}, "+1 555 0100"),
]
_NUMBER_HINTS: list[tuple[set[str], float]] = [
    ({"temperature", "temp"}, 21.5),
    ({"lat", "latitude"}, 38.72),
    ({"lon", "lng", "longitude"}, -9.14),
    ({"price", "amount", "cost", "total"}, 9.99),
    ({"age"}, 30),
    ({"year"}, 2026),
    ({"count", "limit", "n", "number", "quantity", "results", "max", "size", "days"}, 3),
    ({"score", "rating", "confidence", "probability"}, 0.8),
]


def _words(name: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return {word.lower() for word in re.split(r"[^A-Za-z0-9]+", spaced) if word}


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and len(name) > 3 else name


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((item for item in kind if item != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def _merge(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    merged = {**first, **second}
    if isinstance(first.get("properties"), dict) and isinstance(second.get("properties"), dict):
        merged["properties"] = {**first["properties"], **second["properties"]}
    if isinstance(first.get("required"), list) and isinstance(second.get("required"), list):
        merged["required"] = [*first["required"], *second["required"]]
    return merged


def _varied(value: Any, index: int) -> Any:
    """Items made different from each other, for `uniqueItems`."""
    if index == 0:
        return value
    if isinstance(value, str):
        return f"{value} {index + 1}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value + index
    return value


def _int(value: Any, default: int) -> int:
    return value if type(value) is int and value >= 0 else default


def _bound(
    schema: dict[str, Any], inclusive: str, exclusive: str, *, integer: bool, up: bool
) -> float | None:
    step = 1 if integer else 0.01
    value = schema.get(inclusive)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    value = schema.get(exclusive)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value + step if up else value - step
    return None
