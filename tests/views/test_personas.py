"""Every URL that names one of alice's things, with every method, as three personas:
alice (the owner) can use it; bob (another person) gets 404 and changes nothing; an
anonymous visitor is sent to log in (or gets 404) and changes nothing. Posts without the
CSRF token are refused. Shared links are public by design: only a revoked or unknown
token is checked here, and it is "not found" for everyone."""

from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from playground.fake_openrouter import FakeOpenRouter
from playground.models import (
    ApiKey,
    Dataset,
    Evaluation,
    EvaluationCell,
    Preset,
    PresetVersion,
    Run,
    RunColumn,
    Share,
    Vote,
)
from playground.presets import sharing
from playground.presets.versions import preset_save_version
from tests.conftest import serve
from tests.evaluations.factories import a_dataset, a_finished_evaluation
from tests.factories import a_finished_run, a_preset, a_setup, a_stored_key

pytestmark = pytest.mark.django_db

KEY = "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"
SPARE_KEY = "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"
UNSAFE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
METHODS = ["GET", *UNSAFE_METHODS]
SNAPSHOT_MODELS = (
    Run, RunColumn, Preset, PresetVersion, Share, ApiKey, Dataset, Evaluation, EvaluationCell,
    Vote,
)  # fmt: skip

COMPARE_FORM = {
    "prompt": "Name four rivers.",
    "instructions": "",
    "temperature": "0.5",
    "max_output_tokens": "",
    "reasoning_effort": "",
    "models": ["demo/swift", "demo/echo"],
}


@pytest.fixture(scope="module")
def _openrouter():
    """The fake serving as the real OpenRouter on a loopback port, for the whole module."""
    fake = FakeOpenRouter(time_scale=0)
    with serve(fake.asgi_app) as url:
        yield fake, f"{url}/api/v1"


@pytest.fixture
def upstream(_openrouter, settings):
    fake, url = _openrouter
    settings.OPENROUTER_BASE_URL = url
    fake.requests.clear()
    return fake


@dataclass
class World:
    """Alice's things, one of each kind a URL can name."""

    run: Run
    preset: Preset
    key: ApiKey
    spare_key: ApiKey
    share: Share
    dataset: Dataset
    evaluation: Evaluation
    other_evaluation: Evaluation

    @property
    def ids(self) -> dict:
        return {
            "run": self.run.pk,
            "preset": self.preset.pk,
            "key": self.key.pk,
            "spare": self.spare_key.pk,
            "share": self.share.pk,
            "dataset": self.dataset.pk,
            "evaluation": self.evaluation.pk,
            "other": self.other_evaluation.pk,
        }


@pytest.fixture
def world(alice, bob, upstream) -> World:
    key = a_stored_key(alice, "work", KEY, default=True)
    spare_key = a_stored_key(alice, "spare", SPARE_KEY)
    run = a_finished_run(alice)
    preset = a_preset(alice)
    preset_save_version(preset=preset, setup=a_setup(prompt="Name four rivers."))
    share = sharing.preset_share(preset=preset)
    dataset = a_dataset(alice)
    evaluation = a_finished_evaluation(alice, dataset)
    other = a_finished_evaluation(alice, dataset, passed=(False, True))
    # Bob has things of his own, so a lookup that forgot the owner would find something.
    a_finished_run(bob)
    a_preset(bob, name="Bob's")
    a_stored_key(bob, "bobs", SPARE_KEY, default=True)
    a_finished_evaluation(bob, a_dataset(bob))
    upstream.requests.clear()
    return World(run, preset, key, spare_key, share, dataset, evaluation, other)


@dataclass(frozen=True)
class Route:
    """A URL naming one of alice's things, the methods it is for, and what alice gets."""

    name: str
    path: str
    # Method -> (the status alice gets, whether her request changes something).
    allowed: dict
    # The form a POST sends, the same for every persona: a missing owner check would act.
    data: dict = field(default_factory=dict)

    def url(self, ids: dict) -> str:
        return self.path.format(**ids)


