"""The checks of an evaluation: what each answer of a case is held to.

A check is plain data, `{"type": "contains", "value": "Paris"}`, as a form or a file gives
it. `check_problems` says what is wrong with one before anything runs; `check_answer`
applies one to a cell (one model's answer to a case) and says why it failed. A check's value
may use the case's variables and `{{expected}}`: they are filled in for each case, and
the result keeps the value as filled, so a reader sees what the answer was held to.

- A value that uses variables is checked as far as it can be before the run; a number, a
  pattern or a schema that only the filled value makes wrong fails the check of that case,
  saying so.
- An answer that failed or was stopped before any text fails every check: there is
  nothing to hold to them, and a passing "not-contains" would be a lie.
- `judge` is graded by a model. This module builds the grader's request
  (`judge_setup`, a setup like any run's) and reads its verdict (`judge_result`); the
  call itself is made by the evaluation's task (runner.py): this module makes no
  request and touches no database.
"""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import regex
from jsonschema.exceptions import SchemaError, ValidationError, best_match
from jsonschema.validators import extend
from referencing.exceptions import Unresolvable

from playground.setups.format import setup_normalize
from playground.setups.schemas import schema_validator
from playground.setups.variables import fill, variable_names

CHECK_TYPES = (
    "equals",
    "contains",
    "icontains",
    "contains-all",
    "contains-any",
    "not-contains",
    "starts-with",
    "regex",
    "is-json",
    "json-schema",
    "cost-max",
    "latency-max",
    "ttft-max",
    "output-tokens-max",
    "judge",
)
CHECK_LABELS = {
    "equals": "Equals",
    "contains": "Contains",
    "icontains": "Contains (any case)",
    "contains-all": "Contains all of",
    "contains-any": "Contains any of",
    "not-contains": "Does not contain",
    "starts-with": "Starts with",
    "regex": "Matches regex",
    "is-json": "Is JSON",
    "json-schema": "Matches JSON schema",
    "cost-max": "Max cost (USD)",
    "latency-max": "Max latency (ms)",
    "ttft-max": "Max time to first token (ms)",
    "output-tokens-max": "Max output tokens",
    "judge": "Judge (graded by a model)",
}
_LIST_HELP = "one per line, or separated by commas on a single line"
CHECK_HELP = {
    "equals": "The whole answer, without surrounding whitespace, is exactly this text.",
    "contains": "The answer contains this text.",
    "icontains": "The answer contains this text, in upper or lower case.",
    "contains-all": f"The answer contains every one of these texts ({_LIST_HELP}).",
    "contains-any": f"The answer contains at least one of these texts ({_LIST_HELP}).",
    "not-contains": "The answer does not contain this text.",
    "starts-with": "The answer, after any leading whitespace, starts with this text.",
    "regex": "The answer has a match for this regular expression.",
    "is-json": "The answer is JSON (alone in a ```json block is fine); no value needed.",
    "json-schema": "The answer is JSON valid under this JSON schema.",
    "cost-max": "The answer cost at most this many US dollars, e.g. 0.01.",
    "latency-max": "The answer took at most this many milliseconds in total.",
    "ttft-max": "The first token came within this many milliseconds.",
    "output-tokens-max": "The answer used at most this many output tokens.",
    "judge": "A model grades the answer by this rubric, pass or fail.",
}
MAX_CHECKS = 20
MAX_CHECK_VALUE_CHARS = 10_000
# Long enough for any sane pattern on a long answer, short enough that a catastrophic
# one (`(a|aa)+$`) costs a worker half a second per cell, not forever.
REGEX_TIMEOUT_SECONDS = 0.5
# Quotes in a reason are a reminder of what was compared, not the whole of it.
_QUOTE_CHARS = 80
# Reasons name at most this many missing items of a list, then count the rest.
_LISTED_ITEMS = 3
# A judge may ramble; the reason shown in a cell is its gist.
_MAX_JUDGE_REASON_CHARS = 500
_WHOLE_UNITS = {
    "latency-max": "milliseconds",
    "ttft-max": "milliseconds",
    "output-tokens-max": "tokens",
}
_PARSED_BEFORE_RUN = ("regex", "json-schema", "cost-max", *_WHOLE_UNITS)

