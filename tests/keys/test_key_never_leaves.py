"""The key never leaves the server: once alice has added her own OpenRouter key, no page,
fragment, download, stream, header or log line that she, bob or an anonymous visitor can
reach holds the key or any 8-character run of it. The fake serves as the real API on a
loopback port, and the run streams through the real ASGI server."""

import logging
from dataclasses import dataclass, field

import httpx
import pytest
from django.test import Client

from playground.models import ApiKey, Preset, Run, Share
from tests.factories import session_cookies
from tests.keys.test_keys import key_slices

pytestmark = pytest.mark.django_db(transaction=True)

# A key whose body appears nowhere else; its prefix "sk-or-v1" is itself a slice.
KEY = "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"
MODELS = ["demo/swift", "demo/echo", "demo/fail-auth"]


def slices_in(text: str, key: str = KEY) -> list[str]:
    lowered = text.lower()
    return sorted({piece for piece in key_slices(key) if piece.lower() in lowered})


@pytest.fixture
def every_log(caplog):
    """Every logger at DEBUG, the ones that keep their records to themselves included."""
    caplog.set_level(logging.DEBUG)
    names = list(logging.root.manager.loggerDict)
    private = []
    for name in names:
        logger = logging.getLogger(name)
        caplog.set_level(logging.DEBUG, logger=name)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
            private.append(logger)
    yield caplog
    for logger in private:
        logger.removeHandler(caplog.handler)


@dataclass
class Seen:
    """Everything a person was sent: bodies, headers, cookies and redirect targets."""

    pages: list[tuple[str, str]] = field(default_factory=list)

    def add(self, what: str, response, *, status: int | None = None):
        if status is not None:
            assert response.status_code == status, f"{what}: answered {response.status_code}"
        if getattr(response, "streaming", False):
            body = b"".join(response.streaming_content)
        else:
            body = response.content
        parts = [body.decode(), *(f"{name}: {value}" for name, value in response.items())]
        parts.append(response.cookies.output())
        parts += [url for url, _ in getattr(response, "redirect_chain", [])]
        self.pages.append((what, "\n".join(parts)))
        return response

    def add_http(self, what: str, response: httpx.Response, body: bytes) -> None:
        headers = "\n".join(f"{name}: {value}" for name, value in response.headers.multi_items())
        self.pages.append((what, body.decode() + "\n" + headers))


