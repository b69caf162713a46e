"""The cost estimate the compare form shows as the person edits it (htmx posts the whole
form here after a pause in typing)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from playground.setup_forms import RunForm
from playground.views.common import refuse_method
from playground.views.compare import compare_form

# Enough to say what is wrong without pushing the form down the page.
SHOWN_PROBLEMS = 3


@login_required
def setup_estimate(request):
    """The worst case of the setup in the form, per column and in total, what its
    budget allows, and what the columns' models cannot do of what it asks."""
    if refused := refuse_method(request, "POST"):
        return refused
    form, _ = compare_form(request, request.POST, request.FILES, purpose="estimate")
    problems = [] if form.is_valid() else form_problems(form)[:SHOWN_PROBLEMS]
    context = {"estimate": form.estimate, "notes": form.notes, "problems": problems}
    return render(request, "playground/setup/estimate.html", context)


def form_problems(form: RunForm) -> list[str]:
    """Every error of the form, each with the field it concerns."""
    problems = list(form.non_field_errors())
    for name, messages in form.errors.items():
        if name == "__all__":
            continue
        label = form.fields[name].label or name.replace("_", " ").capitalize()
        problems += [f"{label}: {message}" for message in messages]
    return problems
