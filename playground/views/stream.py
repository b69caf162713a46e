"""`GET /runs/<id>/stream/`: a viewer attaches to a run's events. The only async view
(docs/architecture.md, "Streaming rules").

A live run's events come from its event log (playground/runs/live.py): a viewer with
`Last-Event-ID` (or `?after=`, for a page that opens a new EventSource itself) gets
exactly the events after that id, then the live ones, however many viewers the run has
and however often they reconnect; none of them calls upstream. A run never started is
started here (playground/runs/task.py). A finished run is replayed from the database.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404

from playground.core.request_thread import release_request_thread
from playground.models import Run, RunColumn
from playground.runs.conversations import Turn, earlier_turns
from playground.runs.lifecycle import run_interrupt_abandoned
from playground.runs.live import LiveRun
from playground.runs.redis_relay import RemoteRun
from playground.runs.streaming import sse_comment, sse_event
from playground.runs.task import (
    live_run,
    release_connections,
    render_done,
    render_result,
    run_start,
)
from playground.views.common import refuse_method


@dataclass
class _Opening:
    """What the stream needs, read before it starts: the live run to follow, or the
    finished run to replay."""

    run: Run
    # In this process, or (with REDIS_URL) in another.
    live: LiveRun | RemoteRun | None
    after: int
    # For the forms in the finished columns (tool results) and the follow-up box.
    csrf_token: str
    columns: list[RunColumn] | None = None
    earlier: list[Turn] | None = None


async def run_stream(request, run_id: int) -> HttpResponse:
    try:
        opening = await sync_to_async(_open, thread_sensitive=True)(request, run_id)
    finally:
        # A stream holds no database connection, and no thread while it waits.
        await sync_to_async(release_connections, thread_sensitive=True)()
    if isinstance(opening, HttpResponse):
        return opening
    release_request_thread()
    if opening.live is not None:
        content = _follow(opening.live, opening.after, opening.csrf_token)
    else:
        content = _replay(
            opening.run, opening.columns, csrf_token=opening.csrf_token, earlier=opening.earlier
        )
    response = StreamingHttpResponse(content, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    # Tells nginx and similar proxies not to buffer the stream.
    response["X-Accel-Buffering"] = "no"
    return response


def _open(request, run_id: int) -> _Opening | HttpResponse:
    """Every read, in one trip to the request's thread."""
    if not request.user.is_authenticated:
        raise Http404
    run = get_object_or_404(
        Run.objects.select_related("owner", "api_key"), pk=run_id, owner=request.user
    )
    if refused := refuse_method(request, "GET"):
        return refused
    csrf_token = get_token(request)
    if run.status == Run.Status.PENDING:
        run_start(run)
    live = live_run(run.pk)
    if live is None:
        if run.status == Run.Status.STREAMING:
            # Generated nowhere: the process that ran it stopped.
            run_interrupt_abandoned(run)
        run.refresh_from_db()
        columns = list(run.columns.without_stream_record())
        return _Opening(run, None, 0, csrf_token, columns, earlier_turns(run))
    return _Opening(run, live, _last_event_id(request), csrf_token)


def _last_event_id(request) -> int:
    text = request.headers.get("Last-Event-ID") or request.GET.get("after") or "0"
    try:
        return max(0, int(text))
    except ValueError:
        return 0


async def _follow(live: LiveRun | RemoteRun, after: int, csrf_token: str) -> AsyncIterator[bytes]:
    placeholder = live.csrf_placeholder.encode()
    token = csrf_token.encode()
    sent = False
    # Sent at once, so the browser sees the stream open before any model answers.
    yield sse_comment("stream open")
    async for chunk in live.watch(after):
        if placeholder in chunk:
            chunk = chunk.replace(placeholder, token)
        sent = sent or not chunk.startswith(b":")
        yield chunk
    if not sent and after == 0:
        # Closed without a task ever filling it (the run could not start): what the
        # database holds is the run.
        run, columns, earlier = await sync_to_async(_stored, thread_sensitive=False)(live.run_id)
        async for chunk in _replay(run, columns, csrf_token=csrf_token, earlier=earlier):
            yield chunk


def _stored(run_id: int) -> tuple[Run, list[RunColumn], list[Turn]]:
    try:
        run = Run.objects.get(pk=run_id)
        return run, list(run.columns.without_stream_record()), earlier_turns(run)
    finally:
        release_connections()


async def _replay(
    run: Run, columns: list[RunColumn], *, csrf_token: str, earlier: list[Turn] = ()
) -> AsyncIterator[bytes]:
    for column in columns:
        yield sse_event(
            f"c{column.position}-end", render_result(run, column, csrf_token=csrf_token)
        )
    yield sse_event("done", render_done(run, columns, csrf_token=csrf_token, earlier=earlier or []))