JUDGE_SCHEMA_NAME = "verdict"
JUDGE_SCHEMA = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": ["pass", "fail"]},
        "reason": {"type": "string"},
    },
    "required": ["verdict", "reason"],
    "additionalProperties": False,
}
# A verdict and one sentence fit in far less; the cap bounds what a judge call may cost
# (its worst case is part of the evaluation's estimate). Reasoning models spend some of
# it thinking, hence the room.
JUDGE_MAX_OUTPUT_TOKENS = 1_000
JUDGE_INSTRUCTIONS = (
    "You grade an answer against a rubric. Judge it only by the rubric, not by your own"
    " view of the task or of what a better answer would be. Reply with JSON only:"
    ' {"verdict": "pass" or "fail", "reason": one short sentence saying why}.'
)


@dataclass(frozen=True)
class Answer:
    """What a cell produced: its text, how the generation ended, and what it cost."""

    text: str
    status: str  # "done", "incomplete", "error", "cancelled"
    error: str = ""  # the error message when the generation failed
    cost: Decimal | None = None
    total_ms: int | None = None
    ttft_ms: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class CheckResult:
    """One check of one cell. `reason` is "" when the check passed, and otherwise a short
    sentence saying why not; a judge's reason is its own words, whichever its verdict."""

    type: str
    value: str  # as filled for this case
    passed: bool
    reason: str
    # The run that graded it (a judge check's), to inspect.
    run_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        stored = {
            "type": self.type,
            "value": self.value,
            "passed": self.passed,
            "reason": self.reason,
        }
        return stored if self.run_id is None else stored | {"run_id": self.run_id}


class _ValueProblem(ValueError):
    """A value that cannot be used as its check's type needs: the message says why."""


def check_problems(check: object) -> list[str]:
    """What is wrong with one check as plain data, in messages that name its type.

    A value that uses variables is only checked for what filling them cannot change: a
    number, pattern or schema made of variables is known only once a case fills it in."""
    if not isinstance(check, dict):
        return ["A check must be an object with a type and a value."]
    kind = check.get("type")
    if kind not in CHECK_TYPES:
        shown = _quote(kind) if isinstance(kind, str) else "(none)"
        return [f"Unknown check type {shown}: use one of {', '.join(CHECK_TYPES)}."]
    label = CHECK_LABELS[kind]
    value = check.get("value")
    if value is None:
        value = ""
    if not isinstance(value, str):
        return [f"{label}: the value must be text."]
    if len(value) > MAX_CHECK_VALUE_CHARS:
        return [f"{label}: the value is longer than {MAX_CHECK_VALUE_CHARS:,} characters."]
    if kind in _PARSED_BEFORE_RUN and variable_names(value):
        return []
    try:
        # Filled with nothing, as the run fills it: `\{{` becomes `{{` there too.
        _parse(kind, fill(value, {}))
    except _ValueProblem as problem:
        return [f"{label}: {problem}"]
    return []


def checks_problems(checks: object) -> list[str]:
    """What is wrong with a list of checks, each message naming its check by number."""
    if not isinstance(checks, list):
        return ["The checks must be a list."]
    problems = []
    if len(checks) > MAX_CHECKS:
        problems.append(f"At most {MAX_CHECKS} checks are allowed, not {len(checks)}.")
    for number, check in enumerate(checks, start=1):
        problems += [f"Check {number}: {problem}" for problem in check_problems(check)]
    return problems


def check_answer(
    check: Mapping[str, Any], answer: Answer, variables: Mapping[str, str]
) -> CheckResult:
    """The outcome of one check (valid by `check_problems`) on one answer, its value filled
    with the case's variables. A judge check raises ValueError: a model grades it, see
    `judge_setup` and `judge_result`."""
    kind = check["type"]
    if kind == "judge":
        raise ValueError("A judge check is graded by a model: use judge_setup and judge_result.")
    if kind not in CHECK_TYPES:
        raise ValueError(f"Unknown check type {kind!r}.")
    value = fill(check.get("value", ""), variables)
    if reason := no_answer_reason(answer):
        return CheckResult(kind, value, passed=False, reason=reason)
    try:
        reason = _apply(kind, _parse(kind, value), answer)
    except _ValueProblem as problem:
        reason = f"The value as filled for this case cannot be used: {problem}"
    return CheckResult(kind, value, passed=not reason, reason=reason)


