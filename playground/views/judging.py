"""A blind run's vote and its reveal without one (playground/judging/blind.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required

from playground.judging.blind import VoteRefused, run_reveal, run_vote
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
