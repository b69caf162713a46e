"""Redirects that work for plain form posts and for htmx requests alike."""

from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url


def go_to(request, to, *args) -> HttpResponse:
    """A redirect; for htmx, an `HX-Redirect` so the whole page moves, not a fragment."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = resolve_url(to, *args)
        return response
    return redirect(to, *args)
