"""The project's subclasses of Django's middleware (playground/core/middleware.py): they are
what MIDDLEWARE lists, they run on the event loop where the code says they may, Django's
own classes stay untouched, and what they rely on of Django is what it was when they were
written."""

import asyncio
import hashlib
import importlib
import inspect
import threading

import django.contrib.auth.middleware
import django.contrib.messages.middleware
import django.contrib.sessions.middleware
import django.middleware.clickjacking
import django.middleware.common
import django.middleware.csp
import django.middleware.csrf
import django.middleware.security
import pytest
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.checks import Tags, run_checks
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

from playground.core import middleware
from playground.core.middleware_setting import MiddlewareList

DJANGO_CLASSES = [
    django.middleware.csp.ContentSecurityPolicyMiddleware,
    django.middleware.security.SecurityMiddleware,
    django.contrib.sessions.middleware.SessionMiddleware,
    django.middleware.common.CommonMiddleware,
    django.middleware.csrf.CsrfViewMiddleware,
    django.contrib.auth.middleware.AuthenticationMiddleware,
    django.contrib.messages.middleware.MessageMiddleware,
    django.middleware.clickjacking.XFrameOptionsMiddleware,
]

# What playground/core/middleware.py relies on: how MiddlewareMixin dispatches to
# `__acall__` and what its `__acall__` does (copied, without the thread hops); that the
# handler reads `process_view` once, as it builds the chain; and that the methods run on the
# loop touch only memory, save for the cases that still take the thread.
MIDDLEWARE_SOURCES = {
    "django.utils.deprecation.MiddlewareMixin.__init__": "cd0d3fd41f9408eb",
    "django.utils.deprecation.MiddlewareMixin.__call__": "337be048dd62e014",
    "django.utils.deprecation.MiddlewareMixin.__acall__": "adf8cbcaf9f11e45",
    "django.core.handlers.base.BaseHandler.load_middleware": "b75c13d1041e06d9",
    "django.middleware.csp.ContentSecurityPolicyMiddleware.process_request": "3d9f5a4a02a3bf63",
    "django.middleware.csp.ContentSecurityPolicyMiddleware.process_response": "1be74a3834c7ceb1",
    "django.middleware.security.SecurityMiddleware.process_request": "3373d262748cbe3e",
    "django.middleware.security.SecurityMiddleware.process_response": "3822bd0d5f79f4a3",
    "django.contrib.sessions.middleware.SessionMiddleware.process_request": "6782d24847e4a926",
    "django.contrib.sessions.middleware.SessionMiddleware.process_response": "fbaf5503c20d7dd0",
    "django.middleware.common.CommonMiddleware.process_request": "993f4d1f2084e01e",
    "django.middleware.common.CommonMiddleware.process_response": "79ae386a55710a08",
    "django.middleware.csrf.CsrfViewMiddleware.process_request": "9aec8dfd81c88a56",
    "django.middleware.csrf.CsrfViewMiddleware.process_view": "912b151aa62a145e",
    "django.middleware.csrf.CsrfViewMiddleware.process_response": "9fe1054c0f64b37f",
    "django.contrib.auth.middleware.AuthenticationMiddleware.process_request": "6dd39b90ad6373e2",
    "django.contrib.messages.middleware.MessageMiddleware.process_request": "7f4834ba26ee0583",
    "django.contrib.messages.middleware.MessageMiddleware.process_response": "04469c9493c90e26",
    "django.contrib.messages.storage.base.BaseStorage.update": "3db9589128339b47",
    "django.middleware.clickjacking.XFrameOptionsMiddleware.process_response": "045e5788270860c6",
}

# What playground/core/middleware_setting.py answers: Django's deployment checks of its
# middleware and of the settings they read, which look for the middleware by name.
CHECK_SOURCES = {
    "django.core.checks.security.base": "7b5b8474c2338170",
    "django.core.checks.security.csrf": "b1271e6ca05e054f",
    "django.core.checks.security.sessions": "74a88e541840949c",
}


def digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def method_source(path: str) -> str:
    owner, name = path.rsplit(".", 1)
    return inspect.getsource(vars(import_string(owner))[name])


@pytest.mark.parametrize("path", MIDDLEWARE_SOURCES)
def test_what_the_middleware_relies_on_is_unchanged(path):
    assert digest(method_source(path)) == MIDDLEWARE_SOURCES[path], (
        f"Django changed {path}. Review playground/core/middleware.py against it (does "
        "each method it runs on the loop still touch only memory? does __acall__ still "
        "match Django's?), then record the new hash here."
    )


@pytest.mark.parametrize("module", CHECK_SOURCES)
def test_the_deployment_checks_mirrored_are_unchanged(module):
    source = inspect.getsource(importlib.import_module(module))
    assert digest(source) == CHECK_SOURCES[module], (
        f"Django changed {module}. Review playground/core/middleware_setting.py against it "
        "(does each check still look for its middleware with `in settings.MIDDLEWARE`?), "
        "then record the new hash here."
    )


