"""`GET /key`: what OpenRouter says of a key, read tolerantly, errors as OpenRouterError."""

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from playground.fake_openrouter import FakeOpenRouter
from playground.fake_openrouter.server import INVALID_KEY
from playground.openrouter import KeyInfo, OpenRouterClient, OpenRouterError, parse_key_info

BASE_URL = "https://or.test/api/v1"
KEY = "sk-or-v1-0123456789abcdef0123456789abcdef"


def fake_client(fake: FakeOpenRouter | None = None) -> OpenRouterClient:
    transport = (fake or FakeOpenRouter(time_scale=0)).transport()
    return OpenRouterClient(base_url=BASE_URL, app_url="u", app_title="t", transport=transport)


async def test_key_info_reads_the_fakes_answer_for_a_key():
    fake = FakeOpenRouter(time_scale=0)
    client = fake_client(fake)

    info = await client.key_info(api_key=KEY)

    [request] = fake.requests
    assert request.method == "GET" and request.path == "/api/v1/key"
    assert request.headers["authorization"] == f"Bearer {KEY}"

    assert info == KeyInfo(
        label="sk-or-v1-012...def",
        limit=Decimal(25),
        limit_remaining=Decimal(25),
        limit_reset="monthly",
        usage=Decimal(0),
        is_free_tier=False,
        expires_at=None,
    )
    await client.aclose()


async def test_a_revoked_key_is_refused_with_openrouters_reason():
    client = fake_client()

    with pytest.raises(OpenRouterError) as caught:
        await client.key_info(api_key=INVALID_KEY)

    assert caught.value.kind == "auth" and caught.value.status == 401
    assert caught.value.message == "OpenRouter rejected the API key (User not found.)."
    await client.aclose()


def test_the_spec_example_keeps_money_exact_and_reads_the_expiry():
    body = {
        "data": {
            "label": "sk-or-v1-au7...890",
            "limit": 100,
            "limit_remaining": 74.5,
            "limit_reset": "monthly",
            "usage": 25.5,
            "is_free_tier": False,
            "expires_at": "2027-12-31T23:59:59Z",
            "rate_limit": {"requests": 1000, "interval": "1h"},
        }
    }

    info = parse_key_info(body)

    assert info.limit == Decimal(100) and info.limit_remaining == Decimal("74.5")
    assert info.usage == Decimal("25.5")
    assert info.expires_at == datetime(2027, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_an_unlimited_key_has_no_limit_and_odd_fields_read_as_unknown():
    body = {
        "data": {
            "limit": None,
            "limit_remaining": None,
            "limit_reset": None,
            "usage": "not a number",
            "is_free_tier": "yes",
            "expires_at": "someday",
        }
    }

    assert parse_key_info(body) == KeyInfo(
        label="",
        limit=None,
        limit_remaining=None,
        limit_reset=None,
        usage=None,
        is_free_tier=False,
        expires_at=None,
    )
    assert parse_key_info({}) == parse_key_info({"data": "nothing"})


class Canned(httpx.AsyncBaseTransport):
    def __init__(self, response=None, *, failure=None):
        self.response = response
        self.failure = failure

    async def handle_async_request(self, request):
        if self.failure is not None:
            raise self.failure("refused", request=request)
        return self.response


@pytest.mark.parametrize(
    ("transport", "kind"),
    [
        (Canned(httpx.Response(503, text="<html>down</html>")), "provider_down"),
        (Canned(httpx.Response(200, text="<html>ok?</html>")), "bad_response"),
        (Canned(failure=httpx.ConnectError), "network"),
    ],
)
async def test_key_info_failures_become_openrouter_errors(transport, kind):
    client = OpenRouterClient(base_url=BASE_URL, app_url="u", app_title="t", transport=transport)

    with pytest.raises(OpenRouterError) as caught:
        await client.key_info(api_key=KEY)

    assert caught.value.kind == kind
    await client.aclose()
