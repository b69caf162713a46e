"""Small answers every view family shares: redirects that work with and without htmx,
and method checks that come after the owner lookup."""

from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render, resolve_url

from playground.models import Preset, Run


def go_to(request, to, *args) -> HttpResponse:
    """A redirect; for htmx, an `HX-Redirect` so the whole page moves, not a fragment."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = resolve_url(to, *args)
        return response
    return redirect(to, *args)


def owned_run(request, run_id: int) -> Run:
    """The person's own run, else 404 (another person's run does not exist for them)."""
    return get_object_or_404(Run, pk=run_id, owner=request.user)


def until_revealed(request, run: Run) -> HttpResponse | None:
    """A 403 page for what would tell a blind run's models apart (its inspector, its
    download, a share) until the person votes or reveals them; None once they may."""
    if not run.is_hidden:
        return None
    return render(request, "playground/judging/after_vote.html", {"run": run}, status=403)


def refuse_method(request, *allowed: str) -> HttpResponse | None:
    """A 405 when the method is not one of `allowed`, else None.

    Views that name someone's object call it after looking the object up for the person,
    so another person's object answers 404 to every method, never 405 (which would
    tell that it exists).
    """
    if "GET" in allowed:
        allowed = (*allowed, "HEAD")
    return None if request.method in allowed else HttpResponseNotAllowed(allowed)


# Nobody types a longer search, and SQLite refuses LIKE patterns over 50 kB.
MAX_SEARCH_CHARS = 200


def search_text(request) -> str:
    """The text of the `q` search box, trimmed and cut to MAX_SEARCH_CHARS."""
    return without_nul(request.GET.get("q", "")).strip()[:MAX_SEARCH_CHARS]


def without_nul(text: str) -> str:
    """Text for a query: no stored text holds a NUL, and PostgreSQL refuses one outright."""
    return text.replace("\x00", "")


def number_or_404(value) -> int:
    """A whole number from a query string (`?preset=12`); anything else is "not found"."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def preset_for(request, preset_id: int | str) -> Preset:
    """The person's own preset, or 404 (also for an id that is not a number)."""
    return get_object_or_404(Preset, pk=number_or_404(preset_id), owner=request.user)


def untrusted_page(response: HttpResponse) -> HttpResponse:
    """Shared pages stay out of search engines, caches and other sites' referrer logs."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
