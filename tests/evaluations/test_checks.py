"""The checks of an evaluation: what each type passes and fails, the reasons a reader
sees, the problems a form or a file is told about, and the judge's request and verdict."""

import json
import time
from decimal import Decimal

import pytest

from playground.evaluations.checks import (
    CHECK_HELP,
    CHECK_LABELS,
    CHECK_TYPES,
    JUDGE_MAX_OUTPUT_TOKENS,
    JUDGE_SCHEMA,
    JUDGE_SCHEMA_NAME,
    MAX_CHECK_VALUE_CHARS,
    MAX_CHECKS,
    Answer,
    CheckResult,
    check_answer,
    check_problems,
    checks_problems,
    judge_result,
    judge_setup,
)
from playground.openrouter import build_body
from playground.setups.format import setup_request_params


def done(text: str, **metrics) -> Answer:
    return Answer(text=text, status="done", **metrics)


def run(kind: str, value: str, answer: Answer | str, **variables: str) -> CheckResult:
    if isinstance(answer, str):
        answer = done(answer)
    return check_answer({"type": kind, "value": value}, answer, variables)


# The types and their labels


def test_every_type_has_a_label_and_a_help_text_in_the_order_of_the_types():
    assert CHECK_TYPES[:3] == ("equals", "contains", "icontains")
    assert CHECK_TYPES[-1] == "judge"
    assert len(CHECK_TYPES) == 15
    assert list(CHECK_LABELS) == list(CHECK_TYPES)
    assert list(CHECK_HELP) == list(CHECK_TYPES)
    assert all(CHECK_LABELS.values()) and all(CHECK_HELP.values())


def test_a_result_is_stored_as_plain_json():
    result = run("contains", "Paris", "Lyon")
    assert result.as_json() == {
        "type": "contains",
        "value": "Paris",
        "passed": False,
        "reason": 'The answer does not contain "Paris".',
    }


# Text checks


def test_equals_ignores_whitespace_around_the_answer():
    assert run("equals", "Paris", "  Paris\n").passed
    assert run("equals", "Paris", "\n\tParis  ") == CheckResult("equals", "Paris", True, "")


def test_equals_ignores_whitespace_around_the_value_which_could_never_match_otherwise():
    assert run("equals", "Paris\n", "Paris").passed


def test_equals_fails_on_any_other_text_saying_what_it_got():
    result = run("equals", "Paris", "Paris.")
    assert not result.passed
    assert result.reason == 'Expected "Paris", got "Paris.".'
    assert not run("equals", "Paris", "paris").passed
    assert not run("equals", "Paris", "Pa ris").passed


def test_a_long_answer_is_quoted_briefly_in_the_reason():
    result = run("equals", "short", "x" * 500)
    assert '"' + "x" * 79 + '…"' in result.reason
    assert len(result.reason) < 120


def test_contains_is_case_sensitive():
    assert run("contains", "Paris", "It is Paris, of course.").passed
    result = run("contains", "Paris", "it is paris")
    assert not result.passed
    assert result.reason == 'The answer does not contain "Paris".'


def test_icontains_ignores_case():
    assert run("icontains", "PARIS", "it is paris").passed
    # casefold, not lower: ß folds to ss.
    assert run("icontains", "STRASSE", "die Straße").passed
    result = run("icontains", "Lyon", "it is paris")
    assert not result.passed
    assert result.reason == 'The answer does not contain "Lyon", in any case.'


def test_contains_all_takes_one_item_a_line():
    value = "Seine\nLoire, the long one\n\n  Rhône  \n"
    assert run("contains-all", value, "Seine, Loire, the long one and Rhône").passed
    result = run("contains-all", value, "The Seine and the Loire")
    assert not result.passed
    assert result.reason == 'The answer does not contain "Loire, the long one", "Rhône".'


def test_contains_all_splits_a_single_line_at_commas():
    assert run("contains-all", "Seine, Loire,, Rhône", "Rhône Loire Seine").passed
    result = run("contains-all", "Seine, Loire, Rhône", "Only the Loire")
    assert result.reason == 'The answer does not contain "Seine", "Rhône".'


