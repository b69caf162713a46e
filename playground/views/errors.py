"""The "bad request" and "not found" pages, closing the database connection they open.

Under ASGI, Django renders the page for an exception (a 404 from get_object_or_404, a body
too large to read) on a thread of the event loop's shared pool, not on the request's own
thread, so the end of the request never closes the connection the page opened there (the
context processors read the session from the database). Left open, it idles until
PostgreSQL drops it, and every later error page on that thread then fails.
"""

from collections.abc import Callable
from functools import wraps

from django.db import close_old_connections, connection
from django.http import HttpResponse
from django.views import defaults


def _closing_connection(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def handler(request, exception) -> HttpResponse:
        try:
            return view(request, exception)
        finally:
            # Inside a transaction the connection belongs to whoever opened it on this
            # thread (a request, a test), and they close it.
            if not connection.in_atomic_block:
                close_old_connections()

    return handler


bad_request = _closing_connection(defaults.bad_request)
page_not_found = _closing_connection(defaults.page_not_found)
