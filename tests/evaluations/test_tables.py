"""A dataset's table read from CSV and JSON Lines, written back, and checked as plain data:
what a person importing a file or posting the editor's table is told, in which words."""

import pytest

from playground.evaluations.tables import (
    MAX_CELL_CHARS,
    MAX_IMPORT_BYTES,
    MAX_ROWS,
    MAX_TABLE_COLUMNS,
    Table,
    TableError,
    parse_csv,
    parse_jsonl,
    parse_table_file,
    table_csv,
    table_from_data,
    table_jsonl,
    table_problems,
)

BAD_NAME = "a name is letters, digits and _, and does not start with a digit"


def problems_of(read, *arguments) -> list[str]:
    with pytest.raises(TableError) as caught:
        read(*arguments)
    return caught.value.problems


# CSV


def test_a_csv_file_reads_its_header_as_columns_and_each_line_as_a_row():
    table = parse_csv(b"city,expected\r\nParis,France\r\nLima,Peru\r\n")

    assert table == Table(
        columns=["city", "expected"],
        rows=[{"city": "Paris", "expected": "France"}, {"city": "Lima", "expected": "Peru"}],
    )


def test_a_byte_order_mark_is_not_part_of_the_first_column_name():
    table = parse_csv(b"\xef\xbb\xbfcity\nParis\n")

    assert table.columns == ["city"]


def test_quoted_commas_quotes_and_line_breaks_stay_inside_their_cell():
    data = b'city,note\nParis,"big, old"\nLima,"say ""hola"""\nRome,"one\r\ntwo\nthree"\n'

    assert [row["note"] for row in parse_csv(data).rows] == [
        "big, old",
        'say "hola"',
        "one\r\ntwo\nthree",
    ]


def test_header_names_are_stripped_of_spaces_and_cells_are_kept_as_written():
    table = parse_csv(b" city , expected\n Paris ,  France\n")

    assert table == Table(
        columns=["city", "expected"], rows=[{"city": " Paris ", "expected": "  France"}]
    )


def test_blank_lines_and_empty_spreadsheet_rows_are_skipped_and_not_counted_as_rows():
    data = b"\r\ncity,country\r\n\r\nParis,France\r\n,\r\n  \r\n\r\nLima,Peru,x\r\n,\r\n"

    # Lima is the second row, on line 8 of the file.
    assert problems_of(parse_csv, data) == [
        "line 8: row 2 has 3 cells, but the header has 2 columns"
    ]
    assert parse_csv(data.replace(b",x", b"")).rows == [
        {"city": "Paris", "country": "France"},
        {"city": "Lima", "country": "Peru"},
    ]


def test_a_row_with_fewer_cells_than_the_header_has_empty_text_in_the_rest():
    table = parse_csv(b"city,country,expected\nParis\nLima,Peru\n")

    assert table.rows == [
        {"city": "Paris", "country": "", "expected": ""},
        {"city": "Lima", "country": "Peru", "expected": ""},
    ]


def test_a_row_with_more_cells_than_the_header_is_named():
    data = b"city\nParis\nLima,Peru\n"

    assert problems_of(parse_csv, data) == [
        "line 3: row 2 has 2 cells, but the header has 1 column"
    ]


def test_a_row_spanning_lines_is_named_by_the_line_it_starts_on():
    data = b'city,note\nParis,"one\ntwo\nthree"\nLima,Peru,x\n'

    assert problems_of(parse_csv, data) == [
        "line 5: row 2 has 3 cells, but the header has 2 columns"
    ]


def test_a_quote_never_closed_is_an_error_at_its_line_not_the_rest_of_the_file_in_a_cell():
    data = b'city,note\nParis,ok\nLima,"open\nRome,x\n'

    assert problems_of(parse_csv, data) == ["line 3: not valid CSV (unexpected end of data)"]


def test_text_after_a_closing_quote_is_an_error_at_its_line():
    data = b'city,note\nParis,"big"old\n'

    assert problems_of(parse_csv, data) == ["line 2: not valid CSV (',' expected after '\"')"]


def test_problems_of_rows_read_before_invalid_csv_are_reported_with_it():
    data = b'city\nParis,France\nLima,"open\n'

    assert problems_of(parse_csv, data) == [
        "line 2: row 1 has 2 cells, but the header has 1 column",
        "line 3: not valid CSV (unexpected end of data)",
    ]


