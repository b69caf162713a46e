"""Every database connection a request opens is closed when the request ends, under the
real ASGI server: PostgreSQL drops connections left idle, and a thread that kept one
would fail every later page it renders."""

import threading
import time

import httpx
import pytest
from django.db.backends.signals import connection_created

from playground.asgi import build_application
from tests.conftest import serve
from tests.factories import a_finished_run


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
    deadline = time.monotonic() + within
    while (left := [w for w in wrappers if w.connection is not None]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.02)
    return left


def logged_in(server: str, client, user) -> httpx.Client:
    client.force_login(user)
    return httpx.Client(base_url=server, cookies={"sessionid": client.cookies["sessionid"].value})


@pytest.mark.parametrize("where", ["another person's run", "an unknown address"])
def test_a_not_found_page_leaves_no_database_connection_open(
    server, alice, bob, client, opened, where
):
    path = {
        "another person's run": f"/runs/{a_finished_run(bob).pk}/",
        "an unknown address": "/no/such/page/",
    }[where]
    with logged_in(server, client, alice) as http:
        response = http.get(path)

    assert response.status_code == 404
    assert "There is nothing here, or it is not yours to see." in response.text
    assert opened, "the page read the session from the database"
    assert still_open(opened) == []


def test_a_bad_request_page_leaves_no_database_connection_open(
    server, alice, client, opened, settings
):
    too_large = b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    with logged_in(server, client, alice) as http:
        # With a CSRF cookie the check goes on to read the body, which is refused.
        http.cookies["csrftoken"] = "a" * 32
        response = http.post(
            "/runs/",
            content=too_large,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    assert response.status_code == 400
    assert "The request could not be read" in response.text
    assert opened
    assert still_open(opened) == []


def test_an_ordinary_page_leaves_no_database_connection_open(server, alice, client, opened):
    with logged_in(server, client, alice) as http:
        response = http.get("/runs/")

    assert response.status_code == 200
    assert opened
    assert still_open(opened) == []
