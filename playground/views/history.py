"""Run history: every run a person made, to reopen, run again, delete or keep as a preset."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Sum
from django.shortcuts import redirect, render

from playground.crypto import KeyUnavailable
from playground.models import Run, RunColumn
from playground.presets import preset_create
from playground.runs import BudgetExceeded, run_create, runs_interrupt_stale
from playground.setups import setup_from_run
from playground.throttle import run_throttle
from playground.upstream import connection_for
from playground.views.catalog import catalog_models
from playground.views.common import go_to, owned_run, refuse_method, search_text, without_nul

PAGE_SIZE = 20


@login_required
def run_list(request):
    """Newest first; `q` searches the prompt, `model` and `status` filter."""
    runs_interrupt_stale(owner=request.user)
    runs = Run.objects.filter(owner=request.user)
    query = search_text(request)
    model = without_nul(request.GET.get("model", "")).strip()
    status = request.GET.get("status", "").strip()
    if query:
        runs = runs.filter(prompt__icontains=query)
    if model:
        runs = runs.filter(columns__model=model).distinct()
    if status in Run.Status.values:
        runs = runs.filter(status=status)
    runs = runs.annotate(total_cost=Sum("columns__cost")).prefetch_related(
        Prefetch("columns", queryset=RunColumn.objects.only("run_id", "position", "model"))
    )
    page = Paginator(runs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    models = (
        RunColumn.objects.filter(run__owner=request.user)
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
            "statuses": Run.Status.values,
            "models": list(models),
            "filters": filters.urlencode(),
        },
    )


@login_required
def run_rerun(request, run_id: int):
    """A new run with the same setup, with the same key if it still exists."""
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
    try:
        again = run_create(
            owner=request.user,
            setup=setup_from_run(run),
            connection=connection,
            catalog=catalog_models(request.user),
        )
    except BudgetExceeded as refused:
        messages.error(request, str(refused))
        return go_to(request, run)
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
        owner=request.user, name=name, setup=setup_from_run(run), note=f"From run {run.pk}"
    )
    messages.success(request, f"Saved the setup of run {run.pk} as the preset “{preset.name}”.")
    return redirect(preset)
