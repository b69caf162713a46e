"""An evaluation's task on the server: every cell in the background, a few at a time,
Stop, Resume after a restart without billing a finished cell twice, and 429s waited."""

import json
import time

import pytest

from playground.core import shutdown
from playground.evaluations.lifecycle import evaluation_concurrency, evaluations_interrupt_stale
from playground.fake_openrouter.messages import FakeResponse
from playground.fake_openrouter.wire import error_envelope
from playground.models import Evaluation, EvaluationCell, Run
from tests.evaluations.factories import a_dataset, a_setup, latest_evaluation, start_evaluation
from tests.polling import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
RESPONSES_ROUTE = ("POST", "/api/v1/responses")


def status_of(evaluation) -> str:
    return Evaluation.objects.get(pk=evaluation.pk).status


def test_every_cell_runs_in_the_background_with_nobody_watching(
    asgi_server, alice_client, alice, fake
):
    dataset = a_dataset(alice)
    response = start_evaluation(alice_client, dataset)
    evaluation = latest_evaluation()
    assert response.status_code == 302 and response["Location"] == f"/evaluations/{evaluation.pk}/"
    wait_until(lambda: status_of(evaluation) == "done", timeout=20)

    cells = {(c.row, c.model): c for c in evaluation.cells.select_related("column")}
    assert len(cells) == 6 and all(c.status == "done" for c in cells.values())
    # swift quotes the prompt's first six words; echo repeats all of it.
    assert [cells[(row, "demo/swift")].passed for row in (1, 2, 3)] == [True, False, False]
    assert [cells[(row, "demo/echo")].passed for row in (1, 2, 3)] == [True, True, False]
    failed = cells[(3, "demo/swift")].checks[0]
    assert failed["value"] == "Lisbon" and not failed["passed"] and "Lisbon" in failed["reason"]
    request = cells[(2, "demo/echo")].column.request_body
    assert request["input"][0]["content"][0]["text"] == (
        "Capital of the country whose capital is Canberra? One word."
    )
    assert all(c.column.cost is not None and c.column.ttft_ms is not None for c in cells.values())
    # The cells are runs of the evaluation, listed with it and not in the history.
    assert Run.objects.filter(evaluation=evaluation).count() == 6
    assert "Capital of" not in alice_client.get("/runs/").content.decode()


def test_no_more_generations_run_at_once_than_the_concurrency(
    asgi_server, alice_client, alice, fake, settings
):
    settings.PLAYGROUND_EVALUATION_CONCURRENCY = 2
    fake.time_scale = 0.05
    rows = [{"country": f"Country {n}", "expected": "x"} for n in range(6)]
    start_evaluation(alice_client, a_dataset(alice, rows))
    evaluation = latest_evaluation()
    assert evaluation.concurrency == 2
    most = 0

    def finished():
        nonlocal most
        most = max(most, Run.objects.filter(evaluation=evaluation, status="streaming").count())
        return status_of(evaluation) == "done"

    wait_until(finished, timeout=30, interval=0.01)
    assert most == 2


def test_the_concurrency_stays_within_the_persons_run_limit(settings):
    settings.PLAYGROUND_EVALUATION_CONCURRENCY = 8
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 3
    assert evaluation_concurrency() == 3
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 0  # no limit
    assert evaluation_concurrency() == 8


def test_stop_ends_it_and_keeps_what_finished(asgi_server, alice_client, alice, fake):
    fake.time_scale = 0.2
    rows = [{"country": f"Country {n}", "expected": "x"} for n in range(8)]
    start_evaluation(alice_client, a_dataset(alice, rows), setup=a_setup(["demo/slow"]))
    evaluation = latest_evaluation()
    wait_until(lambda: evaluation.cells.filter(status="running").exists())
    response = alice_client.post(f"/evaluations/{evaluation.pk}/stop/")
    assert response.status_code == 302
    wait_until(lambda: status_of(evaluation) == "cancelled", timeout=10)
    statuses = list(evaluation.cells.values_list("status", flat=True))
    assert "running" not in statuses and statuses.count("pending") >= 4
    assert all(run.status != "streaming" for run in Run.objects.filter(evaluation=evaluation))


