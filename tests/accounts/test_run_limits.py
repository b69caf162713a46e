"""Per-person limits on runs: so many a minute, so many unfinished at once. Over a limit,
starting a run (the compare form or "Run again") answers 429 with Retry-After and says
why; nothing is created and the prompt typed stays in the form."""

from datetime import timedelta

import pytest
from django.utils import timezone

from playground.accounts import throttle
from playground.models import Run
from playground.runs.lifecycle import stale_before
from tests.factories import a_finished_run

MINUTE_START = 60.0 * 30_000_000


class Clock:
    def __init__(self):
        # The start of a minute, so a test's runs fall in one counting window.
        self.now = MINUTE_START

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch, settings):
    settings.PLAYGROUND_RUNS_PER_MINUTE = 3
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 2
    clock = Clock()
    monkeypatch.setattr(throttle, "_now", lambda: clock.now)
    return clock


def post_run(client, *, prompt="Say hello", htmx=False):
    data = {"prompt": prompt, "models": ["demo/echo"]}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/runs/", data, headers=headers)


def finish_all_runs() -> None:
    Run.objects.update(status=Run.Status.DONE, finished_at=timezone.now())


def run_count() -> int:
    return Run.objects.count()


@pytest.mark.django_db
def test_runs_over_the_per_minute_limit_answer_429_and_save_nothing(alice_client, clock, fake):
    for _ in range(3):
        assert post_run(alice_client).status_code == 302
        finish_all_runs()
    clock.advance(20)
    response = post_run(alice_client, prompt="The fourth question")
    assert response.status_code == 429
    assert response["Retry-After"] == "40"
    html = response.content.decode()
    assert "Too many runs: at most 3 a minute. Try again in 40 seconds." in html
    assert "The fourth question" in html  # still in the form
    assert run_count() == 3


@pytest.mark.django_db
def test_with_htmx_the_form_comes_back_with_the_message(alice_client, clock, fake):
    for _ in range(3):
        post_run(alice_client, htmx=True)
        finish_all_runs()
    response = post_run(alice_client, prompt="Keep this prompt", htmx=True)
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response["HX-Retarget"] == "#compare-form"
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html
    assert "Too many runs: at most 3 a minute." in html
    assert "Keep this prompt" in html
    assert run_count() == 3


@pytest.mark.django_db
def test_the_next_minute_allows_runs_again(alice_client, clock, fake):
    for _ in range(3):
        post_run(alice_client)
        finish_all_runs()
    assert post_run(alice_client).status_code == 429
    clock.advance(60)
    assert post_run(alice_client).status_code == 302
    assert run_count() == 4


@pytest.mark.django_db
def test_the_limit_is_per_person(alice_client, client, bob, clock, fake):
    for _ in range(3):
        post_run(alice_client)
        finish_all_runs()
    assert post_run(alice_client).status_code == 429
    client.force_login(bob)
    assert post_run(client).status_code == 302


@pytest.mark.django_db
def test_unfinished_runs_over_the_concurrent_limit_answer_429(alice_client, clock, fake):
    assert post_run(alice_client).status_code == 302
    assert post_run(alice_client).status_code == 302
    # Both are still pending (no browser opened their stream).
    response = post_run(alice_client, prompt="A third at once")
    assert response.status_code == 429
    assert response["Retry-After"] == str(throttle.CONCURRENT_RETRY_SECONDS)
    html = response.content.decode()
    assert "2 of your runs are still running, the most allowed at once." in html
    assert "A third at once" in html
    assert run_count() == 2

    # One streaming and one finished: a slot is free again.
    Run.objects.filter(pk=Run.objects.order_by("pk").first().pk).update(
        status=Run.Status.STREAMING, started_at=timezone.now()
    )
    Run.objects.filter(pk=Run.objects.order_by("pk").last().pk).update(status=Run.Status.DONE)
    assert post_run(alice_client).status_code == 302
    assert post_run(alice_client).status_code == 429


@pytest.mark.django_db
def test_runs_left_pending_or_stuck_streaming_do_not_block_anyone(
    alice_client, alice, clock, fake, settings
):
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 1
    left = a_finished_run(alice, status="pending")
    stuck = a_finished_run(alice, status="streaming")
    minute_ago = timezone.now() - timedelta(seconds=throttle.ABANDONED_PENDING_SECONDS + 1)
    Run.objects.filter(pk=left.pk).update(created_at=minute_ago)
    Run.objects.filter(pk=stuck.pk).update(started_at=timezone.now())
    assert post_run(alice_client).status_code == 429  # the streaming one still counts
    stale = stale_before() - timedelta(seconds=1)
    Run.objects.filter(pk=stuck.pk).update(started_at=stale)
    assert post_run(alice_client).status_code == 302


@pytest.mark.django_db
def test_another_persons_unfinished_runs_do_not_count(alice_client, bob, clock, fake):
    for _ in range(2):
        a_finished_run(bob, status="pending")
    assert post_run(alice_client).status_code == 302


@pytest.mark.django_db
def test_run_again_is_held_to_the_same_limits(alice_client, alice, clock, fake):
    run = a_finished_run(alice)
    for _ in range(2):
        assert alice_client.post(f"/runs/{run.pk}/rerun/").status_code == 302
    response = alice_client.post(f"/runs/{run.pk}/rerun/")
    assert response.status_code == 429
    assert response["Retry-After"] == str(throttle.CONCURRENT_RETRY_SECONDS)
    assert "2 of your runs are still running" in response.content.decode()
    assert 'data-testid="back-to-run"' in response.content.decode()
    assert run_count() == 3

    finish_all_runs()
    assert alice_client.post(f"/runs/{run.pk}/rerun/").status_code == 302
    finish_all_runs()
    # The fourth run this minute (three reruns and the form's limit of three).
    response = alice_client.post(f"/runs/{run.pk}/rerun/", headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert response["HX-Redirect"] == f"/runs/{run.pk}/"
    assert response["Retry-After"] == "60"
    shown = alice_client.get(f"/runs/{run.pk}/").content.decode()
    assert "Too many runs: at most 3 a minute. Try again in 1 minute." in shown
    assert run_count() == 4


@pytest.mark.django_db
def test_zero_turns_a_limit_off(alice_client, clock, settings, fake):
    settings.PLAYGROUND_RUNS_PER_MINUTE = 0
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 0
    for _ in range(5):
        assert post_run(alice_client).status_code == 302
    assert run_count() == 5


def test_the_defaults_are_twenty_a_minute_and_four_at_once():
    from django.conf import settings

    assert settings.PLAYGROUND_RUNS_PER_MINUTE == 20
    assert settings.PLAYGROUND_MAX_CONCURRENT_RUNS == 4