def test_contains_all_names_three_missing_items_and_counts_the_rest():
    result = run("contains-all", "a, b, c, d, e", "xyz")
    assert result.reason == 'The answer does not contain "a", "b", "c" and 2 more.'


def test_contains_any_passes_on_one_item():
    assert run("contains-any", "yes\nsure", "Sure, sure.").passed
    assert run("contains-any", "yes, sure", "oh yes").passed
    result = run("contains-any", "yes, sure", "No.")
    assert not result.passed
    assert result.reason == 'The answer contains none of "yes", "sure".'


def test_not_contains_fails_when_the_text_is_there():
    assert run("not-contains", "As an AI", "Paris.").passed
    result = run("not-contains", "As an AI", "As an AI model, I think Paris.")
    assert not result.passed
    assert result.reason == 'The answer contains "As an AI".'


def test_starts_with_ignores_leading_whitespace_of_the_answer():
    assert run("starts-with", "Yes", "\n  Yes, it is.").passed
    result = run("starts-with", "Yes", "Well, yes.")
    assert not result.passed
    assert result.reason == 'The answer starts with "Wel", not "Yes".'


def test_starts_with_keeps_the_trailing_space_of_its_value():
    assert run("starts-with", "Yes ", "Yes it is").passed
    assert not run("starts-with", "Yes ", "Yesterday").passed


def test_incomplete_answers_are_checked_on_the_text_they_have():
    answer = Answer(text="The capital is Par", status="incomplete")
    assert run("contains", "capital", answer).passed
    assert not run("contains", "Paris", answer).passed


def test_a_cancelled_answer_with_text_is_checked_on_that_text():
    answer = Answer(text="Paris", status="cancelled")
    assert run("equals", "Paris", answer).passed


# Variables


def test_variables_and_expected_are_filled_into_the_value_and_kept_in_the_result():
    result = run("equals", "{{expected}}", "Paris", expected="Paris")
    assert result == CheckResult("equals", "Paris", True, "")
    result = run("contains", "capital of {{ country }}", "the capital of Spain", country="France")
    assert result.value == "capital of France"
    assert result.reason == 'The answer does not contain "capital of France".'


def test_a_filled_list_value_is_split_into_items():
    result = run("contains-any", "{{expected}}", "Madrid", expected="Paris, Madrid")
    assert result.passed
    assert result.value == "Paris, Madrid"


def test_a_value_filled_to_nothing_fails_rather_than_passing_on_any_answer():
    result = run("contains", "{{expected}}", "anything", expected="  ")
    assert not result.passed
    assert result.reason == "The value as filled for this case cannot be used: the value is empty."


def test_an_escaped_brace_pair_is_literal_text():
    assert run("contains", r"\{{name}}", "write {{name}} here", name="Ada").passed


# regex


def test_regex_searches_anywhere_in_the_answer():
    assert run("regex", r"\b\d{4}\b", "It was 1789, I think.").passed
    result = run("regex", r"^\d{4}$", "It was 1789.")
    assert not result.passed
    assert result.reason == r'The answer has no match for "^\d{4}$".'


def test_a_catastrophic_regex_fails_with_a_timeout_instead_of_hanging():
    # The regex library sees through (a+)+$; (a|aa)+$ still backtracks exponentially.
    started = time.monotonic()
    result = run("regex", "(a|aa)+$", "a" * 40 + "!")
    assert time.monotonic() - started < 10
    assert not result.passed
    assert "was stopped after 0.5 s" in result.reason
    assert "too slow" in result.reason


def test_a_regex_filled_from_variables_is_compiled_for_each_case():
    assert run("regex", "^{{expected}}$", "42", expected=r"\d+").passed
    result = run("regex", "{{expected}}", "42", expected="(")
    assert not result.passed
    assert result.reason.startswith(
        'The value as filled for this case cannot be used: "(" is not a valid pattern: missing )'
    )


# is-json and json-schema