def run_form(**fields) -> dict:
    return {
        "prompt": "Name three rivers.",
        "instructions": "Be brief.",
        "temperature": "0.3",
        "max_output_tokens": "200",
        "reasoning_effort": "low",
        "models": MODELS,
        **fields,
    }


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_no_page_header_stream_download_or_log_line_holds_any_part_of_the_key(
    asgi_server, upstream, alice, bob, django_user_model, every_log
):
    seen = Seen()
    owner = logged_in(alice)
    htmx = {"HX-Request": "true"}

    # Adding the key: through the form, checked with the (fake) OpenRouter.
    seen.add("owner: key add form", owner.get("/keys/"), status=200)
    seen.add(
        "owner: adding the key",
        owner.post("/keys/", {"label": "work", "key": KEY}, follow=True),
        status=200,
    )
    api_key = ApiKey.objects.get(owner=alice)
    assert [r.headers["authorization"] for r in upstream.requests] == [f"Bearer {KEY}"]
    seen.add(
        "owner: key form error (duplicate label)",
        owner.post("/keys/", {"label": "work", "key": KEY}),
        status=400,
    )
    seen.add(
        "owner: key form error (no label)",
        owner.post("/keys/", {"label": "", "key": KEY}),
        status=400,
    )

    # A preset and its second version, saved from the compare form with her key chosen.
    key_choice = {"key": str(api_key.pk)}
    seen.add("owner: compare page", owner.get("/"), status=200)
    seen.add(
        "owner: saving a preset",
        owner.post(
            "/presets/save/",
            run_form(**key_choice, name="Rivers", description="Geography"),
            follow=True,
        ),
        status=200,
    )
    preset = Preset.objects.get(owner=alice)
    seen.add(
        "owner: saving version 2 (htmx)",
        owner.post(
            f"/presets/{preset.pk}/save/",
            run_form(**key_choice, prompt="Name four rivers."),
            headers=htmx,
        ),
    )
    assert preset.versions.count() == 2
    seen.add(
        "owner: sharing the preset",
        owner.post(f"/presets/{preset.pk}/share/", follow=True),
        status=200,
    )
    preset_share = Share.objects.get(kind="preset")

    # A run with her key, started as htmx does and streamed to the end by the ASGI server.
    seen.add(
        "owner: run fragment (htmx)", owner.post("/runs/", run_form(**key_choice), headers=htmx)
    )
    run = Run.objects.get(owner=alice)
    assert run.key_source == "user" and run.api_key == api_key
    cookies = session_cookies(owner)
    with httpx.Client(base_url=asgi_server.url, cookies=cookies, timeout=30) as http:
        for what in ("owner: SSE stream", "owner: SSE stream replayed"):
            with http.stream("GET", f"/runs/{run.pk}/stream/") as response:
                body = response.read()
            assert response.status_code == 200, what
            seen.add_http(what, response, body)
    assert b"event: done" in body
    run.refresh_from_db()
    assert run.status == "done"
    sent = [r.headers["authorization"] for r in upstream.requests if r.path.endswith("/responses")]
    assert sent == [f"Bearer {KEY}"] * len(MODELS)
    assert run.columns.get(model="demo/fail-auth").error_message  # an error is on the page

    seen.add(
        "owner: sharing the run", owner.post(f"/runs/{run.pk}/share/", follow=True), status=200
    )
    run_share = Share.objects.get(kind="run")
    seen.add("owner: run page", owner.get(f"/runs/{run.pk}/"), status=200)
    seen.add("owner: run page (htmx)", owner.get(f"/runs/{run.pk}/", headers=htmx), status=200)
    seen.add("owner: run inspector", owner.get(f"/runs/{run.pk}/inspect/"), status=200)
    seen.add("owner: run download", owner.get(f"/runs/{run.pk}/download/"), status=200)
    for column in run.columns.all():
        inspector = f"/runs/{run.pk}/columns/{column.position}/"
        seen.add(f"owner: inspector of {column.model}", owner.get(inspector), status=200)
        seen.add(
            f"owner: events of {column.model}",
            owner.get(f"{inspector}events/?page=1", headers=htmx),
            status=200,
        )
    seen.add("owner: history", owner.get("/runs/"), status=200)
    seen.add("owner: usage", owner.get("/usage/"), status=200)
    seen.add("owner: usage CSV", owner.get("/usage/export.csv"), status=200)
    seen.add("owner: history search", owner.get("/runs/?q=rivers&model=demo/swift"), status=200)
    seen.add("owner: run delete confirm", owner.get(f"/runs/{run.pk}/delete/"), status=200)
    seen.add(
        "owner: run kept as preset",
        owner.post(f"/runs/{run.pk}/save-preset/", {"name": "From the run"}, follow=True),
        status=200,
    )
    seen.add("owner: run again", owner.post(f"/runs/{run.pk}/rerun/", follow=True), status=200)

    # Form errors with her key chosen: htmx fragment and full page.
    bad = run_form(**key_choice, prompt="", temperature="hot")
    seen.add("owner: run form error (htmx)", owner.post("/runs/", bad, headers=htmx), status=200)
    seen.add("owner: run form error (page)", owner.post("/runs/", bad), status=400)
    seen.add(
        "owner: preset form error", owner.post("/presets/save/", {**bad, "name": ""}), status=400
    )

    # Presets, their history and downloads.
    seen.add("owner: presets", owner.get("/presets/"), status=200)
    seen.add("owner: preset page", owner.get(f"/presets/{preset.pk}/"), status=200)
    seen.add("owner: preset in compare", owner.get(f"/?preset={preset.pk}"), status=200)
    seen.add(
        "owner: preset v1 in compare", owner.get(f"/?preset={preset.pk}&version=1"), status=200
    )
    seen.add("owner: versions", owner.get(f"/presets/{preset.pk}/versions/"), status=200)
    seen.add("owner: diff", owner.get(f"/presets/{preset.pk}/diff/?a=1&b=2"), status=200)
    seen.add("owner: rename page", owner.get(f"/presets/{preset.pk}/rename/"), status=200)
    seen.add("owner: preset delete confirm", owner.get(f"/presets/{preset.pk}/delete/"), status=200)
    seen.add("owner: export one", owner.get(f"/presets/{preset.pk}/export/"), status=200)
    seen.add("owner: export all", owner.get("/presets/export/"), status=200)
    seen.add("owner: import page", owner.get("/presets/import/"), status=200)

    # Keys, shares, account.
    seen.add("owner: key list", owner.get("/keys/"), status=200)
    seen.add("owner: key delete confirm", owner.get(f"/keys/{api_key.pk}/delete/"), status=200)
    seen.add(
        "owner: key refresh", owner.post(f"/keys/{api_key.pk}/refresh/", follow=True), status=200
    )
    seen.add(
        "owner: make default", owner.post(f"/keys/{api_key.pk}/default/", follow=True), status=200
    )
    seen.add("owner: shares", owner.get("/shares/"), status=200)
    seen.add("owner: password change", owner.get("/accounts/password/"), status=200)
    seen.add("owner: not found", owner.get("/runs/999999/"), status=404)
    seen.add("owner: not found (no route)", owner.get("/no-such-page/"), status=404)

    # The shared pages, anonymously and as bob; bob's fork of the preset and his own pages.
    anonymous = Client()
    other = logged_in(bob)
    for token, kind in ((preset_share.token, "preset"), (run_share.token, "run")):
        seen.add(f"anonymous: shared {kind}", anonymous.get(f"/s/{token}/"), status=200)
        seen.add(f"bob: shared {kind}", other.get(f"/s/{token}/"), status=200)
        seen.add(f"owner: shared {kind}", owner.get(f"/s/{token}/"), status=200)
        seen.add(f"bob: fork confirm {kind}", other.get(f"/s/{token}/fork/"), status=200)
        seen.add(f"anonymous: fork {kind}", anonymous.get(f"/s/{token}/fork/"), status=302)
    seen.add(
        "bob: forking the run",
        other.post(f"/s/{run_share.token}/fork/", follow=True),
        status=200,
    )
    seen.add("bob: compare", other.get("/"), status=200)
    seen.add("bob: presets", other.get("/presets/"), status=200)
    seen.add("bob: history", other.get("/runs/"), status=200)
    seen.add("bob: usage", other.get("/usage/"), status=200)
    seen.add("bob: keys", other.get("/keys/"), status=200)
    seen.add("bob: alice's run", other.get(f"/runs/{run.pk}/"), status=404)
    seen.add("bob: alice's stream", other.get(f"/runs/{run.pk}/stream/"), status=404)
    seen.add("bob: alice's inspector", other.get(f"/runs/{run.pk}/columns/0/"), status=404)
    seen.add("bob: alice's download", other.get(f"/runs/{run.pk}/download/"), status=404)
    seen.add("bob: alice's key", other.get(f"/keys/{api_key.pk}/delete/"), status=404)
    seen.add("anonymous: login page", anonymous.get("/accounts/login/"), status=200)
    seen.add("anonymous: alice's run", anonymous.get(f"/runs/{run.pk}/"), status=302)

    # The admin's view of her key and what it was used for.
    root = django_user_model.objects.create_superuser("root", password="root-password-1")
    admin = logged_in(root)
    for url in (
        "/admin/playground/apikey/",
        f"/admin/playground/apikey/{api_key.pk}/change/",
        f"/admin/playground/apikey/{api_key.pk}/delete/",
        "/admin/playground/run/",
        f"/admin/playground/run/{run.pk}/change/",
        f"/admin/playground/preset/{preset.pk}/change/",
        f"/admin/playground/share/{run_share.pk}/change/",
        f"/admin/auth/user/{alice.pk}/change/",
    ):
        seen.add(f"admin: {url}", admin.get(url), status=200)

    # Deleting the key last: the message and the run that used it.
    seen.add(
        "owner: key deleted", owner.post(f"/keys/{api_key.pk}/delete/", follow=True), status=200
    )
    seen.add("owner: run after the key is gone", owner.get(f"/runs/{run.pk}/"), status=200)

    assert len(seen.pages) > 60
    assert slices_in(f"<p>{KEY[30:38]}</p>") and slices_in("SK-OR-V1")  # the search itself works
    shown = {what: found for what, text in seen.pages if (found := slices_in(text))}
    assert not shown, f"these responses hold 8-character slices of the key: {shown}"
    in_logs = slices_in(every_log.text)
    assert not in_logs, f"the log holds slices of the key: {in_logs}"
    assert every_log.records  # the capture worked: the requests above were logged
