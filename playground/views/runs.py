"""`/runs/`: the person's runs (the history, to reopen, run again, delete or keep as a
preset), a new run from the compare form, and a run's own page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, Sum
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from playground.accounts.throttle import run_throttle
from playground.core.crypto import KeyUnavailable
from playground.judging.blind import setup_unordered
from playground.models import Run, RunColumn
from playground.presets.versions import preset_create
from playground.runs.conversations import ContinuationRefused, earlier_turns, turn_again
from playground.runs.lifecycle import (
    BudgetExceeded,
    run_create,
    run_interrupt_abandoned,
    runs_interrupt_stale,
)
from playground.runs.task import live_run, run_start, run_stop
from playground.setups.format import setup_from_cleaned, setup_from_run, setup_initial
from playground.setups.validation import setup_problems, setup_validate
from playground.upstream.connection import connection_for
from playground.views.catalog import catalog_models
from playground.views.common import go_to, owned_run, refuse_method, search_text, without_nul
from playground.views.compare import (
    TEMPLATE,
    compare_context,
    compare_form,
    form_errors,
    run_context,
)

PAGE_SIZE = 20
# The status filter's choice for runs with at least one column that failed.
WITH_FAILED_COLUMN = "with a failed column"
# What History counts per run, of its columns' ends.
COLUMN_OUTCOMES = {
    "answered": [RunColumn.Status.DONE],
    "failed": [RunColumn.Status.ERROR],
    "stopped": [RunColumn.Status.CANCELLED],
    "incomplete": [RunColumn.Status.INCOMPLETE],
}


@login_required
def run_list(request):
    """Newest first; `q` searches the prompt, `model` and `status` filter."""
    runs_interrupt_stale(owner=request.user)
    # An evaluation's cells and judge calls are listed with their evaluation.
    runs = Run.objects.filter(owner=request.user, evaluation__isnull=True)
    query = search_text(request)
    model = without_nul(request.GET.get("model", "")).strip()
    status = request.GET.get("status", "").strip()
    if query:
        runs = runs.filter(prompt__icontains=query)
    if model:
        runs = runs.filter(columns__model=model).distinct()
    if status in Run.Status.values:
        runs = runs.filter(status=status)
    elif status == WITH_FAILED_COLUMN:
        # By id, not by a join: a filter on the columns would narrow the sums below too.
        failed = RunColumn.objects.filter(status=RunColumn.Status.ERROR).values("run_id")
        runs = runs.filter(pk__in=failed)
    # In one annotate, so that the counts and the sum share one join of the columns.
    runs = runs.annotate(
        total_cost=Sum("columns__cost"),
        **{
            f"{name}_count": Count("columns", filter=Q(columns__status__in=kinds))
            for name, kinds in COLUMN_OUTCOMES.items()
        },
    ).prefetch_related(
        Prefetch("columns", queryset=RunColumn.objects.only("run_id", "position", "model"))
    )
    page = Paginator(runs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # Not those of blind runs before their vote: the page would name them.
    models = (
        RunColumn.objects.filter(run__owner=request.user, run__evaluation__isnull=True)
        .exclude(run__blind=True, run__revealed_at__isnull=True)
        .values_list("model", flat=True)
        .distinct()
        .order_by("model")
    )
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "playground/history.html",
        {
            "page": page,
            "query": query,
            "model": model,
            "status": status,
            "statuses": [*Run.Status.values, WITH_FAILED_COLUMN],
            "models": list(models),
            "filters": filters.urlencode(),
        },
    )


@login_required
def run_rerun(request, run_id: int):
    """The run again: a later turn of a conversation is made again with the conversation
    so far (a new turn beside it), a first turn is started over."""
    return _again(request, run_id, start_over=False)


@login_required
def run_start_over(request, run_id: int):
    """The conversation's first turn again, as a new run of its setup."""
    return _again(request, run_id, start_over=True)


def _again(request, run_id: int, *, start_over: bool):
    """A new run like `run_id`, with the same key if it still exists."""
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "POST"):
        return refused
    try:
        connection = connection_for(request.user, run.api_key)
    except KeyUnavailable:
        messages.error(
            request,
            f"The key “{run.api_key.label}” can no longer be decrypted: add it again first.",
        )
        return go_to(request, run)
    if refusal := run_throttle(owner=request.user):
        messages.error(request, refusal.message)
        if request.htmx:
            response = go_to(request, run)
        else:
            response = render(request, "playground/run_limited.html", {"run": run})
        response.status_code = 429
        response["Retry-After"] = str(refusal.retry_after)
        return response
    # The catalog prices the run's estimate, which its budget (if it has one) is held to.
    if run.parent_id is not None and not start_over:
        try:
            again = turn_again(run=run, connection=connection, catalog=catalog_models(request.user))
        except ContinuationRefused as refused:
            messages.error(request, str(refused))
            return go_to(request, run)
        run_start(again)
        return go_to(request, again)
    # Started over from the conversation's first turn (the turn itself when it is one).
    first = next(iter(earlier_turns(run)), None)
    setup, errors = setup_validate(setup_from_run(first.run if first else run))
    if setup is None:
        messages.error(request, f"This run's setup cannot run again: {setup_problems(errors)}")
        return go_to(request, run)
    try:
        again = run_create(
            owner=request.user,
            setup=setup,
            connection=connection,
            catalog=catalog_models(request.user),
            keep_running=run.keep_running,
            blind=run.blind,
        )
    except BudgetExceeded as refused:
        messages.error(request, str(refused))
        return go_to(request, run)
    run_start(again)
    return go_to(request, again)