def test_a_restart_interrupts_it_and_resume_runs_only_the_cells_not_finished(
    asgi_server, alice_client, alice, fake
):
    dataset = a_dataset(alice)
    start_evaluation(alice_client, dataset)
    evaluation = latest_evaluation()
    wait_until(lambda: status_of(evaluation) == "done", timeout=20)
    # As a server killed mid-way leaves it: two cells never finished, no heartbeat since.
    EvaluationCell.objects.filter(evaluation=evaluation, row=3).update(status="running")
    Evaluation.objects.filter(pk=evaluation.pk).update(
        status="running", heartbeat_at="2020-01-01T00:00:00Z", finished_at=None
    )
    assert evaluations_interrupt_stale(owner=alice) == 1
    page = alice_client.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert 'data-status="interrupted"' in page and 'data-testid="evaluation-resume"' in page

    started = fake.streams_started
    alice_client.post(f"/evaluations/{evaluation.pk}/resume/")
    wait_until(lambda: status_of(evaluation) == "done", timeout=20)
    assert fake.streams_started - started == 2  # row 3's two cells, nothing else
    assert set(evaluation.cells.values_list("status", flat=True)) == {"done"}
    assert list(evaluation.cells.filter(row=3).values_list("attempts", flat=True)) == [2, 2]
    assert list(evaluation.cells.filter(row=1).values_list("attempts", flat=True)) == [1, 1]


def test_a_server_stopping_marks_it_interrupted(
    asgi_server, alice_client, alice, fake, monkeypatch
):
    monkeypatch.setattr(shutdown, "_stopping", False)  # set back once the test ends
    fake.time_scale = 0.2
    rows = [{"country": f"Country {n}", "expected": "x"} for n in range(4)]
    start_evaluation(alice_client, a_dataset(alice, rows), setup=a_setup(["demo/slow"]))
    evaluation = latest_evaluation()
    wait_until(lambda: evaluation.cells.filter(status="running").exists())
    shutdown.stop_streams()
    wait_until(lambda: status_of(evaluation) == "interrupted", timeout=10)
    assert evaluation.cells.filter(status="interrupted").exists()


def test_a_429_before_the_answer_waits_its_retry_after_and_asks_again(
    asgi_server, alice_client, alice, fake
):
    responses = fake._routes[RESPONSES_ROUTE]
    refused = []

    async def rate_limited_once(request, key):
        if not refused:
            refused.append(time.monotonic())
            return FakeResponse(
                429,
                [("content-type", "application/json"), ("retry-after", "0.3")],
                json.dumps(error_envelope(429, "Rate limit exceeded")).encode(),
            )
        return await responses(request, key)

    fake._routes[RESPONSES_ROUTE] = rate_limited_once
    try:
        start_evaluation(
            alice_client,
            a_dataset(alice, [{"country": "Peru", "expected": "Peru"}]),
            setup=a_setup(["demo/swift"]),
        )
        evaluation = latest_evaluation()
        wait_until(lambda: status_of(evaluation) == "done", timeout=20)
    finally:
        fake._routes[RESPONSES_ROUTE] = responses
    cell = evaluation.cells.select_related("column").get()
    assert cell.status == "done" and cell.passed and cell.column.response_status == 200
    assert len(refused) == 1 and fake.streams_started >= 1
    # Its time to first token counts from the request that answered, not the wait.
    assert cell.column.ttft_ms < 300


def test_cells_wait_for_a_place_among_the_persons_runs(
    asgi_server, alice_client, alice, fake, settings
):
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 2
    fake.time_scale = 0.05
    rows = [{"country": f"Country {n}", "expected": "x"} for n in range(4)]
    # Two evaluations at once, each allowed two generations: together still two.
    start_evaluation(alice_client, a_dataset(alice, rows, name="one"))
    start_evaluation(alice_client, a_dataset(alice, rows, name="two"))
    most = 0

    def finished():
        nonlocal most
        most = max(
            most, Run.objects.filter(owner=alice, status__in=["pending", "streaming"]).count()
        )
        return set(Evaluation.objects.values_list("status", flat=True)) == {"done"}

    wait_until(finished, timeout=30, interval=0.01)
    assert most == 2


def test_the_demo_dataset_passes_and_fails_for_real_with_the_demo_models(
    asgi_server, alice_client, alice, fake
):
    from playground.evaluations.datasets import DEMO_PROMPT, demo_dataset

    start_evaluation(alice_client, demo_dataset(alice), setup=a_setup(prompt=DEMO_PROMPT))
    evaluation = latest_evaluation()
    wait_until(lambda: status_of(evaluation) == "done", timeout=30)
    passed = {
        model: [cell.passed for cell in evaluation.cells.filter(model=model)]
        for model in ("demo/swift", "demo/echo")
    }
    assert all(len(results) == 10 for results in passed.values())
    assert 0 < sum(passed["demo/swift"]) < sum(passed["demo/echo"]) < 10
