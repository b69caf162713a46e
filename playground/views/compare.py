"""The compare page, creating a run, reopening one, and saving the setup as a preset; the
parts of the form htmx fetches on their own (a column's settings for its model, a tool)."""

from functools import cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from playground.crypto import KeyUnavailable
from playground.forms import PresetSaveForm
from playground.models import Preset, Run
from playground.presets import preset_create, preset_save_version
from playground.runs import BudgetExceeded, run_create, run_interrupt_if_stale
from playground.setup_forms import MAX_COLUMNS, ColumnForm, ColumnSlot, RunForm, ToolForm
from playground.setups import setup_from_cleaned, setup_from_run, setup_from_values, setup_initial
from playground.throttle import run_throttle
from playground.upstream import Catalog, Connection, catalog_connection, connection_for
from playground.views import history
from playground.views.catalog import catalog_models, catalog_or_error
from playground.views.common import go_to, number_or_404, owned_run, refuse_method
from playground.views.presets import preset_for

DEMO_COLUMNS = ["demo/swift", "demo/reasoner"]
TEMPLATE = "playground/compare.html"


def compare_form(
    request, *args, connection: Connection | None = None, **kwargs
) -> tuple[RunForm, Catalog | None]:
    """The compare form of this person, with the catalog its models are checked against."""
    catalog, catalog_error = catalog_or_error(connection or catalog_connection(request.user))
    form = RunForm(
        *args,
        catalog=catalog.models if catalog else [],
        catalog_error=catalog_error,
        owner=request.user,
        **kwargs,
    )
    return form, catalog


def _context(
    *,
    form: RunForm,
    catalog: Catalog | None,
    run: Run | None = None,
    preset: Preset | None = None,
    preset_form: PresetSaveForm | None = None,
) -> dict:
    return {
        "form": form,
        # The columns as a `?models=` value, for the picker's links without JavaScript.
        "models_param": ",".join(column.model for column in form.columns),
        "catalog": catalog,
        "catalog_error": form.catalog_error,
        "max_columns": MAX_COLUMNS,
        "run": run,
        "columns": list(run.columns.without_stream_record()) if run else [],
        "preset": preset,
        "preset_form": preset_form or PresetSaveForm(),
        # Each column links to these: reversed once, not eight times.
        "setup_column_url": reverse("setup-column"),
        "model_picker_url": reverse("model-picker"),
        "blank_column": ColumnSlot("", 0),
        "blank_column_options": _blank_column_options(),
    }


@cache
def _blank_column_options() -> str:
    """The settings of a column added in the page (every parameter offered, nothing
    set): the same for every page, so written once."""
    column = ColumnForm(model="", info=None)
    return render_to_string("playground/setup/column_options.html", {"column": column})


def _form_errors(request, context: dict) -> HttpResponse:
    """The compare form again with its errors; with htmx it replaces the form in place
    and the last run stays on screen."""
    if request.htmx:
        response = render(request, f"{TEMPLATE}#compare-form", context)
        response["HX-Retarget"] = "#compare-form"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, TEMPLATE, context, status=400)


@login_required
def compare(request):
    """The compare page. `?models=a,b,c` opens with those columns; `?preset=<id>` (and
    `&version=<n>`) opens a saved preset."""
    preset = None
    requested = [m.strip() for m in request.GET.get("models", "").split(",") if m.strip()]
    if "preset" in request.GET:
        preset = preset_for(request, request.GET["preset"])
    if refused := refuse_method(request, "GET"):
        return refused
    connection = catalog_connection(request.user)
    image_source = ""
    if preset is not None:
        versions = preset.versions.all()
        if "version" in request.GET:
            version = get_object_or_404(versions, number=number_or_404(request.GET["version"]))
        else:
            version = versions.first()
        setup = version.setup
        image_source = f"version:{version.pk}"
    else:
        default = DEMO_COLUMNS if connection.is_demo else ["", ""]
        setup = setup_from_values(
            prompt="",
            instructions="",
            parameters={},
            models=requested[:MAX_COLUMNS] or default,
        )
    initial, setup = setup_initial(setup)
    form, catalog = compare_form(
        request, initial=initial, setup=setup, image_source=image_source, connection=connection
    )
    context = _context(form=form, catalog=catalog, preset=preset)
    return render(request, TEMPLATE, context)


@login_required
def runs(request):
    """`/runs/`: GET lists the person's runs, POST starts one."""
    if request.method == "POST":
        return _run_create(request)
    if request.method in ("GET", "HEAD"):
        return history.run_list(request)
    return HttpResponseNotAllowed(["GET", "HEAD", "POST"])


def _run_create(request):
    form, catalog = compare_form(request, request.POST, request.FILES)
    if not form.is_valid():
        return _form_errors(request, _context(form=form, catalog=catalog))
    try:
        connection = connection_for(request.user, form.cleaned_data.get("key"))
    except KeyUnavailable:
        form.add_error(
            "key",
            "This key can no longer be decrypted (the server's encryption keys changed). "
            "Delete it and add it again, or pick another.",
        )
        return _form_errors(request, _context(form=form, catalog=catalog))
    if refusal := run_throttle(owner=request.user):
        # The form comes back as it was sent, so the prompt is not lost.
        form.add_error(None, refusal.message)
        response = _form_errors(request, _context(form=form, catalog=catalog))
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
        )
    except BudgetExceeded as refused:
        form.add_error("budget", str(refused))
        return _form_errors(request, _context(form=form, catalog=catalog))
    if request.htmx:
        response = render(
            request,
            f"{TEMPLATE}#run",
            {"run": run, "columns": list(run.columns.without_stream_record())},
        )
        response["HX-Push-Url"] = run.get_absolute_url()
        return response
    return redirect(run)


@login_required
def run_detail(request, run_id: int):
    """A run as a link: its setup in the form and its answers, streamed if not started."""
    run = owned_run(request, run_id)
    if refused := refuse_method(request, "GET"):
        return refused
    run_interrupt_if_stale(run)
    initial, setup = setup_initial(setup_from_run(run))
    if run.api_key_id:
        initial["key"] = run.api_key_id
    form, catalog = compare_form(
        request, initial=initial, setup=setup, image_source=f"run:{run.pk}"
    )
    return render(request, TEMPLATE, _context(form=form, catalog=catalog, run=run))


@login_required
def preset_save(request, preset_id: int | None = None):
    """Saves the compare form's setup: as a new preset, or as the next version of one."""
    preset = preset_for(request, preset_id) if preset_id is not None else None
    if refused := refuse_method(request, "POST"):
        return refused
    form, catalog = compare_form(request, request.POST, request.FILES, purpose="preset")
    preset_form = PresetSaveForm(request.POST) if preset is None else None
    setup_valid = form.is_valid()
    if not setup_valid or (preset_form is not None and not preset_form.is_valid()):
        context = _context(form=form, catalog=catalog, preset=preset, preset_form=preset_form)
        return _form_errors(request, context)

    setup = setup_from_cleaned(form.cleaned_data)
    if preset is None:
        preset = preset_create(
            owner=request.user,
            name=preset_form.cleaned_data["name"],
            description=preset_form.cleaned_data["description"],
            setup=setup,
        )
        messages.success(request, f"Saved the preset “{preset.name}”.")
    else:
        version = preset_save_version(preset=preset, setup=setup)
        messages.success(request, f"Saved “{preset.name}” as version {version.number}.")
    return go_to(request, f"/?preset={preset.pk}")


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
