"""The leaderboard: votes on finished blind runs as battles, ratings and intervals as
ratings.py fits them, mine or everyone's (aggregates only), a date range, the battles as
CSV, and the heat map."""

import csv
import datetime
import io
import re

import pytest
from django.test import Client
from django.utils import timezone

from playground.judging.leaderboard import battles_of, votes_in
from playground.judging.ratings import Battle, standings
from playground.models import Run, Vote
from tests.factories import a_finished_run

pytestmark = pytest.mark.django_db


def a_battle(
    owner, models, choice, *, statuses=None, status=Run.Status.DONE, prompt="Secret prompt 7"
):
    """A finished blind run of `models` (in label order) and its owner's vote."""
    run = a_finished_run(owner, models=models, prompt=prompt, status=status)
    run.blind, run.revealed_at = True, timezone.now()
    run.save(update_fields=["blind", "revealed_at"])
    for position, column_status in enumerate(statuses or []):
        run.columns.filter(position=position).update(status=column_status)
    return Vote.objects.create(run=run, owner=owner, choice=choice)


def test_votes_become_battles_between_the_models_in_label_order(alice):
    a_battle(alice, ("m/x", "m/y"), "A")
    a_battle(alice, ("m/x", "m/y"), "B")
    a_battle(alice, ("m/y", "m/z"), "tie")
    a_battle(alice, ("m/y", "m/z"), "bad")
    a_battle(alice, ("m/w", "m/x", "m/y", "m/z"), "C")
    battles = [fought.battle for fought in battles_of(votes_in(owner=alice))]
    assert battles == [
        Battle(models=("m/x", "m/y"), winner="m/x"),
        Battle(models=("m/x", "m/y"), winner="m/y"),
        Battle(models=("m/y", "m/z"), tie=True),
        Battle(models=("m/y", "m/z"), both_bad=True),
        Battle(models=("m/w", "m/x", "m/y", "m/z"), winner="m/y"),
    ]


def test_only_finished_runs_whose_judged_columns_all_answered_count(alice):
    a_battle(alice, ("m/x", "m/y"), "A", statuses=["done", "error"])
    a_battle(alice, ("m/x", "m/y"), "A", status=Run.Status.CANCELLED)
    a_battle(alice, ("m/x", "m/x"), "A")  # the same model twice says nothing
    a_battle(alice, ("m/x", "m/y"), "B", statuses=["incomplete", "done"])
    assert [f.battle.winner for f in battles_of(votes_in(owner=alice))] == ["m/y"]


def test_the_page_shows_each_models_rating_interval_and_counts(alice_client, alice):
    for _ in range(3):
        a_battle(alice, ("m/x", "m/y"), "A")
    a_battle(alice, ("m/x", "m/y"), "tie")
    a_battle(alice, ("m/y", "m/z"), "A")
    expected = {
        s.model: s
        for s in standings(
            [f.battle for f in battles_of(votes_in(owner=alice))], rounds=1000, seed=1000
        )
    }
    html = alice_client.get("/leaderboard/").content.decode()
    rows = re.findall(
        r'data-testid="leaderboard-row" data-model="([^"]+)" data-rating="([^"]+)"\s+'
        r'data-ci-low="([^"]+)" data-ci-high="([^"]+)"\s+'
        r'data-battles="(\d+)" data-win-rate="([^"]+)"',
        html,
    )
    assert [row[0] for row in rows] == ["m/x", "m/y", "m/z"]
    for model, rating, low, high, battles, win_rate in rows:
        standing = expected[model]
        assert float(rating) == pytest.approx(standing.rating, abs=0.05)
        assert float(low) <= float(rating) <= float(high)
        assert int(battles) == standing.battles
        assert float(win_rate) == pytest.approx(standing.win_rate, abs=1e-4)
    assert html.count('data-testid="heat-cell"') == 9
    # A reload gives the same numbers: the bootstrap is seeded.
    assert re.findall(
        r'data-ci-low="[^"]+"', alice_client.get("/leaderboard/").content.decode()
    ) == re.findall(r'data-ci-low="[^"]+"', html)


def test_everyones_view_counts_every_vote_and_shows_no_prompt(alice_client, alice, bob):
    a_battle(alice, ("m/x", "m/y"), "A", prompt="Alice asks about otters")
    a_battle(bob, ("m/x", "m/z"), "B", prompt="Bob asks about tax fraud")
    mine = alice_client.get("/leaderboard/").content.decode()
    assert 'data-model="m/z"' not in mine
    everyone = alice_client.get("/leaderboard/?scope=everyone").content.decode()
    assert 'data-model="m/z"' in everyone
    for page in (mine, everyone):
        assert "otters" not in page and "tax fraud" not in page
    battles = alice_client.get("/leaderboard/battles.csv?scope=everyone").content.decode()
    lines = list(csv.DictReader(io.StringIO(battles)))
    assert len(lines) == 2 and "run" not in lines[0] and "tax fraud" not in battles
    assert {line["winner"] for line in lines} == {"m/x", "m/z"}


def test_my_battles_csv_names_my_runs(alice_client, alice):
    vote = a_battle(alice, ("m/x", "m/y"), "B")
    response = alice_client.get("/leaderboard/battles.csv")
    assert response["Content-Disposition"].startswith("attachment")
    [line] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert line["models"] == "m/x | m/y" and line["vote"] == "best: B" and line["winner"] == "m/y"
    assert line["run"] == str(vote.run_id)


def test_a_date_range_keeps_the_votes_cast_within_it(alice_client, alice):
    old = a_battle(alice, ("m/x", "m/y"), "A")
    Vote.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=40))
    a_battle(alice, ("m/y", "m/z"), "A")
    since = (timezone.now() - datetime.timedelta(days=7)).date().isoformat()
    html = alice_client.get(f"/leaderboard/?from={since}").content.decode()
    assert 'data-model="m/z"' in html and 'data-model="m/x"' not in html


def test_a_bad_date_is_said_in_words_and_ignored(alice_client, alice):
    a_battle(alice, ("m/x", "m/y"), "A")
    response = alice_client.get("/leaderboard/?from=yesterday&to=2026-99-01&scope=%ff")
    html = response.content.decode()
    assert response.status_code == 200 and "is not a date" in html and 'data-model="m/x"' in html


def test_no_votes_yet_says_how_to_make_some(alice_client):
    html = alice_client.get("/leaderboard/").content.decode()
    assert 'data-testid="leaderboard-empty"' in html and "Blind" in html


def test_the_leaderboard_needs_a_login():
    assert Client().get("/leaderboard/").status_code == 302