@login_required
def run_delete(request, run_id: int):
    """GET asks for confirmation; POST deletes (not while the run is streaming)."""
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if run.status == Run.Status.STREAMING:
        messages.error(request, "This run is still streaming: stop it before deleting it.")
        return redirect(run)
    if request.method == "POST":
        run.delete()
        messages.success(request, f"Deleted run {run_id}.")
        return redirect("runs")
    return render(request, "playground/run_confirm_delete.html", {"run": run})


@login_required
def run_save_preset(request, run_id: int):
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "POST"):
        return refused
    name = request.POST.get("name", "").strip()[:200] or f"Run {run.pk}: {run.prompt[:60]}"
    preset = preset_create(
        owner=request.user, name=name, setup=_setup_shown(run), note=f"From run {run.pk}"
    )
    messages.success(request, f"Saved the setup of run {run.pk} as the preset “{preset.name}”.")
    return redirect(preset)


@login_required
def runs(request):
    """`/runs/`: GET lists the person's runs, POST starts one."""
    if request.method == "POST":
        return _run_create(request)
    if request.method in ("GET", "HEAD"):
        return run_list(request)
    return HttpResponseNotAllowed(["GET", "HEAD", "POST"])


def _run_create(request):
    form, catalog = compare_form(request, request.POST, request.FILES)
    if not form.is_valid():
        return form_errors(request, compare_context(form=form, catalog=catalog))
    try:
        connection = connection_for(request.user, form.cleaned_data.get("key"))
    except KeyUnavailable:
        form.add_error(
            "key",
            "This key can no longer be decrypted (the server's encryption keys changed). "
            "Delete it and add it again, or pick another.",
        )
        return form_errors(request, compare_context(form=form, catalog=catalog))
    if refusal := run_throttle(owner=request.user):
        # The form comes back as it was sent, so the prompt is not lost.
        form.add_error(None, refusal.message)
        response = form_errors(request, compare_context(form=form, catalog=catalog))
        response.status_code = 429
        response["Retry-After"] = str(refusal.retry_after)
        return response
    try:
        run = run_create(
            owner=request.user,
            setup=setup_from_cleaned(form.cleaned_data),
            connection=connection,
            catalog=form.catalog,
            estimate=form.estimate,
            keep_running=form.cleaned_data.get("keep_running", False),
            blind=form.cleaned_data.get("blind", False),
        )
    except BudgetExceeded as refused:
        form.add_error("budget", str(refused))
        return form_errors(request, compare_context(form=form, catalog=catalog))
    # Generating starts now, whether or not a browser ever opens the run's stream.
    run_start(run)
    if request.htmx:
        response = render(request, f"{TEMPLATE}#run", run_context(run))
        if run.blind:
            # As on the run's own page, the form, which names the models, gives way to a
            # note until the vote.
            response.content += render(request, f"{TEMPLATE}#blind-setup", {"oob": True}).content
        else:
            # The form folds (app.js) to its prompt and this bar, so the answers come into view.
            bar = {"setup": run.setup, "oob": True}
            response.content += render(request, "playground/run/setup_bar.html", bar).content
        response["HX-Push-Url"] = run.get_absolute_url()
        return response
    return redirect(run)


@login_required
def run_detail(request, run_id: int):
    """A run as a link: its setup in the form and its answers, attached to its stream while
    it is live."""
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "GET"):
        return refused
    if run.status == Run.Status.STREAMING and live_run(run.pk) is None:
        # Generated nowhere: the process that ran it stopped.
        run_interrupt_abandoned(run)
    initial, setup = setup_initial(_setup_shown(run))
    initial["blind"] = run.blind
    if run.api_key_id:
        initial["key"] = run.api_key_id
    form, catalog = compare_form(
        request, initial=initial, setup=setup, image_source=f"run:{run.pk}"
    )
    return render(request, TEMPLATE, compare_context(form=form, catalog=catalog, run=run))


def _setup_shown(run: Run) -> dict:
    """The run's setup as its page and a preset show it: a hidden blind run's columns in
    an order that says nothing of their labels."""
    setup = setup_from_run(run)
    return setup_unordered(setup) if run.is_hidden else setup


@login_required
def run_stop_view(request, run_id: int):
    """Stops the run wherever its task runs: its upstream requests are closed, the text so
    far is kept, and every viewer sees it cancelled. A run not started yet is cancelled
    before it starts."""
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "POST"):
        return refused
    run_stop(run)
    if request.htmx:
        return HttpResponse(status=204)
    return redirect(run)
