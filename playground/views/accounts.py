"""Accounts: login (rate limited), sign-up, password change, and the first-run path:
while no account exists, the login page offers to create one, which becomes the
administrator.

Sign-up follows PLAYGROUND_SIGNUP. "closed": both sign-up pages answer 404 and the admin
adds people in Django admin. "open": /accounts/signup/ is open to anyone. "invite":
/accounts/signup/<token>/ with a link the admin made. An unknown token answers 404; a known
one that was used or has expired answers 410 with a page saying so, so the person knows to
ask for a new link (tokens are 256 random bits, so telling them apart reveals nothing).
"""

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.views import LoginView, PasswordChangeDoneView, PasswordChangeView
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone

from playground.accounts.forms import FirstAccountForm, LoginForm, SignupForm
from playground.models import Invite
from playground.views.common import without_nul

# Sign-up and first-run accounts are logged in right away, without a password check.
BACKEND = "django.contrib.auth.backends.ModelBackend"


class PlaygroundLoginView(LoginView):
    authentication_form = LoginForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["no_users_yet"] = not get_user_model().objects.exists()
        context["signup_open"] = settings.PLAYGROUND_SIGNUP == "open"
        return context

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked_for:
            response.status_code = 429
            response["Retry-After"] = str(form.locked_for)
        return response


class PlaygroundPasswordChangeView(PasswordChangeView):
    # Not Django's default template names: those are the admin's own password pages.
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("password-change-done")


class PlaygroundPasswordChangeDoneView(PasswordChangeDoneView):
    template_name = "registration/password_changed.html"


def first_account(request):
    # Only while nobody has an account: afterwards, people are added by the admin.
    if get_user_model().objects.exists():
        raise Http404
    form = FirstAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend=BACKEND)
        return redirect("compare")
    return render(request, "registration/first_account.html", {"form": form})


def signup(request):
    if settings.PLAYGROUND_SIGNUP != "open":
        raise Http404
    return _signup_page(request, invite=None)


def signup_invite(request, token: str):
    if settings.PLAYGROUND_SIGNUP != "invite":
        raise Http404
    invite = get_object_or_404(Invite, token=without_nul(token))
    if not invite.is_usable:
        return _invite_unusable(request)
    return _signup_page(request, invite=invite)


def _invite_unusable(request):
    return render(request, "registration/invite_unusable.html", status=410)


def _signup_page(request, *, invite: Invite | None):
    context = {"invite": invite}
    if request.user.is_authenticated:
        # Nothing is created: the page asks to log out first (an invite stays unused).
        return render(request, "registration/signup.html", context)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _account_create(form=form, invite=invite)
        if user is None:
            return _invite_unusable(request)
        login(request, user, backend=BACKEND)
        return redirect("compare")
    return render(request, "registration/signup.html", {**context, "form": form})


def _account_create(*, form: SignupForm, invite: Invite | None):
    """Creates the account and, with an invite, claims it in the same transaction. The
    claim is a conditional UPDATE, so of two people sending one link at once exactly one
    gets an account; the other's is rolled back."""
    with transaction.atomic():
        user = form.save()
        if invite is None:
            return user
        now = timezone.now()
        claimed = Invite.objects.filter(
            pk=invite.pk, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now, used_by=user)
        if not claimed:
            transaction.set_rollback(True)
            return None
    return user
