"""The inspector: what each column sent and received, its stream and timeline, code that
repeats its request, and the whole run as JSON. Only the run's owner sees any of it."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from playground.inspector.codegen import code_snippets
from playground.inspector.inspection import (
    comparison_charts,
    event_page,
    event_types,
    pretty_json,
    run_export,
)
from playground.inspector.timeline import STALL_MS, column_timeline
from playground.models import Run, RunColumn, StreamJSONEncoder
from playground.views.common import number_or_404, owned_run, refuse_method, until_revealed

TEMPLATE = "playground/inspect/column.html"
STALL_RANGE = (50, 600_000)


def _column_for(request, run_id: int, position: int) -> tuple[Run, RunColumn]:
    run = owned_run(request, run_id)
    column = run.columns.filter(position=position).first()
    if column is None:
        raise Http404
    return run, column


def _page_number(request) -> int:
    page = number_or_404(request.GET.get("page", "1"))
    if page < 1:
        raise Http404
    return page


def _stall_ms(request) -> tuple[int, str]:
    """The stall threshold asked for, with a message when it cannot be used."""
    value = request.GET.get("stall", "")
    if not value:
        return STALL_MS, ""
    low, high = STALL_RANGE
    try:
        stall = int(value)
    except ValueError:
        stall = None
    if stall is None or not low <= stall <= high:
        return STALL_MS, f"The stall threshold must be a whole number of ms from {low} to {high}."
    return stall, ""


def _snippet_base_url(run: Run, column: RunColumn) -> str:
    # A demo run went to the built-in simulation; its code targets the real API.
    if run.key_source == Run.KeySource.DEMO or not column.request_url:
        return settings.OPENROUTER_BASE_URL
    return column.request_url.removesuffix("/responses")


def _headers_text(headers: dict) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers.items())


@login_required
def column_inspect(request, run_id: int, position: int):
    run, column = _column_for(request, run_id, position)
    if refused := refuse_method(request, "GET") or until_revealed(request, run):
        return refused
    type_filter = request.GET.get("type", "")
    stall_ms, stall_error = _stall_ms(request)
    context = {
        "run": run,
        "column": column,
        "columns": list(run.columns.without_stream_record()),
        "request_headers": _headers_text(column.request_headers),
        "request_json": pretty_json(column.request_body),
        "response_headers": _headers_text(column.response_headers),
        "response_json": pretty_json(column.response) if column.response else "",
        "timeline": column_timeline(column, stall_ms=stall_ms),
        "stall_ms": stall_ms,
        "stall_error": stall_error,
        "types": event_types(column),
        "type_filter": type_filter,
        "page": event_page(column, type_filter=type_filter, page=_page_number(request)),
        "snippets": code_snippets(
            body=column.request_body,
            headers=column.request_headers,
            base_url=_snippet_base_url(run, column),
        ),
        "demo": run.key_source == Run.KeySource.DEMO,
    }
    return render(request, TEMPLATE, context)


@login_required
def column_events(request, run_id: int, position: int):
    """The stream list, filtered and paged: the whole list on page 1 (a new filter), the
    next rows after that ("show more")."""
    run, column = _column_for(request, run_id, position)
    if refused := refuse_method(request, "GET") or until_revealed(request, run):
        return refused
    type_filter = request.GET.get("type", "")
    page = event_page(column, type_filter=type_filter, page=_page_number(request))
    context = {"run": run, "column": column, "type_filter": type_filter, "page": page}
    partial = "events" if page.page == 1 else "event-rows"
    return render(request, f"{TEMPLATE}#{partial}", context)


@login_required
def column_answer(request, run_id: int, position: int):
    """The column's answer as it came, in markdown (what its Copy button copies). The
    text is on the run's page already, so a blind run's too."""
    _, column = _column_for(request, run_id, position)
    if refused := refuse_method(request, "GET"):
        return refused
    response = HttpResponse(column.output_text, content_type="text/markdown; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def run_inspect(request, run_id: int):
    """The run at a glance: every column's figures side by side, with charts."""
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "GET") or until_revealed(request, run):
        return refused
    columns = list(run.columns.without_stream_record())
    return render(
        request,
        "playground/inspect/run.html",
        {"run": run, "columns": columns, "charts": comparison_charts(columns)},
    )


@login_required
def run_download(request, run_id: int):
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "GET") or until_revealed(request, run):
        return refused
    body = json.dumps(run_export(run), indent=2, ensure_ascii=False, cls=StreamJSONEncoder)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}.json"'
    return response