ROUTES = [
    Route("run-detail", "/runs/{run}/", {"GET": (200, False)}),
    Route("run-rerun", "/runs/{run}/rerun/", {"POST": (302, True)}),
    Route("run-start-over", "/runs/{run}/start-over/", {"POST": (302, True)}),
    Route("column-answer", "/runs/{run}/columns/0/answer.md", {"GET": (200, False)}),
    # Not a blind run: the vote and the reveal are refused, and change nothing.
    Route("run-vote", "/runs/{run}/vote/", {"POST": (302, False)}, {"choice": "A"}),
    Route("run-reveal", "/runs/{run}/reveal/", {"POST": (302, False)}),
    Route("run-delete", "/runs/{run}/delete/", {"GET": (200, False), "POST": (302, True)}),
    Route(
        "run-save-preset",
        "/runs/{run}/save-preset/",
        {"POST": (302, True)},
        {"name": "Kept"},
    ),
    Route("run-share", "/runs/{run}/share/", {"POST": (302, True)}),
    Route("run-stream", "/runs/{run}/stream/", {"GET": (200, False)}),
    Route("run-inspect", "/runs/{run}/inspect/", {"GET": (200, False)}),
    Route("run-download", "/runs/{run}/download/", {"GET": (200, False)}),
    Route("run-diff", "/runs/{run}/diff/?left=0&right=1&mode=inline", {"GET": (200, False)}),
    Route("column-inspect", "/runs/{run}/columns/0/", {"GET": (200, False)}),
    Route("column-events", "/runs/{run}/columns/1/events/?type=comment", {"GET": (200, False)}),
    Route("preset-share", "/presets/{preset}/share/", {"POST": (302, True)}),
    Route("share-revoke", "/shares/{share}/revoke/", {"POST": (302, True)}),
    Route(
        "preset-save-version",
        "/presets/{preset}/save/",
        {"POST": (302, True)},
        COMPARE_FORM,
    ),
    Route("compare ?preset=", "/?preset={preset}", {"GET": (200, False)}),
    Route("compare ?preset=&version=", "/?preset={preset}&version=1", {"GET": (200, False)}),
    Route("preset-detail", "/presets/{preset}/", {"GET": (200, False)}),
    Route(
        "preset-rename",
        "/presets/{preset}/rename/",
        {"GET": (200, False), "POST": (302, True)},
        {"name": "Renamed", "description": "New words"},
    ),
    Route("preset-duplicate", "/presets/{preset}/duplicate/", {"POST": (302, True)}),
    Route("preset-delete", "/presets/{preset}/delete/", {"GET": (200, False), "POST": (302, True)}),
    Route("preset-versions", "/presets/{preset}/versions/", {"GET": (200, False)}),
    Route("preset-diff", "/presets/{preset}/diff/?a=1&b=2", {"GET": (200, False)}),
    Route(
        "preset-restore",
        "/presets/{preset}/versions/1/restore/",
        {"POST": (302, True)},
    ),
    Route("preset-export", "/presets/{preset}/export/", {"GET": (200, False)}),
    Route("key-default", "/keys/{spare}/default/", {"POST": (302, True)}),
    Route("key-refresh", "/keys/{key}/refresh/", {"POST": (302, True)}),
    Route("key-delete", "/keys/{key}/delete/", {"GET": (200, False), "POST": (302, True)}),
    Route(
        "dataset-detail",
        "/datasets/{dataset}/",
        {"GET": (200, False), "POST": (302, True)},
        {"name": "Renamed", "column": ["country", "expected"], "cell": ["Peru", "Lima"]},
    ),
    Route("dataset-export-csv", "/datasets/{dataset}/export.csv", {"GET": (200, False)}),
    Route("dataset-export-jsonl", "/datasets/{dataset}/export.jsonl", {"GET": (200, False)}),
    Route(
        "dataset-delete", "/datasets/{dataset}/delete/", {"GET": (200, False), "POST": (302, True)}
    ),
    Route("evaluation-detail", "/evaluations/{evaluation}/", {"GET": (200, False)}),
    Route("evaluation-progress", "/evaluations/{evaluation}/progress/", {"GET": (200, False)}),
    Route("evaluation-stop", "/evaluations/{evaluation}/stop/", {"POST": (302, False)}),
    Route("evaluation-resume", "/evaluations/{evaluation}/resume/", {"POST": (302, False)}),
    Route("evaluation-export-csv", "/evaluations/{evaluation}/export.csv", {"GET": (200, False)}),
    Route("evaluation-export-json", "/evaluations/{evaluation}/export.json", {"GET": (200, False)}),
    Route("evaluation-share", "/evaluations/{evaluation}/share/", {"POST": (302, True)}),
    Route(
        "evaluation-delete",
        "/evaluations/{evaluation}/delete/",
        {"GET": (200, False), "POST": (302, True)},
    ),
    Route(
        "evaluation-compare",
        "/evaluations/{evaluation}/compare/?with={other}",
        {"GET": (200, False)},
    ),
    Route(
        "evaluation-compare (with another's)",
        "/evaluations/{other}/compare/?with={evaluation}",
        {"GET": (200, False)},
    ),
]
ROUTE_IDS = [route.name for route in ROUTES]


def snapshot() -> dict:
    return {
        model.__name__: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS
    }


def send(client: Client, method: str, url: str, data: dict):
    """One request; the form data goes in the body of a POST, nowhere for the others
    (Django reads form bodies of POSTs only)."""
    if method == "GET":
        return client.get(url)
    if method == "POST":
        return client.post(url, data)
    return getattr(client, method.lower())(url)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sends_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# Bob: another person's things are "not found", whatever the method, and stay as they are.


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_another_person_gets_404_and_nothing_changes(world, bob, upstream, route, method):
    before = snapshot()

    response = send(logged_in(bob), method, route.url(world.ids), route.data)

    # The owner lookup comes before the method check: a 405 would tell that it exists.
    assert response.status_code == 404, (
        f"bob {method} {route.name} ({route.url(world.ids)}): answered "
        f"{response.status_code}, not 404"
    )
    assert snapshot() == before
    assert not upstream.requests


