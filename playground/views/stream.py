"""The run's one SSE stream: the only async view (DESIGN: Streaming rules).

The first connection claims the run (pending → streaming) and calls upstream; any later
connection (a reconnect, a second tab, a reload) replays what is stored and ends, so a
run is never sent upstream twice.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponse, StreamingHttpResponse
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


async def run_stream(request, run_id: int) -> HttpResponse:
    user = await request.auser()
    if not user.is_authenticated:
        raise Http404
    try:
        run = await Run.objects.select_related("owner", "api_key").aget(pk=run_id, owner=user)
    except Run.DoesNotExist:
        raise Http404 from None
    if refused := refuse_method(request, "GET"):
        return refused
    if run.status == Run.Status.STREAMING:
        await sync_to_async(run_interrupt_if_stale)(run)
    claimed = await Run.objects.filter(pk=run.pk, status=Run.Status.PENDING).aupdate(
        status=Run.Status.STREAMING, started_at=timezone.now()
    )
    columns = [column async for column in run.columns.without_stream_record()]
    if not claimed:
        await run.arefresh_from_db()
        return _stream_response(_replay(run, columns))
    run.status = Run.Status.STREAMING
    try:
        connection = await sync_to_async(run_connection)(run)
    except KeyUnavailable:
        if run.key_source == Run.KeySource.USER:
            message = (
                f"Your key “{run.key_label}” {run.key_hint} was deleted or can no longer be "
                "decrypted. Pick another key and run again."
            )
        else:
            message = "The server's key is no longer configured. Add a key of your own."
        await sync_to_async(run_fail)(run, columns, message=message)
        return _stream_response(_replay(run, columns))
    return _stream_response(_live(run, columns, connection))


async def _replay(run: Run, columns: list[RunColumn]) -> AsyncIterator[bytes]:
    for column in columns:
        yield sse_event(f"c{column.position}-end", _render_result(column))
    yield sse_event("done", _render_status(run))


async def _live(run: Run, columns: list[RunColumn], connection: Connection) -> AsyncIterator[bytes]:
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
            sync_to_async(_save_end)(
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
