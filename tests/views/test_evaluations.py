"""The evaluation pages: the form that starts one (and everything that keeps it from
starting, named before anything runs), its estimate, the page with its grid, filters and
progress, the exports, a share link, two compared, the list, and a judge end to end."""

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from playground.evaluations.checks import CHECK_TYPES
from playground.models import Evaluation, Run, RunColumn, Share
from tests.evaluations.factories import (
    a_dataset,
    a_finished_evaluation,
    a_setup,
    latest_evaluation,
    start_evaluation,
)
from tests.factories import a_finished_run, a_preset, a_stored_key
from tests.polling import wait_until

# Elements that have no end tag: they hold no text and close nothing.
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    """An element: its attributes, its text (its descendants' included) and every element
    inside it."""

    tag: str
    attrs: dict[str, str]
    text: str = ""
    inside: list["Element"] = field(default_factory=list)

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def all(self, testid: str, **attrs: str) -> list["Element"]:
        return [
            element
            for element in self.inside
            if element.attrs.get("data-testid") == testid
            and all(element.attrs.get(f"data-{k.replace('_', '-')}") == v for k, v in attrs.items())
        ]

    def one(self, testid: str, **attrs: str) -> "Element":
        [element] = self.all(testid, **attrs)
        return element

    @property
    def options(self) -> list[str]:
        return [
            element.attrs.get("value", "") for element in self.inside if element.tag == "option"
        ]


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Element("", {})
        self.open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        for holder in (self.page, *self.open):
            holder.inside.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data):
        for holder in (self.page, *self.open):
            holder.text += data


def page_of(response) -> Element:
    reader = _Reader()
    reader.feed(response.content.decode())
    return reader.page


def set_checks(evaluation: Evaluation, row: int, model: str, *passed: bool) -> None:
    """Rewrites a cell's check results: one per value of `passed`, failing with a reason."""
    results = [
        {
            "type": "icontains",
            "value": f"word {number}",
            "passed": ok,
            "reason": "" if ok else f"The answer does not contain “word {number}”.",
        }
        for number, ok in enumerate(passed, 1)
    ]
    evaluation.cells.filter(row=row, model=model).update(
        checks=results, checks_total=len(results), checks_passed=sum(passed)
    )


# The new-evaluation form ---------------------------------------------------------------


def test_the_form_offers_a_dataset_checks_a_budget_an_estimate_and_start(alice_client, alice, fake):
    dataset = a_dataset(alice)
    page = page_of(alice_client.get("/evaluations/new/"))
    select = page.one("evaluation-dataset")
    assert select.tag == "select" and "Capitals (3 rows" in select.text
    check = page.all("check")[0]  # the first row; the last is the template "+ Check" copies
    kind = check.one("check-type")
    assert kind.options == list(CHECK_TYPES)
    assert check.one("check-value").tag == "textarea"
    for testid in ("check-add", "evaluation-budget", "evaluation-estimate", "evaluation-start"):
        assert page.all(testid), f"no {testid}"
    assert f'value="{dataset.pk}"' in alice_client.get("/evaluations/new/").content.decode()


def test_a_preset_opens_as_the_setup_to_evaluate(alice_client, alice, fake):
    preset = a_preset(alice, prompt="Capital of {{country}}?", models=("demo/echo",))
    response = alice_client.get(f"/evaluations/new/?source=preset:{preset.pk}")
    assert response.status_code == 200
    page = page_of(response)
    assert page.one("evaluation-prompt").text == "Capital of {{country}}?"
    assert "demo/echo" in page.one("evaluation-form").text
    assert "Preset “Rivers”" in page.one("evaluation-form").text
    assert "disabled" not in page.one("evaluation-start").attrs


def test_a_run_opens_as_the_setup_to_evaluate(alice_client, alice, fake):
    run = a_finished_run(alice, prompt="Largest city of {{country}}?", models=("demo/slow",))
    page = page_of(alice_client.get(f"/evaluations/new/?source=run:{run.pk}"))
    assert page.one("evaluation-prompt").text == "Largest city of {{country}}?"
    assert "demo/slow" in page.one("evaluation-form").text
    assert "disabled" not in page.one("evaluation-start").attrs


@pytest.mark.parametrize("source", ["preset:²", "run:²", "preset:", "preset:-1", "kind:1"])
def test_a_source_that_names_no_setup_is_not_found(alice_client, alice, source):
    assert alice_client.get("/evaluations/new/", {"source": source}).status_code == 404


# Named before anything runs --------------------------------------------------------------