def test_middleware_lists_the_projects_class_for_each_of_djangos():
    classes = [import_string(path) for path in settings.MIDDLEWARE]
    django_ones = [cls for cls in classes if issubclass(cls, MiddlewareMixin)]
    assert [cls.__module__ for cls in django_ones] == ["playground.core.middleware"] * len(
        DJANGO_CLASSES
    )
    assert [cls.__mro__[2] for cls in django_ones] == DJANGO_CLASSES
    assert all(issubclass(cls, middleware.OnTheLoop) for cls in django_ones)


@pytest.mark.parametrize("django_class", DJANGO_CLASSES, ids=lambda cls: cls.__name__)
def test_djangos_classes_are_unpatched(django_class):
    assert "__acall__" not in vars(django_class)
    assert django_class.__acall__ is MiddlewareMixin.__acall__


def test_djangos_csrf_middleware_is_unpatched():
    csrf = django.middleware.csrf.CsrfViewMiddleware
    assert csrf.__init__ is MiddlewareMixin.__init__
    assert csrf.process_view.__module__ == "django.middleware.csrf"
    assert not iscoroutinefunction(csrf(the_view).process_view)


def test_djangos_names_find_the_projects_subclasses_in_middleware():
    for django_class in DJANGO_CLASSES:
        assert f"{django_class.__module__}.{django_class.__name__}" in settings.MIDDLEWARE
    assert "django.contrib.auth.middleware.LoginRequiredMiddleware" not in settings.MIDDLEWARE
    assert "no.such.Middleware" not in settings.MIDDLEWARE
    assert None not in settings.MIDDLEWARE


def deployment_warnings() -> set[str]:
    checks = run_checks(tags=[Tags.security], include_deployment_checks=True)
    return {message.id for message in checks}


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        ("SecurityMiddleware", "security.W001"),
        ("XFrameOptionsMiddleware", "security.W002"),
        ("CsrfViewMiddleware", "security.W003"),
    ],
)
def test_djangos_check_names_a_missing_middleware(name, warning):
    assert warning not in deployment_warnings()
    rest = [path for path in settings.MIDDLEWARE if path != f"playground.core.middleware.{name}"]
    with override_settings(MIDDLEWARE=MiddlewareList(rest)):
        assert warning in deployment_warnings()


@override_settings(SECURE_HSTS_SECONDS=0, X_FRAME_OPTIONS="SAMEORIGIN", CSRF_COOKIE_SECURE=False)
def test_djangos_checks_of_the_middlewares_settings_see_the_subclasses():
    assert {"security.W004", "security.W016", "security.W019"} <= deployment_warnings()


async def the_view(request):
    return HttpResponse("ok")


def thread_recorder(cls):
    """The class, noting the thread its process_response runs in."""
    threads = []

    class Recording(cls):
        def process_response(self, request, response):
            threads.append(threading.get_ident())
            return super().process_response(request, response)

    return Recording, threads


async def test_a_middleware_runs_on_the_loop():
    Recording, threads = thread_recorder(middleware.XFrameOptionsMiddleware)
    response = await Recording(the_view)(RequestFactory().get("/"))
    assert response.headers["X-Frame-Options"] == "DENY"
    assert threads == [threading.get_ident()]


@pytest.mark.django_db(transaction=True)
async def test_a_session_to_save_goes_to_a_thread():
    async def modifying_view(request):
        request.session["seen"] = True
        return HttpResponse("ok")

    Recording, threads = thread_recorder(middleware.SessionMiddleware)
    untouched = await Recording(the_view)(RequestFactory().get("/"))
    saved = await Recording(modifying_view)(RequestFactory().get("/"))
    assert settings.SESSION_COOKIE_NAME not in untouched.cookies
    assert saved.cookies[settings.SESSION_COOKIE_NAME].value
    assert threads[0] == threading.get_ident()
    assert threads[1] != threading.get_ident()


def test_the_csrf_check_stays_synchronous_without_the_event_loop():
    instance = middleware.CsrfViewMiddleware(lambda request: HttpResponse("ok"))
    assert not iscoroutinefunction(instance.process_view)


async def test_the_csrf_check_is_awaited_under_asgi():
    instance = middleware.CsrfViewMiddleware(the_view)
    assert iscoroutinefunction(instance.process_view)
    factory = RequestFactory()
    assert await instance.process_view(factory.get("/"), the_view, (), {}) is None
    refused = await instance.process_view(factory.post("/"), the_view, (), {})
    assert refused.status_code == 403


async def test_the_csrf_check_accepts_a_post_with_its_token():
    instance = middleware.CsrfViewMiddleware(the_view)
    factory = RequestFactory()
    token = "t" * 32
    request = factory.post("/", {"csrfmiddlewaretoken": token})
    request.COOKIES[settings.CSRF_COOKIE_NAME] = token
    # The form is read in a thread; the loop stays free meanwhile.
    ticks = asyncio.create_task(asyncio.sleep(0))
    assert await instance.process_view(request, the_view, (), {}) is None
    assert ticks.done()
