"""An evaluation's task: it generates the cells not finished, a few at a time, whoever
watches.

`evaluation_start` claims a queued evaluation (queued → running) and starts its task on
the server's event loop (playground/runs/run_loop.py), as a run's task starts. The task
keeps `concurrency` workers; each takes the next unfinished cell, makes it a run of one
column (lifecycle.py, `cell_setup`), generates it with the run task's own machinery
(playground/runs/task.py: a 429 before any output waits its Retry-After and asks again),
applies the checks, has a judge grade it when a check asks, and saves the cell. A
finished cell is never generated again, so Resume after Stop or a restart bills only
what is left.

Stop (`evaluation_stop`) sets a flag in the database, read by the task every
STOP_POLL_SECONDS wherever it runs (and at once in this process): no cell starts after
it, and the cells generating are stopped like a run, keeping what arrived. When the
server stops, the cells end as interrupted and so does the evaluation. The page is a
viewer: it reads the cells from the database, so any process serves it.
"""

import asyncio
import logging
from collections import deque
from contextlib import suppress
from dataclasses import replace
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.db import DatabaseError, transaction
from django.utils import timezone

from playground.accounts.throttle import run_places_left
from playground.core.crypto import KeyUnavailable
from playground.core.shutdown import on_stop, watch_signals
from playground.evaluations.checks import (
    Answer,
    CheckResult,
    check_answer,
    judge_result,
    judge_setup,
    no_answer_reason,
)
from playground.evaluations.lifecycle import HEARTBEAT_SECONDS, cell_setup
from playground.models import Evaluation, EvaluationCell, Run, RunColumn
from playground.runs import run_loop
from playground.runs.lifecycle import run_create
from playground.runs.live import broker
from playground.runs.task import Claimed, release_connections, run_claim, run_generate
from playground.setups.variables import fill
from playground.upstream.connection import Connection, run_connection

STOP_POLL_SECONDS = 0.5
# How often a worker looks again for a place among the person's runs while all are taken.
PLACE_POLL_SECONDS = 0.5
STOPPED_MESSAGE = "Stopped with the evaluation."

logger = logging.getLogger(__name__)


class _Stop:
    """Set when the evaluation is to end: by Stop, or by the server stopping."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.by_server = False

    def is_set(self) -> bool:
        return self.event.is_set()

    def set(self) -> None:
        self.event.set()


# One lock per person, taken while a cell looks for a place among their runs.
_owner_locks: dict[int, asyncio.Lock] = {}
# This process's evaluation tasks, by id: their loop and what stops them.
_running: dict[int, tuple[asyncio.AbstractEventLoop, _Stop]] = {}


def evaluation_start(evaluation: Evaluation) -> None:
    """Starts the evaluation's task in this process once it is committed."""
    transaction.on_commit(lambda: _claim_and_start(evaluation.pk))


def _claim_and_start(pk: int) -> None:
    now = timezone.now()
    claimed = Evaluation.objects.filter(pk=pk, status=Evaluation.Status.QUEUED).update(
        status=Evaluation.Status.RUNNING, started_at=now, heartbeat_at=now, stop_requested=False
    )
    if claimed:
        loop = run_loop.task_loop()
        run_loop.submit(loop, _evaluate(pk))


def evaluation_stop(evaluation: Evaluation) -> None:
    """Stops the evaluation wherever its task runs; one never started ends at once."""
    live = (Evaluation.Status.QUEUED, Evaluation.Status.RUNNING)
    Evaluation.objects.filter(pk=evaluation.pk, status__in=live).update(stop_requested=True)
    Evaluation.objects.filter(
        pk=evaluation.pk, status=Evaluation.Status.QUEUED, started_at__isnull=True
    ).update(status=Evaluation.Status.CANCELLED, finished_at=timezone.now())
    if found := _running.get(evaluation.pk):
        loop, stop = found
        loop.call_soon_threadsafe(stop.set)


def _load(pk: int) -> tuple[Evaluation, list[EvaluationCell], Connection | None]:
    try:
        evaluation = Evaluation.objects.select_related("owner", "api_key").get(pk=pk)
        cells = list(
            evaluation.cells.exclude(status__in=EvaluationCell.FINISHED).order_by("row", "position")
        )
        try:
            connection = run_connection(evaluation)
        except KeyUnavailable as error:
            evaluation.error = f"{error} Pick another key and start it again."
            connection = None
        return evaluation, cells, connection
    finally:
        release_connections()


