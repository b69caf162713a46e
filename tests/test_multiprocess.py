"""Several app processes, for real: two uvicorn servers on one PostgreSQL database and one
Redis (REDIS_URL for live runs, CACHE_URL for the limits). A run posted to one is watched,
resumed and stopped on the other; a login lockout counted on one holds on the other.

They need PostgreSQL (DATABASE_URL) and Redis (REDIS_URL): `.ci/run` starts both. Elsewhere
they are skipped, but with CI=true on PostgreSQL a missing Redis fails them."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from django.conf import settings
from httpx_sse import connect_sse

from playground.core.rendering import render_markdown
from playground.models import Run, RunColumn
from tests.factories import session_cookies, streamed_answer
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL", "")
CSRF_IN_PAGE = re.compile(r'"X-CSRFToken": "([^"]+)"')

pytestmark = pytest.mark.multiprocess


def _needs() -> str:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL (DATABASE_URL=postgres://…)"
    if not REDIS_URL:
        return "needs Redis (REDIS_URL=redis://…)"
    return ""


@pytest.fixture
def servers(transactional_db):
    """Two app processes on the test database, in demo mode, demo models slowed down."""
    if missing := _needs():
        if os.environ.get("CI") == "true" and "Redis" in missing:
            pytest.fail(missing)
        pytest.skip(missing)
    database = settings.DATABASES["default"]
    url = urlsplit(os.environ["DATABASE_URL"])
    test_database = urlunsplit(url._replace(path="/" + database["NAME"]))
    env = {
        **os.environ,
        "DATABASE_URL": test_database,
        "REDIS_URL": REDIS_URL,
        "CACHE_URL": REDIS_URL,
        "OPENROUTER_API_KEY": "",
        "PLAYGROUND_DEMO_TIME_SCALE": "0.3",
        "PLAYGROUND_ORPHAN_GRACE_SECONDS": "60",
    }
    started = []
    try:
        for _ in range(2):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "playground.asgi:application",
                    "--port",
                    str(port),
                    "--lifespan",
                    "on",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            started.append((process, f"http://127.0.0.1:{port}"))
        for _, base in started:
            wait_until(
                lambda b=base: _answers(b),
                timeout=20,
                interval=0.1,
                message=f"the app at {base} did not start",
            )
        yield [base for _, base in started]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/accounts/login/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _csrf(http: httpx.Client) -> str:
    return CSRF_IN_PAGE.search(http.get("/").text)[1]


def test_a_run_posted_to_one_process_is_watched_resumed_and_stopped_on_the_other(
    servers, alice, client
):
    client.force_login(alice)
    cookies = session_cookies(client)
    first, second = (httpx.Client(base_url=b, cookies=cookies, timeout=20) for b in servers)
    with first, second:
        token = _csrf(first)
        posted = first.post(
            "/runs/",
            data={"prompt": "Tell me about rivers.", "models": ["demo/slow", "demo/slow"]},
            headers={"X-CSRFToken": token},
        )
        assert posted.status_code == 302, posted.text[:500]
        run_id = int(re.search(r"/runs/(\d+)/", posted.headers["location"])[1])

        # Watched on the other process, which never made the run.
        seen = []
        with connect_sse(second, "GET", f"/runs/{run_id}/stream/") as source:
            for event in source.iter_sse():
                seen.append(event)
                if event.event.endswith("-output"):
                    break
        # A reload there resumes after the last event it had, then Stop goes from there.
        resumed = []
        headers = {"Last-Event-ID": seen[-1].id}
        with connect_sse(second, "GET", f"/runs/{run_id}/stream/", headers=headers) as source:
            for event in source.iter_sse():
                resumed.append(event)
                if len(resumed) == 2:
                    stopped = second.post(
                        f"/runs/{run_id}/stop/",
                        headers={"X-CSRFToken": _csrf(second), "HX-Request": "true"},
                    )
                    assert stopped.status_code == 204
    ids = [int(event.id) for event in seen + resumed]
    assert ids == list(range(1, len(ids) + 1))
    assert resumed[-1].event == "done"
    wait_until(lambda: Run.objects.get(pk=run_id).status == Run.Status.CANCELLED, timeout=10)
    columns = RunColumn.objects.filter(run_id=run_id)
    assert {column.status for column in columns} == {"cancelled"}
    assert all(column.output_text for column in columns)
    for column in columns:
        # What the page made of the answer, up to the column's end, is the stored answer.
        pairs = [(event.event, event.data) for event in seen + resumed]
        shown = "".join(streamed_answer(pairs, column.position))
        assert shown == render_markdown(column.output_text)


def test_a_login_lockout_counted_on_one_process_holds_on_the_other(servers, django_user_model):
    django_user_model.objects.create_user("carol", password="the-right-password-1")
    first, second = (httpx.Client(base_url=b, timeout=20) for b in servers)
    with first, second:
        for _ in range(settings.PLAYGROUND_LOGIN_MAX_FAILURES):
            first.get("/accounts/login/")
            token = first.cookies["csrftoken"]
            first.post(
                "/accounts/login/",
                data={"username": "carol", "password": "wrong", "csrfmiddlewaretoken": token},
            )
        second.get("/accounts/login/")
        token = second.cookies["csrftoken"]
        answer = second.post(
            "/accounts/login/",
            data={
                "username": "carol",
                "password": "the-right-password-1",
                "csrfmiddlewaretoken": token,
            },
        )
    assert answer.status_code == 429
    assert "sessionid" not in answer.cookies
