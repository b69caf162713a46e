"""Shared fixtures: the personas (alice owns things, bob must not see them), the demo
fake's pace, and a real ASGI server (uvicorn) for the stream and browser tests."""

import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import uvicorn
from django.conf import settings
from django.core.management import call_command

from tests.polling import wait_until


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    # A file, not SQLite's shared in-memory database: the ASGI server's threads and the
    # test write to it at once, as in production.
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        settings.DATABASES["default"]["TEST"]["NAME"] = str(path)


@pytest.fixture(scope="session", autouse=True)
def _test_settings(tmp_path_factory):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.STATIC_ROOT = tmp_path_factory.mktemp("static")
    settings.OPENROUTER_API_KEY = ""
    # This process's own servers keep live runs in process; tests/test_multiprocess.py
    # gives REDIS_URL to the servers it starts.
    settings.REDIS_URL = ""
    # Password hashing at full strength makes every login take a noticeable time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def fake():
    """The process's demo fake, streaming without delays unless a test slows it."""
    from playground.upstream.connection import demo_fake

    instance = demo_fake()
    instance.time_scale = 0
    yield instance
    instance.time_scale = 0


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-password-1")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="bob-password-1")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def alice_session(alice_client):
    """Alice logged in: her session cookies as a dict for a real HTTP client (httpx)."""
    from tests.factories import session_cookies

    return session_cookies(alice_client)


@dataclass
class LiveServer:
    url: str


@contextmanager
def serve(app, *, lifespan: str = "off"):
    """Serves an ASGI app with uvicorn on a free loopback port in a background thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan=lifespan, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(
        lambda: server.started, timeout=10, message="The test server did not start within 10 s."
    )
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def upstream(settings):
    """The fake serving as the real OpenRouter on a loopback port (OPENROUTER_BASE_URL)."""
    from playground.fake_openrouter import FakeOpenRouter

    fake = FakeOpenRouter(time_scale=0)
    with serve(fake.asgi_app) as url:
        settings.OPENROUTER_BASE_URL = f"{url}/api/v1"
        yield fake


@pytest.fixture(scope="session")
def _uvicorn_server(django_db_setup, django_db_blocker):
    """The real ASGI application (static files included), for the whole session."""
    call_command("collectstatic", interactive=False, verbosity=0)
    from playground.asgi import build_application

    # With its lifespan, as uvicorn runs it: run tasks then run on the server's loop.
    with django_db_blocker.unblock(), serve(build_application(), lifespan="on") as url:
        yield LiveServer(url=url)


@pytest.fixture
def asgi_server(_uvicorn_server, transactional_db, fake):
    yield _uvicorn_server
    _settle_tasks()


def _settle_tasks(seconds: float = 20.0) -> None:
    """Stops what a test left generating (runs, evaluations) and waits for their last
    writes before the database is emptied: a write during PostgreSQL's TRUNCATE between
    tests deadlocks it."""
    from playground.evaluations.runner import evaluation_stop
    from playground.models import Evaluation
    from playground.runs import run_loop
    from playground.runs.live import broker

    for evaluation in Evaluation.objects.filter(status__in=["queued", "running"]):
        evaluation_stop(evaluation)
    for run_id in broker.run_ids():
        broker.stop(run_id)
    wait_until(
        lambda: run_loop.tasks_running() == 0,
        timeout=seconds,
        message="A run or evaluation task of the test was still running after it ended.",
    )
