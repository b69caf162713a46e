"""A dataset's table as files and as plain data: CSV and JSON Lines read into a `Table`
and written back, and a table posted by the browser editor checked before it is saved.

A table's columns are variable names (a prompt uses `{{city}}`), so they follow the rule
of playground/setups/variables.py; its rows hold a text per column; a column named
`expected` is the optional expected answer of each case.

Where a problem is, in one rule for every source:

- `row 7, column "city": …` is a value of a row that was read: rows count from 1 over the
  data rows as the table shows them after import (the CSV header and the blank lines
  skipped are not rows), so the same words serve a file and the browser editor.
- `line 12: …` is text of a file that cannot be read as a row (invalid JSON, a line that
  is not an object, CSV the csv module refuses, a CSV row with more cells than the header,
  which names its row too): the physical line of the file, counted from 1, where the
  person finds it in their editor. A CSV row that runs over several lines (a quoted cell
  with line breaks) is named by its first.
- `column 3 ("1city"): …` is a column, counted from 1 in the header's order (in JSON Lines,
  the order in which the keys first appear).

An import is all or nothing: every problem found is raised at once in a TableError, and a
file with any problem gives no table at all.
"""

import codecs
import csv
import io
import json
import math
import re
from dataclasses import dataclass
from typing import NoReturn

from playground.setups.limits import MAX_PROMPT_CHARS
from playground.setups.variables import NAME_PATTERN

# Each case is a request to OpenRouter for every column of the setup, paid for: a
# thousand cases is a thorough evaluation and still a bill a person expects.
MAX_ROWS = 1_000
# A thousand cases of a paragraph or two each; the file is read into memory at once.
MAX_IMPORT_BYTES = 2 * 1024 * 1024
# A cell is put into the prompt in place of its variable, so a prompt's room is its room.
MAX_CELL_CHARS = MAX_PROMPT_CHARS
# A prompt uses a handful of variables: more columns is a whole spreadsheet, not a dataset.
MAX_TABLE_COLUMNS = 50
EXPECTED = "expected"

# A TableError keeps this many problems; a file wrong on every row would list thousands.
MAX_PROBLEMS = 50
# How many problems the error's message (its str) names before "and N more".
_PROBLEMS_IN_MESSAGE = 3
_MEGABYTE = 1024 * 1024
# PostgreSQL's text and jsonb refuse NUL, and UTF-8 cannot encode half of a surrogate
# pair (JSON's "\ud800" escapes make one): a cell holding either could not be saved.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_JSONL_EXTENSIONS = ("jsonl", "ndjson", "json")


@dataclass
class Table:
    """The columns in order, and the rows, each with a text for every column ("" where a
    file gave none)."""

    columns: list[str]
    rows: list[dict[str, str]]


class TableError(ValueError):
    """A table that cannot be saved. `problems` lists what is wrong, each with where, up
    to MAX_PROBLEMS and then a line saying how many more; the message names the first few."""

    def __init__(self, problems: list[str]):
        more = len(problems) - MAX_PROBLEMS
        self.problems = problems[:MAX_PROBLEMS]
        if more > 0:
            self.problems.append(f"… and {_count(more, 'more problem')}")
        message = "; ".join(problems[:_PROBLEMS_IN_MESSAGE])
        if len(problems) > _PROBLEMS_IN_MESSAGE:
            message += f" (and {len(problems) - _PROBLEMS_IN_MESSAGE:,} more)"
        super().__init__(message)


def table_problems(columns: list[str], rows: list[dict]) -> list[str]:
    """Every problem of a table given as plain data (names as strs, rows as dicts of
    cells; `table_from_data` checks that shape first): its columns, its size, and each
    cell, which must be text within MAX_CELL_CHARS. A row may leave out columns (their
    cells are "") but may not hold any other key. [] when the table can be saved."""
    problems = []
    if not columns:
        problems.append("The table has no columns.")
    if len(columns) > MAX_TABLE_COLUMNS:
        problems.append(
            f"The table has {len(columns):,} columns; at most {MAX_TABLE_COLUMNS} are allowed."
        )
    first_position: dict[str, int] = {}
    for position, name in enumerate(columns, start=1):
        if not name:
            problems.append(f"column {position}: has no name")
        elif not NAME_PATTERN.match(name):
            problems.append(
                f'column {position} ("{name}"): a name is letters, digits and _, '
                "and does not start with a digit"
            )
        elif name in first_position:
            problems.append(
                f'column {position} ("{name}"): the same name as column {first_position[name]}'
            )
        first_position.setdefault(name, position)
    if len(rows) > MAX_ROWS:
        problems.append(f"The table has {len(rows):,} rows; at most {MAX_ROWS:,} are allowed.")
    for number, row in enumerate(rows, start=1):
        problems.extend(
            f'row {number}: "{key}" is not one of the columns'
            for key in row
            if key not in first_position
        )
        for name in first_position:
            problem = _cell_problem(row.get(name, ""))
            if problem:
                problems.append(f'row {number}, column "{name}": {problem}')
    return problems


