"""Share links: making them, the owner's list with revocation, and the public pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe

from playground.core.rendering import render_markdown
from playground.evaluations.report import shared_grid
from playground.evaluations.sharing import evaluation_share as share_evaluation
from playground.models import Preset, Share
from playground.presets import sharing
from playground.views.common import go_to, owned_run, refuse_method, untrusted_page, without_nul
from playground.views.evaluations import evaluation_for


def _created(request, share: Share) -> HttpResponse:
    link = request.build_absolute_uri(share.get_absolute_url())
    messages.success(request, f"Anyone with this link can open it: {link}")
    return go_to(request, "shares")


@login_required
def preset_share(request, preset_id: int):
    preset = get_object_or_404(Preset, pk=preset_id, owner=request.user)
    if refused := refuse_method(request, "POST"):
        return refused
    return _created(request, sharing.preset_share(preset=preset))


@login_required
def run_share(request, run_id: int):
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "POST"):
        return refused
    try:
        share = sharing.run_share(run=run)
    except sharing.NotShareable as error:
        messages.error(request, str(error))
        return go_to(request, run)
    return _created(request, share)


@login_required
def evaluation_share(request, evaluation_id: int):
    evaluation = evaluation_for(request, evaluation_id)
    if refused := refuse_method(request, "POST"):
        return refused
    try:
        share = share_evaluation(evaluation=evaluation)
    except sharing.NotShareable as error:
        messages.error(request, str(error))
        return go_to(request, evaluation)
    return _created(request, share)


@login_required
def share_list(request):
    shares = Share.objects.filter(owner=request.user).select_related("preset", "run", "evaluation")
    rows = [(share, request.build_absolute_uri(share.get_absolute_url())) for share in shares]
    return render(request, "playground/shares.html", {"rows": rows})


@login_required
def share_revoke(request, share_id: int):
    share = get_object_or_404(Share, pk=share_id, owner=request.user)
    if refused := refuse_method(request, "POST"):
        return refused
    sharing.share_revoke(share=share)
    messages.success(request, "The link is revoked: it now answers “not found”.")
    return redirect("shares")


def _active_share(token: str) -> Share:
    share = sharing.share_open(token=without_nul(token))
    if share is None:
        raise Http404
    return share


def shared(request, token: str):
    """The read-only page of a link; open to anyone who has it unless the admin requires
    login (PLAYGROUND_SHARED_REQUIRE_LOGIN)."""
    if settings.PLAYGROUND_SHARED_REQUIRE_LOGIN and not request.user.is_authenticated:
        return untrusted_page(redirect_to_login(request.get_full_path()))
    share = _active_share(token)
    context = {"share": share}
    if share.kind == Share.Kind.EVALUATION:
        context |= {"snapshot": share.snapshot, "rows": shared_grid(share.snapshot)}
        page = render(request, "playground/evaluations/shared.html", context)
        return untrusted_page(page)
    if share.kind == Share.Kind.PRESET:
        context["name"], context["setup"] = share.preset.name, share.preset.latest_version.setup
        context["description"] = share.preset.description
    else:
        context["setup"] = share.snapshot["setup"]
        # Safe: render_markdown escapes the model's HTML and sanitizes the result.
        context["columns"] = [
            {**column, "output_html": mark_safe(render_markdown(column["output_text"]))}
            for column in share.snapshot["columns"]
        ]
    return untrusted_page(render(request, "playground/shared.html", context))


@login_required
def shared_fork(request, token: str):
    """GET asks whether to copy the shared setup into the viewer's presets; POST copies it."""
    share = sharing.active_share(without_nul(token))
    if share is None:
        raise Http404
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    name, _ = sharing.shared_setup(share)
    if request.method == "POST":
        try:
            preset = sharing.shared_fork(share=share, owner=request.user)
        except sharing.SharedSetupInvalid as problems:
            messages.error(request, f"This shared setup cannot be copied: {problems}")
            return redirect(request.path)
        messages.success(request, f"Copied into your presets as “{preset.name}”.")
        return redirect(f"/?preset={preset.pk}")
    # Not sent as no-referrer like the shared page: Chromium then posts the form with
    # `Origin: null`, which the CSRF check rightly refuses.
    return render(request, "playground/shared_fork.html", {"share": share, "name": name})
