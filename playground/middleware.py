"""Django's own middleware, run on the event loop under ASGI.

Django's `MiddlewareMixin` hands every `process_request`, `process_view` and
`process_response` to a thread when it runs async. With the middleware in MIDDLEWARE
that was some twenty thread hops per request; each one waits for the GIL to change hands,
and together they put about 15 ms in front of every stream's first byte. The methods of
the middleware below only read and write the request and the response in memory, so
`run_on_the_loop` (called when the app is ready) makes them run where they are called.
Where one can reach the database or the disk (a session to save, messages to store, a
POST's form to read for the CSRF check), it still goes to the request's thread, as before.

MIDDLEWARE keeps Django's own names, so Django's deployment checks still recognise them.
Under WSGI and Django's test client nothing changes: `MiddlewareMixin.__call__` runs the
same methods synchronously.
"""

import types
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _session_needs_thread(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


def _messages_need_thread(request: HttpRequest) -> bool:
    # Messages read or added are stored: in a cookie or, when too long, in the session.
    storage = getattr(request, "_messages", None)
    return storage is not None and (storage.used or storage.added_new)


def _never(request: HttpRequest) -> bool:
    return False


# Each middleware run on the loop, and when its process_response must still use a thread.
ON_THE_LOOP: dict[type, Callable[[HttpRequest], bool]] = {
    ContentSecurityPolicyMiddleware: _never,
    SecurityMiddleware: _never,
    SessionMiddleware: _session_needs_thread,
    CommonMiddleware: _never,
    CsrfViewMiddleware: _never,
    AuthenticationMiddleware: _never,
    MessageMiddleware: _messages_need_thread,
    XFrameOptionsMiddleware: _never,
}


async def _acall(self, request: HttpRequest) -> HttpResponseBase:
    """`MiddlewareMixin.__acall__`, without the thread hops."""
    response = None
    if hasattr(self, "process_request"):
        response = self.process_request(request)
    response = response or await self.get_response(request)
    if hasattr(self, "process_response"):
        if ON_THE_LOOP[type(self)](request):
            return await sync_to_async(self.process_response, thread_sensitive=True)(
                request, response
            )
        response = self.process_response(request, response)
    return response


async def _csrf_process_view(
    self, request: HttpRequest, callback: Any, args: Any, kwargs: Any
) -> HttpResponseBase | None:
    check = CsrfViewMiddleware.process_view
    if request.method in SAFE_METHODS:
        return check(self, request, callback, args, kwargs)
    # Checking a POST reads its form, which may be a large upload spooled to disk.
    return await sync_to_async(check, thread_sensitive=True)(self, request, callback, args, kwargs)


_csrf_init = CsrfViewMiddleware.__init__


def _csrf_init_on_the_loop(self, get_response: Any) -> None:
    _csrf_init(self, get_response)
    if self.async_mode:
        # Django's handler reads `process_view` once, as it builds the chain, and sends a
        # synchronous one to a thread.
        self.process_view = types.MethodType(_csrf_process_view, self)


def run_on_the_loop() -> None:
    for middleware in ON_THE_LOOP:
        middleware.__acall__ = _acall
    CsrfViewMiddleware.__init__ = _csrf_init_on_the_loop
