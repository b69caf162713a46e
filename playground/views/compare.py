"""The compare page (`/`): the setup form with the catalog it is checked against, and the
page's context, which the run page, the run POST and the preset save render again."""

from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse

from playground.judging.blind import SURPRISE_POOLS, vote_choices
from playground.models import Preset, Run, Vote
from playground.presets.forms import PresetSaveForm
from playground.runs.badges import badges_attach
from playground.runs.conversations import conversation_of
from playground.setups.format import setup_from_values, setup_initial
from playground.setups.forms import ColumnForm, ColumnSlot, RunForm
from playground.setups.limits import MAX_COLUMNS
from playground.upstream.connection import Catalog, Connection, catalog_connection
from playground.views.catalog import catalog_or_error
from playground.views.common import number_or_404, preset_for, refuse_method

DEMO_COLUMNS = ["demo/swift", "demo/reasoner"]
# A blank page's first column with a key: the default model of the OpenRouter Responses
# integrations people come from.
FIRST_DEFAULT_MODEL = "openai/gpt-oss-20b"
# Its second: the first of these the catalog offers, widely used models of other makers;
# else the catalog's first other model.
POPULAR_MODELS = (
    "anthropic/claude-sonnet-4.5",
    "google/gemini-2.5-flash",
    "openai/gpt-5-mini",
    "meta-llama/llama-3.3-70b-instruct",
    "mistralai/mistral-small-3.2-24b-instruct",
)
TEMPLATE = "playground/compare.html"


def compare_form(
    request,
    *args,
    connection: Connection | None = None,
    loaded: tuple[Catalog | None, str] | None = None,
    **kwargs,
) -> tuple[RunForm, Catalog | None]:
    """The compare form of this person, with the catalog its models are checked against
    (`loaded`: the catalog and its error, when the caller has them already)."""
    catalog, catalog_error = loaded or catalog_or_error(
        connection or catalog_connection(request.user)
    )
    form = RunForm(
        *args,
        catalog=catalog.models if catalog else [],
        catalog_error=catalog_error,
        owner=request.user,
        **kwargs,
    )
    return form, catalog


def compare_context(
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
        "surprise_pools": list(SURPRISE_POOLS.items()),
        **run_context(run),
        "preset": preset,
        "preset_form": preset_form or PresetSaveForm(),
        # Each column links to these: reversed once, not eight times.
        "setup_column_url": reverse("setup-column"),
        "model_picker_url": reverse("model-picker"),
        "blank_column": ColumnSlot("", 0),
        "blank_column_options": _blank_column_options(),
    }


def run_context(run: Run | None) -> dict:
    """What the page's run shows (the `run` partial): its columns and its conversation,
    read here so that the template runs no query."""
    if run is None:
        return {"run": None, "columns": [], "conversation": None, "hidden": False, "blind": False}
    columns = list(run.columns.without_stream_record())
    context = {"run": run, "columns": columns, "conversation": conversation_of(run, columns)}
    context["hidden"], context["blind"] = run.is_hidden, run.blind
    if run.is_finished:
        badges_attach(columns, hidden=run.is_hidden)
    if run.blind and run.is_finished:
        context["vote"] = Vote.objects.filter(run=run).first()
        context["vote_choices"] = vote_choices(columns)
    return context


@cache
def _blank_column_options() -> str:
    """The settings of a column added in the page (every parameter offered, nothing
    set): the same for every page, so written once."""
    column = ColumnForm(model="", info=None)
    return render_to_string("playground/setup/column_options.html", {"column": column})


def form_errors(request, context: dict) -> HttpResponse:
    """The compare form again with its errors; with htmx it replaces the form in place
    and the last run stays on screen."""
    if request.htmx:
        response = render(request, f"{TEMPLATE}#compare-form", context)
        response["HX-Retarget"] = "#compare-form"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, TEMPLATE, context, status=400)


def default_models(catalog: Catalog | None) -> list[str]:
    """The columns a blank compare page opens with, with a key (PLAYGROUND_DEFAULT_MODELS,
    else FIRST_DEFAULT_MODEL and a popular model of another maker)."""
    if settings.PLAYGROUND_DEFAULT_MODELS:
        return list(settings.PLAYGROUND_DEFAULT_MODELS[:MAX_COLUMNS])
    offered = [model.id for model in catalog.models] if catalog else []
    second = next((model for model in POPULAR_MODELS if model in offered), None)
    second = second or next((model for model in offered if model != FIRST_DEFAULT_MODEL), "")
    return [FIRST_DEFAULT_MODEL, second]


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
    loaded = catalog_or_error(connection)
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
        default = DEMO_COLUMNS if connection.is_demo else default_models(loaded[0])
        setup = setup_from_values(
            prompt="",
            instructions="",
            parameters={},
            models=requested[:MAX_COLUMNS] or default,
        )
    initial, setup = setup_initial(setup)
    initial["blind"] = request.GET.get("blind") == "1"  # "Surprise me" asks for a blind run
    form, catalog = compare_form(
        request, initial=initial, setup=setup, image_source=image_source, loaded=loaded
    )
    context = compare_context(form=form, catalog=catalog, preset=preset)
    return render(request, TEMPLATE, context)
