"""The compare page, creating a run, and reopening one."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from playground.forms import MAX_COLUMNS, RunForm
from playground.models import Run
from playground.openrouter import ModelInfo, OpenRouterError
from playground.runs import run_create
from playground.upstream import Connection, current_connection, model_catalog

DEMO_COLUMNS = ["demo/swift", "demo/reasoner"]
TEMPLATE = "playground/compare.html"


def _catalog(connection: Connection) -> tuple[list[ModelInfo], str]:
    try:
        return model_catalog(connection), ""
    except OpenRouterError as error:
        return [], f"The model list could not be loaded: {error.message}"


def _context(*, form: RunForm, column_models: list[str], run: Run | None = None) -> dict:
    return {
        "form": form,
        "column_models": column_models,
        "catalog": form.catalog,
        "catalog_error": form.catalog_error,
        "max_columns": MAX_COLUMNS,
        "run": run,
        "columns": list(run.columns.all()) if run else [],
    }


def _form(connection: Connection, *args, **kwargs) -> RunForm:
    catalog, catalog_error = _catalog(connection)
    return RunForm(*args, catalog=catalog, catalog_error=catalog_error, **kwargs)


@login_required
def compare(request):
    """The compare page; `?models=a,b,c` opens with those columns."""
    connection = current_connection()
    requested = [m.strip() for m in request.GET.get("models", "").split(",") if m.strip()]
    column_models = requested[:MAX_COLUMNS] or (DEMO_COLUMNS if connection.is_demo else ["", ""])
    context = _context(form=_form(connection), column_models=column_models)
    return render(request, TEMPLATE, context)


@login_required
@require_POST
def run_create_view(request):
    connection = current_connection()
    form = _form(connection, request.POST)
    if not form.is_valid():
        context = _context(form=form, column_models=form.cleaned_data["models"])
        if request.htmx:
            # The form comes back in place with its errors; the last run stays on screen.
            response = render(request, f"{TEMPLATE}#compare-form", context)
            response["HX-Retarget"] = "#compare-form"
            response["HX-Reswap"] = "outerHTML"
            return response
        return render(request, TEMPLATE, context, status=400)

    data = form.cleaned_data
    run = run_create(
        owner=request.user,
        prompt=data["prompt"],
        instructions=data["instructions"],
        temperature=data["temperature"],
        max_output_tokens=data["max_output_tokens"],
        reasoning_effort=data["reasoning_effort"],
        models=data["models"],
        connection=connection,
    )
    if request.htmx:
        response = render(
            request, f"{TEMPLATE}#run", {"run": run, "columns": list(run.columns.all())}
        )
        response["HX-Push-Url"] = run.get_absolute_url()
        return response
    return redirect(run)


@login_required
def run_detail(request, run_id: int):
    """A run as a link: its setup in the form and its answers, streamed if not started."""
    run = get_object_or_404(Run, pk=run_id, owner=request.user)
    connection = current_connection()
    form = _form(
        connection,
        initial={
            "prompt": run.prompt,
            "instructions": run.instructions,
            "temperature": run.temperature,
            "max_output_tokens": run.max_output_tokens,
            "reasoning_effort": run.reasoning_effort,
        },
    )
    column_models = [column.model for column in run.columns.all()]
    return render(request, TEMPLATE, _context(form=form, column_models=column_models, run=run))