def test_a_cell_longer_than_the_csv_module_reads_is_named_as_too_long():
    data = b'city,note\nParis,ok\nLima,"' + b"x" * 200_000 + b'"\n'

    assert problems_of(parse_csv, data) == [
        "line 3: a cell is longer than 100,000 characters (or a quote opened there is never closed)"
    ]


def test_a_file_that_is_not_utf8_names_the_line_of_the_first_bad_byte():
    data = "city\nParis\nMálaga\n".encode("latin-1")

    assert problems_of(parse_csv, data) == [
        "The file is not UTF-8 text (line 3 has the byte 0xE1); save it as UTF-8 and import "
        "it again."
    ]


def test_the_bad_bytes_line_is_counted_in_the_file_after_a_byte_order_mark():
    data = b"\xef\xbb\xbfcity\n\xff\n"

    assert problems_of(parse_csv, data) == [
        "The file is not UTF-8 text (line 2 has the byte 0xFF); save it as UTF-8 and import "
        "it again."
    ]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_told_to_be_saved_as_utf8(encoding):
    data = "\ufeffcity\nParis\n".encode(encoding)

    assert problems_of(parse_csv, data) == [
        "The file is UTF-16 text; save it as UTF-8 and import it again."
    ]


@pytest.mark.parametrize("data", [b"", b"\n\r\n", b",,\n  \n", b"\xef\xbb\xbf"])
def test_an_empty_csv_file_is_refused(data):
    assert problems_of(parse_csv, data) == ["The file is empty."]


def test_a_csv_file_with_a_header_and_no_rows_is_refused():
    assert problems_of(parse_csv, b"city,expected\r\n\r\n") == [
        "The file has a header but no rows."
    ]


def test_a_bad_header_is_reported_with_every_name_it_gets_wrong():
    data = b"city,1city,city name,,city\nParis,a,b,c,d\n"

    assert problems_of(parse_csv, data) == [
        f'column 2 ("1city"): {BAD_NAME}',
        f'column 3 ("city name"): {BAD_NAME}',
        "column 4: has no name",
        'column 5 ("city"): the same name as column 1',
    ]


# JSON Lines


def test_a_jsonl_file_has_the_keys_as_columns_in_the_order_they_first_appear():
    data = b'{"city": "Paris", "expected": "France"}\n{"country": "Peru", "city": "Lima"}\n'

    assert parse_jsonl(data) == Table(
        columns=["city", "expected", "country"],
        rows=[
            {"city": "Paris", "expected": "France", "country": ""},
            {"city": "Lima", "expected": "", "country": "Peru"},
        ],
    )


def test_jsonl_numbers_keep_their_text_and_true_false_and_null_become_text():
    data = b'{"a": 1.50, "b": 12345678901234567890123, "c": 1e5, "d": -0, "e": true, '
    data += b'"f": false, "g": null, "h": "text"}\n'

    assert parse_jsonl(data).rows == [
        {
            "a": "1.50",
            "b": "12345678901234567890123",
            "c": "1e5",
            "d": "-0",
            "e": "true",
            "f": "false",
            "g": "",
            "h": "text",
        }
    ]


def test_a_list_or_an_object_value_is_named_by_its_row_and_column():
    data = b'{"city": "Paris"}\n\n{"city": "Lima", "tags": ["a"]}\n{"city": {"name": "Rome"}}\n'

    assert problems_of(parse_jsonl, data) == [
        'row 2, column "tags": must be text, a number or true/false, not a list',
        'row 3, column "city": must be text, a number or true/false, not an object',
    ]


def test_invalid_json_is_named_by_its_line_in_the_file():
    data = b'{"city": "Paris"}\n\n\n{"city": "Lima",}\n'

    assert problems_of(parse_jsonl, data) == [
        "line 4: not valid JSON (Expecting property name enclosed in double quotes at column 17)"
    ]


def test_a_line_that_is_not_a_json_object_is_named_by_its_line():
    data = b'{"city": "Paris"}\n\n"Lima"\n3\n'

    assert problems_of(parse_jsonl, data) == [
        "line 3: not a JSON object",
        "line 4: not a JSON object",
    ]