def test_is_json_passes_on_json_and_ignores_its_value():
    assert run("is-json", "", ' {"city": "Paris"} ').passed
    assert run("is-json", "", "[1, 2]").passed
    assert check_answer({"type": "is-json"}, done('"text"'), {}).passed


def test_is_json_accepts_one_fenced_json_block():
    assert run("is-json", "", '```json\n{"city": "Paris"}\n```').passed
    assert run("is-json", "", '\n```\n{"city": "Paris"}\n```\n').passed


def test_is_json_refuses_json_amid_prose():
    result = run("is-json", "", 'Here it is:\n```json\n{"city": "Paris"}\n```\nEnjoy!')
    assert not result.passed
    assert result.reason == "The answer is not JSON: Expecting value (line 1, column 1)."


def test_is_json_fails_on_broken_json_saying_where():
    result = run("is-json", "", '{"city": "Paris",}')
    assert not result.passed
    assert result.reason.startswith("The answer is not JSON: ")
    assert "(line 1, column 18)" in result.reason


def test_is_json_refuses_nan_which_python_would_take():
    assert not run("is-json", "", "NaN").passed


SCHEMA = (
    '{"type": "object", "properties": {"rivers": {"type": "array",'
    ' "items": {"type": "string"}}}, "required": ["rivers"]}'
)


def test_json_schema_passes_valid_json_fenced_or_not():
    assert run("json-schema", SCHEMA, '{"rivers": ["Seine", "Loire"]}').passed
    assert run("json-schema", SCHEMA, '```json\n{"rivers": []}\n```').passed


def test_json_schema_names_the_path_and_message_of_the_error():
    result = run("json-schema", SCHEMA, '{"rivers": ["Seine", 3]}')
    assert not result.passed
    assert result.reason == (
        "The answer does not match the schema at $.rivers[1]: 3 is not of type 'string'."
    )
    result = run("json-schema", SCHEMA, "{}")
    assert result.reason == (
        "The answer does not match the schema at $: 'rivers' is a required property."
    )


def test_json_schema_fails_an_answer_that_is_not_json():
    result = run("json-schema", SCHEMA, "Seine and Loire")
    assert not result.passed
    assert result.reason.startswith("The answer is not JSON: ")


def test_json_schema_may_use_variables():
    schema = '{"const": "{{expected}}"}'
    assert run("json-schema", schema, '"Paris"', expected="Paris").passed
    assert not run("json-schema", schema, '"Lyon"', expected="Paris").passed


def test_json_schema_with_a_reference_to_another_document_fails_without_fetching_it():
    result = run("json-schema", '{"$ref": "https://example.com/schema.json"}', "{}")
    assert not result.passed
    assert result.reason.startswith("The schema has a reference that cannot be resolved: ")


# Numbers


def test_cost_max_holds_the_cost_to_the_limit():
    assert run("cost-max", "0.01", done("ok", cost=Decimal("0.0100"))).passed
    result = run("cost-max", "0.01", done("ok", cost=Decimal("0.012300")))
    assert not result.passed
    assert result.reason == "The cost was $0.0123, over the limit of $0.01."


def test_cost_max_fails_when_the_cost_is_unknown():
    result = run("cost-max", "1", done("ok"))
    assert not result.passed
    assert result.reason == "The cost is unknown, so it cannot be held to a limit."


def test_latency_max_holds_the_total_time_to_the_limit():
    assert run("latency-max", "2000", done("ok", total_ms=2000)).passed
    result = run("latency-max", "2000", done("ok", total_ms=12345))
    assert result.reason == "The total time was 12,345 ms, over the limit of 2,000 ms."
    assert not run("latency-max", "2000", done("ok")).passed


def test_ttft_max_holds_the_time_to_first_token_to_the_limit():
    assert run("ttft-max", " 500 ", done("ok", ttft_ms=499)).passed
    result = run("ttft-max", "500", done("ok", ttft_ms=501))
    assert result.reason == "The time to first token was 501 ms, over the limit of 500 ms."
    result = run("ttft-max", "500", done("ok", total_ms=100))
    assert result.reason == "The time to first token is unknown, so it cannot be held to a limit."