def _refused(response) -> list[str]:
    assert response.status_code == 400
    problems = page_of(response).one("evaluation-problems")
    return [item.text for item in problems.inside if item.tag == "li"]


def setup_field(setup: dict) -> dict[str, str]:
    return {"setup": json.dumps(setup)}


def check_fields(*checks: tuple[str, str]) -> dict[str, list[str]]:
    return {"check_type": [kind for kind, _ in checks], "check_value": [v for _, v in checks]}


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        pytest.param(
            setup_field(a_setup(prompt="Dear {{name}}, the capital of {{country}}?")),
            "The prompt uses {{name}}, which the dataset “Capitals” has no column for.",
            id="a prompt variable the dataset lacks",
        ),
        pytest.param(
            check_fields(("contains", "{{capital}}")),
            "The checks use {{capital}}, which the dataset “Capitals” has no column for.",
            id="a check variable the dataset lacks",
        ),
        pytest.param(
            check_fields(("judge", "Names {{expected}}")),
            "Judge (graded by a model): pick the model that judges the answers.",
            id="a judge without a judge model",
        ),
        pytest.param(
            check_fields(("icontains", "{{expected}}"), ("regex", "(unclosed")),
            "Check 2: Matches regex:",
            id="a bad regex",
        ),
        pytest.param(
            check_fields(("latency-max", "fast")),
            'Check 1: Max latency (ms): "fast" is not a whole number of milliseconds.',
            id="latency-max not a number",
        ),
        pytest.param({"dataset": ""}, "Choose the dataset to evaluate over.", id="no dataset"),
        pytest.param(
            {"setup": "{not json"},
            "The setup cannot be evaluated: setup: is not readable",
            id="an unreadable setup",
        ),
        pytest.param(
            {"budget": "0.0000001"},
            "over its budget of $0.0000001",
            id="a budget below the worst case",
        ),
        pytest.param(
            setup_field(a_setup(models=("demo/swift", "no-such/model"))),
            "Column 2: unknown model “no-such/model”.",
            id="a model the catalog lacks",
        ),
        pytest.param(
            setup_field(a_setup(prompt="")),
            "The setup has no prompt: write one on the compare page.",
            id="an empty prompt",
        ),
    ],
)
def test_what_keeps_it_from_starting_is_named_and_nothing_is_saved(
    alice_client, alice, fake, fields, named
):
    dataset = a_dataset(alice)
    # The Start button's POST, as start_evaluation sends it, with one field changed.
    data = {
        **setup_field(a_setup()),
        "dataset": str(dataset.pk),
        **check_fields(("icontains", "{{expected}}")),
        "start": "1",
        **fields,
    }
    problems = _refused(alice_client.post("/evaluations/new/", data))
    assert any(named in problem for problem in problems), problems
    assert Evaluation.objects.count() == 0
    assert Run.objects.count() == 0


# The estimate ----------------------------------------------------------------------------


def _estimate(client, preset, dataset, **fields) -> tuple[str, Decimal]:
    """The estimate the form shows for this preset and dataset: its text, its worst case."""
    query = {"source": f"preset:{preset.pk}", "dataset": str(dataset.pk), **fields}
    estimate = page_of(client.get("/evaluations/new/", query)).one("evaluation-estimate")
    worst_case = estimate.one("evaluation-worst-case")["data-cost"]
    return " ".join(estimate.text.split()), Decimal(worst_case)


def test_the_estimate_counts_generations_and_judge_calls_and_its_worst_case_grows_with_rows(
    alice_client, alice, fake
):
    preset = a_preset(alice, prompt="Capital of {{country}}?", models=("demo/swift", "demo/echo"))
    three = a_dataset(alice)
    six = a_dataset(alice, three.rows * 2, name="Capitals twice")
    text, cost_of_three = _estimate(alice_client, preset, three)
    assert text.startswith("6 generations, ")
    assert "judge call" not in text
    assert "at worst ≤ $" in text
    text, cost_of_six = _estimate(alice_client, preset, six)
    assert text.startswith("12 generations, ")
    # The same three cases twice: each cell's worst case counted once per row.
    assert cost_of_three > 0 and cost_of_six == 2 * cost_of_three

    judged, cost_judged = _estimate(
        alice_client,
        preset,
        three,
        **check_fields(("judge", "Names {{expected}}")),
        judge_model="demo/swift",
    )
    assert judged.startswith("6 generations and 6 judge calls, ")
    assert cost_judged > cost_of_three


def test_the_estimate_says_when_it_is_over_the_budget(alice_client, alice, fake):
    preset = a_preset(alice, prompt="Capital of {{country}}?")
    text, cost = _estimate(alice_client, preset, a_dataset(alice), budget="0.0000001")
    assert cost > Decimal("0.0000001")
    assert "over its budget of $0.0000001" in text
    text, _ = _estimate(alice_client, preset, a_dataset(alice, name="Again"), budget="5")
    assert "budget" not in text


# From the compare page -------------------------------------------------------------------


def test_the_compare_pages_setup_opens_on_the_form_and_starts_as_it_was(alice_client, alice, fake):
    dataset = a_dataset(alice)
    compare_form = {
        "prompt": "Capital of {{country}}? One word.",
        "instructions": "Answer in English.",
        "temperature": "0.2",
        "max_output_tokens": "",
        "reasoning_effort": "",
        "models": ["demo/swift", "demo/echo"],
    }
    response = alice_client.post("/evaluations/new/", compare_form)
    assert response.status_code == 302
    assert response["Location"] == "/evaluations/new/?source=compare"

    page = page_of(alice_client.get(response["Location"]))
    assert page.one("evaluation-prompt").text == "Capital of {{country}}? One word."
    form = page.one("evaluation-form")
    assert "The compare page's setup" in form.text
    assert "demo/swift, demo/echo" in " ".join(form.text.split())
    assert Evaluation.objects.count() == 0

    # The form sends the setup it shows back with Start.
    [setup] = [e["value"] for e in form.inside if e.attrs.get("name") == "setup"]
    start = {"setup": setup, "dataset": str(dataset.pk), "start": "1"}
    response = alice_client.post(
        "/evaluations/new/", start | check_fields(("icontains", "{{expected}}"))
    )
    evaluation = latest_evaluation()
    assert response.status_code == 302 and response["Location"] == f"/evaluations/{evaluation.pk}/"
    assert evaluation.owner == alice and evaluation.dataset == dataset
    assert evaluation.setup["prompt"] == "Capital of {{country}}? One word."
    assert evaluation.setup["instructions"] == "Answer in English."
    assert evaluation.setup["parameters"]["temperature"] == 0.2
    assert evaluation.models == ["demo/swift", "demo/echo"]
    assert evaluation.checks == [{"type": "icontains", "value": "{{expected}}"}]
    assert evaluation.cells.count() == 6


def test_a_compare_page_setup_that_is_not_valid_is_named_on_the_form(alice_client, alice, fake):
    response = alice_client.post(
        "/evaluations/new/",
        {"prompt": "Hi", "temperature": "hot", "models": ["demo/swift"]},
        follow=True,
    )
    assert response.redirect_chain == [("/evaluations/new/", 302)]
    message = page_of(response).one("messages").text
    assert "The compare page's setup cannot be evaluated: " in message and "emperature" in message


# The evaluation's page -------------------------------------------------------------------


def test_the_page_shows_each_cell_with_its_answer_and_checks_and_each_columns_summary(
    alice_client, alice
):
    evaluation = a_finished_evaluation(alice, passed=(True, False))
    page = page_of(alice_client.get(f"/evaluations/{evaluation.pk}/"))
    assert page.one("evaluation")["data-status"] == "done"
    progress = page.one("evaluation-progress")
    assert (progress["data-done"], progress["data-total"]) == ("4", "4")

    cells = page.all("cell")
    assert [(c["data-row"], c["data-model"]) for c in cells] == [
        ("1", "demo/swift"), ("1", "demo/echo"), ("2", "demo/swift"), ("2", "demo/echo"),
    ]  # fmt: skip
    assert {c["data-status"] for c in cells} == {"done"}
    assert [(c["data-checks-passed"], c["data-checks-total"]) for c in cells] == [
        ("1", "1"), ("1", "1"), ("0", "1"), ("0", "1"),
    ]  # fmt: skip
    for cell in cells:
        assert cell.one("cell-output").text == "The **Nile**, the Amazon and the Danube."
    failed = page.one("cell", row="2", model="demo/echo")
    assert failed.one("check-reason").text == "The answer does not contain “Canberra”."
    assert not page.one("cell", row="1", model="demo/echo").all("check-reason")

    summaries = page.all("column-summary")
    assert [s["data-model"] for s in summaries] == ["demo/swift", "demo/echo"]
    assert [s["data-pass-rate"] for s in summaries] == ["0.5000", "0.5000"]
    # Two cells each, at the run's $0.0000225 each.
    assert [Decimal(s["data-cost"]) for s in summaries] == [Decimal("0.000045")] * 2


def test_failing_cells_and_the_cells_failing_one_check_can_be_shown_alone(alice_client, alice):
    evaluation = a_finished_evaluation(alice, passed=(True, True))
    set_checks(evaluation, 1, "demo/swift", False, True)  # fails check 1
    set_checks(evaluation, 2, "demo/echo", True, False)  # fails check 2
    set_checks(evaluation, 1, "demo/echo", True, True)
    set_checks(evaluation, 2, "demo/swift", True, True)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        checks=[{"type": "icontains", "value": "word 1"}, {"type": "icontains", "value": "word 2"}]
    )
    url = f"/evaluations/{evaluation.pk}/"

    def shown(query: str) -> list[tuple[str, str]]:
        cells = page_of(alice_client.get(url + query)).all("cell")
        return [(cell["data-row"], cell["data-model"]) for cell in cells]

    assert len(shown("")) == 4
    assert shown("?show=failing") == [("1", "demo/swift"), ("2", "demo/echo")]
    assert shown("?check=0") == [("1", "demo/swift")]
    assert shown("?check=1") == [("2", "demo/echo")]
    assert shown("?check=2") == shown("")  # no such check: no filter


@pytest.mark.parametrize("check", ["²", "9" * 5000, "-1", "x"])
def test_a_check_filter_that_names_no_check_shows_every_cell(alice_client, alice, check):
    evaluation = a_finished_evaluation(alice)
    for url in (f"/evaluations/{evaluation.pk}/", f"/evaluations/{evaluation.pk}/progress/"):
        response = alice_client.get(url, {"check": check})
        assert response.status_code == 200
        assert len(page_of(response).all("cell")) == 4


def test_sorting_by_pass_rate_puts_the_better_column_first_in_the_summaries_and_the_grid(
    alice_client, alice
):
    evaluation = a_finished_evaluation(alice, passed=(True, False))
    set_checks(evaluation, 2, "demo/echo", True)  # echo passes both, swift one of two
    url = f"/evaluations/{evaluation.pk}/"

    page = page_of(alice_client.get(url))
    assert [s["data-model"] for s in page.all("column-summary")] == ["demo/swift", "demo/echo"]
    page = page_of(alice_client.get(url + "?sort=pass_rate"))
    summaries = page.all("column-summary")
    assert [(s["data-model"], s["data-pass-rate"]) for s in summaries] == [
        ("demo/echo", "1.0000"),
        ("demo/swift", "0.5000"),
    ]
    for row in page.all("evaluation-row"):
        assert [cell["data-model"] for cell in row.all("cell")] == ["demo/echo", "demo/swift"]
    headings = [
        e.text
        for e in page.one("evaluation-grid").inside
        if e.tag == "th" and "data-model" in e.attrs
    ]
    assert headings == ["demo/echo", "demo/swift"]


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        ("queued", ["evaluation-stop"]),
        ("running", ["evaluation-stop"]),
        ("done", []),
        ("error", []),
        ("cancelled", ["evaluation-resume"]),
        ("interrupted", ["evaluation-resume"]),
    ],
)
def test_stop_is_offered_only_while_it_is_live_and_resume_only_once_it_was_stopped(
    alice_client, alice, status, actions
):
    evaluation = a_finished_evaluation(alice)
    Evaluation.objects.filter(pk=evaluation.pk).update(status=status, heartbeat_at=timezone.now())
    page = page_of(alice_client.get(f"/evaluations/{evaluation.pk}/"))
    offered = [t for t in ("evaluation-stop", "evaluation-resume") if page.all(t)]
    assert offered == actions
    assert page.one("evaluation")["data-status"] == status


def test_resume_refuses_an_evaluation_that_was_not_stopped(alice_client, alice):
    evaluation = a_finished_evaluation(alice)
    response = alice_client.post(f"/evaluations/{evaluation.pk}/resume/", follow=True)
    assert response.redirect_chain == [(f"/evaluations/{evaluation.pk}/", 302)]
    assert "Only a stopped or interrupted evaluation can be resumed." in (
        page_of(response).one("messages").text
    )
    assert Evaluation.objects.get(pk=evaluation.pk).status == "done"


# The progress the page polls -------------------------------------------------------------


def test_the_progress_sends_the_head_and_only_the_cells_changed_since(alice_client, alice):
    evaluation = a_finished_evaluation(alice)
    earlier = timezone.now() - timedelta(minutes=5)
    evaluation.cells.update(updated_at=earlier)
    evaluation.cells.filter(row=2, model="demo/echo").update(
        updated_at=earlier + timedelta(seconds=3)
    )
    url = f"/evaluations/{evaluation.pk}/progress/"

    page = page_of(alice_client.get(url, {"since": earlier.isoformat()}))
    head = page.one("evaluation")
    assert head["id"] == "evaluation-head" and "hx-swap-oob" not in head.attrs
    assert head.one("evaluation-progress")["data-done"] == "4"
    [changed] = page.all("cell")
    assert (changed["data-row"], changed["data-model"]) == ("2", "demo/echo")
    assert changed["hx-swap-oob"] == "outerHTML" and changed["id"] == "cell-2-1"

    cells = page_of(alice_client.get(url)).all("cell")
    assert len(cells) == 4 and all(cell["hx-swap-oob"] == "outerHTML" for cell in cells)
    assert len(page_of(alice_client.get(url, {"since": "yesterday"})).all("cell")) == 4


def test_a_live_evaluations_head_polls_and_a_finished_ones_does_not(alice_client, alice):
    evaluation = a_finished_evaluation(alice)
    url = f"/evaluations/{evaluation.pk}/progress/"
    head = page_of(alice_client.get(url)).one("evaluation")
    assert "hx-trigger" not in head.attrs and "hx-get" not in head.attrs

    Evaluation.objects.filter(pk=evaluation.pk).update(
        status="running", heartbeat_at=timezone.now()
    )
    evaluation.cells.filter(row=2).update(status="running")
    for response in (alice_client.get(url), alice_client.get(f"/evaluations/{evaluation.pk}/")):
        head = page_of(response).one("evaluation")
        assert head["hx-trigger"] == "every 1s"
        assert head["hx-get"].startswith(f"{url}?since=")
        assert head.one("evaluation-progress")["data-done"] == "2"


def test_the_next_poll_asks_for_what_changed_after_the_latest_change_shown(alice_client, alice):
    evaluation = a_finished_evaluation(alice, passed=(True, False))
    set_checks(evaluation, 2, "demo/echo", True)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        status="running", heartbeat_at=timezone.now()
    )
    latest = max(evaluation.cells.values_list("updated_at", flat=True))
    page = page_of(alice_client.get(f"/evaluations/{evaluation.pk}/?sort=pass_rate"))
    poll = page.one("evaluation")["hx-get"]
    assert poll.startswith(f"/evaluations/{evaluation.pk}/progress/?since=")
    # The sort goes along, so the head it swaps in keeps the page's order of summaries.
    assert poll.endswith("&sort=pass_rate")
    polled = page_of(alice_client.get(poll))
    assert polled.all("cell") == []
    summaries = [s["data-model"] for s in polled.all("column-summary")]
    assert summaries == ["demo/echo", "demo/swift"]

    evaluation.cells.filter(row=1, model="demo/swift").update(
        updated_at=latest + timedelta(seconds=1)
    )
    [cell] = page_of(alice_client.get(poll)).all("cell")
    assert (cell["data-row"], cell["data-model"]) == ("1", "demo/swift")


# Exports ---------------------------------------------------------------------------------

KEY = "sk-or-v1-" + "5e3c7a9b1d" * 6


def an_evaluation_with_a_stored_key(alice) -> Evaluation:
    """A finished evaluation whose cells ran with alice's own key (her default)."""
    key = a_stored_key(alice, "Mine", KEY, default=True)
    evaluation = a_finished_evaluation(alice)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        key_source="user", api_key=key, key_hint=KEY[-4:], key_label="Mine"
    )
    assert set(Run.objects.values_list("key_source", flat=True)) == {"user"}
    return Evaluation.objects.get(pk=evaluation.pk)


def test_the_csv_has_a_line_per_cell_with_its_case_and_each_checks_outcome(alice_client, alice):
    evaluation = an_evaluation_with_a_stored_key(alice)
    response = alice_client.get(f"/evaluations/{evaluation.pk}/export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="capitals-2-models-{evaluation.pk}.csv"'
    )
    text = response.content.decode()
    assert KEY not in text and KEY[:20] not in text and "Authorization" not in text
    header, *lines = list(csv.reader(io.StringIO(text)))
    assert header[:4] == ["row", "model", "status", "passed"]
    assert {"output", "cost", "judge_cost", "ttft_ms", "total_ms", "run_id"} <= set(header)
    assert header[-3:] == ["country", "expected", "check 1: icontains"]
    assert len(lines) == 4
    records = [dict(zip(header, line, strict=True)) for line in lines]
    assert [(r["row"], r["model"]) for r in records] == [
        ("1", "demo/swift"), ("1", "demo/echo"), ("2", "demo/swift"), ("2", "demo/echo"),
    ]  # fmt: skip
    first, _, third, _ = records
    assert first["country"] == "France" and first["check 1: icontains"] == "pass"
    assert (
        first["passed"] == "True" and first["output"] == "The **Nile**, the Amazon and the Danube."
    )
    assert third["country"] == "the country whose capital is Canberra"
    assert third["expected"] == "Canberra"
    assert third["check 1: icontains"] == "fail: The answer does not contain “Canberra”."
    assert (third["cost"], third["ttft_ms"], third["total_ms"]) == ("0.0000225", "120", "480")
    cell = evaluation.cells.get(row=2, model="demo/swift")
    assert third["run_id"] == str(cell.column.run_id)


