"""Which key a run uses: the chosen key, else the person's default, else the server's key
when the admin allows it, else the demo. The run page names it; the key never shows."""

import pytest
from django.test import Client

from playground.models import Run
from tests.factories import a_run, a_stored_key, run_events, session_cookies

pytestmark = pytest.mark.django_db(transaction=True)

WORK_KEY = "sk-or-v1-work-0123456789abcdef0123456789abcdef-w0rk"
HOME_KEY = "sk-or-v1-home-fedcba9876543210fedcba9876543210-h0me"
SERVER_KEY = "sk-or-v1-server-5555555555555555555555555555-srv1"


def post_run(client, **fields):
    data = {"prompt": "Hello", "models": ["demo/swift"], **fields}
    return client.post("/runs/", data, headers={"HX-Request": "true"})


def sent_keys(fake) -> list[str]:
    return [r.headers["authorization"] for r in fake.requests if r.path.endswith("/responses")]


def test_without_keys_a_run_is_simulated(alice_client, fake):
    html = alice_client.get("/").content.decode()
    assert 'data-testid="demo-banner"' in html and 'data-testid="key-choice"' not in html
    post_run(alice_client)
    assert Run.objects.get().key_source == "demo"


def test_an_htmx_fragment_does_not_look_up_the_demo_banner(alice_client, fake):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def key_checks(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(path).status_code == 200
        return sum('"playground_apikey"' in query["sql"] for query in queries)

    # A column's settings ask which model list applies, and nothing about the banner they
    # do not show; the page around them asks for the banner too.
    fragment = "/setup/column/?models=demo/swift"
    assert key_checks(fragment) == 1
    assert key_checks("/") > 1
    assert "demo-banner" not in alice_client.get(fragment).content.decode()


def test_without_own_keys_the_server_key_is_used_when_allowed(alice_client, upstream, settings):
    settings.OPENROUTER_API_KEY = SERVER_KEY
    post_run(alice_client)
    assert Run.objects.get().key_source == "server"
    settings.PLAYGROUND_ALLOW_SERVER_KEY = False
    assert 'data-testid="demo-banner"' in alice_client.get("/").content.decode()
    post_run(alice_client)
    assert Run.objects.latest("pk").key_source == "demo"


def test_the_default_key_is_used_and_named_on_the_run_page(
    asgi_server, alice_client, alice, upstream, settings
):
    settings.OPENROUTER_API_KEY = SERVER_KEY
    a_stored_key(alice, "Home", HOME_KEY)
    work = a_stored_key(alice, "Work", WORK_KEY, default=True)
    page = alice_client.get("/").content.decode()
    assert 'data-testid="demo-banner"' not in page
    assert f'<option value="{work.pk}" selected>Work …w0rk</option>' in page

    response = post_run(alice_client)
    run = Run.objects.get()
    assert run.key_source == "user" and run.api_key == work
    assert run.key_label == "Work" and run.key_hint == "…w0rk"
    assert "Your key “Work” …w0rk" in response.content.decode()
    assert run.columns.get().request_headers["Authorization"] == "Bearer sk-or-…w0rk"

    events = run_events(asgi_server, session_cookies(alice_client), run)
    assert events[-1][0] == "done" and run.columns.get().status == "done"
    assert sent_keys(upstream) == [f"Bearer {WORK_KEY}"]
    shown = response.content.decode() + "".join(data for _, data in events)
    shown += alice_client.get(f"/runs/{run.pk}/").content.decode()
    assert WORK_KEY not in shown and WORK_KEY[:-4] not in shown


def test_the_chosen_key_wins_over_the_default(asgi_server, alice_client, alice, upstream):
    a_stored_key(alice, "Work", WORK_KEY, default=True)
    home = a_stored_key(alice, "Home", HOME_KEY)
    post_run(alice_client, key=str(home.pk))
    run = Run.objects.get()
    assert run.api_key == home and "Home" in run.key_description
    run_events(asgi_server, session_cookies(alice_client), run)
    assert sent_keys(upstream) == [f"Bearer {HOME_KEY}"]


def test_another_persons_key_cannot_be_chosen(alice_client, alice, bob, upstream):
    bobs = a_stored_key(bob, "Bob's", HOME_KEY, default=True)
    # Alice has no keys: no key field is offered, so the value is ignored.
    post_run(alice_client, key=str(bobs.pk))
    assert Run.objects.get().key_source == "demo"
    # With keys of her own, a foreign id is a field error and nothing is saved.
    a_stored_key(alice, "Mine", WORK_KEY, default=True)
    response = post_run(alice_client, key=str(bobs.pk))
    assert "does not exist any more" in response.content.decode()
    assert Run.objects.count() == 1 and not Run.objects.filter(api_key=bobs).exists()


def test_a_key_deleted_before_the_run_streams_ends_every_column_with_the_reason(
    asgi_server, alice_client, alice, upstream
):
    key = a_stored_key(alice, "Work", WORK_KEY, default=True)
    # Made and not started yet (a run made by the compare form starts at once).
    run = a_run(alice, ["demo/swift", "demo/echo"])
    assert run.key_source == "user"
    key.delete()
    events = run_events(asgi_server, session_cookies(alice_client), run)
    assert events[-1][0] == "done"
    assert sent_keys(upstream) == []
    run.refresh_from_db()
    assert run.status == "done"
    messages = [column.error_message for column in run.columns.all()]
    assert all("“Work” …w0rk was deleted" in message for message in messages)
    assert len(messages) == 2


def test_a_key_that_no_longer_decrypts_is_a_clear_form_error(alice_client, alice, upstream):
    key = a_stored_key(alice, "Work", WORK_KEY, default=True)
    key.secret = key.secret[:-6] + ("A" if key.secret[-6] != "A" else "B") + key.secret[-5:]
    key.save()
    response = post_run(alice_client)
    assert response.status_code == 200
    assert "can no longer be decrypted" in response.content.decode()
    assert not Run.objects.exists()


def test_the_run_page_never_names_someone_elses_key(alice, bob, upstream):
    a_stored_key(bob, "Bob's secret project", HOME_KEY, default=True)
    viewer = Client()
    viewer.force_login(alice)
    assert "Bob's secret project" not in viewer.get("/").content.decode()