def test_output_tokens_max_holds_the_output_tokens_to_the_limit():
    assert run("output-tokens-max", "100", done("ok", output_tokens=100)).passed
    result = run("output-tokens-max", "100", done("ok", output_tokens=1500))
    assert result.reason == "The output token count was 1,500, over the limit of 100."


def test_number_checks_use_the_metrics_of_an_incomplete_answer():
    answer = Answer(text="", status="incomplete", output_tokens=4096, total_ms=900)
    assert not run("output-tokens-max", "1000", answer).passed
    assert run("latency-max", "1000", answer).passed


def test_a_limit_filled_from_a_variable_that_is_no_number_fails_the_check():
    assert run("latency-max", "{{limit}}", done("ok", total_ms=10), limit="20").passed
    result = run("latency-max", "{{limit}}", done("ok", total_ms=10), limit="fast")
    assert not result.passed
    assert result.reason == (
        "The value as filled for this case cannot be used:"
        ' "fast" is not a whole number of milliseconds.'
    )


# Answers that failed


@pytest.mark.parametrize("kind", [kind for kind in CHECK_TYPES if kind != "judge"])
def test_an_error_answer_fails_every_check(kind):
    answer = Answer(
        text="Par",
        status="error",
        error="The provider is overloaded.",
        cost=Decimal(0),
        total_ms=1,
        ttft_ms=1,
        output_tokens=1,
    )
    value = {"json-schema": "{}", "regex": "P"}.get(kind, "1" if kind.endswith("-max") else "Par")
    result = run(kind, value, answer)
    assert not result.passed
    assert result.reason == "No answer to check: The provider is overloaded."


def test_an_error_without_a_message_still_says_why():
    result = run("not-contains", "x", Answer(text="", status="error"))
    assert result.reason == "No answer to check: the generation failed."


def test_a_stopped_answer_without_text_fails_every_check():
    answer = Answer(text="", status="cancelled", total_ms=5)
    result = run("latency-max", "1000", answer)
    assert not result.passed
    assert result.reason == "No answer to check: the generation was stopped."
    assert not run("not-contains", "x", answer).passed


def test_check_answer_refuses_a_judge_check():
    with pytest.raises(ValueError, match="graded by a model"):
        run("judge", "Is it polite?", "Yes.")


# Problems of checks as plain data


def test_a_valid_check_has_no_problems():
    for check in [
        {"type": "contains", "value": "Paris"},
        {"type": "is-json"},
        {"type": "is-json", "value": ""},
        {"type": "cost-max", "value": "0.05"},
        {"type": "latency-max", "value": "0"},
        {"type": "regex", "value": r"^\d+$"},
        {"type": "json-schema", "value": SCHEMA},
        {"type": "judge", "value": "The answer is polite."},
    ]:
        assert check_problems(check) == [], check


def test_a_check_that_is_not_an_object_is_a_problem():
    assert check_problems("contains Paris") == [
        "A check must be an object with a type and a value."
    ]


def test_an_unknown_type_is_named_with_the_known_ones():
    problems = check_problems({"type": "similar", "value": "Paris"})
    assert problems == [f'Unknown check type "similar": use one of {", ".join(CHECK_TYPES)}.']
    assert check_problems({"value": "Paris"})[0].startswith("Unknown check type (none): ")


def test_a_value_is_required_for_every_type_but_is_json():
    assert check_problems({"type": "contains"}) == ["Contains: the value is empty."]
    assert check_problems({"type": "equals", "value": "  "}) == ["Equals: the value is empty."]
    assert check_problems({"type": "judge", "value": "\n"}) == [
        "Judge (graded by a model): the value is empty."
    ]


def test_a_value_must_be_text_of_bounded_length():
    assert check_problems({"type": "contains", "value": 3}) == ["Contains: the value must be text."]
    assert check_problems({"type": "contains", "value": "x" * (MAX_CHECK_VALUE_CHARS + 1)}) == [
        "Contains: the value is longer than 10,000 characters."
    ]
    assert check_problems({"type": "contains", "value": "x" * MAX_CHECK_VALUE_CHARS}) == []


