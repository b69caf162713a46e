"""The run's one SSE stream: the only async view (docs/architecture.md, "Streaming rules").

The first connection claims the run (pending → streaming) and calls upstream; any later
connection (a reconnect, a second tab, a reload) replays what is stored and ends, so a
run is never sent upstream twice.

After a column ends, its generation record is looked up (`GET /generation`) while the
other columns go on; once every column has ended and the run is saved, each record is
sent as `c<N>-generation` and stored, and `done` comes last.
"""

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone

from playground.core.crypto import KeyUnavailable
from playground.core.request_thread import release_request_thread
from playground.core.shutdown import on_stop, watch_signals
from playground.models import Run, RunColumn
from playground.openrouter import OpenRouterClient, OpenRouterError
from playground.runs.column_view import ColumnView
from playground.runs.conversations import follow_up_box
from playground.runs.lifecycle import (
    column_apply,
    columns_save_generation,
    generation_failure,
    generation_record,
    run_fail,
    run_finish,
    run_interrupt_if_stale,
)
from playground.runs.streaming import ColumnState, Interrupt, multiplex, sse_event
from playground.upstream.connection import Connection, get_client, run_connection
from playground.views.common import refuse_method

TEMPLATE = "playground/compare.html"
# The longest the end of a run waits for its generation records, from the moment its last
# column ended: the client's own retries on 404 take about 4 s.
GENERATION_WAIT_SECONDS = 8.0

logger = logging.getLogger(__name__)


def _render_result(column: RunColumn, *, csrf_token: str, awaiting_generation: bool = False) -> str:
    """The column's finished result (the `result` partial, not `live-result`): it reads
    only the column's own fields, so it may render on the event loop."""
    return render_to_string(
        f"{TEMPLATE}#result",
        {
            "column": column,
            "awaiting_generation": awaiting_generation,
            "csrf_token": csrf_token,
        },
    )


def _render_generation(column: RunColumn) -> str:
    """The column's generation panel, swapped by its id over the waiting one (out of band:
    the page's listener for these events is one that exists from the start)."""
    return render_to_string(
        "playground/run/generation.html",
        {"column": column, "view": ColumnView(column), "oob": True},
    )


def _render_done(run: Run, columns: list[RunColumn], *, csrf_token: str) -> str:
    """The final status, and the follow-up box swapped in below the answers."""
    return render_to_string(
        "playground/run/done.html",
        {
            "run": run,
            "box": follow_up_box(run, columns, page_run=run) if run.is_finished else None,
            "csrf_token": csrf_token,
        },
    )


