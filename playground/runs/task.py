"""A run's task: it generates every column and publishes the run's events, whoever watches.

`run_start` claims a pending run (pending → streaming) and starts its task; the request
that made the run calls it, and so does a viewer that finds a run never started. The task
opens one upstream stream per column (playground/runs/streaming.py), appends the merged SSE
events to the run's event log (playground/runs/live.py), writes the database once at the
end (also on Stop, on error and on shutdown), then looks up each answered column's
generation record and sends `done`. It depends on no browser: viewers attach to the log
and may come and go; when none is left for the grace period the run is stopped.
"""

import asyncio
import logging
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from redis import RedisError

from playground.core.crypto import KeyUnavailable
from playground.core.shutdown import on_stop, watch_signals
from playground.judging.blind import vote_choices
from playground.models import Run, RunColumn
from playground.openrouter import OpenRouterClient, OpenRouterError
from playground.runs import redis_relay, run_loop
from playground.runs.badges import badges_attach
from playground.runs.column_view import ColumnView
from playground.runs.conversations import Turn, earlier_turns, follow_up_box
from playground.runs.lifecycle import (
    column_apply,
    columns_save_generation,
    generation_failure,
    generation_record,
    run_cancel_unstarted,
    run_fail,
    run_finish,
)
from playground.runs.live import FIRST_VIEWER_SECONDS, LiveRun, broker
from playground.runs.streaming import ColumnState, multiplex, retrying_rate_limits, sse_event
from playground.runs.structured_output import json_schema_format
from playground.upstream.connection import Connection, get_client, run_connection

TEMPLATE = "playground/compare.html"
# The longest the end of a run waits for its generation records, from the moment its last
# column ended: the client's own retries on 404 take about 4 s.
GENERATION_WAIT_SECONDS = 8.0

logger = logging.getLogger(__name__)


def run_start(run: Run) -> None:
    """Starts the run's task in this process, once the run is committed (at once outside a
    transaction): the task must never write rows another transaction still holds."""
    transaction.on_commit(lambda: _claim_and_start(run))


@dataclass
class Claimed:
    """A run claimed to generate: its log, its columns and the connection they use, and
    its conversation's earlier turns (its follow-up box, at the end, offers their
    columns that it does not continue)."""

    live: LiveRun
    columns: list[RunColumn]
    connection: Connection
    earlier: list[Turn]


def _claim_and_start(run: Run) -> None:
    """Claims a pending run and starts its task."""
    if claimed := run_claim(run):
        run_loop.submit(claimed.live.loop, run_generate(run, claimed))


def run_claim(run: Run) -> Claimed | None:
    """Claims a pending run (pending → streaming) for a task of this process to generate,
    with `run_generate`. None when another request claimed it first, or when it cannot
    start (its key is gone: then it is saved as failed)."""
    loop = run_loop.task_loop()
    live = LiveRun(
        run.pk,
        loop=loop,
        grace_seconds=settings.PLAYGROUND_ORPHAN_GRACE_SECONDS,
        keep_running=run.keep_running,
    )
    # Registered before the claim, so a viewer that finds the run claimed finds it live;
    # when another request of this process is starting it, that one goes on alone.
    if broker.add(live) is not live:
        return None
    claimed = Run.objects.filter(pk=run.pk, status=Run.Status.PENDING).update(
        status=Run.Status.STREAMING, started_at=timezone.now()
    )
    if not claimed:
        _abandon(live)
        return None
    run.status = Run.Status.STREAMING
    columns = list(run.columns.without_stream_record())
    try:
        connection = run_connection(run)
    except KeyUnavailable:
        if run.key_source == Run.KeySource.USER:
            message = (
                f"Your key “{run.key_label}” {run.key_hint} was deleted or can no longer be "
                "decrypted. Pick another key and run again."
            )
        else:
            message = "The server's key is no longer configured. Add a key of your own."
        run_fail(run, columns, message=message)
        _abandon(live)
        return None
    return Claimed(live, columns, connection, earlier_turns(run) if run.parent_id else [])


def _abandon(live: LiveRun) -> None:
    """No task will fill this log: a viewer already following it reads the run from the
    database instead."""
    live.log.close()
    broker.unregister(live)


def live_run(run_id: int) -> LiveRun | redis_relay.RemoteRun | None:
    """The run's events to follow, when a task generates it: in this process, or, with
    REDIS_URL, in any."""
    live = broker.get(run_id)
    if live is None and redis_relay.enabled():
        return redis_relay.RemoteRun.find(run_id)
    return live


def run_stop(run: Run) -> None:
    """Stops the run wherever its task runs; a run not started yet is cancelled."""
    if not broker.stop(run.pk) and not (
        redis_relay.enabled() and redis_relay.stop_elsewhere(run.pk)
    ):
        run_cancel_unstarted(run)


