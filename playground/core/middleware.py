"""Django's own middleware, run on the event loop under ASGI.

Django's `MiddlewareMixin` hands every `process_request`, `process_view` and
`process_response` to a thread when it runs async. With the middleware in MIDDLEWARE
that was some twenty thread hops per request; each one waits for the GIL to change hands,
and together they put about 15 ms in front of every stream's first byte. The methods of
the middleware below only read and write the request and the response in memory, so
these subclasses run them where they are called. Where one can reach the database or the
disk (a session to save, messages to store, a POST's form to read for the CSRF check), it
still goes to the request's thread, as before.

Django's classes stay as they are: its decorators (`csrf_protect`) and anything else that
uses them get Django's behaviour. What is relied on of Django here is pinned by
tests/core/test_middleware.py, which fails when an upgrade changes it. Django's deployment
checks, which look for its middleware by name, find these through the type of MIDDLEWARE
(playground/core/middleware_setting.py).
Under WSGI and Django's test client nothing changes: `MiddlewareMixin.__call__` runs the
same methods synchronously.
"""

from typing import Any

import django.contrib.auth.middleware
import django.contrib.messages.middleware
import django.contrib.sessions.middleware
import django.middleware.clickjacking
import django.middleware.common
import django.middleware.csp
import django.middleware.csrf
import django.middleware.security
from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class OnTheLoop:
    """`MiddlewareMixin.__acall__`, without the thread hops."""

    def response_needs_thread(self, request: HttpRequest) -> bool:
        return False

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response = None
        if hasattr(self, "process_request"):
            response = self.process_request(request)
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            if self.response_needs_thread(request):
                return await sync_to_async(self.process_response, thread_sensitive=True)(
                    request, response
                )
            response = self.process_response(request, response)
        return response


class ContentSecurityPolicyMiddleware(
    OnTheLoop, django.middleware.csp.ContentSecurityPolicyMiddleware
):
    pass


class SecurityMiddleware(OnTheLoop, django.middleware.security.SecurityMiddleware):
    pass


class SessionMiddleware(OnTheLoop, django.contrib.sessions.middleware.SessionMiddleware):
    def response_needs_thread(self, request: HttpRequest) -> bool:
        # A session to save goes to its store: the database, by default.
        session = getattr(request, "session", None)
        return session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


class CommonMiddleware(OnTheLoop, django.middleware.common.CommonMiddleware):
    pass


class CsrfViewMiddleware(OnTheLoop, django.middleware.csrf.CsrfViewMiddleware):
    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        if self.async_mode:
            # Django's handler reads `process_view` once, as it builds the chain, and sends a
            # synchronous one to a thread. Without the event loop (WSGI, the test client) it
            # stays synchronous.
            self.process_view = self._process_view_on_the_loop

    async def _process_view_on_the_loop(
        self, request: HttpRequest, callback: Any, args: Any, kwargs: Any
    ) -> HttpResponseBase | None:
        check = super().process_view
        if request.method in SAFE_METHODS:
            return check(request, callback, args, kwargs)
        # Checking a POST reads its form, which may be a large upload spooled to disk.
        return await sync_to_async(check, thread_sensitive=True)(request, callback, args, kwargs)


class AuthenticationMiddleware(OnTheLoop, django.contrib.auth.middleware.AuthenticationMiddleware):
    pass


class MessageMiddleware(OnTheLoop, django.contrib.messages.middleware.MessageMiddleware):
    def response_needs_thread(self, request: HttpRequest) -> bool:
        # Messages read or added are stored: in a cookie or, when too long, in the session.
        storage = getattr(request, "_messages", None)
        return storage is not None and (storage.used or storage.added_new)


class XFrameOptionsMiddleware(OnTheLoop, django.middleware.clickjacking.XFrameOptionsMiddleware):
    pass
