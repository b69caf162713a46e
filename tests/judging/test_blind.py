"""Blind runs: shuffled columns named Model A, B, …; nothing names a model before the
vote (page, fragments, stream events, inspector, download, share, history); the vote
reveals them and can be changed; a reveal without a vote counts for nothing."""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from django.test import Client

from playground.models import Run, Vote
from playground.views.catalog import catalog_models
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


def test_a_blind_run_shuffles_its_columns_and_names_them_by_letter(alice_client, fake, settings):
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = settings.PLAYGROUND_RUNS_PER_MINUTE = 0
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
    diff = alice_client.get(f"/runs/{run.pk}/diff/", headers={"HX-Request": "true"})
    assert diff.status_code == 200 and "Model A" in diff.content.decode()
    assert not names_anything(diff.content.decode())
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


def drawn_models(response) -> list[str]:
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    assert location.path == "/" and query["blind"] == ["1"]
    return query["models"][0].split(",")


def test_surprise_me_draws_two_different_models_for_a_blind_run(alice_client, fake):
    drawn = set()
    for _ in range(10):
        models = drawn_models(
            alice_client.get("/surprise/?ids=demo/swift, demo/echo demo/markdown")
        )
        assert len(set(models)) == 2 and set(models) <= {"demo/swift", "demo/echo", "demo/markdown"}
        drawn.add(frozenset(models))
    assert len(drawn) > 1  # not always the same two: 1 in 19,683 that it would be
    page = alice_client.get("/?" + urlencode({"models": ",".join(models), "blind": "1"}))
    assert re.search(r'<input[^>]*name="blind"[^>]*checked', page.content.decode())


def test_surprise_me_draws_from_a_catalog_filter(alice, alice_client, fake):
    reasoners = {model.id for model in catalog_models(alice) if model.reasoning}
    for _ in range(5):
        models = drawn_models(alice_client.get("/surprise/?pool=reasoning"))
        assert len(set(models)) == 2 and set(models) <= reasoners


def test_surprise_me_says_why_it_cannot_draw(alice_client, fake):
    response = alice_client.get("/surprise/?ids=demo/swift", follow=True)
    assert "Two different models are needed" in response.content.decode()
    response = alice_client.get("/surprise/?ids=demo/swift,no/such-model", follow=True)
    assert "Not in the catalog: no/such-model" in response.content.decode()


def test_a_follow_up_of_a_blind_run_is_blind_until_its_vote(asgi_server, alice_client, fake):
    first = finished(blind_run(alice_client))
    page = alice_client.get(f"/runs/{first.pk}/").content.decode()
    assert 'data-testid="follow-up-form"' in page and not names_anything(page)
    one = alice_client.post(f"/runs/{first.pk}/follow-up/", {"message": "More?", "column": "0"})
    assert "goes to every column" in one.content.decode()
    assert Run.objects.count() == 1
    alice_client.post(f"/runs/{first.pk}/follow-up/", {"message": "And why?", "column": "all"})
    second = finished(Run.objects.get(parent=first))
    assert second.blind and second.is_hidden
    assert list(second.columns.values_list("model", flat=True)) == list(
        first.columns.values_list("model", flat=True)
    )
    page = alice_client.get(f"/runs/{second.pk}/").content.decode()
    assert not names_anything(page) and 'data-testid="earlier-turns"' in page
    alice_client.post(f"/runs/{second.pk}/vote/", {"choice": "B"})
    # The same models under the same labels: the vote reveals the whole conversation.
    for turn in (first, second):
        turn.refresh_from_db()
        assert turn.revealed_at is not None
    assert all(model in alice_client.get(f"/runs/{first.pk}/").content.decode() for model in MODELS)
    assert Vote.objects.get().run == second


def test_usage_counts_a_blind_run_before_its_vote_without_naming_its_models(
    alice_client, alice, fake
):
    run = blind_run(alice_client)
    wait_until(lambda: Run.objects.get(pk=run.pk).status == Run.Status.DONE, timeout=20)
    page = alice_client.get("/usage/").content.decode()
    assert "Blind runs before the vote" in page and not names_anything(page)
    run.refresh_from_db()
    run.revealed_at = run.finished_at
    run.save(update_fields=["revealed_at"])
    page = alice_client.get("/usage/").content.decode()
    assert all(model in page for model in MODELS) and "Blind runs before the vote" not in page


def test_a_blind_tool_call_names_no_model(asgi_server, alice_client, fake):
    models = ("demo/tool-caller", "demo/swift")
    run = finished(blind_run(alice_client, models))
    page = alice_client.get(f"/runs/{run.pk}/").content.decode()
    assert 'data-testid="tool-results"' in page and not names_anything(page, models)