def render_result(
    run: Run, column: RunColumn, *, csrf_token: str, awaiting_generation: bool = False
) -> str:
    """The column's finished result (the `result` partial, not `live-result`): it reads
    only the run's and the column's own fields, so it may render on the event loop. A
    blind run's column is rendered by its label until the reveal."""
    return render_to_string(
        f"{TEMPLATE}#result",
        {
            "column": column,
            "awaiting_generation": awaiting_generation and not run.is_hidden,
            "csrf_token": csrf_token,
            "blind": run.blind,
            "hidden": run.is_hidden,
        },
    )


def render_done(
    run: Run, columns: list[RunColumn], *, csrf_token: str, earlier: list[Turn] | None = None
) -> str:
    """The final status (with a blind run's vote), and the follow-up box swapped in below
    the answers."""
    box = (
        follow_up_box(run, columns, page_run=run, earlier=earlier or [])
        if run.is_finished
        else None
    )
    badges_attach(columns, hidden=run.is_hidden)
    return render_to_string(
        "playground/run/done.html",
        {
            "run": run,
            "columns": columns,
            "box": box,
            "csrf_token": csrf_token,
            "blind": run.blind,
            "hidden": run.is_hidden,
            "vote_choices": vote_choices(columns) if run.blind else [],
        },
    )


def _render_generation(column: RunColumn) -> str:
    """The column's generation panel, swapped by its id over the waiting one (out of band:
    the page's listener for these events is one that exists from the start)."""
    return render_to_string(
        "playground/run/generation.html",
        {"column": column, "view": ColumnView(column), "oob": True},
    )


def _wants_generation(column: RunColumn) -> bool:
    """A column that answered has a generation record to look up; one that failed or was
    stopped may have none, and nobody waits for it."""
    return column.answered and bool(column.generation_id)


async def _generation_lookup(client: OpenRouterClient, generation_id: str, api_key: str) -> dict:
    """The generation record to store, or why there is none; never raises an API error."""
    try:
        return generation_record(await client.get_generation(generation_id, api_key=api_key))
    except OpenRouterError as error:
        return generation_failure(error.message)
    except Exception:
        logger.exception("Looking up generation %s failed", generation_id)
        return generation_failure("The playground failed to read the generation record.")


async def run_generate(
    run: Run,
    claimed: Claimed,
    *,
    retry_rate_limits: bool = False,
    saved: asyncio.Event | None = None,
) -> None:
    """Generates a claimed run to its end (saved, `done` published), whoever watches.
    `retry_rate_limits`: a 429 before any output waits its Retry-After and asks again
    (streaming.py, `retrying_rate_limits`), for runs nobody waits on, such as an
    evaluation's cells. `saved` is set once every column has ended and the run is
    written, before the generation records are looked up (which takes OpenRouter a few
    seconds): what a caller waiting on the answers alone needs."""
    live, connection = claimed.live, claimed.connection
    try:
        if redis_relay.enabled():
            mirror = redis_relay.Mirror(run.pk, live.csrf_placeholder, find=broker.get)
            try:
                await mirror.start()
                live.mirror = mirror
            except RedisError:
                # The run goes on for this process's viewers; others cannot follow it.
                logger.exception("Run %s could not be mirrored to Redis", run.pk)
        await _generate(
            run,
            claimed,
            client=get_client(connection),
            retry_rate_limits=retry_rate_limits,
            saved=saved,
        )
    except Exception:
        logger.exception("The task of run %s failed", run.pk)
    finally:
        if saved is not None:
            saved.set()  # also when it failed: nothing more will be written
        await asyncio.shield(live.close())
        broker.unregister(live)


