"""Share links: presets (live) and runs (frozen snapshots), the owner's list, revoking,
the public page's headers, and copying a shared setup into one's own presets."""

import re

import pytest
from django.test import Client

from playground.models import Preset, Share
from tests.factories import a_finished_run, a_preset

pytestmark = pytest.mark.django_db


def share_preset(client, preset) -> Share:
    response = client.post(f"/presets/{preset.pk}/share/")
    assert response.status_code == 302
    return Share.objects.latest("created_at")


def test_sharing_a_preset_makes_an_unguessable_link(alice_client, alice):
    preset = a_preset(alice)
    share = share_preset(alice_client, preset)
    assert share.owner == alice and share.kind == "preset" and share.preset == preset
    # 32 random bytes in URL-safe base64: 256 bits, nothing to do with any id.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", share.token)
    listing = alice_client.get("/shares/").content.decode()
    assert f"/s/{share.token}/" in listing


def test_two_shares_of_the_same_thing_have_different_tokens(alice_client, alice):
    preset = a_preset(alice)
    first, second = share_preset(alice_client, preset), share_preset(alice_client, preset)
    assert first.token != second.token


def test_anyone_with_the_link_sees_the_setup_and_not_the_owner(alice_client, alice):
    preset = a_preset(alice, name="River quiz", prompt="Name three rivers of Europe.")
    share = share_preset(alice_client, preset)
    a_finished_run(alice, prompt="A private question")
    response = Client().get(f"/s/{share.token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "River quiz" in html and "Name three rivers of Europe." in html
    assert "demo/swift" in html
    assert "A private question" not in html
    assert "alice" not in html


def test_shared_pages_stay_out_of_indexes_caches_and_referrers(alice_client, alice):
    share = share_preset(alice_client, a_preset(alice))
    response = Client().get(f"/s/{share.token}/")
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "private, no-store"


def test_opening_a_link_is_recorded_for_the_owner(alice_client, alice):
    share = share_preset(alice_client, a_preset(alice))
    assert share.last_opened_at is None
    Client().get(f"/s/{share.token}/")
    Client().get(f"/s/{share.token}/")
    share.refresh_from_db()
    assert share.last_opened_at is not None and share.open_count == 2
    row = alice_client.get("/shares/").content.decode()
    assert "never" not in row.split('data-testid="share-last-opened"')[1][:40]


def test_a_shared_preset_shows_its_latest_version(alice_client, alice):
    from playground.presets.versions import preset_save_version
    from tests.factories import a_setup

    preset = a_preset(alice, prompt="First wording")
    share = share_preset(alice_client, preset)
    preset_save_version(preset=preset, setup=a_setup(prompt="Second wording"))
    html = Client().get(f"/s/{share.token}/").content.decode()
    assert "Second wording" in html and "First wording" not in html


def test_a_revoked_link_answers_404(alice_client, alice):
    share = share_preset(alice_client, a_preset(alice))
    response = alice_client.post(f"/shares/{share.pk}/revoke/")
    assert response.status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None
    assert Client().get(f"/s/{share.token}/").status_code == 404
    assert alice_client.get(f"/s/{share.token}/").status_code == 404
    assert alice_client.get(f"/s/{share.token}/fork/").status_code == 404
    assert 'data-state="revoked"' in alice_client.get("/shares/").content.decode()


def test_an_unknown_link_answers_404():
    assert Client().get("/s/not-a-real-token/").status_code == 404


def test_the_admin_can_require_login_for_shared_pages(alice_client, alice, settings):
    share = share_preset(alice_client, a_preset(alice))
    settings.PLAYGROUND_SHARED_REQUIRE_LOGIN = True
    response = Client().get(f"/s/{share.token}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert alice_client.get(f"/s/{share.token}/").status_code == 200


def test_open_in_playground_copies_the_setup_into_the_viewers_presets(alice_client, alice, bob):
    preset = a_preset(alice, name="River quiz", prompt="Name three rivers.")
    share = share_preset(alice_client, preset)
    anonymous = Client().get(f"/s/{share.token}/fork/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    viewer = Client()
    viewer.force_login(bob)
    assert "River quiz" in viewer.get(f"/s/{share.token}/fork/").content.decode()
    response = viewer.post(f"/s/{share.token}/fork/")
    copy = Preset.objects.get(owner=bob)
    assert response.status_code == 302 and response["Location"] == f"/?preset={copy.pk}"
    assert copy.name == "River quiz" and copy.pk != preset.pk
    assert copy.latest_version.setup == preset.latest_version.setup
    assert Preset.objects.filter(owner=alice).count() == 1
    opened = viewer.get(response["Location"]).content.decode()
    assert "Name three rivers." in opened


def test_a_finished_run_is_shared_as_a_frozen_snapshot(alice_client, alice):
    run = a_finished_run(alice, prompt="Which river is longest?")
    response = alice_client.post(f"/runs/{run.pk}/share/")
    assert response.status_code == 302
    share = Share.objects.get()
    assert share.kind == "run" and share.run == run
    run.columns.update(output_text="Changed afterwards")
    html = Client().get(f"/s/{share.token}/").content.decode()
    assert "Which river is longest?" in html
    assert "<strong>Nile</strong>" in html and "Changed afterwards" not in html
    assert "$0.0000225" in html and "120 ms" in html and "demo/swift-2026" in html


def test_a_run_snapshot_holds_nothing_but_the_answers(alice_client, alice):
    run = a_finished_run(alice)
    run.columns.update(events=[{"type": "response.created", "secret": "event-data"}])
    alice_client.post(f"/runs/{run.pk}/share/")
    snapshot = Share.objects.get().snapshot
    assert set(snapshot) == {"setup", "created_at", "columns"}
    text = str(snapshot)
    assert "event-data" not in text and "Authorization" not in text and "Bearer" not in text
    assert "alice" not in text


def test_a_run_still_streaming_cannot_be_shared(alice_client, alice):
    run = a_finished_run(alice, status="streaming")
    response = alice_client.post(f"/runs/{run.pk}/share/")
    assert response.status_code == 302
    assert not Share.objects.exists()
    assert "Only a finished run" in alice_client.get(response["Location"]).content.decode()


def test_shared_model_output_is_rendered_as_untrusted_text(alice_client, alice):
    run = a_finished_run(
        alice,
        output="<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))",
    )
    alice_client.post(f"/runs/{run.pk}/share/")
    html = Client().get(f"/s/{Share.objects.get().token}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<img" not in html and 'href="javascript:' not in html


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/presets/{preset}/share/"),
        ("post", "/runs/{run}/share/"),
        ("post", "/shares/{share}/revoke/"),
    ],
)
def test_another_person_cannot_share_or_revoke(alice_client, alice, bob, method, path):
    preset, run = a_preset(alice), a_finished_run(alice)
    share = share_preset(alice_client, preset)
    intruder = Client()
    intruder.force_login(bob)
    url = path.format(preset=preset.pk, run=run.pk, share=share.pk)
    assert getattr(intruder, method)(url).status_code == 404
    assert Share.objects.count() == 1 and Share.objects.get().revoked_at is None
    anonymous = getattr(Client(), method)(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert Share.objects.count() == 1 and Share.objects.get().revoked_at is None


def test_the_share_list_shows_only_ones_own_links(alice_client, alice, bob):
    share_preset(alice_client, a_preset(alice, name="Alice's preset"))
    viewer = Client()
    viewer.force_login(bob)
    assert "Alice's preset" not in viewer.get("/shares/").content.decode()


def test_sharing_needs_the_csrf_token(alice, alice_client):
    preset = a_preset(alice)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(f"/presets/{preset.pk}/share/").status_code == 403
    assert not Share.objects.exists()
    share = share_preset(alice_client, preset)
    assert strict.post(f"/shares/{share.pk}/revoke/").status_code == 403
    share.refresh_from_db()
    assert share.revoked_at is None


def test_a_shared_setup_that_no_longer_passes_its_checks_is_not_copied(alice_client, alice, bob):
    preset = a_preset(alice, name="River quiz", prompt="Name three rivers.")
    share = share_preset(alice_client, preset)
    version = preset.latest_version
    version.setup = {**version.setup, "parameters": {"temperature": 9}}
    version.save()

    viewer = Client()
    viewer.force_login(bob)
    response = viewer.post(f"/s/{share.token}/fork/", follow=True)

    assert not Preset.objects.filter(owner=bob).exists()
    page = response.content.decode()
    assert "This shared setup cannot be copied" in page
    assert "parameters.temperature" in page