def table_from_data(columns: object, rows: object) -> Table:
    """The table of data of unknown shape (the browser editor's JSON): `columns` a list of
    names, `rows` a list of objects of cells keyed by column name. The shape is checked
    first, so that nothing of the wrong type reaches table_problems; TableError if wrong."""
    problems = []
    if not isinstance(columns, list):
        problems.append(f"columns: must be a list of names, not {_kind(columns)}")
        columns = []
    if not isinstance(rows, list):
        problems.append(f"rows: must be a list of objects, not {_kind(rows)}")
        rows = []
    problems.extend(
        f"column {position}: must be text, not {_kind(name)}"
        for position, name in enumerate(columns, start=1)
        if not isinstance(name, str)
    )
    problems.extend(
        f"row {number}: must be an object of cells, not {_kind(row)}"
        for number, row in enumerate(rows, start=1)
        if not isinstance(row, dict)
    )
    if problems:
        raise TableError(problems)
    return _table(columns, rows, [])


def parse_csv(data: bytes) -> Table:
    """The table of a CSV file (comma-separated, as spreadsheets export it), in UTF-8 with
    or without a byte order mark. The first row is the header; its names are stripped of
    surrounding spaces, the cells are kept as written. A row with fewer cells than the
    header has "" in the rest; one with more is an error. A row whose every cell is blank
    is skipped: that is a blank line, or an empty row of a spreadsheet (",,,"), so a table
    row with nothing but spaces in it is not read back either."""
    records, stopped = _csv_records(_text(data))
    if not records:
        raise TableError(stopped or ["The file is empty."])
    _, header = records[0]
    columns = [name.strip() for name in header]
    problems = []
    rows = []
    for number, (line, cells) in enumerate(records[1:], start=1):
        if len(cells) > len(columns):
            problems.append(
                f"line {line}: row {number} has {len(cells)} cells, "
                f"but the header has {_count(len(columns), 'column')}"
            )
        rows.append(dict(zip(columns, cells, strict=False)))
    if not rows and not stopped:
        raise TableError(["The file has a header but no rows."])
    return _table(columns, rows, problems + stopped)


def parse_jsonl(data: bytes) -> Table:
    """The table of a JSON Lines file: one JSON object per line, its keys the columns (in
    the order they first appear; a row without a key has "" there), blank lines skipped.
    A value is text as it is, a number as written in the file ("1.50" stays "1.50"), true
    and false as "true" and "false", null as ""; a list or an object is an error. Every
    line that is not blank is a row, one that cannot be read too, so that a row's number
    does not depend on the other lines' mistakes."""
    text = _text(data)
    if text.lstrip().startswith("["):
        # A .json file is read as JSON Lines, and the JSON people export is often one array.
        raise TableError(
            ["The file is one JSON array; import JSON Lines instead: one object per line."]
        )
    columns: dict[str, None] = {}
    values = []
    problems = []
    number = 0
    for line, content in enumerate(text.split("\n"), start=1):
        if not content.strip():
            continue
        number += 1
        try:
            value = json.loads(
                content,
                # Numbers keep the text they have in the file: no float rounding, no limit on
                # the digits of an int.
                parse_int=str,
                parse_float=str,
                parse_constant=_refuse_constant,
                object_pairs_hook=_refuse_repeated_keys,
            )
        except json.JSONDecodeError as error:
            problems.append(f"line {line}: not valid JSON ({error.msg} at column {error.colno})")
            continue
        except ValueError as error:
            problems.append(f"line {line}: not valid JSON ({error})")
            continue
        except RecursionError:
            problems.append(f"line {line}: not valid JSON (nested too deeply)")
            continue
        if not isinstance(value, dict):
            problems.append(f"line {line}: not a JSON object")
            continue
        row = {}
        for key, cell in value.items():
            columns.setdefault(key)
            if isinstance(cell, list | dict):
                problems.append(
                    f'row {number}, column "{key}": must be text, a number or true/false, '
                    f"not {_kind(cell)}"
                )
            else:
                row[key] = _jsonl_text(cell)
        values.append(row)
    if number == 0:
        raise TableError(["The file is empty."])
    if not values:
        # No line was an object: the table's own problems (no columns) would only add noise.
        raise TableError(problems)
    return _table(list(columns), values, problems)


