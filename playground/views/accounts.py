"""Login, with a first-run path: while no account exists, the login page offers to
create one, which becomes the administrator."""

from django.contrib.auth import get_user_model, login
from django.contrib.auth.views import LoginView
from django.http import Http404
from django.shortcuts import redirect, render

from playground.forms import FirstAccountForm


class PlaygroundLoginView(LoginView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["no_users_yet"] = not get_user_model().objects.exists()
        return context


def first_account(request):
    # Only while nobody has an account: afterwards, people are added by the admin.
    if get_user_model().objects.exists():
        raise Http404
    form = FirstAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("compare")
    return render(request, "registration/first_account.html", {"form": form})
