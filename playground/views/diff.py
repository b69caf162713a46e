"""`/runs/<id>/diff/` and `/s/<token>/diff/`: two answers of a finished run, word by word.

With htmx (the run page and the share page fetch it once the run has finished) the
answer is the diff's section; without, a page of its own with the same form."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from playground.judging.answers import (
    DEFAULT_MODE,
    Answer,
    PickRefused,
    answer_pick,
    answers_with_text,
)
from playground.judging.diff import answer_diff
from playground.models import Run, RunColumn, Share
from playground.presets import sharing
from playground.views.common import owned_run, refuse_method, untrusted_page, without_nul

TEMPLATE = "playground/diff/diff.html"


@login_required
def run_diff(request, run_id: int):
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "GET"):
        return refused
    # A live run's answers are written once it ends: until then there is nothing to compare.
    columns = run.columns.only("run_id", "position", "model", "output_text")
    answers = [
        Answer(column.position, _column_name(run, column), column.output_text)
        for column in (columns if run.is_finished else [])
    ]
    context = {
        "diff_url": reverse("run-diff", args=[run.pk]),
        "back_url": run.get_absolute_url(),
        "back_label": f"Run {run.pk}",
    }
    return _diff(request, answers, context)


def _column_name(run: Run, column: RunColumn) -> str:
    """The model, or before a blind run's reveal its label, as the run's page names it."""
    return f"Model {column.label}" if run.is_hidden else column.model


def shared_diff(request, token: str):
    """The diff of a shared run's snapshot, for anyone with its active link (as its page)."""
    if settings.PLAYGROUND_SHARED_REQUIRE_LOGIN and not request.user.is_authenticated:
        return untrusted_page(redirect_to_login(request.get_full_path()))
    share = sharing.active_share(without_nul(token))
    if share is None or share.kind != Share.Kind.RUN:
        raise Http404
    if refused := refuse_method(request, "GET"):
        return refused
    columns = [
        Answer(position, column["model"], column["output_text"])
        for position, column in enumerate(share.snapshot["columns"])
    ]
    context = {
        "diff_url": reverse("shared-diff", args=[share.token]),
        "back_url": share.get_absolute_url(),
        "back_label": "Shared run",
    }
    return untrusted_page(_diff(request, columns, context))


def _diff(request, columns: list[Answer], context: dict) -> HttpResponse:
    answers = answers_with_text(columns)
    context["answers"] = answers
    if len(answers) < 2:
        # The run page offers the diff only where there are two answers to compare.
        if request.htmx:
            return HttpResponse()
        return render(request, TEMPLATE, context)
    status = 200
    try:
        pick = answer_pick(
            answers,
            left=request.GET.get("left"),
            right=request.GET.get("right"),
            mode=request.GET.get("mode"),
        )
    except PickRefused as refused:
        status = 400
        context["problem"] = str(refused)
        pick = answer_pick(answers, left=None, right=None, mode=DEFAULT_MODE)
    else:
        context["diff"] = answer_diff(pick.left.text, pick.right.text)
    context["pick"] = pick
    if request.htmx:
        # 200 even for a refused pick: htmx swaps no 4xx answer (base.html's
        # responseHandling), and the message must replace the diff it refers to.
        return render(request, f"{TEMPLATE}#section", context)
    return render(request, TEMPLATE, context, status=status)
