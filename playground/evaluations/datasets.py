"""A person's datasets: creating one (blank or from a file), editing its table, and the
demo's. The table's rules are tables.py's; this module stores tables."""

from dataclasses import dataclass

from django.db import transaction

from playground.evaluations.tables import (
    EXPECTED,
    MAX_ROWS,
    MAX_TABLE_COLUMNS,
    Table,
    TableError,
    table_from_data,
)
from playground.models import Dataset

MAX_NAME_CHARS = 100
MAX_DESCRIPTION_CHARS = 2_000
BLANK_COLUMNS = ["input", EXPECTED]


def dataset_name_problem(name: str, *, owner, dataset: Dataset | None = None) -> str:
    """Why `name` cannot name the person's dataset; empty when it can."""
    if not name:
        return "Give the dataset a name."
    if len(name) > MAX_NAME_CHARS:
        return f"A name has at most {MAX_NAME_CHARS} characters."
    others = Dataset.objects.filter(owner=owner, name=name)
    if dataset is not None:
        others = others.exclude(pk=dataset.pk)
    if others.exists():
        return f"You have a dataset named “{name}” already."
    return ""


def free_name(name: str, *, owner) -> str:
    """`name`, or "name (2)", "name (3)"… when the person has one by that name."""
    name = name[:MAX_NAME_CHARS] or "Dataset"
    taken = set(
        Dataset.objects.filter(owner=owner, name__startswith=name).values_list("name", flat=True)
    )
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        suffix = f" ({number})"
        candidate = name[: MAX_NAME_CHARS - len(suffix)] + suffix
    return candidate


def dataset_create(
    *, owner, name: str, table: Table | None = None, description: str = ""
) -> Dataset:
    """A new dataset of `table` (a blank row of an input and an expected column without
    one), under a name free among the person's."""
    table = table or Table(columns=list(BLANK_COLUMNS), rows=[dict.fromkeys(BLANK_COLUMNS, "")])
    return Dataset.objects.create(
        owner=owner,
        name=free_name(name.strip(), owner=owner),
        description=description[:MAX_DESCRIPTION_CHARS],
        columns=table.columns,
        rows=table.rows,
    )


@dataclass(frozen=True)
class Edit:
    """What the editor asks besides saving: add or remove a row or a column."""

    action: str = "save"  # save, add-row, add-column, remove-row, remove-column
    index: int = 0


def table_edit(columns: list[str], cells: list[str], edit: Edit) -> Table:
    """The editor's table (column names, then the cells row by row) with `edit` made.
    Raises TableError, as a file would, for a table that cannot be saved."""
    width = len(columns)
    if width and len(cells) % width:
        raise TableError(["The table arrived incomplete: reload the page and try again."])
    rows = (
        [
            dict(zip(columns, cells[start : start + width], strict=True))
            for start in range(0, len(cells), width or 1)
        ]
        if width
        else []
    )
    columns = list(columns)
    if edit.action == "add-row":
        if len(rows) >= MAX_ROWS:
            raise TableError([f"A dataset has at most {MAX_ROWS:,} rows."])
        rows.append(dict.fromkeys(columns, ""))
    elif edit.action == "remove-row" and 0 <= edit.index < len(rows):
        del rows[edit.index]
    elif edit.action == "add-column":
        if len(columns) >= MAX_TABLE_COLUMNS:
            raise TableError([f"A dataset has at most {MAX_TABLE_COLUMNS} columns."])
        name = _new_column_name(columns)
        columns.append(name)
        for row in rows:
            row[name] = ""
    elif edit.action == "remove-column" and 0 <= edit.index < len(columns) and len(columns) > 1:
        name = columns.pop(edit.index)
        for row in rows:
            row.pop(name, None)
    return table_from_data(columns, rows)


def _new_column_name(columns: list[str]) -> str:
    number = len(columns) + 1
    while f"column_{number}" in columns:
        number += 1
    return f"column_{number}"


def dataset_save(dataset: Dataset, *, name: str, description: str, table: Table) -> None:
    with transaction.atomic():
        dataset.name = name
        dataset.description = description[:MAX_DESCRIPTION_CHARS]
        dataset.columns = table.columns
        dataset.rows = table.rows
        dataset.save()


# The demo's dataset: the demo models answer from the prompt (the fake's answers quote its
# first words, and demo/echo repeats it whole), so `icontains {{expected}}` passes where
# the expected word is among the prompt's first words for one model and fails for another.
DEMO_DATASET_NAME = "Capitals (demo)"
DEMO_DATASET_COLUMNS = ["country", "expected"]
DEMO_DATASET_ROWS = [
    {"country": "France", "expected": "France"},
    {"country": "Japan", "expected": "Japan"},
    {"country": "Kenya", "expected": "Kenya"},
    {"country": "Peru", "expected": "Peru"},
    {"country": "Norway", "expected": "Norway"},
    {"country": "the country whose capital is Canberra", "expected": "Canberra"},
    {"country": "the country whose capital is Ottawa", "expected": "Ottawa"},
    {"country": "Portugal", "expected": "Lisbon"},
    {"country": "Egypt", "expected": "Cairo"},
    {"country": "Chile", "expected": "Chile"},
]
DEMO_PROMPT = "Capital of {{country}}? Answer in one word."


def demo_dataset(owner) -> Dataset:
    """The person's copy of the demo dataset, made the first time it is asked for."""
    found = Dataset.objects.filter(owner=owner, name=DEMO_DATASET_NAME).first()
    if found is not None:
        return found
    table = Table(columns=list(DEMO_DATASET_COLUMNS), rows=[dict(r) for r in DEMO_DATASET_ROWS])
    return dataset_create(
        owner=owner,
        name=DEMO_DATASET_NAME,
        table=table,
        description=f"Ten cases for the demo models. Try the prompt “{DEMO_PROMPT}” with "
        "the check “Contains (any case)” of {{expected}}.",
    )
