"""Run history: listing, searching and filtering one's runs, running one again, deleting,
and keeping a run's setup as a preset."""

import pytest
from django.test import Client

from playground.models import Preset, Run, RunColumn, Share
from tests.factories import a_finished_run, a_run, a_setup

pytestmark = pytest.mark.django_db


def rows(response) -> int:
    return response.content.decode().count('data-testid="history-row"')


def test_the_history_lists_ones_runs_newest_first(alice_client, alice, bob, fake):
    older = a_finished_run(alice, prompt="Older question")
    newer = a_finished_run(alice, prompt="Newer question")
    a_finished_run(bob, prompt="Bob's question")
    html = alice_client.get("/runs/").content.decode()
    assert html.index("Newer question") < html.index("Older question")
    assert "Bob's question" not in html
    assert f'href="/runs/{newer.pk}/"' in html and f'href="/runs/{older.pk}/"' in html
    assert "$0.000045<" in html  # two columns at $0.0000225, exactly


def test_the_history_is_paginated(alice_client, alice, fake):
    for number in range(23):
        a_finished_run(alice, prompt=f"Question {number}")
    first = alice_client.get("/runs/")
    assert rows(first) == 20 and "Page 1 of 2" in first.content.decode()
    second = alice_client.get("/runs/?page=2")
    assert rows(second) == 3 and "Question 0" in second.content.decode()
    assert rows(alice_client.get("/runs/?page=banana")) == 20


def test_the_history_searches_prompts_and_filters_by_model_and_status(alice_client, alice, fake):
    a_finished_run(alice, prompt="About rivers", models=["demo/swift"])
    a_finished_run(alice, prompt="About mountains", models=["demo/echo", "demo/markdown"])
    a_finished_run(alice, prompt="Stopped rivers", models=["demo/echo"], status="cancelled")
    assert rows(alice_client.get("/runs/?q=RIVERS")) == 2
    assert rows(alice_client.get("/runs/?model=demo/echo")) == 2
    assert rows(alice_client.get("/runs/?model=demo/markdown")) == 1
    assert rows(alice_client.get("/runs/?status=cancelled")) == 1
    assert rows(alice_client.get("/runs/?q=rivers&model=demo/echo")) == 1
    nothing = alice_client.get("/runs/?q=volcanoes")
    assert rows(nothing) == 0 and "No run matches" in nothing.content.decode()


def test_page_links_keep_the_filters(alice_client, alice, fake):
    for number in range(21):
        a_finished_run(alice, prompt=f"rivers {number}")
    html = alice_client.get("/runs/?q=rivers").content.decode()
    assert "?q=rivers&amp;page=2" in html


def test_running_again_makes_a_new_run_with_the_same_setup(alice_client, alice, fake):
    run = a_finished_run(alice, prompt="Again please", models=["demo/echo", "demo/swift"])
    response = alice_client.post(f"/runs/{run.pk}/rerun/")
    again = Run.objects.exclude(pk=run.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/runs/{again.pk}/"
    assert again.prompt == "Again please" and again.status == "pending"
    assert [c.model for c in again.columns.all()] == ["demo/echo", "demo/swift"]
    assert [c.request_body for c in again.columns.all()] == [
        c.request_body for c in run.columns.all()
    ]
    assert 'sse-connect="/runs/' in alice_client.get(response["Location"]).content.decode()


def test_running_again_from_the_run_page_moves_the_whole_page(alice_client, alice, fake):
    run = a_finished_run(alice)
    response = alice_client.post(f"/runs/{run.pk}/rerun/", headers={"HX-Request": "true"})
    again = Run.objects.exclude(pk=run.pk).get()
    assert response["HX-Redirect"] == f"/runs/{again.pk}/"


def test_deleting_a_run_asks_first_then_deletes_it_and_its_links(alice_client, alice, fake):
    run = a_finished_run(alice, prompt="Delete me")
    alice_client.post(f"/runs/{run.pk}/share/")
    confirm = alice_client.get(f"/runs/{run.pk}/delete/")
    assert confirm.status_code == 200 and "Delete me" in confirm.content.decode()
    assert Run.objects.filter(pk=run.pk).exists()
    response = alice_client.post(f"/runs/{run.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/runs/"
    assert not Run.objects.exists() and not RunColumn.objects.exists()
    assert not Share.objects.exists()


def test_a_streaming_run_is_not_deleted(alice_client, alice, fake):
    run = a_finished_run(alice, status="streaming")
    response = alice_client.post(f"/runs/{run.pk}/delete/")
    assert response.status_code == 302
    assert Run.objects.filter(pk=run.pk).exists()


def test_a_runs_setup_is_saved_as_a_preset(alice_client, alice, fake):
    run = a_finished_run(alice, prompt="Keep this setup", models=["demo/markdown"])
    response = alice_client.post(f"/runs/{run.pk}/save-preset/", {"name": "Kept"})
    preset = Preset.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == f"/presets/{preset.pk}/"
    assert preset.name == "Kept"
    setup = preset.latest_version.setup
    assert setup["prompt"] == "Keep this setup"
    assert [column["model"] for column in setup["columns"]] == ["demo/markdown"]


def test_a_runs_setup_saved_without_a_name_is_named_after_the_run(alice_client, alice, fake):
    run = a_finished_run(alice, prompt="Unnamed setup")
    alice_client.post(f"/runs/{run.pk}/save-preset/")
    assert Preset.objects.get().name == f"Run {run.pk}: Unnamed setup"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/runs/{run}/"),
        ("post", "/runs/{run}/rerun/"),
        ("get", "/runs/{run}/delete/"),
        ("post", "/runs/{run}/delete/"),
        ("post", "/runs/{run}/save-preset/"),
        ("get", "/runs/{run}/stream/"),
    ],
)
def test_another_person_gets_404_and_changes_nothing(alice, bob, fake, method, path):
    run = a_finished_run(alice)
    intruder = Client()
    intruder.force_login(bob)
    url = path.format(run=run.pk)
    assert getattr(intruder, method)(url).status_code == 404
    assert Run.objects.count() == 1 and not Preset.objects.exists()
    anonymous = getattr(Client(), method)(url)
    assert anonymous.status_code in (302, 404)
    if anonymous.status_code == 302:
        assert anonymous["Location"].startswith("/accounts/login/")
    assert Run.objects.count() == 1 and not Preset.objects.exists()


