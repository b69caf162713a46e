"""Going on from a finished run: a follow-up message to its columns, or the results of a
column's tool calls. Each makes a new run that continues it (playground/runs/conversations.py)
and streams on its own page."""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from playground.accounts.throttle import run_throttle
from playground.core.crypto import KeyUnavailable
from playground.models import Run, RunColumn
from playground.runs.column_view import ColumnView
from playground.runs.conversations import (
    ContinuationRefused,
    earlier_turns,
    follow_up_box,
    follow_up_check,
    follow_up_create,
    tool_results_check,
    tool_results_create,
)
from playground.runs.task import run_start
from playground.upstream.connection import Connection, connection_for
from playground.views.catalog import catalog_models
from playground.views.common import go_to, owned_run, refuse_method, without_nul

KEY_GONE = (
    "The key this conversation used can no longer be decrypted: add it again under Keys, "
    "then send again."
)


def _get_column(request, run_id: int, position: int) -> RunColumn:
    return get_object_or_404(
        RunColumn.objects.select_related("run"),
        run_id=run_id,
        run__owner=request.user,
        position=position,
    )


@login_required
def run_follow_up(request, run_id: int):
    """Sends a message to every column of a finished run that can continue, or to one
    (`column` = its position), each with its own history."""
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "POST"):
        return refused
    columns = list(run.columns.all())
    earlier = earlier_turns(run)
    message = without_nul(request.POST.get("message", ""))
    selected = request.POST.get("column", "all")
    page_run = _page_run(request, run)

    def box(errors=()):
        return follow_up_box(
            run,
            columns,
            page_run=page_run,
            earlier=earlier,
            message=message,
            selected=selected,
            errors=errors,
        )

    def again(error: str, status: int = 200) -> HttpResponse:
        context = {"box": box([error])}
        return _form_again(request, "playground/run/follow_up.html", context, status)

    if not run.is_finished:
        return again("This run has not finished yet: wait for it, then follow up.", 400)
    # One column per thread of the conversation: a column the latest turns did not
    # continue goes on from the turn it last answered in.
    choices = box().choices
    if selected == "all":
        chosen = [choice.column for choice in choices if not choice.refusal]
        if not chosen:
            return again("No column of this run can be continued.", 400)
    else:
        chosen = [choice.column for choice in choices if str(choice.position) == selected]
        if not chosen:
            return again("Choose a column of this run to send the message to.", 400)
    return _next_turn(
        request,
        run,
        again,
        check=lambda: follow_up_check(columns=chosen, message=message),
        create=lambda connection, catalog: follow_up_create(
            run=run, columns=chosen, message=message, connection=connection, catalog=catalog
        ),
    )


def _next_turn(
    request,
    run: Run,
    again: Callable[[str, int], HttpResponse],
    *,
    check: Callable[[], object],
    create: Callable[[Connection, list | None], Run],
) -> HttpResponse:
    """What every next turn goes through: the run's key, the checks that need no upstream
    (before the turn counts against the run limits), the limits, then the new run, held
    to the budget with the catalog's prices. A refusal comes back on the form."""
    try:
        connection = connection_for(request.user, run.api_key)
    except KeyUnavailable:
        return again(KEY_GONE, 400)
    try:
        check()
    except ContinuationRefused as refusal:
        return again(str(refusal), 400)
    if refusal := run_throttle(owner=request.user):
        response = again(refusal.message, 429)
        response["Retry-After"] = str(refusal.retry_after)
        return response
    try:
        follow_up = create(connection, catalog_models(request.user))
    except ContinuationRefused as refusal:
        return again(str(refusal), 400)
    run_start(follow_up)
    return go_to(request, follow_up)


def _page_run(request, run: Run) -> Run:
    """The run whose page the form was on (an earlier turn of the conversation), so the
    form comes back in the right place; the run itself when unknown."""
    page = request.POST.get("page", "")
    if page.isdigit() and int(page) != run.pk:
        found = Run.objects.filter(pk=int(page), owner=request.user).first()
        if found is not None:
            return found
    return run


@login_required
def column_continue(request, run_id: int, position: int):
    """Sends the results of a column's tool calls (one `output` per call, in order) in a
    new run with that column alone."""
    column = _get_column(request, run_id, position)
    if refused := refuse_method(request, "POST"):
        return refused
    outputs = [without_nul(output) for output in request.POST.getlist("output")]

    def again(error: str, status: int = 200) -> HttpResponse:
        context = {
            "column": column,
            "view": ColumnView(column),
            "tool_outputs": outputs,
            "tool_error": error,
        }
        return _form_again(request, "playground/run/tool_results.html", context, status)

    run = column.run
    if not run.is_finished:
        return again("This run has not finished yet: wait for it, then continue.", 400)
    return _next_turn(
        request,
        run,
        again,
        check=lambda: tool_results_check(column=column, outputs=outputs),
        create=lambda connection, catalog: tool_results_create(
            column=column, outputs=outputs, connection=connection, catalog=catalog
        ),
    )


def _form_again(request, template: str, context: dict, status: int) -> HttpResponse:
    """The form again with its error and what was typed. With htmx it replaces the form
    in place (htmx swaps 200 and 429 answers, not 400); without, on a page of its own."""
    if request.htmx:
        return render(request, template, context, status=429 if status == 429 else 200)
    return render(
        request, "playground/run/continue_page.html", {**context, "form": template}, status=status
    )