def test_a_list_needs_an_item():
    assert check_problems({"type": "contains-all", "value": " , ,"}) == [
        "Contains all of: the list has no items."
    ]


def test_limits_must_be_numbers_of_their_kind():
    assert check_problems({"type": "latency-max", "value": "abc"}) == [
        'Max latency (ms): "abc" is not a whole number of milliseconds.'
    ]
    assert check_problems({"type": "output-tokens-max", "value": "1.5"}) == [
        'Max output tokens: "1.5" is not a whole number of tokens.'
    ]
    assert check_problems({"type": "ttft-max", "value": "-3"}) == [
        'Max time to first token (ms): "-3" is below 0 milliseconds.'
    ]
    assert check_problems({"type": "cost-max", "value": "cheap"}) == [
        'Max cost (USD): "cheap" is not an amount of USD, such as 0.01.'
    ]
    assert check_problems({"type": "cost-max", "value": "NaN"}) == [
        'Max cost (USD): "NaN" is not an amount of USD, such as 0.01.'
    ]
    assert check_problems({"type": "cost-max", "value": "-0.5"}) == [
        'Max cost (USD): "-0.5" is below 0 USD.'
    ]


def test_a_regex_must_compile():
    assert check_problems({"type": "regex", "value": "(unclosed"}) == [
        'Matches regex: "(unclosed" is not a valid pattern: missing ) at position 9.'
    ]


def test_a_schema_must_be_json_and_a_valid_schema():
    assert check_problems({"type": "json-schema", "value": "{type: object}"}) == [
        "Matches JSON schema: the schema is not JSON:"
        " Expecting property name enclosed in double quotes (line 1, column 2)."
    ]
    assert check_problems({"type": "json-schema", "value": "[]"}) == [
        'Matches JSON schema: the schema must be a JSON object, such as {"type": "object"}.'
    ]
    problems = check_problems({"type": "json-schema", "value": '{"type": "objet"}'})
    assert problems == [
        "Matches JSON schema: the schema is not valid at $.type:"
        " 'objet' is not valid under any of the given schemas."
    ]


def test_a_schema_may_require_a_property_it_does_not_define():
    assert check_problems({"type": "json-schema", "value": '{"required": ["name"]}'}) == []


def test_values_with_variables_are_checked_when_they_are_filled():
    for kind in ("latency-max", "cost-max", "regex", "json-schema"):
        assert check_problems({"type": kind, "value": "{{limit}}"}) == [], kind
    assert check_problems({"type": "latency-max", "value": "{{ limit }} ms"}) == []


def test_a_value_without_variables_is_checked_as_the_run_fills_it():
    # `\{{` is a literal `{{` once filled: no variable, and the limit read is "{{x}}".
    assert check_problems({"type": "latency-max", "value": r"\{{x}}"}) == [
        'Max latency (ms): "{{x}}" is not a whole number of milliseconds.'
    ]


def test_checks_problems_number_each_check():
    checks = [
        {"type": "contains", "value": "Paris"},
        {"type": "latency-max", "value": "soon"},
        {"type": "nope", "value": "x"},
    ]
    assert checks_problems(checks) == [
        'Check 2: Max latency (ms): "soon" is not a whole number of milliseconds.',
        f'Check 3: Unknown check type "nope": use one of {", ".join(CHECK_TYPES)}.',
    ]
    assert checks_problems([]) == []


def test_checks_problems_allow_at_most_the_maximum_number_of_checks():
    check = {"type": "contains", "value": "Paris"}
    assert checks_problems([check] * MAX_CHECKS) == []
    assert checks_problems([check] * (MAX_CHECKS + 1)) == ["At most 20 checks are allowed, not 21."]


def test_checks_problems_want_a_list():
    assert checks_problems({"type": "contains", "value": "Paris"}) == ["The checks must be a list."]


# The judge


