"""Malformed, missing, wrong-type and oversized input on every URL of playground/urls.py:
each answers below 500 (a 400 or a field error says what is wrong), and the app keeps
serving normal requests afterwards.

The URLs are read from the URLconf, so a new one is walked without being listed here."""

import json
import re

import httpx
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver

from playground import urls
from playground.models import Invite, Run
from playground.presets import sharing
from tests.evaluations.factories import a_finished_evaluation
from tests.factories import a_finished_run, a_preset, a_stored_key

pytestmark = pytest.mark.django_db

KEY = "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"
HUGE_ID = 10**30
BIG_TEXT = "x" * 60_000  # over SQLite's 50 kB LIKE limit; every field at once stays under 2.5 MB
# Invalid UTF-8, and a lone surrogate as some encoders write it (CESU-8).
NOT_UTF8 = b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xed\xa0\x80"
# What each URL parameter names, from a fresh "world" of alice's things.
PARAMETER_VALUES = {
    "run_id": "run",
    "preset_id": "preset",
    "share_id": "share",
    "key_id": "key",
    "dataset_id": "dataset",
    "evaluation_id": "evaluation",
    "position": 0,
    "number": 1,
}
FORM_FIELDS = [
    "prompt", "instructions", "temperature", "max_output_tokens", "reasoning_effort",
    "models", "key", "name", "description", "label", "note", "username", "password",
    "password1", "password2", "old_password", "new_password1", "new_password2", "file",
    "q", "model", "status", "page", "type", "stall", "a", "b", "preset", "version",
    "top_p", "top_k", "reasoning_max_tokens", "same_settings", "col-temperature",
    "col-provider_order", "col-max_price_prompt", "col-fallback_models", "tool-name",
    "tool-parameters", "tool_choice", "web_search", "web_search_max_results", "schema",
    "schema_name", "image_urls", "image_source", "keep_image", "budget", "setup",
    "setup_label", "dataset", "check_type", "check_value", "judge_model", "start", "column",
    "cell", "action", "var-city", "left", "right", "mode",
]  # fmt: skip
GARBAGE_VALUES = [
    BIG_TEXT,
    "-1",
    str(HUGE_ID),
    "1e309",
    "nan",
    "-inf",
    "0x1F",
    "١٢٣",  # Arabic-Indic digits: int() accepts them
    "<script>alert(1)</script>",
    "{'$gt': ''}",
    "",
    " ",
]
GARBAGE_QUERIES = [
    "page=-1&page=abc&preset=abc&version=x&a=-1&b=" + str(HUGE_ID),
    f"preset={HUGE_ID}&version={HUGE_ID}&page={HUGE_ID}&stall={HUGE_ID}",
    "page=0&preset=0&version=0&stall=1e999&type=" + "t" * 10_000,
    "models=" + ",".join(["demo/swift"] * 500),
    "q=%00&model=%ff%fe&status=%c3%28&type=%e2%28%a1&a=%00&b=%ff",
    "preset=%ff&page=%ff&stall=%ff",
    "q=" + "q" * 100_000,
    "stall=-5&page=1.5&a=1&b=1&preset=1.0",
    "since=%ff&check=-1&sort=x&with=abc&source=run:abc&dataset=abc&show=" + "s" * 1000,
    f"since=2026-13-45&check={HUGE_ID}&with={HUGE_ID}&dataset={HUGE_ID}&source=preset:{HUGE_ID}",
    "left=%ff&right=%C2%B2&mode=" + "m" * 1000,
    f"left={HUGE_ID}&right=-1&mode=%00&left=0",
]


def url_routes() -> list[tuple[str, str]]:
    """(name, route) for every URL of the app; the admin's own pages are Django's."""
    routes = []
    for pattern in urls.urlpatterns:
        if isinstance(pattern, URLPattern):
            routes.append((pattern.name, str(pattern.pattern)))
        elif isinstance(pattern, URLResolver):
            routes += [("admin-login", "admin/login/"), ("admin-index", "admin/")]
    return routes