def test_nan_and_a_repeated_key_are_refused_rather_than_read_as_something_else():
    data = b'{"score": NaN}\n{"city": "Paris", "city": "Lima"}\n'

    assert problems_of(parse_jsonl, data) == [
        "line 1: not valid JSON (NaN is not a JSON number)",
        'line 2: not valid JSON (the key "city" appears twice)',
    ]


def test_json_nested_too_deeply_is_refused_at_its_line():
    data = b'{"city": "Paris"}\n{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"

    assert problems_of(parse_jsonl, data) == ["line 2: not valid JSON (nested too deeply)"]


def test_a_file_of_one_json_array_is_told_to_be_json_lines():
    data = b'[\n  {"city": "Paris"}\n]\n'

    assert problems_of(parse_jsonl, data) == [
        "The file is one JSON array; import JSON Lines instead: one object per line."
    ]


def test_a_line_separator_inside_a_json_string_does_not_end_the_line():
    data = '{"note": "one\u2028two\u0085three"}\r\n'.encode()

    assert parse_jsonl(data).rows == [{"note": "one\u2028two\u0085three"}]


def test_a_jsonl_file_may_start_with_a_byte_order_mark():
    assert parse_jsonl(b'\xef\xbb\xbf{"city": "Paris"}\n').columns == ["city"]


@pytest.mark.parametrize("data", [b"", b"\n  \n\r\n"])
def test_an_empty_jsonl_file_is_refused(data):
    assert problems_of(parse_jsonl, data) == ["The file is empty."]


def test_jsonl_lines_of_empty_objects_have_no_columns():
    assert problems_of(parse_jsonl, b"{}\n{}\n") == ["The table has no columns."]


# Files by kind and size


@pytest.mark.parametrize(
    "filename, data",
    [
        ("cities.csv", b"city\nParis\n"),
        ("CITIES.CSV", b"city\nParis\n"),
        ("cities.jsonl", b'{"city": "Paris"}\n'),
        ("cities.ndjson", b'{"city": "Paris"}\n'),
        ("cities.v2.json", b'{"city": "Paris"}\n'),
    ],
)
def test_a_file_is_read_by_its_extension(filename, data):
    assert parse_table_file(filename, data) == Table(columns=["city"], rows=[{"city": "Paris"}])


def test_a_csv_file_is_not_read_as_json_lines_nor_the_other_way_round():
    assert problems_of(
        parse_table_file, "cities.csv", b'{"city": "Paris"}\n{"city": "Lima"}\n'
    ) == [f'column 1 ("{{"city": "Paris"}}"): {BAD_NAME}']
    assert problems_of(parse_table_file, "cities.jsonl", b"city\nParis\n") == [
        "line 1: not valid JSON (Expecting value at column 1)",
        "line 2: not valid JSON (Expecting value at column 1)",
    ]


@pytest.mark.parametrize("filename", ["cities.xlsx", "cities.txt", "cities", "csv"])
def test_a_file_of_another_kind_is_refused_naming_the_kinds_that_can_be_imported(filename):
    assert problems_of(parse_table_file, filename, b"city\nParis\n") == [
        f'"{filename}" cannot be imported: import a .csv or a .jsonl file '
        "(.ndjson and .json files are read as JSON Lines too)."
    ]