# Anonymous: sent to log in, or "not found"; nothing changes.


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_an_anonymous_visitor_is_sent_to_log_in_and_nothing_changes(world, upstream, route, method):
    before = snapshot()

    response = send(Client(), method, route.url(world.ids), route.data)

    assert sends_to_login(response) or response.status_code == 404, (
        f"anonymous {method} {route.name}: answered {response.status_code}"
    )
    assert snapshot() == before
    assert not upstream.requests


# Alice: her own things work with the methods they are for; other methods change nothing.


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_the_owner_can_use_the_url_with_the_methods_it_is_for(
    world, alice, upstream, route, method
):
    before = snapshot()

    response = send(logged_in(alice), method, route.url(world.ids), route.data)

    if method in route.allowed:
        status, changes = route.allowed[method]
        assert response.status_code == status, (
            f"alice {method} {route.name}: answered {response.status_code}, not {status}"
        )
        assert (snapshot() != before) == changes
    else:
        # Not for this method: refused, never acted on.
        assert response.status_code == 405, (
            f"alice {method} {route.name}: answered {response.status_code}"
        )
        assert snapshot() == before


def test_the_owners_actions_do_what_they_say(world, alice, upstream):
    """The allowed requests above act on alice's own things, not on anyone else's."""
    client = logged_in(alice)
    ids = world.ids

    client.post(f"/keys/{ids['spare']}/default/")
    assert ApiKey.objects.get(owner=alice, is_default=True) == world.spare_key
    client.post(f"/keys/{ids['key']}/refresh/")
    assert [r.headers["authorization"] for r in upstream.requests] == [f"Bearer {KEY}"]
    client.post(f"/presets/{ids['preset']}/versions/1/restore/")
    assert world.preset.versions.count() == 3
    client.post(f"/shares/{ids['share']}/revoke/")
    world.share.refresh_from_db()
    assert world.share.revoked_at is not None
    client.post(f"/runs/{ids['run']}/delete/")
    assert not Run.objects.filter(pk=world.run.pk).exists()
    client.post(f"/keys/{ids['key']}/delete/")
    assert not ApiKey.objects.filter(pk=world.key.pk).exists()
    assert ApiKey.objects.filter(owner__username="bob").count() == 1
    assert Preset.objects.filter(owner__username="bob").count() == 1


# CSRF: every state-changing request of the owner without the token is refused.


def csrf_requests(ids: dict, token: str) -> list[tuple[str, str, dict]]:
    password = {
        "old_password": "alice-password-1",
        "new_password1": "a-new-passphrase-93",
        "new_password2": "a-new-passphrase-93",
    }
    return [
        *((method, route.url(ids), route.data) for route in ROUTES for method in UNSAFE_METHODS),
        ("POST", "/runs/", COMPARE_FORM),
        ("POST", "/presets/save/", {**COMPARE_FORM, "name": "Sneaky"}),
        ("POST", "/keys/", {"label": "sneaky", "key": SPARE_KEY}),
        ("POST", f"/s/{token}/fork/", {}),
        ("POST", "/accounts/password/", password),
        ("POST", "/accounts/logout/", {}),
    ]


def test_requests_without_the_csrf_token_are_refused_and_change_nothing(world, alice, upstream):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    before = snapshot()
    password = get_user_model().objects.get(pk=alice.pk).password

    refused = []
    for method, url, data in csrf_requests(world.ids, world.share.token):
        response = send(client, method, url, data)
        if response.status_code != 403:
            refused.append(f"{method} {url}: {response.status_code}")
    upload = SimpleUploadedFile("presets.json", b'{"presets": []}')
    response = client.post("/presets/import/", {"file": upload})
    if response.status_code != 403:
        refused.append(f"POST /presets/import/: {response.status_code}")

    assert not refused, f"answered without the CSRF token: {refused}"
    assert snapshot() == before
    assert get_user_model().objects.get(pk=alice.pk).password == password
    assert not upstream.requests  # the key was neither checked nor refreshed
    assert client.get("/").status_code == 200  # still logged in: the logout was refused


# Shared links: a revoked or unknown token is "not found" for everyone.


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("suffix", ["", "fork/", "diff/"], ids=["page", "fork", "diff"])
@pytest.mark.parametrize("token", ["revoked", "unknown"])
@pytest.mark.parametrize("persona", ["alice", "bob", "anonymous"])
def test_a_revoked_or_unknown_link_is_not_found_for_everyone(
    world, alice, bob, persona, token, suffix, method
):
    sharing.share_revoke(share=world.share)
    value = world.share.token if token == "revoked" else "x" * 43
    client = {"alice": logged_in(alice), "bob": logged_in(bob), "anonymous": Client()}[persona]
    before = snapshot()

    response = send(client, method, f"/s/{value}/{suffix}", {})

    # Copying needs an account: the login page comes first, whatever the token.
    if persona == "anonymous" and suffix == "fork/":
        assert sends_to_login(response) or response.status_code == 404
    else:
        assert response.status_code == 404, (
            f"{persona} {method} /s/<{token}>/{suffix}: answered {response.status_code}"
        )
    assert snapshot() == before