def parse_table_file(filename: str, data: bytes) -> Table:
    """The table of an uploaded file, read by its extension: .csv as CSV; .jsonl, .ndjson
    and .json as JSON Lines. At most MAX_IMPORT_BYTES; TableError with every problem."""
    _, dot, extension = filename.rpartition(".")
    extension = extension.lower() if dot else ""
    if extension == "csv":
        return parse_csv(data)
    if extension in _JSONL_EXTENSIONS:
        return parse_jsonl(data)
    raise TableError(
        [
            f'"{filename}" cannot be imported: import a .csv or a .jsonl file '
            "(.ndjson and .json files are read as JSON Lines too)."
        ]
    )


def table_csv(table: Table) -> str:
    """The table as CSV: the header, then a line per row, with the csv module's quoting
    and its \\r\\n line ends (what spreadsheets expect)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows([row[name] for name in table.columns] for row in table.rows)
    return out.getvalue()


def table_jsonl(table: Table) -> str:
    """The table as JSON Lines: an object per row, its keys in column order, its text as
    written (not escaped to ASCII)."""
    return "".join(
        json.dumps({name: row[name] for name in table.columns}, ensure_ascii=False) + "\n"
        for row in table.rows
    )


def _table(columns: list[str], rows: list[dict], problems: list[str]) -> Table:
    """The table, every row given every column, once the problems found while reading
    (`problems`) and those of table_problems are none; TableError with all of them."""
    problems = problems + table_problems(columns, rows)
    if problems:
        raise TableError(problems)
    return Table(
        columns=list(columns),
        rows=[{name: row.get(name, "") for name in columns} for row in rows],
    )


def import_size_problem(size: int) -> str:
    """Why a file of `size` bytes cannot be imported; empty when it can (an upload is
    refused by its size before it is read)."""
    if size > MAX_IMPORT_BYTES:
        return (
            f"The file is {_megabytes(size)}; at most {_megabytes(MAX_IMPORT_BYTES)} can be "
            "imported."
        )
    return ""


def _text(data: bytes) -> str:
    if problem := import_size_problem(len(data)):
        raise TableError([problem])
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise TableError(["The file is UTF-16 text; save it as UTF-8 and import it again."])
    # Spreadsheets put a byte order mark before UTF-8 ("CSV UTF-8" in Excel). Removed
    # here rather than by the utf-8-sig codec, so that an error's position is in the file.
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode()
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        byte = body[error.start]
        raise TableError(
            [
                f"The file is not UTF-8 text (line {line} has the byte 0x{byte:02X}); "
                "save it as UTF-8 and import it again."
            ]
        ) from None


def _csv_records(text: str) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """The rows of CSV text that are not blank, each with the line it starts on, and the
    problem that stopped the reading if there was one (the csv module cannot go on)."""
    # Strict: an unclosed quote is an error at its row, not the rest of the file in one cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as error:
        # The csv module refuses a cell over its field_size_limit (131,072 characters by
        # default, above MAX_CELL_CHARS): this is a cell too long, said so.
        if str(error).startswith("field larger than field limit"):
            problem = (
                f"line {line}: a cell is longer than {MAX_CELL_CHARS:,} characters "
                "(or a quote opened there is never closed)"
            )
        else:
            problem = f"line {line}: not valid CSV ({error})"
        return records, [problem]
    return records, []


def _cell_problem(cell: object) -> str:
    if not isinstance(cell, str):
        return f"must be text, not {_kind(cell)}"
    if len(cell) > MAX_CELL_CHARS:
        return f"{len(cell):,} characters long; at most {MAX_CELL_CHARS:,} are allowed"
    unstorable = _UNSTORABLE.search(cell)
    if unstorable:
        return f"holds U+{ord(unstorable.group()):04X}, a character that cannot be saved"
    return ""


def _jsonl_text(value: str | bool | None) -> str:
    # Numbers arrive as their text already (parse_int and parse_float are str).
    match value:
        case None:
            return ""
        case bool():
            return "true" if value else "false"
        case _:
            return value


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _refuse_repeated_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # json.loads would keep the last value of a repeated key and silently drop the others.
    value = {}
    for key, cell in pairs:
        if key in value:
            raise ValueError(f'the key "{key}" appears twice')
        value[key] = cell
    return value


def _kind(value: object) -> str:
    match value:
        case str():
            return "text"
        case bool():
            return "true/false"
        case int() | float():
            return "a number"
        case None:
            return "null"
        case list():
            return "a list"
        case dict():
            return "an object"
        case _:
            return f"a {type(value).__name__}"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def _megabytes(size: int) -> str:
    # Rounded up, so that a file just over the limit never reads as the limit itself.
    megabytes = math.ceil(size * 10 / _MEGABYTE) / 10
    return f"{megabytes:,.1f}".removesuffix(".0") + " MB"