def test_the_history_needs_a_login():
    response = Client().get("/runs/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_run_actions_need_the_csrf_token(alice, fake):
    run = a_finished_run(alice)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    for path in ("rerun", "start-over", "delete", "save-preset", "share"):
        assert strict.post(f"/runs/{run.pk}/{path}/").status_code == 403
    assert Run.objects.count() == 1 and not Preset.objects.exists() and not Share.objects.exists()
    response = strict.post("/runs/", {"prompt": "x", "models": ["demo/swift"]})
    assert response.status_code == 403 and Run.objects.count() == 1


def test_the_history_shows_a_runs_cost_exactly(alice_client, alice, fake):
    a_finished_run(alice, models=["demo/swift"])
    assert "$0.0000225<" in alice_client.get("/runs/").content.decode()


def test_running_again_holds_the_run_to_its_budget(alice_client, alice, fake):
    from playground.runs.lifecycle import run_create
    from playground.setups.format import setup_normalize
    from playground.upstream.connection import connection_for

    # Created as it was allowed then; the prices now put its worst case over the budget.
    setup = setup_normalize(a_setup(models=("demo/markdown",)) | {"budget": "0.000001"})
    run = run_create(owner=alice, setup=setup, connection=connection_for(alice))
    response = alice_client.post(f"/runs/{run.pk}/rerun/", follow=True)
    assert Run.objects.count() == 1
    assert "budget" in response.content.decode()


def test_running_again_a_setup_that_no_longer_passes_its_checks_says_why(alice_client, alice):
    run = a_finished_run(alice, prompt="Again please")
    run.setup = {**run.setup, "parameters": {**run.setup["parameters"], "temperature": 9}}
    run.save(update_fields=["setup"])

    response = alice_client.post(f"/runs/{run.pk}/rerun/", follow=True)

    assert Run.objects.count() == 1
    page = response.content.decode()
    assert "This run&#x27;s setup cannot run again" in page
    assert "parameters.temperature" in page


def test_the_history_marks_a_live_run_and_opening_it_attaches_to_its_stream(alice_client, alice):
    live = a_run(alice, ["demo/swift"])  # made, its task not started yet
    finished = a_finished_run(alice)

    page = alice_client.get("/runs/").content.decode()

    row = page.split(f'data-run-id="{live.pk}"')[1].split("</tr>")[0]
    assert 'data-testid="history-live"' in row and "live: watch" in row
    assert "history-live" not in page.split(f'data-run-id="{finished.pk}"')[1].split("</tr>")[0]
    opened = alice_client.get(live.get_absolute_url()).content.decode()
    assert f'sse-connect="/runs/{live.pk}/stream/"' in opened


def test_the_history_counts_each_runs_answered_failed_stopped_and_incomplete_columns(
    alice_client, alice, fake
):
    run = a_finished_run(alice, prompt="Mixed ends", models=["demo/swift", "demo/fail-auth"])
    run.columns.filter(position=1).update(status="error", error={"message": "User not found."})
    clean = a_finished_run(alice, prompt="All answered")
    html = alice_client.get("/runs/").content.decode()
    mixed = html.split(f'data-run-id="{run.pk}"')[1].split("</tr>")[0]
    assert 'data-answered="1" data-failed="1" data-stopped="0" data-incomplete="0"' in mixed
    assert "1 failed" in mixed
    whole = html.split(f'data-run-id="{clean.pk}"')[1].split("</tr>")[0]
    assert 'data-answered="2" data-failed="0"' in whole and "failed</span>" not in whole
    filtered = alice_client.get("/runs/", {"status": "with a failed column"}).content.decode()
    assert "Mixed ends" in filtered and "All answered" not in filtered
    # The filter narrows the runs, not their sums: the failed run's row is as unfiltered.
    assert filtered.count('data-testid="history-row"') == 1
    kept = filtered.split(f'data-run-id="{run.pk}"')[1].split("</tr>")[0]
    assert kept.split("row-actions")[0] == mixed.split("row-actions")[0]
