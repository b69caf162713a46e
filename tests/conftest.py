"""Shared fixtures: the personas (alice owns things, bob must not see them), the demo
fake's pace, and a real ASGI server (uvicorn) for the stream and browser tests."""

import socket
import threading
import time
from dataclasses import dataclass

import pytest
import uvicorn
from django.conf import settings
from django.core.management import call_command


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


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def fake():
    """The process's demo fake, streaming without delays unless a test slows it."""
    from playground.upstream import demo_fake

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


@dataclass
class LiveServer:
    url: str


@pytest.fixture(scope="session")
def _uvicorn_server(django_db_setup, django_db_blocker):
    """uvicorn serving the real ASGI application (static files included) on a free
    loopback port, for the whole session."""
    call_command("collectstatic", interactive=False, verbosity=0)
    from playground.asgi import build_application

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(build_application(), lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    with django_db_blocker.unblock():
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("The test server did not start within 10 s.")
            time.sleep(0.02)
        yield LiveServer(url=f"http://127.0.0.1:{port}")
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def asgi_server(_uvicorn_server, transactional_db, fake):
    return _uvicorn_server
