"""`/setup/`: the parts of the compare form htmx fetches on their own: the cost estimate
(the whole form is posted here after a pause in typing), a column's settings for its
model, and a tool's fields."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from playground.core.crypto import KeyUnavailable
from playground.setups.format import PROVIDER_LISTS
from playground.setups.forms import ColumnForm, RunForm, ToolForm
from playground.setups.run_rules import provider_notes
from playground.setups.texts import variable_inputs
from playground.upstream.connection import connection_for, endpoints_load
from playground.views.catalog import catalog_models
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
    notes = form.notes
    if not problems and (setup := form.cleaned_data.get("setup")):
        notes = notes + provider_notes(setup, _endpoints(request.user, setup))
    context = {"estimate": form.estimate, "notes": notes, "problems": problems}
    return render(request, "playground/setup/estimate.html", context)


def _endpoints(user, setup: dict) -> dict:
    """Who serves the models of the columns that name providers (looked up only for
    those), by the key the person's runs would use."""
    models = [
        model
        for column in setup["columns"]
        if any(column["routing"].get(name) for name in PROVIDER_LISTS)
        for model in [column["model"], *column["fallback_models"]]
    ]
    if not models:
        return {}
    try:
        connection = connection_for(user)
    except KeyUnavailable:
        return {}
    return endpoints_load(connection, models)


def form_problems(form: RunForm) -> list[str]:
    """Every error of the form, each with the field it concerns."""
    problems = list(form.non_field_errors())
    for name, messages in form.errors.items():
        if name == "__all__":
            continue
        label = form.fields[name].label or name.replace("_", " ").capitalize()
        problems += [f"{label}: {message}" for message in messages]
    return problems


@login_required
def setup_variables(request):
    """The inputs of the variables the prompt and the instructions in the form use, with
    the values typed so far kept."""
    if refused := refuse_method(request, "POST"):
        return refused
    context = {"variables": variable_inputs(request.POST)}
    return render(request, "playground/compare.html#variables", context)


@login_required
def setup_column(request):
    """A column's settings for the model in its field: only the parameters that model
    takes, with what was typed kept. htmx swaps them in when the model changes, and
    unfolded (`unfold`) when the person opens settings not yet in the page."""
    if refused := refuse_method(request, "GET"):
        return refused
    models = {model.id: model for model in catalog_models(request.user) or []}
    model = request.GET.get("models", "").strip()
    column = ColumnForm(
        initial={name: request.GET.get(f"col-{name}", "") for name in ColumnForm.base_fields},
        model=model,
        info=models.get(model),
        unfold="unfold" in request.GET,
    )
    return render(request, "playground/setup/column_options.html", {"column": column})


@login_required
def setup_tool(request):
    """A new tool's empty fields; with `remove`, nothing (the tool's row goes away)."""
    if refused := refuse_method(request, "GET"):
        return refused
    if "remove" in request.GET:
        return HttpResponse("")
    return render(request, "playground/setup/tool.html", {"tool": ToolForm()})
