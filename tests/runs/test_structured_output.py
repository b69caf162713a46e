"""The check of a structured answer against its run's JSON schema."""

import pytest

from playground.runs.structured_output import (
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


def test_pattern_format_and_unknown_keywords_are_not_checked():
    schema = {"type": "string", "pattern": "^y$", "format": "email", "x-unknown": 1}
    assert messages("x", schema) == []


def test_const_and_the_number_limits():
    assert messages("b", {"const": "a"}) == ['$: should be "a"']
    assert messages(5, {"minimum": 5, "maximum": 5}) == []
    assert messages(4, {"minimum": 5}) == ["$: should be at least 5"]
    assert messages(5, {"exclusiveMinimum": 5}) == ["$: should be more than 5"]
    assert messages(6.5, {"maximum": 6}) == ["$: should be at most 6"]
    assert messages(6, {"exclusiveMaximum": 6}) == ["$: should be less than 6"]
    # Exactly, in decimal: 0.3 is a multiple of 0.1 although not in binary floats.
    assert messages(0.3, {"multipleOf": 0.1}) == []
    assert messages(0.35, {"multipleOf": 0.1}) == ["$: should be a multiple of 0.1"]
    assert messages(1e308, {"multipleOf": 1e-308}) == []  # too many digits: not refused
    assert messages(True, {"minimum": 5}) == []  # a limit is for numbers only


def test_the_size_limits_of_strings_arrays_and_objects():
    assert messages("héllo", {"minLength": 5, "maxLength": 5}) == []
    assert messages("hi", {"minLength": 3}) == ["$: has 2 characters, fewer than 3"]
    assert messages([1, 2, 3], {"maxItems": 2}) == ["$: has 3 items, more than 2"]
    assert messages([], {"minItems": 1}) == ["$: has 0 items, fewer than 1"]
    assert messages({"a": 1}, {"minProperties": 2}) == ["$: has 1 property, fewer than 2"]
    assert messages({}, {"minProperties": 1}) == ["$: has 0 properties, fewer than 1"]
    assert messages([1, [2], 1], {"uniqueItems": True}) == ["$[2]: repeats an earlier item"]
    assert messages([1, True], {"uniqueItems": True}) == []  # JSON's true is not 1


def test_any_one_and_all_of():
    either = {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]}
    assert messages("x", either) == messages(3, either) == []
    assert messages(-1, either) == [
        "$: should match any of the 2 forms the schema allows, and matches 0"
    ]
    one = {"oneOf": [{"type": "integer"}, {"type": "number"}]}
    assert messages(1.5, one) == []
    assert messages(1, one) == [
        "$: should match exactly one of the 2 forms the schema allows, and matches 2"
    ]
    both = {"allOf": [{"required": ["a"]}, {"required": ["b"]}]}
    assert messages({"a": 1}, both) == ['$: the required property "b" is missing']


def test_references_to_defs_are_followed_and_a_schema_may_refer_to_itself():
    tree = {
        "$defs": {"node": {"type": "object", "properties": {"kids": {"$ref": "#/$defs/list"}}}},
        "definitions": {"list": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
        "$ref": "#/$defs/node",
    }
    tree["$defs"]["list"] = tree["definitions"]["list"]
    assert messages({"kids": [{"kids": []}]}, tree) == []
    assert messages({"kids": [{"kids": 3}]}, tree) == [
        "$.kids[0].kids: should be an array, not an integer"
    ]
    assert messages(1, {"$ref": "#/$defs/missing"}) == [
        '$: the schema\'s reference "#/$defs/missing" is not found'
    ]
    looping = {"$ref": "#"}
    assert messages(1, looping) == ["$: nested too deeply to check"]


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
    # Branches inside branches at every level would take 2^depth checks: the work stops.
    branching = {"anyOf": [{"type": "array", "items": {"$ref": "#"}}, {"type": "string"}]}
    branching["anyOf"].append({"type": "array", "items": {"$ref": "#"}})
    value = []
    current = value
    for _ in range(40):
        current.append([])
        current = current[0]
    current.append(1)
    errors = messages(value, branching)
    assert errors[-1] == "$: too large to check in full; only what is above was found"


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