def no_answer_reason(answer: Answer) -> str:
    """Why the answer cannot be checked at all ("" when it can): the generation failed, or
    was stopped before any text. The caller of a judge skips the model on these."""
    if answer.status == "error":
        return f"No answer to check: {answer.error or 'the generation failed.'}"
    if answer.status == "cancelled" and not answer.text:
        return "No answer to check: the generation was stopped."
    return ""


def _parse(kind: str, value: str) -> Any:
    """The value as its check uses it (a list, a compiled pattern, a schema validator, a
    number); _ValueProblem when it cannot be one."""
    match kind:
        case "is-json":
            return value
        case _ if not value.strip():
            raise _ValueProblem("the value is empty.")
        case "contains-all" | "contains-any":
            items = _items(value)
            if not items:
                raise _ValueProblem("the list has no items.")
            return items
        case "regex":
            try:
                return regex.compile(value)
            except regex.error as error:
                raise _ValueProblem(f"{_quote(value)} is not a valid pattern: {error}.") from None
        case "json-schema":
            return _schema_validator(value)
        case "cost-max":
            return _usd(value)
        case "latency-max" | "ttft-max" | "output-tokens-max":
            return _whole(value, _WHOLE_UNITS[kind])
        case _:
            return value


def _apply(kind: str, expected: Any, answer: Answer) -> str:
    """Why the answer fails the check, "" when it passes."""
    text = answer.text
    match kind:
        case "equals":
            # The value is stripped too: with surrounding whitespace it could never match.
            if text.strip() == expected.strip():
                return ""
            return f"Expected {_quote(expected.strip())}, got {_quote(text.strip())}."
        case "contains":
            return "" if expected in text else f"The answer does not contain {_quote(expected)}."
        case "icontains":
            if expected.casefold() in text.casefold():
                return ""
            return f"The answer does not contain {_quote(expected)}, in any case."
        case "contains-all":
            missing = [item for item in expected if item not in text]
            return f"The answer does not contain {_listed(missing)}." if missing else ""
        case "contains-any":
            if any(item in text for item in expected):
                return ""
            return f"The answer contains none of {_listed(expected)}."
        case "not-contains":
            return f"The answer contains {_quote(expected)}." if expected in text else ""
        case "starts-with":
            start = expected.lstrip()
            found = text.lstrip()
            if found.startswith(start):
                return ""
            return f"The answer starts with {_quote(found[: len(start)])}, not {_quote(start)}."
        case "regex":
            try:
                hit = expected.search(text, timeout=REGEX_TIMEOUT_SECONDS)
            except TimeoutError:
                return (
                    f"The pattern {_quote(expected.pattern)} was stopped after"
                    f" {REGEX_TIMEOUT_SECONDS} s on this answer: it is too slow to check."
                )
            return "" if hit else f"The answer has no match for {_quote(expected.pattern)}."
        case "is-json":
            try:
                _answer_json(text)
            except ValueError as error:
                return f"The answer is not JSON: {error}"
            return ""
        case "json-schema":
            return _schema_reason(expected, text)
        case "cost-max":
            return _metric_reason(answer.cost, expected, "The cost", _dollars)
        case "latency-max":
            return _metric_reason(answer.total_ms, expected, "The total time", _milliseconds)
        case "ttft-max":
            return _metric_reason(
                answer.ttft_ms, expected, "The time to first token", _milliseconds
            )
        case "output-tokens-max":
            return _metric_reason(answer.output_tokens, expected, "The output token count", _count)
    raise ValueError(f"No rule applies a {kind!r} check.")


def _items(value: str) -> list[str]:
    """A list value's items: one a line, or split at commas when it is a single line."""
    lines = value.strip().splitlines()
    parts = lines if len(lines) > 1 else value.split(",")
    return [item.strip() for item in parts if item.strip()]


def _whole(value: str, unit: str) -> int:
    # Plain digits: int() would also take "+5", "1_000" and digits of other scripts.
    if not re.fullmatch(r"-?[0-9]+", value.strip()):
        raise _ValueProblem(f"{_quote(value)} is not a whole number of {unit}.")
    number = int(value)
    if number < 0:
        raise _ValueProblem(f"{_quote(value)} is below 0 {unit}.")
    return number


