"""Every database connection a request opens is closed when the request ends, under the
real ASGI server: PostgreSQL drops connections left idle, and a thread that kept one
would fail every later page it renders."""

import threading
from contextlib import ExitStack, suppress

import httpx
import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from django.db.backends.signals import connection_created

from playground.asgi import build_application
from playground.models import Run
from tests.conftest import serve
from tests.factories import a_finished_run, a_run
from tests.polling import wait_until


@pytest.fixture
def opened():
    """The connections opened while the test runs, by threads other than the test's."""
    wrappers = []

    def record(sender, connection, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            wrappers.append(connection)

    connection_created.connect(record, weak=False)
    yield wrappers
    connection_created.disconnect(record)


@pytest.fixture
def server(transactional_db):
    # Its own server, so its threads hold no connection from earlier tests.
    with serve(build_application()) as url:
        yield url


def still_open(wrappers, *, within: float = 5.0) -> list:
    # The request ends just after the answer is sent: give it a moment to close.
    def left():
        return [w for w in wrappers if w.connection is not None]

    with suppress(AssertionError):
        wait_until(lambda: not left(), timeout=within)
    return left()


@pytest.mark.parametrize("where", ["another person's run", "an unknown address"])
def test_a_not_found_page_leaves_no_database_connection_open(
    server, alice, bob, alice_session, opened, where
):
    path = {
        "another person's run": f"/runs/{a_finished_run(bob).pk}/",
        "an unknown address": "/no/such/page/",
    }[where]
    with httpx.Client(base_url=server, cookies=alice_session) as http:
        response = http.get(path)

    assert response.status_code == 404
    assert "There is nothing here, or it is not yours to see." in response.text
    assert opened, "the page read the session from the database"
    assert still_open(opened) == []


def test_a_bad_request_page_opens_no_database_connection(
    server, alice, alice_session, opened, settings
):
    too_large = b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    with httpx.Client(base_url=server, cookies=alice_session) as http:
        # With a CSRF cookie the check goes on to read the body, which is refused.
        http.cookies["csrftoken"] = "a" * 32
        response = http.post(
            "/runs/",
            content=too_large,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    assert response.status_code == 400
    assert "The request could not be read" in response.text
    # The body is refused before the view and the page is static: a malformed request
    # costs no database connection, so it can leave none open.
    assert opened == []


def test_an_ordinary_page_leaves_no_database_connection_open(server, alice, alice_session, opened):
    with httpx.Client(base_url=server, cookies=alice_session) as http:
        response = http.get("/runs/")

    assert response.status_code == 200
    assert opened
    assert still_open(opened) == []


# A stream holds neither a database connection nor a thread while the model answers
# (docs/architecture.md, "Streaming rules"): thousands of open streams would otherwise
# hold thousands.


def request_threads() -> int:
    # Django gives each request under ASGI its own single-worker executor for sync work.
    return sum(thread.name.startswith("ThreadPoolExecutor-") for thread in threading.enumerate())


def test_a_streaming_run_holds_no_connection_and_no_thread_until_it_ends(
    server, alice, alice_session, opened, fake
):
    fake.time_scale = 0.1  # demo/slow takes a few seconds
    runs = [a_run(alice, models=("demo/slow",)) for _ in range(4)]
    before = request_threads()
    readers = []  # kept: a reader let go closes its stream
    with httpx.Client(base_url=server, cookies=alice_session) as http, ExitStack() as streams:
        for run in runs:
            response = streams.enter_context(http.stream("GET", f"/runs/{run.pk}/stream/"))
            readers.append(response.iter_lines())
            assert any(line.startswith("event: c0-output") for line in readers[-1])
        # Every stream is live, and has sent text.
        assert list(Run.objects.values_list("status", flat=True)) == ["streaming"] * 4
        assert still_open(opened, within=1) == []
        assert request_threads() <= before
    fake.time_scale = 0


def test_the_stream_view_runs_its_middleware_on_the_event_loop(
    transactional_db, alice, alice_session, monkeypatch
):
    """Only the view's own reads and Django's request signals go to a thread, not each
    middleware's methods (playground/core/middleware.py)."""
    sent_to_threads = []
    real_init = SyncToAsync.__init__

    def recording_init(self, func, *args, **kwargs):
        sent_to_threads.append(getattr(func, "__name__", repr(func)))
        real_init(self, func, *args, **kwargs)

    run = a_finished_run(alice)
    monkeypatch.setattr(SyncToAsync, "__init__", recording_init)

    async def get() -> int:
        app = build_application()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", cookies=alice_session
        ) as http:
            response = await http.get(f"/runs/{run.pk}/stream/")
            return response.status_code

    assert async_to_sync(get)() == 200
    middleware_methods = {"process_request", "process_view", "process_response"}
    assert sent_to_threads
    assert not middleware_methods & set(sent_to_threads), sent_to_threads