def test_the_judge_is_asked_for_a_strict_verdict_at_temperature_zero():
    setup = judge_setup(
        model="openai/gpt-5-mini",
        rubric="Names the capital of France.",
        prompt="What is the capital of France?",
        answer="Paris.",
    )
    body = build_body(setup_request_params(setup, 0))
    assert body["model"] == "openai/gpt-5-mini"
    assert body["temperature"] == 0
    assert body["text"]["format"] == {
        "type": "json_schema",
        "name": JUDGE_SCHEMA_NAME,
        "schema": JUDGE_SCHEMA,
        "strict": True,
    }
    assert "rubric" in body["instructions"]
    assert '"verdict"' in body["instructions"]
    [message] = body["input"]
    [part] = message["content"]
    assert part["text"].endswith(
        "<prompt>\nWhat is the capital of France?\n</prompt>\n\n"
        "<answer>\nParis.\n</answer>\n\n"
        "<rubric>\nNames the capital of France.\n</rubric>"
    )


def test_judge_schema_requires_a_verdict_and_a_reason_and_nothing_else():
    assert JUDGE_SCHEMA["required"] == ["verdict", "reason"]
    assert JUDGE_SCHEMA["properties"]["verdict"]["enum"] == ["pass", "fail"]
    assert JUDGE_SCHEMA["additionalProperties"] is False


def test_judge_result_keeps_the_judges_reason_when_it_passes():
    result = judge_result(
        rubric="Polite.", output_text='{"verdict": "pass", "reason": "It says please."}'
    )
    assert result == CheckResult("judge", "Polite.", True, "Judge: It says please.")


def test_judge_result_fails_with_the_judges_reason():
    result = judge_result(
        rubric="Polite.", output_text='{"verdict": "fail", "reason": "It is curt."}'
    )
    assert result == CheckResult("judge", "Polite.", False, "Judge: It is curt.")


def test_judge_result_reads_a_fenced_verdict():
    text = '```json\n{"verdict": "Pass", "reason": "Fine."}\n```'
    result = judge_result(rubric="Polite.", output_text=text)
    assert result.passed
    assert result.reason == "Judge: Fine."


def test_judge_result_fails_when_the_judge_answer_cannot_be_read():
    result = judge_result(rubric="Polite.", output_text="I think it passes. " * 20)
    assert not result.passed
    assert result.reason.startswith("The judge's answer could not be read: \"I think it passes.")
    assert result.reason.endswith('…".')
    for text in ['{"verdict": "maybe", "reason": "Hm."}', '{"verdict": "pass"}', "[]"]:
        result = judge_result(rubric="Polite.", output_text=text)
        assert not result.passed, text
        assert result.reason.startswith("The judge's answer could not be read: "), text
    result = judge_result(rubric="Polite.", output_text="")
    assert result.reason == "The judge's answer could not be read: it was empty."


def test_the_judge_request_sends_braces_in_the_answer_as_they_are():
    setup = judge_setup(model="demo/swift", rubric="Is kind", prompt="Hi", answer="Use {{x}} here")
    body = build_body(setup_request_params(setup, 0))
    assert "<answer>\nUse {{x}} here\n</answer>" in body["input"][0]["content"][0]["text"]
    assert body["max_output_tokens"] == JUDGE_MAX_OUTPUT_TOKENS


def test_a_slow_pattern_inside_a_schema_is_stopped_not_left_to_hang():
    schema = '{"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a|aa)+$"}}}'
    answer = json.dumps({"a": "a" * 60 + "!"})
    result = run("json-schema", schema, answer)
    assert not result.passed and "too slow to check" in result.reason


def test_a_schemas_patterns_still_decide_as_jsonschema_does():
    schema = json.dumps(
        {
            "type": "object",
            "properties": {"id": {"type": "string", "pattern": "^[a-z]+$"}},
            "patternProperties": {"^x-": {"type": "integer"}},
            "additionalProperties": False,
        }
    )
    assert run("json-schema", schema, '{"id": "abc", "x-n": 3}').passed
    assert "does not match" in run("json-schema", schema, '{"id": "ABC"}').reason
    assert not run("json-schema", schema, '{"id": "abc", "x-n": "three"}').passed
    assert "not allowed" in run("json-schema", schema, '{"id": "abc", "other": 1}').reason
