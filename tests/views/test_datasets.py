"""Datasets through their pages: the list (with the demo's dataset), a new one, a file
imported, the table edited in the browser, its exports and its deletion. Who may reach
each URL is tests/views/test_personas.py's; the file formats are
tests/evaluations/test_tables.py's."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from playground.evaluations.tables import MAX_IMPORT_BYTES, Table, parse_csv, parse_jsonl
from playground.models import Dataset, Evaluation
from tests.evaluations.factories import a_dataset, a_finished_evaluation
from tests.factories import a_stored_key

pytestmark = pytest.mark.django_db


@dataclass
class Editor:
    """The dataset editor as a browser shows it: its fields' values, and each
    `dataset-row`'s cells in order."""

    name: str = ""
    description: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    remove_column_buttons: int = 0


class _EditorParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.editor = Editor()
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        testid = attributes.get("data-testid")
        if tag == "input" and attributes.get("name") == "name":
            self.editor.name = attributes.get("value", "")
        elif tag == "input" and attributes.get("name") == "column":
            self.editor.columns.append(attributes.get("value", ""))
        elif tag == "tr" and testid == "dataset-row":
            self.editor.rows.append([])
        elif tag == "textarea":
            self._textarea, self._text = attributes.get("name"), ""
        elif testid == "dataset-remove-column":
            self.editor.remove_column_buttons += 1

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag != "textarea" or self._textarea is None:
            return
        # HTML drops one line break right after <textarea>: it is not part of the value.
        value = self._text.removeprefix("\n")
        if self._textarea == "cell":
            self.editor.rows[-1].append(value)
        elif self._textarea == "description":
            self.editor.description = value
        self._textarea = None


def editor_on(response) -> Editor:
    parser = _EditorParser()
    parser.feed(response.content.decode())
    return parser.editor


def post_editor(client, dataset, *, columns, rows, name=None, description="", action="save"):
    """POSTs the editor as its buttons do: the names, then every cell row by row."""
    return client.post(
        f"/datasets/{dataset.pk}/",
        {
            "name": dataset.name if name is None else name,
            "description": description,
            "column": columns,
            "cell": [cell for row in rows for cell in row],
            "action": action,
        },
    )


def stored(dataset) -> tuple:
    dataset.refresh_from_db()
    return dataset.name, dataset.description, dataset.columns, dataset.rows