def test_a_file_over_2_mb_is_refused_saying_its_size_and_the_limit():
    data = b"x" * (MAX_IMPORT_BYTES * 9 // 8)

    assert problems_of(parse_table_file, "cities.csv", data) == [
        "The file is 2.3 MB; at most 2 MB can be imported."
    ]


def test_a_file_one_byte_over_the_limit_does_not_read_as_the_limit_its_size_is_rounded_up():
    data = b"x" * (MAX_IMPORT_BYTES + 1)

    assert problems_of(parse_table_file, "cities.jsonl", data) == [
        "The file is 2.1 MB; at most 2 MB can be imported."
    ]


def test_a_file_of_exactly_2_mb_is_imported():
    row = b"y" * 2_000 + b"\n"
    data = b"x\n" + row * (MAX_ROWS - 1)
    data += b"z" * (MAX_IMPORT_BYTES - len(data) - 1) + b"\n"
    assert len(data) == MAX_IMPORT_BYTES

    assert len(parse_table_file("cities.csv", data).rows) == MAX_ROWS


# Limits and names


def test_a_thousand_rows_are_imported_and_a_thousand_and_one_are_refused():
    header = b"city\n"

    assert len(parse_csv(header + b"Paris\n" * MAX_ROWS).rows) == MAX_ROWS
    assert problems_of(parse_csv, header + b"Paris\n" * (MAX_ROWS + 1)) == [
        "The table has 1,001 rows; at most 1,000 are allowed."
    ]


def test_a_cell_over_the_limit_is_named_by_its_row_and_column():
    longest = "x" * MAX_CELL_CHARS
    data = f"city,note\nParis,{longest}\nLima,{longest}y\n".encode()

    assert problems_of(parse_csv, data) == [
        'row 2, column "note": 100,001 characters long; at most 100,000 are allowed'
    ]


def test_fifty_columns_are_allowed_and_fifty_one_are_refused():
    fifty = [f"c{number}" for number in range(MAX_TABLE_COLUMNS)]

    assert table_problems(fifty, [dict.fromkeys(fifty, "")]) == []
    assert table_problems([*fifty, "extra"], []) == [
        "The table has 51 columns; at most 50 are allowed."
    ]


@pytest.mark.parametrize("name", ["1city", "city name", "city-name", "größe", "{{city}}"])
def test_a_name_that_is_not_a_variable_name_is_named_with_its_position(name):
    assert table_problems(["city", name], []) == [f'column 2 ("{name}"): {BAD_NAME}']


@pytest.mark.parametrize("name", ["city", "_city", "City_2", "c", "EXPECTED"])
def test_variable_names_are_good_column_names(name):
    assert table_problems([name], [{name: "Paris"}]) == []


def test_a_repeated_name_points_to_its_first_column_and_case_makes_names_differ():
    assert table_problems(["city", "City", "country", "city", "city"], []) == [
        'column 4 ("city"): the same name as column 1',
        'column 5 ("city"): the same name as column 1',
    ]


def test_a_table_without_columns_is_refused():
    assert table_problems([], []) == ["The table has no columns."]


@pytest.mark.parametrize(
    "data, code_point",
    [(b'{"city": "Par\\u0000is"}\n', "U+0000"), (b'{"city": "\\ud800"}\n', "U+D800")],
)
def test_a_cell_with_a_character_that_cannot_be_saved_is_named(data, code_point):
    assert problems_of(parse_jsonl, data) == [
        f'row 1, column "city": holds {code_point}, a character that cannot be saved'
    ]


def test_a_row_with_a_key_that_is_not_a_column_is_named():
    assert table_problems(["city"], [{"city": "Paris"}, {"city": "Lima", "town": "x"}]) == [
        'row 2: "town" is not one of the columns'
    ]


def test_every_problem_of_a_file_is_reported_at_once():
    data = b'{"1city": "Paris"}\n{"1city": ["x"]}\nnope\n'

    assert problems_of(parse_jsonl, data) == [
        'row 2, column "1city": must be text, a number or true/false, not a list',
        "line 3: not valid JSON (Expecting value at column 1)",
        f'column 1 ("1city"): {BAD_NAME}',
    ]


# TableError


def test_problems_are_capped_at_fifty_with_a_line_saying_how_many_more():
    error = TableError([f"problem {number}" for number in range(1, 61)])

    assert error.problems == [f"problem {number}" for number in range(1, 51)] + [
        "… and 10 more problems"
    ]
    assert TableError(["p"] * 51).problems[-1] == "… and 1 more problem"
    assert TableError(["p"] * 50).problems == ["p"] * 50


def test_the_message_names_the_first_three_problems_and_counts_the_rest():
    assert str(TableError(["a", "b"])) == "a; b"
    assert str(TableError(["a", "b", "c", "d", "e"])) == "a; b; c (and 2 more)"


def test_a_table_error_is_a_value_error():
    assert isinstance(TableError(["a"]), ValueError)


# Plain data from the editor


def test_table_from_data_gives_every_row_every_column():
    table = table_from_data(["city", "expected"], [{"city": "Paris"}, {}])

    assert table == Table(
        columns=["city", "expected"],
        rows=[{"city": "Paris", "expected": ""}, {"city": "", "expected": ""}],
    )


def test_table_from_data_allows_a_table_without_rows():
    assert table_from_data(["city"], []) == Table(columns=["city"], rows=[])


@pytest.mark.parametrize(
    "columns, rows, problems",
    [
        (
            "city",
            {"city": "Paris"},
            [
                "columns: must be a list of names, not text",
                "rows: must be a list of objects, not an object",
            ],
        ),
        (None, [], ["columns: must be a list of names, not null"]),
        (["city"], None, ["rows: must be a list of objects, not null"]),
        (
            ["city", 2, True],
            [],
            ["column 2: must be text, not a number", "column 3: must be text, not true/false"],
        ),
        (
            ["city"],
            [{"city": "Paris"}, ["Lima"], "Rome"],
            [
                "row 2: must be an object of cells, not a list",
                "row 3: must be an object of cells, not text",
            ],
        ),
        (
            ["city", "n"],
            [{"city": 3}, {"city": None, "n": ["x"]}, {"n": {"a": "b"}}],
            [
                'row 1, column "city": must be text, not a number',
                'row 2, column "city": must be text, not null',
                'row 2, column "n": must be text, not a list',
                'row 3, column "n": must be text, not an object',
            ],
        ),
        (
            ["1city"],
            [{"1city": "x", "other": "y"}],
            [
                f'column 1 ("1city"): {BAD_NAME}',
                'row 1: "other" is not one of the columns',
            ],
        ),
    ],
)
def test_table_from_data_refuses_data_of_the_wrong_shape(columns, rows, problems):
    assert problems_of(table_from_data, columns, rows) == problems


def test_table_from_data_checks_the_same_limits_as_a_file():
    rows = [{"city": "x"}] * (MAX_ROWS + 1)

    assert problems_of(table_from_data, ["city"], rows) == [
        "The table has 1,001 rows; at most 1,000 are allowed."
    ]


# Writing and reading back

TRICKY = Table(
    columns=["city", "note", "expected"],
    rows=[
        {"city": "Paris", "note": 'big, old "and" grey', "expected": "France"},
        {"city": "  Lima ", "note": "one\r\ntwo\nthree\rfour", "expected": ""},
        {"city": "Zürich", "note": "line\u2028separator, tab\t", "expected": "1.50"},
        {"city": "", "note": "", "expected": "true"},
        {"city": "=1+1", "note": "null", "expected": "{}"},
    ],
)


def test_a_table_written_as_csv_reads_back_the_same():
    assert parse_csv(table_csv(TRICKY).encode()) == TRICKY


def test_a_table_written_as_jsonl_reads_back_the_same():
    assert parse_jsonl(table_jsonl(TRICKY).encode()) == TRICKY


def test_table_csv_writes_the_header_and_rows_with_csv_quoting_and_crlf():
    table = Table(
        columns=["city", "note"],
        rows=[{"city": "Paris", "note": "big, old"}, {"city": 'say "hi"', "note": "a\nb"}],
    )

    assert table_csv(table) == 'city,note\r\nParis,"big, old"\r\n"say ""hi""","a\nb"\r\n'


def test_table_jsonl_writes_an_object_per_row_in_column_order_and_text_unescaped():
    table = Table(
        columns=["expected", "city"],
        rows=[{"city": "Zürich", "expected": "CH"}, {"city": "Lima", "expected": ""}],
    )

    assert table_jsonl(table) == (
        '{"expected": "CH", "city": "Zürich"}\n{"expected": "", "city": "Lima"}\n'
    )


def test_a_table_without_rows_writes_only_a_header_as_csv_and_nothing_as_jsonl():
    table = Table(columns=["city"], rows=[])

    assert table_csv(table) == "city\r\n"
    assert table_jsonl(table) == ""


def test_a_csv_row_of_only_blank_cells_is_not_read_back():
    table = Table(columns=["city", "note"], rows=[{"city": "Paris", "note": ""}])
    blank = Table(columns=["city", "note"], rows=[*table.rows, {"city": " ", "note": ""}])

    assert parse_csv(table_csv(blank).encode()) == table