def _stream_response(content: AsyncIterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(content, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    # Tells nginx and similar proxies not to buffer the stream.
    response["X-Accel-Buffering"] = "no"
    return response


@dataclass
class _Opening:
    """What the stream needs from the database, read before any upstream call."""

    run: Run
    columns: list[RunColumn]
    # None: the run is replayed (already claimed elsewhere, or it could not start).
    connection: Connection | None = None
    # For the forms in the finished columns (tool results) and the follow-up box.
    csrf_token: str = ""


async def run_stream(request, run_id: int) -> HttpResponse:
    opening = await sync_to_async(_open, thread_sensitive=True)(request, run_id)
    if isinstance(opening, HttpResponse):
        return opening
    run, columns, connection = opening.run, opening.columns, opening.connection
    if connection is None:
        await sync_to_async(_release_connections, thread_sensitive=True)()
        return _stream_response(_replay(run, columns, csrf_token=opening.csrf_token))
    live = _live(run, columns, connection, csrf_token=opening.csrf_token)
    try:
        # Starts the upstream requests now, so the model's own wait covers what is left
        # to do here: closing the database connection (a stream holds none: docs/
        # architecture.md, "Streaming rules") and sending the response's head.
        opened = await anext(live)
        await sync_to_async(_release_connections, thread_sensitive=True)()
        # A stream would keep the request's thread idle for as long as the answer takes.
        release_request_thread()
    except BaseException:
        await live.aclose()
        raise
    return _stream_response(_resumed(opened, live))


async def _resumed(first: bytes, rest: AsyncGenerator[bytes]) -> AsyncIterator[bytes]:
    async with aclosing(rest):
        yield first
        async for chunk in rest:
            yield chunk


def _open(request, run_id: int) -> _Opening | HttpResponse:
    """Every read and the claim, in one trip to the request's thread."""
    try:
        opening = _claim(request, run_id)
        if isinstance(opening, _Opening):
            opening.csrf_token = get_token(request)
        return opening
    except BaseException:
        _release_connections()
        raise


def _release_connections() -> None:
    for connection in connections.all(initialized_only=True):
        # Closing inside a transaction would end it; only a test wraps a request in one.
        if not connection.in_atomic_block:
            connection.close()


def _claim(request, run_id: int) -> _Opening | HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    run = get_object_or_404(
        Run.objects.select_related("owner", "api_key"), pk=run_id, owner=request.user
    )
    if refused := refuse_method(request, "GET"):
        return refused
    if run.status == Run.Status.STREAMING:
        run_interrupt_if_stale(run)
    claimed = Run.objects.filter(pk=run.pk, status=Run.Status.PENDING).update(
        status=Run.Status.STREAMING, started_at=timezone.now()
    )
    columns = list(run.columns.without_stream_record())
    if not claimed:
        run.refresh_from_db()
        return _Opening(run, columns)
    run.status = Run.Status.STREAMING
    try:
        return _Opening(run, columns, run_connection(run))
    except KeyUnavailable:
        if run.key_source == Run.KeySource.USER:
            message = (
                f"Your key “{run.key_label}” {run.key_hint} was deleted or can no longer be "
                "decrypted. Pick another key and run again."
            )
        else:
            message = "The server's key is no longer configured. Add a key of your own."
        run_fail(run, columns, message=message)
        return _Opening(run, columns)


async def _replay(run: Run, columns: list[RunColumn], *, csrf_token: str) -> AsyncIterator[bytes]:
    for column in columns:
        yield sse_event(f"c{column.position}-end", _render_result(column, csrf_token=csrf_token))
    yield sse_event("done", _render_done(run, columns, csrf_token=csrf_token))


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


async def _live(
    run: Run, columns: list[RunColumn], connection: Connection, *, csrf_token: str
) -> AsyncGenerator[bytes]:
    client = get_client(connection)
    by_position = {column.position: column for column in columns}
    # Started as each column ends, so the lookups wait alongside the other columns.
    lookups: dict[int, asyncio.Task[dict]] = {}

    def opener(column: RunColumn):
        return lambda: client.stream(column.request_body, api_key=connection.api_key)

    def render_end(state: ColumnState) -> str:
        column = by_position[state.position]
        column_apply(column, state)
        if _wants_generation(column):  # an interrupted column is an error, not an answer
            lookups[column.position] = asyncio.create_task(
                _generation_lookup(client, column.generation_id, connection.api_key)
            )
        return _render_result(
            column, csrf_token=csrf_token, awaiting_generation=column.position in lookups
        )

    jobs = [(ColumnState(position=column.position), opener(column)) for column in columns]
    finished = False
    # When the server is told to stop, the stream ends at once with its final events.
    watch_signals()
    interrupt = Interrupt()
    forget = on_stop(interrupt)
    try:
        try:
            stream = multiplex(
                jobs,
                render_end,
                column_max_seconds=settings.PLAYGROUND_COLUMN_MAX_SECONDS,
                interrupt=interrupt,
            )
            async with aclosing(stream) as events:
                async for chunk in events:
                    yield chunk
            finished = True
        finally:
            if not finished or interrupt.fired:
                # Nobody is left to show them to, or the server is stopping.
                _cancel_lookups(lookups)
            # Runs on normal end and when the browser goes away (Stop, tab closed): the
            # cancelled columns keep what arrived so far.
            for state, _ in jobs:
                column_apply(by_position[state.position], state)
            await asyncio.shield(
                # On the shared pool of threads, not a new thread per stream: when many
                # streams end at once, their writes queue instead of each holding a thread.
                sync_to_async(_save_end, thread_sensitive=False)(
                    run, columns, cancelled=not finished, interrupted=interrupt.fired
                )
            )
        if lookups and not interrupt.fired:
            async with aclosing(_generations(lookups, by_position, interrupt)) as events:
                async for chunk in events:
                    yield chunk
    finally:
        forget()
    yield sse_event("done", _render_done(run, columns, csrf_token=csrf_token))


async def _generations(
    lookups: dict[int, asyncio.Task[dict]], by_position: dict[int, RunColumn], interrupt: Interrupt
) -> AsyncGenerator[bytes]:
    """Each column's generation panel as its lookup ends, within GENERATION_WAIT_SECONDS
    in all, or until the server starts stopping; then the records are stored."""
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
            yield _generation_panels(answered)
        if waiting:
            if interrupt.fired:
                message = "The server stopped before OpenRouter had a record of this generation."
            else:
                message = (
                    f"OpenRouter had no record of this generation within "
                    f"{GENERATION_WAIT_SECONDS:g} s; its inspector has the generation id to "
                    "look up later."
                )
            unanswered = [by_position[position] for position in waiting.values()]
            for column in unanswered:
                column.generation = generation_failure(message)
            yield _generation_panels(unanswered)
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


def _save_generations(columns: list[RunColumn]) -> None:
    try:
        columns_save_generation(columns)
    except DatabaseError:
        # The run and its answers are saved already; only the record is missing.
        logger.exception("The generation records of run %s could not be saved", columns[0].run_id)
    finally:
        _release_connections()


def _save_end(run: Run, columns: list[RunColumn], *, cancelled: bool, interrupted: bool) -> None:
    try:
        run_finish(run, columns, cancelled=cancelled, interrupted=interrupted)
    except DatabaseError:
        # The stream still ends cleanly; the run stays "streaming" until it is found
        # stale and marked interrupted (playground/runs/lifecycle.py).
        logger.exception("Run %s could not be saved", run.pk)
    finally:
        _release_connections()