def _usd(value: str) -> Decimal:
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise _ValueProblem(f"{_quote(value)} is not an amount of USD, such as 0.01.")
    if amount < 0:
        raise _ValueProblem(f"{_quote(value)} is below 0 USD.")
    return amount


def _metric_reason[N: (int, Decimal)](
    measured: N | None, limit: N, what: str, show: Callable[[N], str]
) -> str:
    if measured is None:
        return f"{what} is unknown, so it cannot be held to a limit."
    if measured <= limit:
        return ""
    return f"{what} was {show(measured)}, over the limit of {show(limit)}."


def _dollars(amount: Decimal) -> str:
    """0.0100 → "$0.01", 1E+2 → "$100": as a person writes an amount."""
    return f"${amount.normalize():f}"


def _milliseconds(number: int) -> str:
    return f"{number:,} ms"


def _count(number: int) -> str:
    return f"{number:,}"


def _schema_validator(value: str) -> Any:
    """A validator for the schema written as JSON text, checked by its draft's metaschema.

    Unlike a setup's structured output (setups/schemas.py), any schema is fine here: one
    that requires a property it does not define is a fair test of an answer."""
    try:
        schema = _json(value)
    except ValueError as error:
        raise _ValueProblem(f"the schema is not JSON: {error}") from None
    if not isinstance(schema, dict):
        raise _ValueProblem('the schema must be a JSON object, such as {"type": "object"}.')
    validator = schema_validator(schema)
    try:
        validator.check_schema(schema)
    except SchemaError as error:
        where = error.json_path
        raise _ValueProblem(
            f"the schema is not valid at {where}: {_brief(error.message)}."
        ) from None
    except RecursionError:
        raise _ValueProblem("the schema is nested too deeply.") from None
    return _bounded(validator)(schema)


class _PatternTooSlow(Exception):
    """A schema's pattern ran past REGEX_TIMEOUT_SECONDS on the answer."""


