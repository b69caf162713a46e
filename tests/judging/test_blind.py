"""Blind runs: shuffled columns named Model A, B, …; nothing names a model before the
vote (page, fragments, stream events, inspector, download, share, history); the vote
reveals them and can be changed; a reveal without a vote counts for nothing."""

import re

import httpx
import pytest
from django.test import Client

from playground.models import Run, Vote
from tests.factories import run_events
from tests.polling import wait_until
from tests.views.test_runs import post_run

pytestmark = pytest.mark.django_db(transaction=True)

MODELS = ("demo/swift", "demo/echo")
PROVIDERS = ("Demo Labs", "demo-labs", "SwiftServe", "swiftserve", "Nearby Cloud", "nearby-cloud")


def names_anything(text: str, models=MODELS) -> list[str]:
    """The model ids and provider names found in `text`."""
    return [name for name in (*models, *PROVIDERS) if name in text]


def blind_run(client, models=MODELS) -> Run:
    response = post_run(client, models=models, blind="on", prompt="Tell me about rivers")
    assert response.status_code == 200, response.content.decode()[:500]
    assert not names_anything(response.content.decode(), models)
    return Run.objects.latest("pk")


def finished(run) -> Run:
    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.DONE, timeout=20)
    return Run.objects.get(pk=run.pk)


def test_a_blind_run_shuffles_its_columns_and_names_them_by_letter(alice_client, fake):
    orders = set()
    for _ in range(12):
        run = blind_run(alice_client)
        orders.add(tuple(run.columns.values_list("model", flat=True)))
        assert run.blind and run.revealed_at is None
        # The stored setup is in the shuffled order too: whatever reads it by position
        # (a follow-up, Run again) finds the column's own model.
        assert [c["model"] for c in run.setup["columns"]] == list(
            run.columns.values_list("model", flat=True)
        )
    assert len(orders) == 2  # both orders came up: the chance they would not is 1 in 2,048


def test_nothing_names_a_model_before_the_vote(asgi_server, alice_client, alice_session, fake):
    run = finished(blind_run(alice_client))
    events = run_events(asgi_server, alice_session, run)
    assert events and not names_anything("".join(name + data for name, data in events))
    page = alice_client.get(f"/runs/{run.pk}/").content.decode()
    assert not names_anything(page)
    assert re.findall(r'data-label="([A-H])"', page) == ["A", "B"]
    assert "data-model=" not in page and "Model A" in page and "Model B" in page
    history = alice_client.get("/runs/").content.decode()
    assert not names_anything(history) and "Blind: 2 models" in history
    for url in (
        f"/runs/{run.pk}/inspect/",
        f"/runs/{run.pk}/download/",
        f"/runs/{run.pk}/columns/0/",
        f"/runs/{run.pk}/columns/1/events/",
    ):
        response = alice_client.get(url)
        assert response.status_code == 403 and not names_anything(response.content.decode())
    share = alice_client.post(f"/runs/{run.pk}/share/", follow=True)
    assert not run.shares.exists() and not names_anything(share.content.decode())
    with httpx.Client(base_url=asgi_server.url, cookies=alice_session) as http:
        assert not names_anything(http.get(f"/runs/{run.pk}/").text)


def test_the_vote_reveals_every_model_and_can_be_changed(asgi_server, alice_client, fake):
    run = finished(blind_run(alice_client))
    response = alice_client.post(f"/runs/{run.pk}/vote/", {"choice": "A"})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.revealed_at is not None and Vote.objects.get(run=run).choice == "A"
    page = alice_client.get(f"/runs/{run.pk}/").content.decode()
    assert all(model in page for model in MODELS)
    for column in run.columns.all():
        assert f'data-label="{column.label}" data-model="{column.model}"' in page
    assert alice_client.get(f"/runs/{run.pk}/inspect/").status_code == 200
    alice_client.post(f"/runs/{run.pk}/vote/", {"choice": "tie"})
    assert Vote.objects.get(run=run).choice == "tie"
    assert (
        'data-choice="tie" aria-pressed="true"'
        in alice_client.get(f"/runs/{run.pk}/").content.decode()
    )


def test_the_votes_offered_follow_the_number_of_columns(asgi_server, alice_client, fake):
    two = finished(blind_run(alice_client))
    page = alice_client.get(f"/runs/{two.pk}/").content.decode()
    assert re.findall(r'data-testid="vote" data-choice="(\w+)"', page) == ["A", "B", "tie", "bad"]
    four = finished(
        blind_run(alice_client, ("demo/swift", "demo/echo", "demo/markdown", "demo/reasoner"))
    )
    page = alice_client.get(f"/runs/{four.pk}/").content.decode()
    assert re.findall(r'data-testid="vote" data-choice="(\w+)"', page) == [
        "A",
        "B",
        "C",
        "D",
        "tie",
    ]
    alice_client.post(f"/runs/{four.pk}/vote/", {"choice": "bad"})
    assert not Vote.objects.filter(run=four).exists()
    alice_client.post(f"/runs/{four.pk}/vote/", {"choice": "C"})
    assert Vote.objects.get(run=four).choice == "C"


def test_a_reveal_without_a_vote_shows_the_models_and_takes_no_vote(
    asgi_server, alice_client, fake
):
    run = finished(blind_run(alice_client))
    alice_client.post(f"/runs/{run.pk}/reveal/")
    run.refresh_from_db()
    assert run.revealed_at is not None
    page = alice_client.get(f"/runs/{run.pk}/").content.decode()
    assert all(model in page for model in MODELS) and 'data-testid="revealed-without-vote"' in page
    response = alice_client.post(f"/runs/{run.pk}/vote/", {"choice": "A"}, follow=True)
    assert not Vote.objects.filter(run=run).exists()
    assert "revealed without a vote" in response.content.decode()


def test_a_vote_waits_for_the_answers(alice_client, alice, fake):
    run = blind_run(alice_client)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.STREAMING)
    alice_client.post(f"/runs/{run.pk}/vote/", {"choice": "A"})
    assert not Vote.objects.filter(run=run).exists()


def test_an_ordinary_run_takes_no_vote(alice_client, fake):
    post_run(alice_client)
    run = Run.objects.get()
    Run.objects.filter(pk=run.pk).update(status=Run.Status.DONE)
    alice_client.post(f"/runs/{run.pk}/vote/", {"choice": "A"})
    assert not Vote.objects.exists()


def test_a_blind_run_needs_two_columns(alice_client, fake):
    response = post_run(alice_client, models=("demo/swift",), blind="on")
    assert "A blind run needs at least two columns" in response.content.decode()
    assert not Run.objects.exists()


def test_another_persons_vote_and_reveal_are_not_found(alice_client, bob, fake):
    run = blind_run(alice_client)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.DONE)
    other = Client()
    other.force_login(bob)
    for url in (f"/runs/{run.pk}/vote/", f"/runs/{run.pk}/reveal/"):
        assert other.post(url, {"choice": "A"}).status_code == 404
        assert other.get(url).status_code == 404
    run.refresh_from_db()
    assert run.revealed_at is None and not Vote.objects.exists()
