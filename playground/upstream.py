"""Where the app's requests go: the real OpenRouter with the server's key, or the
built-in fake (demo mode) when no key is configured.

One `OpenRouterClient` (one httpx connection pool) per event loop: under uvicorn that is
one per process; sync views reach it through `async_to_sync`, which runs on that loop.
"""

import asyncio
import weakref
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.cache import cache

from playground.fake_openrouter import FakeOpenRouter
from playground.openrouter import ModelInfo, OpenRouterClient, redact_key

# Sent to the fake in demo mode; the fake accepts any bearer token.
DEMO_KEY = "sk-or-v1-demo"
DEMO_BASE_URL = "https://demo.openrouter.invalid/api/v1"


@dataclass(frozen=True)
class Connection:
    """Which API a run talks to and with which key."""

    source: str  # Run.KeySource value: "demo" or "server"
    api_key: str
    base_url: str

    @property
    def is_demo(self) -> bool:
        return self.source == "demo"

    @property
    def key_hint(self) -> str:
        return "" if self.is_demo else redact_key(self.api_key)


def current_connection() -> Connection:
    if settings.OPENROUTER_API_KEY:
        return Connection("server", settings.OPENROUTER_API_KEY, settings.OPENROUTER_BASE_URL)
    return Connection("demo", DEMO_KEY, DEMO_BASE_URL)


_demo_fake: FakeOpenRouter | None = None


def demo_fake() -> FakeOpenRouter:
    """The process's simulated OpenRouter, paced by PLAYGROUND_DEMO_TIME_SCALE."""
    global _demo_fake
    if _demo_fake is None:
        _demo_fake = FakeOpenRouter(time_scale=settings.PLAYGROUND_DEMO_TIME_SCALE)
    return _demo_fake


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, OpenRouterClient]] = (
    weakref.WeakKeyDictionary()
)


def get_client(connection: Connection) -> OpenRouterClient:
    """The shared client of the running event loop for this connection's API."""
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(connection.base_url)
    if client is None:
        client = OpenRouterClient(
            base_url=connection.base_url,
            app_url=settings.OPENROUTER_APP_URL,
            app_title=settings.OPENROUTER_APP_TITLE,
            transport=demo_fake().transport() if connection.is_demo else None,
        )
        per_loop[connection.base_url] = client
    return client


async def _fetch_catalog(connection: Connection) -> list[ModelInfo]:
    return await get_client(connection).list_models(
        api_key=None if connection.is_demo else connection.api_key
    )


def model_catalog(connection: Connection) -> list[ModelInfo]:
    """The models on offer, from /models, cached for PLAYGROUND_CATALOG_TTL seconds.

    Raises OpenRouterError when the list cannot be loaded (nothing is cached then).
    """
    cache_key = f"catalog:{connection.base_url}"
    models = cache.get(cache_key)
    if models is None:
        models = async_to_sync(_fetch_catalog)(connection)
        cache.set(cache_key, models, settings.PLAYGROUND_CATALOG_TTL)
    return models