ROUTES = url_routes()


@pytest.fixture
def world(alice, bob, upstream, settings):
    """Alice's things, the demo's sign-up open for its pages, and the fake OpenRouter on
    a loopback port for key checks."""
    settings.PLAYGROUND_SIGNUP = "open"
    run = a_finished_run(alice)
    preset = a_preset(alice)
    key = a_stored_key(alice, "work", KEY, default=True)
    share = sharing.preset_share(preset=preset)
    invite = Invite.objects.create(note="for fuzzing")
    evaluation = a_finished_evaluation(alice)
    return {
        "run": run,
        "preset": preset,
        "key": key,
        "share": share,
        "invite": invite,
        "dataset": evaluation.dataset,
        "evaluation": evaluation,
    }


def fill(route: str, world: dict, *, number=None, token=None) -> str:
    """The route with its parameters filled: the world's ids, or `number`/`token`."""

    def value(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        if converter == "str":
            if token is not None:
                return token
            return (
                world["invite"].token
                if name == "token" and "signup" in route
                else world["share"].token
            )
        if number is not None:
            return str(number)
        named = PARAMETER_VALUES[name]
        return str(named if isinstance(named, int) else world[named].pk)

    return "/" + re.sub(r"<(\w+):(\w+)>", value, route)


def garbage_form(value: str) -> dict:
    return {name: value for name in FORM_FIELDS}


def check(response, problems: list, what: str) -> None:
    """Below 500; a 400 says why in words."""
    status = response.status_code
    if status >= 500:
        problems.append(f"{what}: {status}")
        return
    if status == 400 and not response.streaming:
        text = re.sub(r"<[^>]+>", " ", response.content.decode("utf-8", "replace"))
        # Django's bare default ("Bad Request (400)" twice) says nothing of what to do.
        if len(text.split()) < 8:
            problems.append(f"{what}: 400 without a readable message")


def logged_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def garbage_requests(client: Client, path: str):
    """(description, response) for each malformed request to `path`."""
    for query in GARBAGE_QUERIES:
        yield f"GET {path}?{query[:40]}", client.get(f"{path}?{query}")
    for value in GARBAGE_VALUES:
        yield f"POST {path} fields={value[:20]!r}", client.post(path, garbage_form(value))
    yield (
        f"POST {path} many columns",
        client.post(path, {"prompt": "Hi", "models": ["demo/swift"] * 1000}),
    )
    yield (
        f"POST {path} not UTF-8",
        client.post(
            path,
            b"prompt=" + NOT_UTF8 + b"&models=" + NOT_UTF8 + b"&name=" + NOT_UTF8,
            content_type="application/x-www-form-urlencoded",
        ),
    )
    yield (
        f"POST {path} JSON",
        client.post(
            path,
            json.dumps({"prompt": ["a", {"b": None}], "models": 3, "name": {"x": 1}}),
            content_type="application/json",
        ),
    )
    yield (
        f"POST {path} broken multipart",
        client.post(
            path,
            b"--nope\r\nContent-Disposition: form-data; name=\xff\r\n\r\nzz",
            content_type="multipart/form-data; boundary=other",
        ),
    )
    yield (
        f"POST {path} too large",
        client.post(path, {"prompt": "p" * 3_000_000}),
    )
    yield f"GET {path} htmx", client.get(path, headers={"HX-Request": "true", "HX-Target": "\xff"})


@pytest.mark.parametrize(("name", "route"), ROUTES, ids=[name for name, _ in ROUTES])
def test_garbage_on_every_url_gets_a_clear_answer(world, alice, name, route, fake):
    problems: list[str] = []
    client = logged_in(alice)
    anonymous = Client(raise_request_exception=False)
    paths = [fill(route, world)]
    if "<" in route:
        paths += [
            fill(route, world, number=HUGE_ID, token="t" * 5000),
            fill(route, world, number=0, token="%ff%fe%00"),
            fill(route, world, number="00000000000000000000001", token=".."),
        ]
    for what, response in garbage_requests(client, paths[0]):
        check(response, problems, f"alice {what}")
    for what, response in garbage_requests(anonymous, paths[0]):
        check(response, problems, f"anonymous {what}")
    for path in paths[1:]:
        for method in ("get", "post"):
            response = getattr(client, method)(path, garbage_form(BIG_TEXT))
            check(response, problems, f"alice {method.upper()} {path[:60]}")
    assert not problems, "\n".join(problems)

    # Ordinary requests still work (with a new session: the walk may have logged out).
    again = logged_in(alice)
    assert again.get("/").status_code == 200
    assert again.get("/runs/").status_code == 200


def test_every_url_of_the_app_is_walked():
    walked = {name for name, _ in ROUTES}
    named = {pattern.name for pattern in urls.urlpatterns if isinstance(pattern, URLPattern)}
    assert named <= walked
    assert {"compare", "runs", "run-stream", "presets-import", "signup-invite"} <= walked


def test_ids_beyond_any_database_integer_are_not_found(world, alice, fake):
    client = logged_in(alice)
    for path in (
        f"/runs/{HUGE_ID}/",
        f"/runs/{HUGE_ID}/columns/{HUGE_ID}/",
        f"/presets/{2**63}/",
        f"/keys/{2**64}/delete/",
        f"/shares/{HUGE_ID}/revoke/",
        f"/?preset={HUGE_ID}",
        f"/?preset={world['preset'].pk}&version={HUGE_ID}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"not found" in response.content.lower(), path


def test_the_run_form_says_what_is_wrong_with_each_field(world, alice, fake):
    client = logged_in(alice)
    response = client.post(
        "/runs/",
        {
            "prompt": "Hi",
            "temperature": "hot",
            "max_output_tokens": str(HUGE_ID),
            "reasoning_effort": "<script>",
            "models": ["demo/swift"],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a number." in html
    assert "Ensure this value is less than or equal to 200000." in html
    assert "Select a valid choice." in html
    assert "&lt;script&gt;" in html and "<script>" not in html.split("</head>")[1]
    made = Run.objects.filter(owner=alice, evaluation__isnull=True).exclude(pk=world["run"].pk)
    assert not made.exists()


def test_a_prompt_with_a_nul_character_is_a_field_error(world, alice, fake):
    client = logged_in(alice)
    response = client.post("/runs/", {"prompt": "before\x00after", "models": ["demo/swift"]})
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_server_keeps_serving_after_malformed_http(asgi_server, alice_session):
    """Raw garbage at the real ASGI server (uvicorn): refused, and the next request works."""
    cookies = dict(alice_session)
    csrf = Client().get("/accounts/login/").cookies["csrftoken"].value
    cookies["csrftoken"] = csrf
    with httpx.Client(base_url=asgi_server.url, cookies=cookies, timeout=30) as http:
        headers = {"X-CSRFToken": csrf}
        answers = [
            http.get("/runs/%ff%fe/"),
            http.get("/s/%ff%fe%00/"),
            http.get("/runs/?page=%ff&q=%00"),
            http.get(f"/runs/{HUGE_ID}/stream/"),
            http.post(
                "/runs/",
                content=NOT_UTF8,
                headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            ),
            http.post(
                "/runs/", content=b"{", headers={**headers, "Content-Type": "application/json"}
            ),
            http.post(
                "/presets/import/",
                content=b"--x\r\n\r\n",
                headers={**headers, "Content-Type": "multipart/form-data; boundary=x"},
            ),
            http.post(
                "/runs/",
                content=b"a" * 3_000_000,
                headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            ),
        ]
        assert all(answer.status_code < 500 for answer in answers), [
            (answer.request.url, answer.status_code) for answer in answers
        ]
        assert http.get("/").status_code == 200
        response = http.post(
            "/runs/", data={"prompt": "Still here?", "models": "demo/echo"}, headers=headers
        )
        assert response.status_code == 302