async def _generate(
    run: Run,
    claimed: Claimed,
    *,
    client: OpenRouterClient,
    retry_rate_limits: bool,
    saved: asyncio.Event | None,
) -> None:
    live, columns, connection = claimed.live, claimed.columns, claimed.connection
    csrf_token = live.csrf_placeholder
    interrupt = live.interrupt
    publish = live.publish
    by_position = {column.position: column for column in columns}
    # Started as each column ends, so the lookups wait alongside the other columns.
    lookups: dict[int, asyncio.Task[dict]] = {}

    def opener(column: RunColumn, state: ColumnState):
        def open_stream():
            return client.stream(column.request_body, api_key=connection.api_key)

        if retry_rate_limits:
            return lambda: retrying_rate_limits(open_stream, state)
        return open_stream

    def render_end(state: ColumnState) -> str:
        column = by_position[state.position]
        column_apply(column, state)
        if _wants_generation(column):  # an interrupted column is an error, not an answer
            lookups[column.position] = asyncio.create_task(
                _generation_lookup(client, column.generation_id, connection.api_key)
            )
        return render_result(
            run, column, csrf_token=csrf_token, awaiting_generation=column.position in lookups
        )

    # An answer checked against a schema is JSON: it streams as the text it is.
    states = [
        ColumnState(
            position=column.position, markdown=json_schema_format(column.request_body) is None
        )
        for column in columns
    ]
    jobs = [(state, opener(column, state)) for state, column in zip(states, columns, strict=True)]
    finished = False
    # When the server is told to stop, the run ends at once with its final events.
    watch_signals()
    loop = asyncio.get_running_loop()
    forget = on_stop(lambda: loop.call_soon_threadsafe(interrupt))
    if live.viewers == 0:
        live.watch_for_viewers(max(live.grace_seconds, FIRST_VIEWER_SECONDS))
    try:
        try:
            stream = multiplex(
                jobs,
                render_end,
                column_max_seconds=settings.PLAYGROUND_COLUMN_MAX_SECONDS,
                interrupt=interrupt,
            )
            async for chunk in stream:
                publish(chunk)
            finished = True
        finally:
            if not finished or interrupt.fired:
                _cancel_lookups(lookups)
            # Runs on every end (Stop, nobody watching, the server stopping, this task
            # cancelled): the cancelled columns keep what arrived so far.
            for state, _ in jobs:
                column_apply(by_position[state.position], state)
            await asyncio.shield(
                # On the shared pool of threads, not a new thread per run: when many
                # runs end at once, their writes queue instead of each holding a thread.
                sync_to_async(_save_end, thread_sensitive=False)(
                    run,
                    columns,
                    cancelled=not finished or bool(interrupt.stopped),
                    interrupted=interrupt.interrupted,
                )
            )
            if saved is not None:
                saved.set()
        if lookups and not interrupt.fired:
            await _generations(lookups, by_position, interrupt, publish, hidden=run.is_hidden)
    finally:
        forget()
    done = render_done(run, columns, csrf_token=csrf_token, earlier=claimed.earlier)
    publish(sse_event("done", done))


async def _generations(lookups, by_position, interrupt, publish, *, hidden: bool) -> None:
    """Each column's generation panel as its lookup ends, within GENERATION_WAIT_SECONDS
    in all, or until the run is stopped; then the records are stored."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GENERATION_WAIT_SECONDS
    waiting = {task: position for position, task in lookups.items()}
    stopping = asyncio.ensure_future(interrupt.wait())
    try:
        while waiting and not interrupt.fired:
            done, _ = await asyncio.wait(
                [*waiting, stopping],
                timeout=max(0.0, deadline - loop.time()),
                return_when="FIRST_COMPLETED",
            )
            done.discard(stopping)
            if not done:
                break
            answered = []
            for task in done:
                column = by_position[waiting.pop(task)]
                column.generation = task.result()
                answered.append(column)
            if not hidden:  # a blind run's panels (provider, cost) wait for the reveal
                publish(_generation_panels(answered))
        if waiting:
            if interrupt.interrupted:
                message = "The server stopped before OpenRouter had a record of this generation."
            elif interrupt.fired:
                message = "The run was stopped before OpenRouter had a record of this generation."
            else:
                message = (
                    f"OpenRouter had no record of this generation within "
                    f"{GENERATION_WAIT_SECONDS:g} s; its inspector has the generation id to "
                    "look up later."
                )
            unanswered = [by_position[position] for position in waiting.values()]
            for column in unanswered:
                column.generation = generation_failure(message)
            if not hidden:
                publish(_generation_panels(unanswered))
    finally:
        stopping.cancel()
        _cancel_lookups(lookups)
        looked_up = [by_position[p] for p in lookups if by_position[p].generation]
        if looked_up:
            await asyncio.shield(
                sync_to_async(_save_generations, thread_sensitive=False)(looked_up)
            )


def _generation_panels(columns: list[RunColumn]) -> bytes:
    return b"".join(
        sse_event(f"c{column.position}-generation", _render_generation(column))
        for column in columns
    )


def _cancel_lookups(lookups: dict[int, asyncio.Task[dict]]) -> None:
    for task in lookups.values():
        task.cancel()


def release_connections() -> None:
    """Closes this thread's database connections: a task or a stream holds none while it
    waits for upstream."""
    for connection in connections.all(initialized_only=True):
        # Closing inside a transaction would end it; only a test wraps a request in one.
        if not connection.in_atomic_block:
            connection.close()


def _save_generations(columns: list[RunColumn]) -> None:
    try:
        columns_save_generation(columns)
    except DatabaseError:
        # The run and its answers are saved already; only the record is missing.
        logger.exception("The generation records of run %s could not be saved", columns[0].run_id)
    finally:
        release_connections()


def _save_end(run: Run, columns: list[RunColumn], *, cancelled: bool, interrupted: bool) -> None:
    try:
        run_finish(run, columns, cancelled=cancelled, interrupted=interrupted)
    except DatabaseError:
        # The events still end cleanly; the run stays "streaming" until it is found
        # stale and marked interrupted (playground/runs/lifecycle.py).
        logger.exception("Run %s could not be saved", run.pk)
    finally:
        release_connections()
