"""The HTTP client: one streamed `POST /responses` call at a time, the catalog, key
details and generation records."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from urllib.parse import quote

import httpx

from ._values import clean_json
from .catalog import ModelEndpoint, ModelInfo, parse_endpoints, parse_models
from .errors import OpenRouterError
from .events import StreamEvent, StreamOpened, iter_events
from .generation import Generation, parse_generation
from .key import KeyInfo, parse_key_info
from .request import build_headers

# OpenRouter sends `: OPENROUTER PROCESSING` comments while a model thinks, so a
# 60 s read timeout only fires on a dead connection, not on a slow model.
DEFAULT_TIMEOUT = httpx.Timeout(connect=10, read=60, write=10, pool=10)
# A call that only reads (the catalog, key details) is tried again after these pauses
# when OpenRouter answers 429 or 5xx: at most twice, since a person is waiting. A stream
# is never tried again: its first attempt may already have shown text or cost money.
RETRY_DELAYS = (0.5, 1.5)
# A generation's record appears a moment after its stream ends (wire format §6, `/generation`):
# until then the lookup answers 404, so it is tried again after these pauses, about 4 s
# in all, the most a usage panel is worth waiting for.
GENERATION_DELAYS = (0.25, 0.5, 1.0, 2.0)
# A Retry-After longer than this is not waited for: the error is shown at once.
MAX_RETRY_AFTER = 3.0
# A stream holds its connection to the end, so a cap on connections would be a cap on
# columns streaming at once per process (httpx's default of 100 stops the 101st column
# until one ends). The per-person run limits bound them instead; 100 idle connections are
# kept for reuse.
DEFAULT_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=100)


class OpenRouterClient:
    """A connection pool to OpenRouter; keep one per process and event loop."""

    def __init__(
        self,
        *,
        base_url: str,
        app_url: str,
        app_title: str,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        max_retry_after: float = MAX_RETRY_AFTER,
        generation_delays: Sequence[float] = GENERATION_DELAYS,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._app_url = app_url
        self._app_title = app_title
        self._retry_delays = tuple(retry_delays)
        self._max_retry_after = max_retry_after
        self._generation_delays = tuple(generation_delays)
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout, limits=limits)

    async def stream(self, body: dict, *, api_key: str) -> AsyncIterator[StreamEvent]:
        """The events of one streamed response, after a `StreamOpened` with the response's
        status and headers.

        Raises OpenRouterError for an error status, a broken or timed-out connection, or
        a body that is not an event stream. Closing the generator early closes the
        upstream connection, which stops generation and billing for most providers.
        """
        headers = build_headers(api_key=api_key, app_url=self._app_url, app_title=self._app_title)
        try:
            async with self._http.stream(
                "POST", f"{self._base_url}/responses", json=body, headers=headers
            ) as response:
                yield StreamOpened(
                    status=response.status_code,
                    headers=_as_sent(response.headers),
                    request_headers=_as_sent(response.request.headers),
                    arrived=time.perf_counter(),
                )
                if not response.is_success:
                    raise OpenRouterError.from_http(
                        response.status_code, response.headers, await response.aread()
                    )
                async with aclosing(iter_events(response)) as events:
                    async for event in events:
                        yield event
        except httpx.HTTPError as exc:
            raise OpenRouterError.from_transport(exc) from exc

    async def list_models(self, *, api_key: str | None = None) -> list[ModelInfo]:
        return parse_models(await self.models_body(api_key=api_key))

    async def models_body(self, *, api_key: str | None = None) -> dict:
        """The `/models` body as received, for a copy kept to parse again later."""
        return await self._get_json("/models", api_key=api_key, what="a model list")

    async def model_endpoints(self, model_id: str, *, api_key: str | None) -> list[ModelEndpoint]:
        """Who serves `model_id` (`GET /models/{author}/{slug}/endpoints`). An unknown
        model raises OpenRouterError with status 404."""
        path = f"/models/{quote(model_id, safe='/')}/endpoints"
        body = await self._get_json(path, api_key=api_key, what="a model's endpoints")
        return parse_endpoints(body)

    async def key_info(self, *, api_key: str) -> KeyInfo:
        """What OpenRouter says of the key: its limit, credit left, usage. A revoked or
        unknown key raises OpenRouterError with kind "auth"."""
        return parse_key_info(await self._get_json("/key", api_key=api_key, what="key details"))

    async def get_generation(self, generation_id: str, *, api_key: str) -> Generation:
        """What OpenRouter recorded of a generation (the response id of a stream): its
        provider, timings and native token counts.

        Raises OpenRouterError with kind "not_found" when there is still no record after
        the last pause of `generation_delays`.
        """
        pauses = iter(self._generation_delays)
        while True:
            try:
                body = await self._get_json(
                    "/generation",
                    api_key=api_key,
                    what="a generation record",
                    params={"id": generation_id},
                )
            except OpenRouterError as error:
                if error.status != 404:
                    raise
                pause = next(pauses, None)
                if pause is None:
                    # The usual 404 text speaks of models and providers, not of records.
                    raise OpenRouterError(
                        kind=error.kind,
                        code=error.code,
                        status=error.status,
                        upstream_message=error.upstream_message,
                        message=f"OpenRouter has no record of generation {generation_id!r}.",
                    ) from error
                await asyncio.sleep(pause)
            else:
                return parse_generation(body)

    async def _get_json(
        self,
        path: str,
        *,
        api_key: str | None,
        what: str,
        params: dict[str, str] | None = None,
    ) -> dict:
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        for pause in (*self._retry_delays, None):
            try:
                response = await self._http.get(
                    f"{self._base_url}{path}", headers=headers, params=params
                )
            except httpx.HTTPError as exc:
                raise OpenRouterError.from_transport(exc) from exc
            if response.is_success:
                break
            error = OpenRouterError.from_http(
                response.status_code, response.headers, response.content
            )
            retryable = response.status_code == 429 or response.status_code >= 500
            if pause is None or not retryable:
                raise error
            if error.retry_after is not None:
                if error.retry_after > self._max_retry_after:
                    raise error
                pause = max(pause, error.retry_after)
            await asyncio.sleep(pause)
        try:
            body = clean_json(response.json())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise OpenRouterError.bad_response(f"OpenRouter sent {what} that is not JSON.")
        return body

    async def aclose(self) -> None:
        await self._http.aclose()


def _as_sent(headers: httpx.Headers) -> dict[str, str]:
    """Headers with their names spelled as on the wire, in order; a repeated header's
    values joined with commas."""
    joined: dict[str, str] = {}
    for raw_name, raw_value in headers.raw:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined
