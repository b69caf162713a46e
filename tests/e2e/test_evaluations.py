"""An evaluation in the browser: a dataset imported from a CSV file, an evaluation of
two models over its three cases started from the compare page, its cells filling in
while the tab is closed and opened again, a failing check's reason, the exports, and two
evaluations compared."""

import csv
import io
import json

from playwright.sync_api import expect

from playground.models import Dataset, Evaluation
from tests.polling import wait_until

CSV = (
    "country,expected\n"
    "France,France\n"
    "the country whose capital is Canberra,Canberra\n"
    "Portugal,Lisbon\n"
)


def import_dataset(page, tmp_path) -> Dataset:
    path = tmp_path / "capitals.csv"
    path.write_text(CSV)
    page.goto("/datasets/")
    page.get_by_test_id("dataset-import-file").set_input_files(str(path))
    page.get_by_test_id("dataset-import").click()
    expect(page.get_by_test_id("dataset-row")).to_have_count(3)
    return Dataset.objects.get(name="capitals")


def start_from_compare_page(page, dataset):
    page.goto("/?models=demo/swift,demo/echo")
    page.get_by_test_id("prompt").fill("Capital of {{country}}? One word.")
    # The prompt's variable gets an input of its own for a single run.
    expect(page.locator("[data-testid=variable][data-name=country]")).to_be_visible()
    page.get_by_test_id("evaluate").click()
    page.wait_for_url("**/evaluations/new/?source=compare")
    page.get_by_test_id("evaluation-dataset").select_option(str(dataset.pk))
    check = page.get_by_test_id("check").first
    check.get_by_test_id("check-type").select_option("icontains")
    check.get_by_test_id("check-value").fill("{{expected}}")
    page.get_by_test_id("check-add").click()
    added = page.get_by_test_id("check").last
    added.get_by_test_id("check-type").select_option("latency-max")
    added.get_by_test_id("check-value").fill("60000")
    expect(page.get_by_test_id("evaluation-estimate")).to_contain_text("6 generations")
    page.get_by_test_id("evaluation-start").click()
    page.wait_for_url("**/evaluations/*/")
    return Evaluation.objects.latest("pk")


def test_an_evaluation_imported_run_watched_reopened_exported_and_compared(page, fake, tmp_path):
    fake.time_scale = 2  # a second or two a cell: they fill in while the page is open
    dataset = import_dataset(page, tmp_path)
    evaluation = start_from_compare_page(page, dataset)
    progress = page.get_by_test_id("evaluation-progress")
    expect(progress).to_have_attribute("data-total", "6")
    assert progress.get_attribute("data-done") != "6"
    # Cells fill in live, without a reload.
    expect(page.locator("[data-testid=cell][data-status=done]").first).to_be_visible()
    fake.time_scale = 0.2

    # The tab closes mid-way; the evaluation goes on without it.
    url = page.url
    context = page.context
    page.close()
    reopened = context.new_page()
    reopened.goto(url)
    expect(reopened.get_by_test_id("evaluation")).to_have_attribute(
        "data-status", "done", timeout=30_000
    )
    expect(reopened.get_by_test_id("evaluation-progress")).to_have_attribute("data-done", "6")
    swift = reopened.locator("[data-testid=column-summary][data-model='demo/swift']")
    echo = reopened.locator("[data-testid=column-summary][data-model='demo/echo']")
    expect(swift).to_have_attribute("data-pass-rate", "0.3333")
    expect(echo).to_have_attribute("data-pass-rate", "0.6667")
    failing = reopened.locator("[data-testid=cell][data-row='3'][data-model='demo/swift']")
    expect(failing).to_have_attribute("data-checks-passed", "1")
    expect(failing).to_have_attribute("data-checks-total", "2")
    expect(failing.get_by_test_id("check-reason")).to_contain_text("Lisbon")
    expect(failing.get_by_test_id("cell-output")).to_contain_text("Capital of Portugal")

    with reopened.expect_download() as download:
        reopened.get_by_test_id("evaluation-export-csv").click()
    lines = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert len(lines) == 6 and {line["model"] for line in lines} == {"demo/swift", "demo/echo"}
    with reopened.expect_download() as download:
        reopened.get_by_test_id("evaluation-export-json").click()
    exported = json.loads(download.value.path().read_text())
    assert len(exported["cells"]) == 6 and exported["cells"][0]["checks"]

    # A second evaluation of the same dataset, compared with the first.
    reopened.goto("/?models=demo/swift,demo/echo")
    start_from_compare_page(reopened, dataset)
    wait_until(lambda: Evaluation.objects.latest("pk").status == "done", timeout=30)
    reopened.goto(url)
    reopened.get_by_test_id("compare-with").select_option(str(Evaluation.objects.latest("pk").pk))
    reopened.get_by_test_id("compare-evaluations").click()
    expect(reopened.get_by_test_id("comparison-column")).to_have_count(2)
    assert evaluation.cells.count() == 6
