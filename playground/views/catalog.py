"""The model picker (the catalog searched, filtered and sorted) and refreshing the model
list. The picker is a partial for the compare page's dialog (htmx) and a plain page."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from playground.openrouter import ModelInfo, OpenRouterError
from playground.openrouter.catalog import SORTS, models_filter, models_sort
from playground.setups.limits import MAX_COLUMNS, MAX_MODEL_ID_CHARS
from playground.upstream.connection import (
    Catalog,
    Connection,
    catalog_connection,
    catalog_load,
    catalog_refresh,
)
from playground.views.common import refuse_method, search_text, without_nul

TEMPLATE = "playground/catalog/picker.html"
SORT_LABELS = {
    "name": "Name",
    "price": "Price (cheapest first)",
    "context": "Context length (longest first)",
}
FILTERS = (
    ("free", "Free"),
    ("reasoning", "Reasoning"),
    ("tools", "Tools"),
    ("image_input", "Image input"),
)


def catalog_or_error(connection: Connection) -> tuple[Catalog | None, str]:
    """The model list, or None and why it could not be loaded (it never was)."""
    try:
        return catalog_load(connection), ""
    except OpenRouterError as error:
        return None, f"The model list could not be loaded: {error.message}"


def catalog_models(user) -> list[ModelInfo] | None:
    """The models this person picks from, to price a run by; None when the list cannot be
    had (a run is then made without an estimate)."""
    catalog, _ = catalog_or_error(catalog_connection(user))
    return catalog.models if catalog else None


@dataclass(frozen=True)
class PickerQuery:
    """What the picker was asked for. Anything unreadable means the default."""

    search: str
    filters: frozenset[str]  # names from FILTERS
    sort: str
    column: int  # which column of `models` the chosen model goes to
    models: tuple[str, ...]  # the compare page's columns, for links without JavaScript

    @classmethod
    def from_params(cls, request) -> "PickerQuery":
        params: QueryDict = request.GET
        sort = params.get("sort", "")
        try:
            column = int(params.get("column", ""))
        except ValueError:
            column = 0
        typed = (without_nul(m).strip() for m in params.get("models", "").split(","))
        models = tuple(m[:MAX_MODEL_ID_CHARS] for m in typed if m)[:MAX_COLUMNS]
        return cls(
            search=search_text(request),
            filters=frozenset(name for name, _ in FILTERS if params.get(name) in ("1", "on")),
            sort=sort if sort in SORTS else SORTS[0],
            # An existing column, or the one after the last.
            column=min(max(column, 0), len(models), MAX_COLUMNS - 1),
            models=models,
        )

    def use_url(self, model: ModelInfo) -> str:
        """The compare page with `model` in the picked column, the others kept."""
        models = list(self.models)
        if self.column < len(models):
            models[self.column] = model.id
        else:
            models.append(model.id)
        return compare_url(models)


def compare_url(models: list[str] | tuple[str, ...]) -> str:
    """The compare page opening with these columns (`/?models=a,b`)."""
    if not models:
        return reverse("compare")
    return f"{reverse('compare')}?{urlencode({'models': ','.join(models)}, safe='/,:')}"


@login_required
def model_picker(request):
    """The models on offer, searched by name or id, filtered by capability and sorted."""
    if refused := refuse_method(request, "GET"):
        return refused
    query = PickerQuery.from_params(request)
    catalog, catalog_error = catalog_or_error(catalog_connection(request.user))
    available = catalog.models if catalog else []
    flags = {name: name in query.filters for name, _ in FILTERS}
    matching = models_sort(models_filter(available, search=query.search, **flags), by=query.sort)
    context = {
        "query": query,
        "catalog": catalog,
        "catalog_error": catalog_error,
        "rows": [(model, query.use_url(model)) for model in matching],
        "total": len(available),
        "filters": [(name, label, name in query.filters) for name, label in FILTERS],
        "sorts": list(SORT_LABELS.items()),
        "models_param": ",".join(query.models),
        "back_url": compare_url(query.models),
        "in_dialog": bool(request.htmx),
    }
    if request.htmx.target == "picker-results":
        return render(request, f"{TEMPLATE}#results", context)
    if request.htmx:
        return render(request, f"{TEMPLATE}#picker", context)
    return render(request, TEMPLATE, context)


@login_required
def model_list_refresh(request):
    """Fetches the model list again now and says how that went. When it fails, the last
    good copy stays in use."""
    if refused := refuse_method(request, "POST"):
        return refused
    catalog, catalog_error = None, ""
    try:
        catalog = catalog_refresh(catalog_connection(request.user))
    except OpenRouterError as error:
        catalog_error = f"The model list could not be loaded: {error.message}"
    if catalog is None:
        failed, result = True, catalog_error
    elif catalog.problem:
        failed = True
        result = (
            f"The model list could not be refreshed: {catalog.problem.rstrip('.')}. "
            f"The list from {catalog.age} stays in use."
        )
    else:
        failed, result = False, f"Model list refreshed: {len(catalog.models)} models."
    if request.htmx:
        context = {
            "catalog": catalog,
            "catalog_error": catalog_error,
            "refresh_result": result,
            "refresh_failed": failed,
        }
        return render(request, "playground/catalog/refreshed.html", context)
    if failed:
        messages.error(request, result)
    else:
        messages.success(request, result)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("compare")
    return redirect(next_url)
