"""Where the app's requests go: the real OpenRouter with the server's key, or the
built-in fake (demo mode) when no key is configured.

One `OpenRouterClient` (one httpx connection pool) per event loop: under uvicorn that is
one per process; sync views reach it through `async_to_sync`, which runs on that loop.
"""

import asyncio
import hashlib
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.timesince import timesince

from playground.core.crypto import KeyUnavailable
from playground.fake_openrouter import FakeOpenRouter
from playground.models import CatalogCopy
from playground.openrouter import (
    DEFAULT_TIMEOUT,
    ModelEndpoint,
    ModelInfo,
    OpenRouterClient,
    OpenRouterError,
    parse_models,
    redact_key,
)

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


@dataclass(frozen=True)
class Catalog:
    """The models on offer from one API, and how current the list is."""

    models: list[ModelInfo]
    fetched_at: datetime  # when this list arrived from the API
    # Why this is an older copy: the API could not be reached just now. Empty when fresh.
    problem: str = ""

    @property
    def age(self) -> str:
        """How long ago the list was fetched, in words: "3 hours ago"."""
        if timezone.now() - self.fetched_at < timedelta(minutes=1):
            return "less than a minute ago"
        return f"{timesince(self.fetched_at, depth=1)} ago"


# While the API is unreachable, the last good copy is served for this long before the
# API is tried again, so that every page load does not wait on a dead connection.
STALE_RETRY_SECONDS = 60


def _cache_key(connection: Connection) -> str:
    return f"catalog:{connection.base_url}"


async def _fetch_models_body(connection: Connection) -> dict:
    # /models is public: no key is sent, so the list is the same for everyone.
    return await get_client(connection).models_body()


def _catalog_fetch(connection: Connection) -> Catalog:
    """The model list fetched from the API now; it becomes the cached list and the last
    good copy. Raises OpenRouterError when the API cannot be reached."""
    body = async_to_sync(_fetch_models_body)(connection)
    models = parse_models(body)
    if not models:
        # An empty list offers nothing to pick: a stored copy, if any, serves better.
        raise OpenRouterError.bad_response("OpenRouter sent a model list without any model.")
    catalog = Catalog(models=models, fetched_at=timezone.now())
    CatalogCopy.objects.update_or_create(
        base_url=connection.base_url,
        defaults={"body": body, "fetched_at": catalog.fetched_at},
    )
    cache.set(_cache_key(connection), catalog, settings.PLAYGROUND_CATALOG_TTL)
    return catalog


def _last_good_copy(connection: Connection, error: OpenRouterError) -> Catalog:
    """The stored copy, marked with why it is used; raises `error` when there is none."""
    copy = CatalogCopy.objects.filter(base_url=connection.base_url).first()
    if copy is None:
        raise error
    catalog = Catalog(
        models=parse_models(copy.body), fetched_at=copy.fetched_at, problem=error.message
    )
    cache.set(
        _cache_key(connection), catalog, min(STALE_RETRY_SECONDS, settings.PLAYGROUND_CATALOG_TTL)
    )
    return catalog


def _endpoints_key(connection: Connection, model_id: str) -> str:
    digest = hashlib.sha256(f"{connection.base_url}\n{model_id}".encode()).hexdigest()
    return f"endpoints:{digest}"


async def _fetch_endpoints(
    connection: Connection, model_ids: list[str]
) -> list[list[ModelEndpoint] | OpenRouterError]:
    client = get_client(connection)
    found = await asyncio.gather(
        *(client.model_endpoints(model_id, api_key=connection.api_key) for model_id in model_ids),
        return_exceptions=True,
    )
    for outcome in found:
        if isinstance(outcome, BaseException) and not isinstance(outcome, OpenRouterError):
            raise outcome
    return found


def endpoints_load(
    connection: Connection, model_ids: Iterable[str]
) -> dict[str, list[ModelEndpoint] | None]:
    """Who serves each model (`GET /models/{id}/endpoints`, the models at once), cached
    for PLAYGROUND_CATALOG_TTL seconds; None for a model the API could not say it of
    (kept for STALE_RETRY_SECONDS, so a dead API is not asked on every keystroke)."""
    endpoints: dict[str, list[ModelEndpoint] | None] = {}
    missing = []
    for model_id in dict.fromkeys(model_ids):
        cached = cache.get(_endpoints_key(connection, model_id))
        if isinstance(cached, list):
            endpoints[model_id] = cached
        elif cached is False:
            endpoints[model_id] = None
        else:
            missing.append(model_id)
    if missing:
        for model_id, outcome in zip(
            missing, async_to_sync(_fetch_endpoints)(connection, missing), strict=True
        ):
            if isinstance(outcome, OpenRouterError):
                endpoints[model_id] = None
                ttl = min(STALE_RETRY_SECONDS, settings.PLAYGROUND_CATALOG_TTL)
                cache.set(_endpoints_key(connection, model_id), False, ttl)
            else:
                endpoints[model_id] = outcome
                cache.set(
                    _endpoints_key(connection, model_id), outcome, settings.PLAYGROUND_CATALOG_TTL
                )
    return endpoints


def catalog_load(connection: Connection) -> Catalog:
    """The models on offer: cached for PLAYGROUND_CATALOG_TTL seconds; when the API cannot
    be reached, the last good copy with the reason.

    Raises OpenRouterError only when the API cannot be reached and was never reached
    before. Sync only: it reads the database.
    """
    catalog = cache.get(_cache_key(connection))
    return catalog if isinstance(catalog, Catalog) else catalog_refresh(connection)


def catalog_refresh(connection: Connection) -> Catalog:
    """Fetches the model list again now, whatever is cached. On failure the last good copy
    stays in use and comes back with the reason; raises OpenRouterError when there is none."""
    try:
        return _catalog_fetch(connection)
    except OpenRouterError as error:
        return _last_good_copy(connection, error)