def upload(filename: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(filename, content)


# The list, and the demo's dataset


def test_the_demo_gives_a_person_without_datasets_the_capitals_dataset(alice_client, alice, fake):
    html = alice_client.get("/datasets/").content.decode()
    dataset = Dataset.objects.get(owner=alice)
    assert dataset.name == "Capitals (demo)" and dataset.columns == ["country", "expected"]
    assert len(dataset.rows) == 10
    assert html.count('data-testid="dataset"') == 1
    assert f'href="/datasets/{dataset.pk}/"' in html and "Capitals (demo)" in html
    alice_client.get("/datasets/")
    assert Dataset.objects.filter(owner=alice).count() == 1


def test_the_demo_adds_no_dataset_beside_ones_own(alice_client, alice, fake):
    a_dataset(alice, name="Rivers")
    html = alice_client.get("/datasets/").content.decode()
    assert list(Dataset.objects.filter(owner=alice).values_list("name", flat=True)) == ["Rivers"]
    assert "Capitals (demo)" not in html


def test_with_the_servers_key_no_demo_dataset_is_made(alice_client, alice, settings):
    settings.OPENROUTER_API_KEY = "sk-or-v1-server-key-0000"
    settings.PLAYGROUND_ALLOW_SERVER_KEY = True
    html = alice_client.get("/datasets/").content.decode()
    assert not Dataset.objects.exists()
    assert 'data-testid="datasets-empty"' in html


def test_with_a_key_of_ones_own_no_demo_dataset_is_made(alice_client, alice):
    a_stored_key(alice, "work", "sk-or-v1-alice-key-1234", default=True)
    alice_client.get("/datasets/")
    assert not Dataset.objects.exists()


def test_a_server_key_not_allowed_for_people_leaves_the_demo_and_its_dataset(
    alice_client, alice, settings, fake
):
    settings.OPENROUTER_API_KEY = "sk-or-v1-server-key-0000"
    settings.PLAYGROUND_ALLOW_SERVER_KEY = False
    alice_client.get("/datasets/")
    assert Dataset.objects.get(owner=alice).name == "Capitals (demo)"


# A new dataset


def test_a_new_dataset_is_a_blank_table_opened_in_the_editor(alice_client, alice):
    response = alice_client.post("/datasets/new/", {"name": "  Cities  "})
    dataset = Dataset.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == f"/datasets/{dataset.pk}/"
    assert dataset.name == "Cities"
    assert dataset.columns == ["input", "expected"]
    assert dataset.rows == [{"input": "", "expected": ""}]
    editor = editor_on(alice_client.get(response["Location"]))
    assert editor.columns == ["input", "expected"] and editor.rows == [["", ""]]


def test_a_new_dataset_under_a_taken_name_gets_the_next_number(alice_client, alice):
    a_dataset(alice, name="Cities")
    alice_client.post("/datasets/new/", {"name": "Cities"})
    alice_client.post("/datasets/new/", {"name": "Cities"})
    alice_client.post("/datasets/new/", {"name": ""})
    names = set(Dataset.objects.filter(owner=alice).values_list("name", flat=True))
    assert names == {"Cities", "Cities (2)", "Cities (3)", "New dataset"}


# Importing a file


def test_importing_a_csv_makes_a_dataset_named_after_the_file(alice_client, alice):
    csv = b'city,expected\nParis,France\n"Lima, the city of kings",Peru\n'
    response = alice_client.post(
        "/datasets/import/", {"name": "", "file": upload("capitals.csv", csv)}
    )
    dataset = Dataset.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == f"/datasets/{dataset.pk}/"
    assert dataset.name == "capitals" and dataset.columns == ["city", "expected"]
    assert dataset.rows == [
        {"city": "Paris", "expected": "France"},
        {"city": "Lima, the city of kings", "expected": "Peru"},
    ]
    page = alice_client.get(response["Location"])
    assert escape("Imported 2 rows into “capitals”.") in page.content.decode()
    assert editor_on(page).rows == [["Paris", "France"], ["Lima, the city of kings", "Peru"]]


def test_importing_jsonl_takes_the_name_typed_in_the_form(alice_client, alice):
    a_dataset(alice, name="Prices")
    jsonl = b'{"item": "tea", "price": 1.50}\n\n{"item": "cake", "sold_out": true}\n'
    response = alice_client.post(
        "/datasets/import/", {"name": "Prices", "file": upload("shop.jsonl", jsonl)}
    )
    dataset = Dataset.objects.get(owner=alice, name="Prices (2)")
    assert response["Location"] == f"/datasets/{dataset.pk}/"
    assert dataset.columns == ["item", "price", "sold_out"]
    assert dataset.rows == [
        {"item": "tea", "price": "1.50", "sold_out": ""},
        {"item": "cake", "price": "", "sold_out": "true"},
    ]


@pytest.mark.parametrize(
    ("filename", "content", "problems"),
    [
        pytest.param(
            "cities.csv",
            b"1city,expected\nParis,France\nLima,Peru,Andes\n",
            [
                "line 3: row 2 has 3 cells, but the header has 2 columns",
                'column 1 ("1city"): a name is letters, digits and _, '
                "and does not start with a digit",
            ],
            id="a bad column name and a row with too many cells",
        ),
        pytest.param(
            "cities.jsonl",
            b'{"city": "Paris"}\n{"city": "Lima" "expected": "Peru"}\n{"city": ["Oslo"]}\n',
            [
                "line 2: not valid JSON (Expecting ',' delimiter at column 17)",
                'row 3, column "city": must be text, a number or true/false, not a list',
            ],
            id="invalid JSON on a line and a list in a cell",
        ),
        pytest.param(
            "cities.csv",
            "city\nSão Paulo\n".encode("latin-1"),
            [
                "The file is not UTF-8 text (line 2 has the byte 0xE3); "
                "save it as UTF-8 and import it again."
            ],
            id="not UTF-8",
        ),
        pytest.param(
            "cities.txt",
            b"city\nParis\n",
            [
                '"cities.txt" cannot be imported: import a .csv or a .jsonl file '
                "(.ndjson and .json files are read as JSON Lines too)."
            ],
            id="a text file",
        ),
        pytest.param(
            "big.csv",
            b"city\n" + b"x" * MAX_IMPORT_BYTES,
            ["The file is 2.1 MB; at most 2 MB can be imported."],
            id="over 2 MB",
        ),
        pytest.param(None, b"", ["Choose a CSV or JSONL file to import."], id="no file"),
    ],
)
def test_a_file_with_problems_imports_nothing_and_shows_every_problem(
    alice_client, alice, filename, content, problems
):
    a_dataset(alice, name="Rivers")
    data = {"name": "Cities"} | ({"file": upload(filename, content)} if filename else {})
    response = alice_client.post("/datasets/import/", data)
    html = response.content.decode()
    assert response.status_code == 400
    for problem in problems:
        assert f"<li>{escape(problem)}</li>" in html
    assert list(Dataset.objects.values_list("name", flat=True)) == ["Rivers"]
    assert 'data-testid="dataset-link">Rivers<' in html


# Editing the table


def test_saving_the_editor_stores_the_table_as_a_whole(alice_client, alice):
    dataset = a_dataset(alice)
    response = post_editor(
        alice_client,
        dataset,
        name=" World capitals ",
        description="Three hard ones",
        columns=[" place ", "expected"],
        rows=[["France", "Paris"], ["Australia", "Canberra"], ["Portugal", "Lisbon\r\nor Porto"]],
    )
    assert response.status_code == 302 and response["Location"] == f"/datasets/{dataset.pk}/"
    assert stored(dataset) == (
        "World capitals",
        "Three hard ones",
        ["place", "expected"],
        [
            {"place": "France", "expected": "Paris"},
            {"place": "Australia", "expected": "Canberra"},
            {"place": "Portugal", "expected": "Lisbon\r\nor Porto"},
        ],
    )
    editor = editor_on(alice_client.get(response["Location"]))
    assert (editor.name, editor.description) == ("World capitals", "Three hard ones")
    assert editor.columns == ["place", "expected"]
    assert editor.rows == [
        ["France", "Paris"],
        ["Australia", "Canberra"],
        ["Portugal", "Lisbon\r\nor Porto"],
    ]


ROWS = [["France", "Paris"], ["Peru", "Lima"], ["Chile", "Santiago"]]


@pytest.mark.parametrize(
    ("action", "columns", "rows"),
    [
        ("add-row", ["country", "expected"], [*ROWS, ["", ""]]),
        (
            "add-column",
            ["country", "expected", "column_3"],
            [["France", "Paris", ""], ["Peru", "Lima", ""], ["Chile", "Santiago", ""]],
        ),
        ("remove-row:1", ["country", "expected"], [ROWS[0], ROWS[2]]),
        ("remove-column:0", ["expected"], [["Paris"], ["Lima"], ["Santiago"]]),
        ("remove-row:7", ["country", "expected"], ROWS),
        ("remove-row:banana", ["country", "expected"], ROWS),
    ],
)
def test_each_editor_button_saves_the_table_with_its_change(
    alice_client, alice, action, columns, rows
):
    dataset = a_dataset(alice)
    response = post_editor(
        alice_client, dataset, columns=["country", "expected"], rows=ROWS, action=action
    )
    assert response.status_code == 302
    _, _, stored_columns, stored_rows = stored(dataset)
    assert stored_columns == columns
    assert stored_rows == [dict(zip(columns, row, strict=True)) for row in rows]
    editor = editor_on(alice_client.get(response["Location"]))
    assert editor.columns == columns and editor.rows == rows


def test_the_only_column_cannot_be_removed(alice_client, alice):
    dataset = a_dataset(alice, [{"country": "France"}], columns=("country",))
    assert editor_on(alice_client.get(f"/datasets/{dataset.pk}/")).remove_column_buttons == 0
    # A form from before another column was removed can still ask: the rest is saved.
    response = post_editor(
        alice_client, dataset, columns=["country"], rows=[["Peru"]], action="remove-column:0"
    )
    assert response.status_code == 302
    assert stored(dataset)[2:] == (["country"], [{"country": "Peru"}])
    post_editor(alice_client, dataset, columns=["country"], rows=[["Peru"]], action="add-column")
    two = editor_on(alice_client.get(f"/datasets/{dataset.pk}/"))
    assert two.columns == ["country", "column_2"] and two.remove_column_buttons == 2


@pytest.mark.parametrize(
    ("name", "columns", "problems"),
    [
        (
            "Capitals",
            ["1country", "expected"],
            [
                'column 1 ("1country"): a name is letters, digits and _, '
                "and does not start with a digit"
            ],
        ),
        ("Capitals", ["country", "country"], ['column 2 ("country"): the same name as column 1']),
        ("", ["country", "expected"], ["Give the dataset a name."]),
        ("Rivers", ["country", "expected"], ["You have a dataset named “Rivers” already."]),
        (
            "  ",
            ["country", "city-name"],
            [
                "Give the dataset a name.",
                'column 2 ("city-name"): a name is letters, digits and _, '
                "and does not start with a digit",
            ],
        ),
    ],
)
def test_a_table_or_name_that_cannot_be_saved_is_refused_keeping_what_was_typed(
    alice_client, alice, name, columns, problems
):
    a_dataset(alice, name="Rivers")
    dataset = a_dataset(alice)
    before = stored(dataset)
    typed = [["Peru", "Lima"], ["Chile", "Santiago <de Chile>"]]
    response = post_editor(
        alice_client,
        dataset,
        name=name,
        description="Typed & kept",
        columns=columns,
        rows=typed,
    )
    html = response.content.decode()
    assert response.status_code == 400
    for problem in problems:
        assert f"<li>{escape(problem)}</li>" in html
    editor = editor_on(response)
    assert (editor.name, editor.description) == (name.strip(), "Typed & kept")
    assert editor.columns == columns and editor.rows == typed
    assert stored(dataset) == before


def test_a_table_that_arrived_incomplete_is_refused(alice_client, alice):
    dataset = a_dataset(alice)
    before = stored(dataset)
    response = alice_client.post(
        f"/datasets/{dataset.pk}/",
        {"name": "Capitals", "column": ["country", "expected"], "cell": ["Peru", "Lima", "Chile"]},
    )
    assert response.status_code == 400
    assert "The table arrived incomplete: reload the page and try again." in (
        response.content.decode()
    )
    assert editor_on(response).rows == [["Peru", "Lima"], ["Chile", ""]]
    assert stored(dataset) == before


def test_a_cell_starting_with_a_line_break_keeps_it_in_the_editor(alice_client, alice):
    dataset = a_dataset(alice, [{"country": "\nFrance", "expected": "Paris"}])
    dataset.description = "\nIndented"
    dataset.save()
    editor = editor_on(alice_client.get(f"/datasets/{dataset.pk}/"))
    assert editor.rows == [["\nFrance", "Paris"]] and editor.description == "\nIndented"


def test_a_script_in_a_cell_or_a_name_is_shown_as_text(alice_client, alice):
    script = "<script>alert(1)</script>"
    dataset = a_dataset(alice, [{"country": script, "expected": "x"}], name=f"Bad {script}")
    pages = [
        alice_client.get(f"/datasets/{dataset.pk}/"),
        alice_client.get("/datasets/"),
        post_editor(
            alice_client, dataset, name="", columns=["country", "expected"], rows=[[script, "y"]]
        ),
    ]
    for page in pages:
        html = page.content.decode()
        assert script not in html and escape(script) in html
    assert editor_on(pages[0]).rows == [[script, "x"]]


# Exports


CELL = 'Lima, "the city of kings"\nPeru'


@pytest.mark.parametrize(
    ("kind", "content_type", "parse"),
    [
        ("csv", "text/csv; charset=utf-8", parse_csv),
        ("jsonl", "application/jsonl; charset=utf-8", parse_jsonl),
    ],
)
def test_an_export_is_a_file_that_reads_back_as_the_same_table(
    alice_client, alice, kind, content_type, parse
):
    rows = [
        {"country": "Peru", "expected": CELL},
        {"country": "Japón", "expected": "Tokio"},
        {"country": "", "expected": "nowhere"},
    ]
    dataset = a_dataset(alice, rows, name="World capitals!")
    response = alice_client.get(f"/datasets/{dataset.pk}/export.{kind}")
    assert response.status_code == 200 and response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="world-capitals.{kind}"'
    assert parse(response.content) == Table(["country", "expected"], rows)


def test_an_export_of_an_unknown_kind_is_not_found(alice_client, alice):
    dataset = a_dataset(alice)
    for kind in ("xlsx", "json", "CSV"):
        assert alice_client.get(f"/datasets/{dataset.pk}/export.{kind}").status_code == 404


# Deleting


def test_deleting_asks_first_then_deletes_and_returns_to_the_list(alice_client, alice):
    dataset = a_dataset(alice)
    asked = alice_client.get(f"/datasets/{dataset.pk}/delete/")
    assert asked.status_code == 200
    assert escape("Delete the dataset “Capitals”?") in asked.content.decode()
    assert Dataset.objects.filter(pk=dataset.pk).exists()
    response = alice_client.post(f"/datasets/{dataset.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/datasets/"
    assert not Dataset.objects.filter(pk=dataset.pk).exists()


def test_an_evaluation_keeps_its_cases_when_its_dataset_is_deleted(alice_client, alice, fake):
    dataset = a_dataset(alice)
    evaluation = a_finished_evaluation(alice, dataset)
    rows = list(evaluation.rows)
    alice_client.post(f"/datasets/{dataset.pk}/delete/")
    evaluation = Evaluation.objects.get(pk=evaluation.pk)
    assert evaluation.dataset is None
    assert evaluation.dataset_name == "Capitals" and evaluation.rows == rows
    assert evaluation.cells.count() == 4
