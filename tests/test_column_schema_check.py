"""The check of a structured answer against its run's JSON schema."""

import pytest

from playground.schema_check import (
    json_schema_format,
    schema_errors,
    structured_output,
)

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
    "required": ["name", "age"],
    "additionalProperties": False,
}


def messages(value, schema=PERSON):
    return [str(error) for error in schema_errors(value, schema)]


def test_a_matching_answer_has_no_error():
    value = {"name": "Ada", "age": 36, "tags": ["a"], "address": {"city": "London"}}
    assert messages(value) == []


def test_a_missing_required_property_is_named_with_its_path():
    assert messages({"age": 3}) == ['$: the required property "name" is missing']
    assert messages({"name": "A", "age": 1, "address": {}}) == [
        '$.address: the required property "city" is missing'
    ]


def test_a_wrong_type_says_what_was_expected_and_found():
    assert messages({"name": 5, "age": "3"}) == [
        "$.name: should be a string, not an integer",
        "$.age: should be an integer, not a string",
    ]
    assert messages([1]) == ["$: should be an object, not an array"]


def test_integers_and_numbers_follow_json_not_python():
    assert messages({"name": "A", "age": 3.0}) == []  # 3.0 is an integer in JSON
    assert messages({"name": "A", "age": 3.5}) == ["$.age: should be an integer, not a number"]
    assert messages({"name": "A", "age": True}) == [
        "$.age: should be an integer, not true or false"
    ]
    assert messages(True, {"enum": [1]}) == ["$: should be one of 1"]


def test_array_items_and_enums_are_checked_with_their_index():
    assert messages({"name": "A", "age": 1, "tags": ["a", "c", 3]}) == [
        '$.tags[1]: should be one of "a", "b"',
        "$.tags[2]: should be a string, not an integer",
    ]


def test_extra_properties_are_refused_only_when_the_schema_says_so():
    assert messages({"name": "A", "age": 1, "nick": "x"}) == [
        '$: the property "nick" is not allowed'
    ]
    open_schema = {"type": "object", "additionalProperties": {"type": "number"}}
    assert messages({"a": 1, "b": "x"}, open_schema) == ["$.b: should be a number, not a string"]
    assert messages({"odd key": "x"}, open_schema) == [
        '$["odd key"]: should be a number, not a string'
    ]


def test_a_list_of_types_accepts_any_of_them():
    schema = {"type": ["string", "null"]}
    assert messages(None, schema) == []
    assert messages(1, schema) == ["$: should be a string or null, not an integer"]


def test_unknown_keywords_are_not_checked():
    assert messages("x", {"type": "string", "pattern": "^y$", "minLength": 5}) == []


def test_a_hostile_answer_cannot_exhaust_the_checker():
    deep = {"type": "array"}
    schema = deep
    for _ in range(200):
        schema["items"] = {"type": "array"}
        schema = schema["items"]
    value: list = []
    current = value
    for _ in range(200):
        current.append([])
        current = current[0]
    errors = messages(value, deep)
    assert errors and errors[0].endswith("nested too deeply to check")
    too_many = {"type": "array", "items": {"type": "string"}}
    assert len(messages(list(range(100)), too_many)) == 10


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        ('{"name": "Ada", "age": 36}', "matches"),
        ('{"age": 36}', "mismatch"),
        ('Sure! ```json\n{"age": 36}\n```', "invalid"),
        ('{"name": "Ada", "age": NaN}', "invalid"),
        ("", "invalid"),
        ("[" * 5000 + "]" * 5000, "invalid"),
    ],
)
def test_an_answer_is_parsed_then_checked(text, mark):
    result = structured_output(text, {"type": "json_schema", "name": "person", "schema": PERSON})
    assert result.schema_name == "person"
    if mark == "matches":
        assert result.matches and result.pretty == '{\n  "name": "Ada",\n  "age": 36\n}'
    elif mark == "mismatch":
        assert result.valid_json and not result.matches
        assert [str(e) for e in result.errors] == ['$: the required property "name" is missing']
    else:
        assert not result.valid_json and result.json_error and not result.pretty


def test_only_a_json_schema_format_is_checked():
    schema_format = {"type": "json_schema", "name": "x", "schema": {}, "strict": True}
    assert json_schema_format({"text": {"format": schema_format}}) == schema_format
    assert json_schema_format({"text": {"format": {"type": "text"}}}) is None
    assert json_schema_format({"text": {"verbosity": "low"}}) is None
    assert json_schema_format({}) is None
    assert json_schema_format(None) is None
