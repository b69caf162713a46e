"""The run's one SSE stream: the only async view (DESIGN: Streaming rules).

The first connection claims the run (pending → streaming) and calls upstream; any later
connection (a reconnect, a second tab, a reload) replays what is stored and ends, so a
run is never sent upstream twice.
"""

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone

from playground.crypto import KeyUnavailable
from playground.models import Run, RunColumn
from playground.runs import column_apply, run_fail, run_finish, run_interrupt_if_stale
from playground.shutdown import on_stop, watch_signals
from playground.streaming import ColumnState, Interrupt, multiplex, sse_event
from playground.upstream import Connection, get_client, run_connection
from playground.views.common import refuse_method

TEMPLATE = "playground/compare.html"

logger = logging.getLogger(__name__)


def _render_result(column: RunColumn) -> str:
    return render_to_string(f"{TEMPLATE}#result", {"column": column, "live": False})


def _render_status(run: Run) -> str:
    return render_to_string(f"{TEMPLATE}#run-status", {"run": run})


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


async def run_stream(request, run_id: int) -> HttpResponse:
    opening = await sync_to_async(_open, thread_sensitive=True)(request, run_id)
    if isinstance(opening, HttpResponse):
        return opening
    run, columns, connection = opening.run, opening.columns, opening.connection
    if connection is None:
        await sync_to_async(_release_connections, thread_sensitive=True)()
        return _stream_response(_replay(run, columns))
    live = _live(run, columns, connection)
    try:
        # Starts the upstream requests now, so the model's own wait covers what is left
        # to do here: closing the database connection (a stream holds none, DESIGN:
        # Streaming rules) and sending the response's head.
        opened = await anext(live)
        await sync_to_async(_release_connections, thread_sensitive=True)()
        _release_thread()
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
        return _claim(request, run_id)
    except BaseException:
        _release_connections()
        raise


def _release_thread() -> None:
    """Lets the request's own thread go: Django gives each request one for its sync
    work, and a stream would keep it idle for as long as the answer takes. Sync work
    later in the request gets a new one."""
    context = SyncToAsync.thread_sensitive_context.get(None)
    executor = SyncToAsync.context_to_thread_executor.pop(context, None) if context else None
    if executor is not None:
        executor.shutdown(wait=False)


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


async def _replay(run: Run, columns: list[RunColumn]) -> AsyncIterator[bytes]:
    for column in columns:
        yield sse_event(f"c{column.position}-end", _render_result(column))
    yield sse_event("done", _render_status(run))


async def _live(
    run: Run, columns: list[RunColumn], connection: Connection
) -> AsyncGenerator[bytes]:
    client = get_client(connection)
    by_position = {column.position: column for column in columns}

    def opener(column: RunColumn):
        return lambda: client.stream(column.request_body, api_key=connection.api_key)

    def render_end(state: ColumnState) -> str:
        column = by_position[state.position]
        column_apply(column, state)
        return _render_result(column)

    jobs = [(ColumnState(position=column.position), opener(column)) for column in columns]
    finished = False
    # When the server is told to stop, the stream ends at once with its final events.
    watch_signals()
    interrupt = Interrupt()
    forget = on_stop(interrupt)
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
        forget()
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
    yield sse_event("done", _render_status(run))


def _save_end(run: Run, columns: list[RunColumn], *, cancelled: bool, interrupted: bool) -> None:
    try:
        run_finish(run, columns, cancelled=cancelled, interrupted=interrupted)
    except DatabaseError:
        # The stream still ends cleanly; the run stays "streaming" until it is found
        # stale and marked interrupted (playground/runs.py).
        logger.exception("Run %s could not be saved", run.pk)
    finally:
        _release_connections()