def test_the_json_has_the_evaluation_its_summaries_and_every_cell_with_case_usage_and_timings(
    alice_client, alice
):
    evaluation = an_evaluation_with_a_stored_key(alice)
    response = alice_client.get(f"/evaluations/{evaluation.pk}/export.json")
    assert response["Content-Disposition"].startswith("attachment; ")
    text = response.content.decode()
    assert KEY not in text and KEY[:20] not in text and "Authorization" not in text
    exported = json.loads(text)
    assert exported["evaluation"] | {"created_at": None} == {
        "id": evaluation.pk,
        "name": "Capitals: 2 models",
        "status": "done",
        "dataset": "Capitals",
        "models": ["demo/swift", "demo/echo"],
        "setup": evaluation.setup,
        "checks": [{"type": "icontains", "value": "{{expected}}"}],
        "created_at": None,
    }
    assert [(s["model"], s["pass_rate"], s["cost"]) for s in exported["summaries"]] == [
        ("demo/swift", 0.5, "0.000045"),
        ("demo/echo", 0.5, "0.000045"),
    ]
    cells = exported["cells"]
    assert len(cells) == 4
    third = cells[2]
    assert (third["row"], third["model"], third["passed"]) == (2, "demo/swift", False)
    assert third["case"] == {
        "country": "the country whose capital is Canberra",
        "expected": "Canberra",
    }
    assert third["checks"] == [
        {
            "type": "icontains",
            "value": "Canberra",
            "passed": False,
            "reason": "The answer does not contain “Canberra”.",
        }
    ]
    assert (third["input_tokens"], third["output_tokens"], third["cost"]) == (12, 9, "0.0000225")
    assert (third["ttft_ms"], third["total_ms"]) == (120, 480)
    assert third["served_model"] == "demo/swift-2026"


def test_only_csv_and_json_are_exported(alice_client, alice):
    evaluation = a_finished_evaluation(alice)
    assert alice_client.get(f"/evaluations/{evaluation.pk}/export.xml").status_code == 404


# Sharing ---------------------------------------------------------------------------------


def test_a_finished_evaluation_is_shared_read_only_until_the_link_is_revoked(alice_client, alice):
    evaluation = an_evaluation_with_a_stored_key(alice)
    response = alice_client.post(f"/evaluations/{evaluation.pk}/share/")
    assert response.status_code == 302 and response["Location"] == "/shares/"
    share = Share.objects.get()
    assert (share.owner, share.kind, share.evaluation) == (alice, "evaluation", evaluation)

    response = Client().get(f"/s/{share.token}/")  # anyone with the link, logged in or not
    assert response.status_code == 200
    assert "noindex" in response["X-Robots-Tag"]
    html = response.content.decode()
    assert not re.search(r'href="/(runs|evaluations)/\d', html)
    assert KEY[-20:] not in html and "Authorization" not in html
    page = page_of(response)
    cells = page.all("cell")
    assert [(c["data-row"], c["data-model"], c["data-checks-passed"]) for c in cells] == [
        ("1", "demo/swift", "1"), ("1", "demo/echo", "1"),
        ("2", "demo/swift", "0"), ("2", "demo/echo", "0"),
    ]  # fmt: skip
    assert cells[0].one("cell-output").text == "The **Nile**, the Amazon and the Danube."
    assert cells[3].one("check-reason").text == "The answer does not contain “Canberra”."
    assert [s["data-model"] for s in page.all("column-summary")] == ["demo/swift", "demo/echo"]
    assert "50%" in page.all("column-summary")[0].text
    for testid in ("evaluation-stop", "evaluation-resume", "evaluation-share", "cell-inspect"):
        assert not page.all(testid), testid

    alice_client.post(f"/shares/{share.pk}/revoke/")
    assert Client().get(f"/s/{share.token}/").status_code == 404


