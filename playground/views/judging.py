"""A blind run's vote and its reveal without one (playground/judging/blind.py)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse

from playground.judging.blind import (
    SurpriseRefused,
    VoteRefused,
    run_reveal,
    run_vote,
    surprise_pick,
    surprise_pool,
)
from playground.views.catalog import catalog_models
from playground.views.common import go_to, owned_run, refuse_method, without_nul


@login_required
def run_vote_view(request, run_id: int):
    """Records the vote (or changes it) and reveals every model, provider and cost."""
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "POST"):
        return refused
    columns = list(run.columns.without_stream_record())
    try:
        run_vote(run=run, columns=columns, choice=without_nul(request.POST.get("choice", "")))
    except VoteRefused as refusal:
        messages.error(request, str(refusal))
    return go_to(request, run)


@login_required
def run_reveal_view(request, run_id: int):
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "POST"):
        return refused
    try:
        run_reveal(run=run)
    except VoteRefused as refusal:
        messages.error(request, str(refusal))
    return go_to(request, run)


@login_required
def surprise(request):
    """ "Surprise me": the compare page with two different models drawn at random from
    the pool asked for (`pool`: all, free, reasoning, tools, image_input; or `ids` typed),
    set up as a blind run."""
    if refused := refuse_method(request, "GET"):
        return refused
    catalog = catalog_models(request.user)
    if catalog is None:
        messages.error(request, "The model list could not be loaded: no models to draw from.")
        return redirect("compare")
    try:
        pool = surprise_pool(
            catalog,
            pool=request.GET.get("pool", "all"),
            ids=without_nul(request.GET.get("ids", ""))[:10_000],
        )
    except SurpriseRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("compare")
    models = surprise_pick(pool)
    return redirect(f"{reverse('compare')}?{urlencode({'models': ','.join(models), 'blind': '1'})}")
