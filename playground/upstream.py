"""Where the app's requests go: the real OpenRouter with the server's key, or the
built-in fake (demo mode) when no key is configured.

One `OpenRouterClient` (one httpx connection pool) per event loop: under uvicorn that is
one per process; sync views reach it through `async_to_sync`, which runs on that loop.
"""

import asyncio
import weakref
from dataclasses import dataclass

import httpx
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.cache import cache

from playground.crypto import KeyUnavailable
from playground.fake_openrouter import FakeOpenRouter
from playground.openrouter import DEFAULT_TIMEOUT, ModelInfo, OpenRouterClient, redact_key

# Sent to the fake in demo mode; the fake accepts any bearer token.
DEMO_KEY = "sk-or-v1-demo"
DEMO_BASE_URL = "https://demo.openrouter.invalid/api/v1"


@dataclass(frozen=True)
class Connection:
    """Which API a run talks to and with which key."""

    source: str  # a Run.KeySource value: "demo", "server" or "user"
    api_key: str
    base_url: str
    key_label: str = ""
    key_id: int | None = None  # the ApiKey row of a person's own key

    @property
    def is_demo(self) -> bool:
        return self.source == "demo"

    @property
    def key_hint(self) -> str:
        return "" if self.is_demo else redact_key(self.api_key)


def _fallback_connection() -> Connection:
    """For people without a key of their own: the server's key if allowed, else the demo."""
    if settings.OPENROUTER_API_KEY and settings.PLAYGROUND_ALLOW_SERVER_KEY:
        return Connection("server", settings.OPENROUTER_API_KEY, settings.OPENROUTER_BASE_URL)
    return Connection("demo", DEMO_KEY, DEMO_BASE_URL)


def key_source_for(user) -> str:
    """Where this person's runs go by default, without decrypting anything."""
    if user.is_authenticated and user.api_keys.exists():
        return "user"
    return _fallback_connection().source


def catalog_connection(user) -> Connection:
    """The API whose model list this person picks from (the list needs no key)."""
    if key_source_for(user) == "user":
        return Connection("user", "", settings.OPENROUTER_BASE_URL)
    return _fallback_connection()


def connection_for(user, api_key=None) -> Connection:
    """The connection of a run: the chosen key, else the person's default key, else the
    server's key when the admin allows it, else the demo.

    Raises KeyUnavailable when the stored key cannot be decrypted.
    """
    if api_key is None:
        api_key = user.api_keys.filter(is_default=True).first()
    if api_key is None:
        return _fallback_connection()
    return Connection(
        "user",
        api_key.reveal(),
        settings.OPENROUTER_BASE_URL,
        key_label=api_key.label,
        key_id=api_key.pk,
    )


def run_connection(run) -> Connection:
    """The connection a stored run was created with, resolved again when it streams.

    Raises KeyUnavailable when the run's own key was deleted or cannot be decrypted.
    """
    if run.key_source == "user":
        if run.api_key is None:
            raise KeyUnavailable(f"The key “{run.key_label}” was deleted.")
        return connection_for(run.owner, run.api_key)
    if run.key_source == "server" and settings.OPENROUTER_API_KEY:
        return Connection("server", settings.OPENROUTER_API_KEY, settings.OPENROUTER_BASE_URL)
    if run.key_source == "server":
        raise KeyUnavailable("The server's key is no longer configured.")
    return Connection("demo", DEMO_KEY, DEMO_BASE_URL)


_demo_fake: FakeOpenRouter | None = None


def demo_fake() -> FakeOpenRouter:
    """The process's simulated OpenRouter, paced by PLAYGROUND_DEMO_TIME_SCALE."""
    global _demo_fake
    if _demo_fake is None:
        _demo_fake = FakeOpenRouter(time_scale=settings.PLAYGROUND_DEMO_TIME_SCALE)
    return _demo_fake


_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, float], OpenRouterClient]
] = weakref.WeakKeyDictionary()


def get_client(connection: Connection) -> OpenRouterClient:
    """The shared client of the running event loop for this connection's API."""
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    read_timeout = settings.OPENROUTER_READ_TIMEOUT
    client = per_loop.get((connection.base_url, read_timeout))
    if client is None:
        client = OpenRouterClient(
            base_url=connection.base_url,
            app_url=settings.OPENROUTER_APP_URL,
            app_title=settings.OPENROUTER_APP_TITLE,
            transport=demo_fake().transport() if connection.is_demo else None,
            timeout=httpx.Timeout(
                connect=DEFAULT_TIMEOUT.connect,
                read=read_timeout,
                write=DEFAULT_TIMEOUT.write,
                pool=DEFAULT_TIMEOUT.pool,
            ),
        )
        per_loop[(connection.base_url, read_timeout)] = client
    return client


async def _fetch_catalog(connection: Connection) -> list[ModelInfo]:
    # /models is public: no key is sent, so the list is the same for everyone.
    return await get_client(connection).list_models()


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