def test_the_share_is_a_snapshot_of_when_it_was_shared(alice_client, alice):
    evaluation = a_finished_evaluation(alice)
    alice_client.post(f"/evaluations/{evaluation.pk}/share/")
    share = Share.objects.get()
    RunColumn.objects.filter(run__evaluation=evaluation).update(output_text="Changed later.")
    html = Client().get(f"/s/{share.token}/").content.decode()
    assert "Changed later." not in html and "The **Nile**" in html


def test_a_live_evaluation_is_not_shared(alice_client, alice):
    evaluation = a_finished_evaluation(alice)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        status="running", heartbeat_at=timezone.now()
    )
    response = alice_client.post(f"/evaluations/{evaluation.pk}/share/", follow=True)
    assert response.redirect_chain == [(f"/evaluations/{evaluation.pk}/", 302)]
    assert "Only an evaluation that has ended can be shared: wait or stop it." in (
        page_of(response).one("messages").text
    )
    assert not Share.objects.exists()


# Two compared ----------------------------------------------------------------------------


def test_two_evaluations_of_a_dataset_show_regressions_fixes_and_the_change_per_model(
    alice_client, alice
):
    dataset = a_dataset(alice)
    before = a_finished_evaluation(alice, dataset, passed=(True, False))
    after = a_finished_evaluation(alice, dataset, passed=(False, True))
    set_checks(after, 2, "demo/echo", False)
    # Asked from either, the older one is "before".
    response = alice_client.get(f"/evaluations/{before.pk}/compare/?with={after.pk}")
    assert response.status_code == 200
    page = page_of(response)
    regressions = [(e["data-row"], e["data-model"]) for e in page.all("regression")]
    assert regressions == [("1", "demo/swift"), ("1", "demo/echo")]
    fixes = [(e["data-row"], e["data-model"]) for e in page.all("fix")]
    assert fixes == [("2", "demo/swift")]
    changes = {e["data-model"]: e["data-pass-rate-change"] for e in page.all("comparison-column")}
    assert changes == {"demo/swift": "0.0000", "demo/echo": "-0.5000"}
    echo = page.one("comparison-column", model="demo/echo")
    assert "50% → 0%" in echo.text

    again = page_of(alice_client.get(f"/evaluations/{after.pk}/compare/?with={before.pk}"))
    assert [(e["data-row"], e["data-model"]) for e in again.all("regression")] == regressions


def test_the_page_offers_to_compare_with_the_others_of_its_dataset(alice_client, alice):
    dataset = a_dataset(alice)
    first = a_finished_evaluation(alice, dataset)
    second = a_finished_evaluation(alice, dataset)
    a_finished_evaluation(alice, a_dataset(alice, name="Rivers"))
    offered = page_of(alice_client.get(f"/evaluations/{first.pk}/")).one("compare-with").options
    assert offered == [str(second.pk)]


def test_two_evaluations_of_different_datasets_are_not_compared(alice_client, alice):
    capitals = a_finished_evaluation(alice, a_dataset(alice))
    rivers = a_finished_evaluation(alice, a_dataset(alice, name="Rivers"))
    response = alice_client.get(
        f"/evaluations/{capitals.pk}/compare/?with={rivers.pk}", follow=True
    )
    assert response.redirect_chain == [(f"/evaluations/{capitals.pk}/", 302)]
    assert "Only two evaluations of the same dataset can be compared." in (
        page_of(response).one("messages").text
    )


# The list --------------------------------------------------------------------------------


def test_the_list_shows_each_evaluations_status_dataset_models_pass_rates_and_cost(
    alice_client, alice
):
    done = a_finished_evaluation(alice, passed=(True, False))
    set_checks(done, 2, "demo/echo", True)
    running = a_finished_evaluation(alice, a_dataset(alice, name="Rivers"), passed=(True,))
    Evaluation.objects.filter(pk=running.pk).update(status="running", heartbeat_at=timezone.now())
    running.cells.filter(model="demo/echo").update(status="running")

    page = page_of(alice_client.get("/evaluations/"))
    newer, older = page.all("evaluation-row")
    assert newer.one("evaluation-link")["href"] == f"/evaluations/{running.pk}/"
    assert older.one("evaluation-link")["href"] == f"/evaluations/{done.pk}/"
    assert (newer["data-status"], older["data-status"]) == ("running", "done")
    text = " ".join(older.text.split())
    assert "Capitals" in text and "4/4" in text
    assert "demo/swift 50%" in text and "demo/echo 100%" in text
    assert "$0.00009" in text  # four generations at $0.0000225
    text = " ".join(newer.text.split())
    assert "Rivers" in text and "1/2" in text and "$0.000045" in text
    assert "demo/swift 100%" in text and "demo/echo —" in text