async def _evaluate(pk: int) -> None:
    loop = asyncio.get_running_loop()
    stop = _Stop()
    _running[pk] = (loop, stop)

    def stopping() -> None:
        stop.by_server = True
        stop.set()

    watch_signals()
    forget = on_stop(lambda: loop.call_soon_threadsafe(stopping))
    evaluation = None
    try:
        evaluation, cells, connection = await _db(_load)(pk)
        if connection is None:
            await _db(_save_status)(evaluation, Evaluation.Status.ERROR)
            return
        generating: dict[int, int] = {}  # cell → the run generating it
        queue = deque(cells)

        async def worker() -> None:
            while queue and not stop.is_set():
                await _run_cell(evaluation, queue.popleft(), connection, stop, generating)

        watcher = asyncio.create_task(_watch(pk, stop))
        try:
            workers = [asyncio.create_task(worker()) for _ in range(evaluation.concurrency)]
            done_waiting = asyncio.ensure_future(asyncio.gather(*workers))
            stopped = asyncio.ensure_future(stop.event.wait())
            await asyncio.wait([done_waiting, stopped], return_when="FIRST_COMPLETED")
            if stop.is_set() and not stop.by_server:
                for run_id in list(generating.values()):
                    broker.stop(run_id, STOPPED_MESSAGE)
            await done_waiting
            stopped.cancel()
        finally:
            watcher.cancel()
        if stop.by_server:
            status = Evaluation.Status.INTERRUPTED
        elif stop.is_set():
            status = Evaluation.Status.CANCELLED
        else:
            status = Evaluation.Status.DONE
        await asyncio.shield(_db(_save_status)(evaluation, status))
    except Exception:
        logger.exception("The task of evaluation %s failed", pk)
        if evaluation is not None:
            evaluation.error = "The evaluation failed on the server; Resume runs what is left."
            await asyncio.shield(_db(_save_status)(evaluation, Evaluation.Status.ERROR))
    finally:
        forget()
        _running.pop(pk, None)


async def _place_for_a_run(evaluation: Evaluation, stop: _Stop) -> bool:
    """Waits until the person may have one more run unfinished (their other runs and
    evaluations take places too); False when the evaluation was stopped meanwhile."""
    while not stop.is_set():
        if await _db(_places_left)(evaluation):
            return True
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.event.wait(), PLACE_POLL_SECONDS)
    return False


def _places_left(evaluation: Evaluation) -> bool:
    try:
        left = run_places_left(owner=evaluation.owner)
        return left is None or left > 0
    finally:
        release_connections()


async def _watch(pk: int, stop: _Stop) -> None:
    """Reads the Stop flag (set by any process) and writes the heartbeat."""
    loop = asyncio.get_running_loop()
    beat = loop.time()
    while not stop.is_set():
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.event.wait(), STOP_POLL_SECONDS)
        if stop.is_set():
            return
        write = loop.time() - beat >= HEARTBEAT_SECONDS
        try:
            if await _db(_poll)(pk, beat=write):
                stop.set()
        except DatabaseError:
            logger.exception("Evaluation %s could not read its stop flag", pk)
        if write:
            beat = loop.time()


def _poll(pk: int, *, beat: bool) -> bool:
    try:
        if beat:
            Evaluation.objects.filter(pk=pk).update(heartbeat_at=timezone.now())
        return Evaluation.objects.filter(pk=pk, stop_requested=True).exists()
    finally:
        release_connections()


async def _run_cell(
    evaluation: Evaluation,
    cell: EvaluationCell,
    connection: Connection,
    stop: _Stop,
    generating: dict[int, int],
) -> None:
    row = evaluation.rows[cell.row - 1]
    setup = cell_setup(evaluation.setup, cell.position, row)
    # The place is taken once the run exists: the person's other evaluations in this
    # process wait for the lock, so none counts the same free place.
    async with _owner_locks.setdefault(evaluation.owner_id, asyncio.Lock()):
        if not await _place_for_a_run(evaluation, stop):
            return
        started = await _db(_cell_start)(evaluation, cell, setup, connection)
    if started is None:
        return
    run, claimed = started
    generating[cell.pk] = run.pk
    if stop.is_set() and not stop.by_server:
        # Stopped while it was being made. (When the server stops, the run's own task
        # hears it and ends as interrupted, to be resumed.)
        broker.stop(run.pk, STOPPED_MESSAGE)
    try:
        await _generated(run, claimed)
    finally:
        generating.pop(cell.pk, None)
    [column] = claimed.columns
    status = _cell_status(column)
    results: list[CheckResult] = []
    judge_cost: Decimal | None = None
    if status in EvaluationCell.FINISHED:
        answer = _answer(column)
        variables = dict(row)
        for check in evaluation.checks:
            if check["type"] != "judge":
                results.append(check_answer(check, answer, variables))
                continue
            result, cost = await _judge(evaluation, check, answer, row, setup, connection, stop)
            if result is None:  # stopped while the judge was asked: the cell is not done
                status = (
                    EvaluationCell.Status.INTERRUPTED
                    if stop.by_server
                    else EvaluationCell.Status.CANCELLED
                )
                break
            results.append(result)
            if cost is not None:
                judge_cost = (judge_cost or Decimal(0)) + cost
    await asyncio.shield(_db(_cell_finish)(cell, status, results, judge_cost))