def _search(pattern: str, text: str) -> bool:
    try:
        return regex.search(pattern, text, timeout=REGEX_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        raise _PatternTooSlow(pattern) from None


def _bounded(validator: Any) -> Any:
    """The draft's validator with the keywords that run a schema's regular expressions
    (`pattern`, `patternProperties`, and `additionalProperties`, which skips the
    properties those match) matching through the regex library with a time limit, as
    the regex check does: jsonschema's own use the standard `re`, which has none, so a
    catastrophic pattern in a person's schema would hang the worker. The rules are
    jsonschema's; only the matching differs."""

    def pattern(checker, expected, instance, schema):
        if checker.is_type(instance, "string") and not _search(expected, instance):
            yield ValidationError(f"{instance!r} does not match {expected!r}")

    def pattern_properties(checker, patterns, instance, schema):
        if not checker.is_type(instance, "object"):
            return
        for expected, subschema in patterns.items():
            for key, value in instance.items():
                if _search(expected, key):
                    yield from checker.descend(value, subschema, path=key, schema_path=expected)

    def additional_properties(checker, allowed, instance, schema):
        if not checker.is_type(instance, "object"):
            return
        known = schema.get("properties", {})
        patterns = list(schema.get("patternProperties", {}))
        extras = [
            key
            for key in instance
            if key not in known and not any(_search(expected, key) for expected in patterns)
        ]
        if checker.is_type(allowed, "object"):
            for extra in extras:
                yield from checker.descend(instance[extra], allowed, path=extra)
        elif allowed is False and extras:
            listed = ", ".join(repr(extra) for extra in sorted(extras))
            yield ValidationError(f"Additional properties are not allowed ({listed} unexpected)")

    return extend(
        validator,
        {
            "pattern": pattern,
            "patternProperties": pattern_properties,
            "additionalProperties": additional_properties,
        },
    )


def _schema_reason(validator: Any, text: str) -> str:
    try:
        instance = _answer_json(text)
    except ValueError as error:
        return f"The answer is not JSON: {error}"
    try:
        error = best_match(validator.iter_errors(instance))
    except _PatternTooSlow as slow:
        return (
            f"The schema's pattern {_quote(str(slow))} was stopped after "
            f"{REGEX_TIMEOUT_SECONDS} s on this answer: it is too slow to check."
        )
    except Unresolvable as unresolvable:
        # A "$ref" to another document: none is fetched, so it can never resolve.
        return f"The schema has a reference that cannot be resolved: {_brief(str(unresolvable))}."
    except RecursionError:
        return "The answer is nested too deeply to check against the schema."
    if error is None:
        return ""
    return f"The answer does not match the schema at {error.json_path}: {_brief(error.message)}."


_FENCE = re.compile(r"\A```[ \t]*(?:json)?[ \t]*\n(.*?)\n?```\Z", re.DOTALL | re.IGNORECASE)


def _answer_json(text: str) -> Any:
    """The JSON in an answer; ValueError saying why there is none.

    Models asked for JSON often wrap it in one fenced ```json block even so; that block,
    alone in the answer, counts as JSON. JSON amid prose does not."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    return _json(fenced.group(1) if fenced else stripped)


def _json(text: str) -> Any:
    """Parsed JSON text; ValueError with a short message saying where it is wrong."""

    def refuse_constant(name: str) -> Any:
        # Python's json takes NaN and Infinity, which JSON has not.
        raise ValueError(f"{name} is not a JSON value.")

    try:
        return json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as error:
        raise ValueError(f"{error.msg} (line {error.lineno}, column {error.colno}).") from None
    except RecursionError:
        raise ValueError("nested too deeply.") from None


def judge_setup(*, model: str, rubric: str, prompt: str, answer: str) -> dict[str, Any]:
    """The setup (playground/setups/format.py) of the request that asks `model` to grade
    an answer by a rubric (already filled with the case's variables): a run of its own,
    so its request, stream and cost are kept and inspected like any other. Each part
    sits between tags of its own, so the grader can tell the task, the answer and the
    rubric apart; temperature 0 and a strict schema make the verdict as repeatable and as
    readable as a model allows."""
    message = (
        "Grade the answer to the prompt below by the rubric.\n\n"
        f"<prompt>\n{prompt}\n</prompt>\n\n"
        f"<answer>\n{answer}\n</answer>\n\n"
        f"<rubric>\n{rubric}\n</rubric>"
    )
    return setup_normalize(
        {
            # Escaped: the texts are sent as they are, never read for variables.
            "prompt": message.replace("{{", "\\{{"),
            "instructions": JUDGE_INSTRUCTIONS,
            "parameters": {"temperature": 0, "max_output_tokens": JUDGE_MAX_OUTPUT_TOKENS},
            "columns": [{"model": model}],
            "structured_output": {
                "name": JUDGE_SCHEMA_NAME,
                "schema": JUDGE_SCHEMA,
                "strict": True,
            },
        }
    )


def judge_result(*, rubric: str, output_text: str) -> CheckResult:
    """The judge check's outcome from the grader's answer: JSON (a fenced block is fine,
    as for is-json) with a verdict of pass or fail and a reason. The reason, "Judge: "
    and its own words, is kept whichever the verdict, since it is all anyone sees of why;
    an answer that cannot be read fails the check."""
    try:
        reply = _answer_json(output_text)
    except ValueError:
        reply = None
    verdict = reply.get("verdict") if isinstance(reply, dict) else None
    reason = reply.get("reason") if isinstance(reply, dict) else None
    # A fallback model may not hold to the schema's enum as strictly: "Pass" is read too.
    verdict = verdict.strip().lower() if isinstance(verdict, str) else None
    if verdict in ("pass", "fail") and isinstance(reason, str):
        reason = _brief(reason.strip(), _MAX_JUDGE_REASON_CHARS)
        return CheckResult("judge", rubric, passed=verdict == "pass", reason=f"Judge: {reason}")
    shown = _quote(output_text.strip()) if output_text.strip() else "it was empty"
    return CheckResult(
        "judge", rubric, passed=False, reason=f"The judge's answer could not be read: {shown}."
    )


def _quote(text: str) -> str:
    return f'"{_brief(text)}"'


def _brief(text: str, limit: int = _QUOTE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _listed(items: list[str]) -> str:
    shown = ", ".join(_quote(item) for item in items[:_LISTED_ITEMS])
    rest = len(items) - _LISTED_ITEMS
    return f"{shown} and {rest} more" if rest > 0 else shown