# A judge, end to end ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_judge_grades_each_cell_through_a_run_of_its_own_kept_out_of_the_history(
    asgi_server, alice_client, alice, fake
):
    rows = [{"country": "France", "expected": "Paris"}, {"country": "Peru", "expected": "Lima"}]
    dataset = a_dataset(alice, rows)
    response = start_evaluation(
        alice_client,
        dataset,
        checks=[("judge", "The answer names {{expected}}.")],
        judge_model="demo/swift",
    )
    evaluation = latest_evaluation()
    assert response.status_code == 302
    assert evaluation.judge_model == "demo/swift"
    wait_until(lambda: Evaluation.objects.get(pk=evaluation.pk).status == "done", timeout=30)

    cells = list(evaluation.cells.select_related("column"))
    assert len(cells) == 4
    judge_runs = set()
    for cell in cells:
        [result] = cell.checks
        assert result["type"] == "judge" and result["reason"]
        assert result["value"] == f"The answer names {evaluation.rows[cell.row - 1]['expected']}."
        verdict = Run.objects.get(pk=result["run_id"])
        assert verdict.evaluation_id == evaluation.pk and verdict.pk != cell.column.run_id
        [column] = verdict.columns.all()
        assert column.model == "demo/swift" and column.cost is not None
        assert cell.judge_cost == column.cost
        judge_runs.add(verdict.pk)
    assert len(judge_runs) == 4
    assert Run.objects.filter(evaluation=evaluation).count() == 8  # 4 cells, 4 verdicts

    history = alice_client.get("/runs/").content.decode()
    for run in Run.objects.filter(evaluation=evaluation):
        assert f"/runs/{run.pk}/" not in history
    assert "Grade the answer" not in history and "Capital of" not in history

    # The export keeps the judge's reason, a pass's too.
    export = alice_client.get(f"/evaluations/{evaluation.pk}/export.csv").content.decode()
    lines = list(csv.DictReader(io.StringIO(export)))
    by_cell = {(int(line["row"]), line["model"]): line for line in lines}
    for cell in cells:
        [result] = cell.checks
        outcome = "pass" if result["passed"] else "fail"
        assert by_cell[cell.row, cell.model]["check 1: judge"] == f"{outcome}: {result['reason']}"
        assert by_cell[cell.row, cell.model]["judge_cost"] == f"{cell.judge_cost.normalize():f}"

    # The judge's cost is shown apart, as the cells' sum, in full.
    page = page_of(alice_client.get(f"/evaluations/{evaluation.pk}/"))
    for model in ("demo/swift", "demo/echo"):
        judged = sum(c.judge_cost for c in cells if c.model == model)
        summary = " ".join(page.one("column-summary", model=model).text.split())
        assert f" + judge ${judged.normalize():f} " in summary
    judged = sum(c.judge_cost for c in cells)
    head = " ".join(page.one("evaluation").text.split())
    assert f"(the judge\N{RIGHT SINGLE QUOTATION MARK}s ${judged.normalize():f} of it)" in head


def test_a_live_evaluation_cannot_be_deleted_until_it_is_stopped(alice_client, alice):
    evaluation = a_finished_evaluation(alice)
    Evaluation.objects.filter(pk=evaluation.pk).update(status="running")
    response = alice_client.post(f"/evaluations/{evaluation.pk}/delete/", follow=True)
    assert Evaluation.objects.filter(pk=evaluation.pk).exists()
    assert "Stop the evaluation before deleting it." in response.content.decode()


def test_the_compare_pages_setup_gone_from_the_session_is_said_in_words(alice_client, alice):
    response = alice_client.get("/evaluations/new/?source=compare")
    assert response.status_code == 200
    assert "The compare page&#x27;s setup is no longer here" in response.content.decode()


def test_a_filtered_page_is_shown_again_whole_once_the_evaluation_ends(alice_client, alice):
    evaluation = a_finished_evaluation(alice)
    url = f"/evaluations/{evaluation.pk}/progress/"
    assert alice_client.get(url + "?show=failing")["HX-Refresh"] == "true"
    assert "HX-Refresh" not in alice_client.get(url)
    Evaluation.objects.filter(pk=evaluation.pk).update(status="running")
    assert "HX-Refresh" not in alice_client.get(url + "?show=failing")