async def _generated(run: Run, claimed: Claimed) -> None:
    """Generates the run and returns once its answer is saved. Its task goes on to look
    up the generation record (OpenRouter has it a few seconds later) without holding
    one of the evaluation's places: that wait is no generation. The task is the run
    loop's, so a server stopping waits for it as for any run."""
    saved = asyncio.Event()
    loop = asyncio.get_running_loop()
    task = asyncio.wrap_future(
        run_loop.submit(loop, run_generate(run, claimed, retry_rate_limits=True, saved=saved))
    )
    waiting = asyncio.ensure_future(saved.wait())
    try:
        await asyncio.wait([task, waiting], return_when="FIRST_COMPLETED")
    finally:
        waiting.cancel()
    if task.done():
        task.result()


def _cell_start(
    evaluation: Evaluation, cell: EvaluationCell, setup: dict, connection: Connection
) -> tuple[Run, Claimed] | None:
    try:
        run = _start_run(evaluation, setup, connection)
        cell.column = run.columns.get()
        cell.status = EvaluationCell.Status.RUNNING
        cell.attempts += 1
        cell.save(update_fields=["column", "status", "attempts", "updated_at"])
        claimed = run_claim(run)
        return None if claimed is None else (run, claimed)
    finally:
        release_connections()


def _judge_start(
    evaluation: Evaluation, setup: dict, connection: Connection
) -> tuple[Run, Claimed] | None:
    try:
        run = _start_run(evaluation, setup, connection)
        claimed = run_claim(run)
        return None if claimed is None else (run, claimed)
    finally:
        release_connections()


def _start_run(evaluation: Evaluation, setup: dict, connection: Connection) -> Run:
    """A run of the evaluation's: generated whoever watches, and not in the history."""
    return run_create(
        owner=evaluation.owner,
        setup=setup,
        connection=connection,
        keep_running=True,
        evaluation=evaluation,
    )


def _cell_status(column: RunColumn) -> str:
    if column.status == RunColumn.Status.CANCELLED:
        return EvaluationCell.Status.CANCELLED
    if (column.error or {}).get("kind") == "interrupted":
        return EvaluationCell.Status.INTERRUPTED
    return {
        RunColumn.Status.DONE: EvaluationCell.Status.DONE,
        RunColumn.Status.INCOMPLETE: EvaluationCell.Status.INCOMPLETE,
    }.get(column.status, EvaluationCell.Status.ERROR)


def _answer(column: RunColumn) -> Answer:
    return Answer(
        text=column.output_text,
        status=column.status,
        error=column.error_message,
        cost=column.cost,
        total_ms=column.total_ms,
        ttft_ms=column.ttft_ms,
        output_tokens=column.output_tokens,
    )


async def _judge(
    evaluation: Evaluation,
    check: dict,
    answer: Answer,
    row: dict,
    setup: dict,
    connection: Connection,
    stop: _Stop,
) -> tuple[CheckResult | None, Decimal | None]:
    """The judge's verdict on the answer, through a run of its own, and what it cost.
    (None, …) when the evaluation was stopped meanwhile."""
    rubric = fill(check["value"], row)
    if reason := no_answer_reason(answer):
        return CheckResult("judge", rubric, passed=False, reason=reason), None
    judged = judge_setup(
        model=evaluation.judge_model,
        rubric=rubric,
        prompt=fill(setup["prompt"], row),
        answer=answer.text,
    )
    run = await _db(_judge_start)(evaluation, judged, connection)
    if run is None:
        return CheckResult("judge", rubric, passed=False, reason="The judge could not start."), None
    run, claimed = run
    if stop.is_set() and not stop.by_server:
        # Stopped while it was being made. (When the server stops, the run's own task
        # hears it and ends as interrupted, to be resumed.)
        broker.stop(run.pk, STOPPED_MESSAGE)
    await _generated(run, claimed)
    [column] = claimed.columns
    if (
        column.status == RunColumn.Status.CANCELLED
        or (column.error or {}).get("kind") == "interrupted"
    ):
        return None, column.cost
    if column.status != RunColumn.Status.DONE:
        reason = f"The judge could not grade it: {column.error_message or column.status}."
        result = CheckResult("judge", rubric, passed=False, reason=reason)
    else:
        result = judge_result(rubric=rubric, output_text=column.output_text)
    return replace(result, run_id=run.pk), column.cost


def _cell_finish(
    cell: EvaluationCell, status: str, results: list[CheckResult], judge_cost: Decimal | None
) -> None:
    try:
        cell.status = status
        cell.checks = [result.as_json() for result in results]
        cell.checks_total = len(results)
        cell.checks_passed = sum(result.passed for result in results)
        cell.judge_cost = judge_cost
        cell.save(
            update_fields=[
                "status", "checks", "checks_total", "checks_passed", "judge_cost", "updated_at"
            ]
        )  # fmt: skip
    except DatabaseError:
        logger.exception("Cell %s could not be saved", cell.pk)
    finally:
        release_connections()


def _save_status(evaluation: Evaluation, status: str) -> None:
    try:
        evaluation.status = status
        evaluation.finished_at = timezone.now()
        evaluation.save(update_fields=["status", "finished_at", "error"])
    finally:
        release_connections()


def _db(function):
    # On the shared pool of threads, as the run task's writes (playground/runs/task.py).
    return sync_to_async(function, thread_sensitive=False)
