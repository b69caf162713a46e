"""The fake OpenRouter API: routing, auth, validation, and what it observed."""

import asyncio
import json
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from .adapters import ASGIApp, FakeTransport
from .catalog import BENCH_CATALOG, CATALOG, find_model
from .features import plan_of
from .generation import Generation
from .messages import EventStream, FakeRequest, FakeResponse, RecordedRequest
from .prompts import input_tokens, prompt_of
from .routing import Route, model_endpoints, route
from .scenarios import USER_ID, Performance, Refusal, play
from .validation import Problem, request_problem
from .wire import error_envelope, json_bytes

# A key the fake treats as revoked on every endpoint, so key checks can be tested.
INVALID_KEY = "sk-or-v1-invalid"
KEY_LIMIT = Decimal(25)
# Seconds after a generation ends before `GET /generation` knows it (wire format §6), at time
# scale 1: until then it answers 404, as OpenRouter does.
GENERATION_RECORD_DELAY = 0.5
_MODELS_ROUTE = ("GET", "/api/v1/models")
_ENDPOINTS_PREFIX = "/api/v1/models/"
_ENDPOINTS_SUFFIX = "/endpoints"


def _is_endpoints_path(route: tuple[str, str]) -> bool:
    """`GET /api/v1/models/{author}/{slug}/endpoints`, with the model id in its middle."""
    method, path = route
    middle = path.removeprefix(_ENDPOINTS_PREFIX).removesuffix(_ENDPOINTS_SUFFIX)
    return (
        method == "GET"
        and path.startswith(_ENDPOINTS_PREFIX)
        and path.endswith(_ENDPOINTS_SUFFIX)
        and middle.count("/") >= 1
    )


_CORS = [
    ("access-control-allow-origin", "*"),
    ("access-control-expose-headers", "X-Generation-Id,X-Provider-Name,cf-ray"),
]


class FakeOpenRouter:
    """OpenRouter's API, simulated. Each model id has its scenario (see `CATALOG`), which
    also does what the request asks (tools, JSON, web search, images, reasoning); the
    request's `provider` and `models` choose who serves it (see `routing`).

    `time_scale` multiplies every simulated delay; 0 streams without sleeping.
    `bench_models` also offers the benchmark's models (`BENCH_CATALOG`).
    """

    def __init__(self, *, time_scale: float = 1.0, bench_models: bool = False) -> None:
        if time_scale < 0:
            raise ValueError("time_scale cannot be negative")
        self.time_scale = time_scale
        self.bench_models = bench_models
        self.catalog = CATALOG + BENCH_CATALOG if bench_models else CATALOG
        self.requests: list[RecordedRequest] = []
        self.streams_started = 0
        self.streams_finished = 0
        self.streams_closed_early = 0
        self.asgi_app = ASGIApp(self.handle)
        self._generations: dict[str, dict[str, Any]] = {}
        self._recorded_at: dict[str, float] = {}
        self._spent: defaultdict[str, Decimal] = defaultdict(Decimal)
        self._routes = {
            ("POST", "/api/v1/responses"): self._responses,
            _MODELS_ROUTE: self._models,
            ("GET", "/api/v1/key"): self._key,
            ("GET", "/api/v1/auth/key"): self._key,
            ("GET", "/api/v1/credits"): self._credits,
            ("GET", "/api/v1/generation"): self._generation,
        }

    @property
    def open_streams(self) -> int:
        return self.streams_started - self.streams_finished - self.streams_closed_early

    def transport(self) -> httpx.AsyncBaseTransport:
        return FakeTransport(self.handle)

    async def wait_until_closed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        # Polled, not signalled: under uvicorn the streams live on another thread's loop.
        async with asyncio.timeout(timeout):
            while self.open_streams:  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    async def _pause(self, delay: float) -> None:
        # Read at every step, so a test can change the pace of a stream under way.
        # sleep(0) still yields to the loop: a zero time scale streams too.
        await asyncio.sleep(delay * self.time_scale)

    async def handle(self, request: FakeRequest) -> FakeResponse:
        self.requests.append(RecordedRequest.of(request))
        route = (request.method, request.path.rstrip("/"))
        endpoint = self._routes.get(route)
        if endpoint is None and _is_endpoints_path(route):
            endpoint = self._endpoints
        if endpoint is None:
            return _json(404, error_envelope(404, "Not Found"))
        key = _bearer_key(request.headers)
        if key == INVALID_KEY:
            return _json(401, error_envelope(401, "User not found."))
        # /models answers without a key in practice, though OAPI declares bearer auth
        # (wire format §6).
        if not key and route != _MODELS_ROUTE:
            return _json(401, error_envelope(401, "No auth credentials found"))
        return await endpoint(request, key)

    async def _responses(self, request: FakeRequest, key: str) -> FakeResponse:
        try:
            body = json.loads(request.body)
        except ValueError:
            return _invalid_prompt("Invalid Responses API request: the body is not valid JSON.")
        problem = request_problem(body)
        if problem:
            return _invalid_prompt(problem)
        served = route(body, plan_of(body), bench=self.bench_models)
        if isinstance(served, Refusal):
            return _json(served.status, served.body, list(served.headers))
        scenario = served.scenario
        generation = Generation(
            model=served.model,
            request=body,
            input_tokens=input_tokens(body),
            max_output_tokens=_output_limit(body, scenario),
            framing=scenario.framing,
            plan=served.plan,
            provider=served.provider.name,
            price_factor=served.provider.price_factor,
        )
        script = play(scenario, generation, prompt_of(body))
        pause = _real_pause if scenario.real_time else self._pause
        if body.get("stream") is True:
            self.streams_started += 1

            def on_end(finished: bool) -> None:
                if finished:
                    self.streams_finished += 1
                else:
                    self.streams_closed_early += 1
                self._remember(generation, served, key, streamed=True, cancelled=not finished)

            stream = EventStream(script, pause=pause, on_end=on_end)
            return FakeResponse(200, _stream_headers(generation), stream)
        for delay, _ in script:
            await pause(delay)
        self._remember(generation, served, key, streamed=False, cancelled=False)
        return _json(200, generation.response(), _generation_headers(generation))

    def _remember(
        self, generation: Generation, served: Route, key: str, *, streamed: bool, cancelled: bool
    ) -> None:
        """Bill the key and keep what `GET /generation` reports (OAPI `GenerationResponse`)."""
        input_cost, output_cost = generation.costs()
        cost = input_cost + output_cost
        self._spent[key] += cost
        now = time.monotonic()
        first_token_at = generation.first_token_at or now
        finish_reason = None if cancelled else generation.finish_reason
        self._generations[generation.id] = {
            "id": generation.id,
            "upstream_id": None,
            "total_cost": cost,
            "cache_discount": None,
            "upstream_inference_cost": None,
            "created_at": datetime.fromtimestamp(generation.created_at, UTC).isoformat(),
            "model": generation.model["id"],
            "app_id": None,
            "streamed": streamed,
            "cancelled": cancelled,
            "provider_name": generation.provider,
            "latency": round((first_token_at - generation.started) * 1000),
            "moderation_latency": None,
            "generation_time": round((now - first_token_at) * 1000),
            "finish_reason": finish_reason,
            "tokens_prompt": generation.input_tokens,
            "tokens_completion": generation.output_tokens,
            "native_tokens_prompt": generation.input_tokens,
            "native_tokens_completion": generation.output_tokens,
            "native_tokens_completion_images": 0,
            "native_tokens_reasoning": generation.reasoning_tokens,
            "native_tokens_cached": 0,
            "num_media_prompt": len(generation.plan.images) or None,
            "num_input_audio_prompt": None,
            "num_media_completion": 0,
            "num_search_results": generation.plan.search_results
            if generation.web_searches
            else None,
            "origin": "",
            "usage": cost,
            "is_byok": False,
            "native_finish_reason": finish_reason,
            "external_user": generation.request.get("user"),
            "api_type": "responses",
            "router": None,
            "provider_responses": _attempts(served, generation),
        }
        delay = GENERATION_RECORD_DELAY * self.time_scale
        self._recorded_at[generation.id] = time.monotonic() + delay

    async def _models(self, request: FakeRequest, key: str) -> FakeResponse:
        catalog = self.catalog
        return _json(200, {"data": catalog, "total_count": len(catalog), "links": {"next": None}})

    async def _endpoints(self, request: FakeRequest, key: str) -> FakeResponse:
        """`GET /api/v1/models/{author}/{slug}/endpoints`: who serves the model."""
        path = request.path.rstrip("/")
        model_id = path.removeprefix(_ENDPOINTS_PREFIX).removesuffix(_ENDPOINTS_SUFFIX)
        model = find_model(model_id, bench=self.bench_models)
        if model is None:
            return _json(404, error_envelope(404, "No endpoints found for this model."))
        fields = ("id", "name", "created", "description", "architecture")
        data = {name: model.get(name) for name in fields}
        return _json(200, {"data": {**data, "endpoints": model_endpoints(model)}})

    async def _key(self, request: FakeRequest, key: str) -> FakeResponse:
        spent = self._spent[key]
        return _json(
            200,
            {
                "data": {
                    "label": f"sk-or-v1-{key.removeprefix('sk-or-v1-')[:3]}...{key[-3:]}",
                    "limit": KEY_LIMIT,
                    "limit_remaining": KEY_LIMIT - spent,
                    "limit_reset": "monthly",
                    "include_byok_in_limit": False,
                    "usage": spent,
                    "usage_daily": spent,
                    "usage_weekly": spent,
                    "usage_monthly": spent,
                    "byok_usage": 0,
                    "byok_usage_daily": 0,
                    "byok_usage_weekly": 0,
                    "byok_usage_monthly": 0,
                    "is_free_tier": False,
                    "is_management_key": False,
                    "is_provisioning_key": False,
                    "creator_user_id": USER_ID,
                    "expires_at": None,
                    "rate_limit": {
                        "requests": -1,
                        "interval": "10s",
                        "note": "This field is deprecated and safe to ignore.",
                    },
                }
            },
        )

    async def _credits(self, request: FakeRequest, key: str) -> FakeResponse:
        """The account's balance is the key's limit: `total_credits - total_usage`."""
        return _json(200, {"data": {"total_credits": KEY_LIMIT, "total_usage": self._spent[key]}})

    async def _generation(self, request: FakeRequest, key: str) -> FakeResponse:
        generation_id = request.query.get("id")
        if not generation_id:
            return _json(400, error_envelope(400, "Missing required query parameter: id"))
        record = self._generations.get(generation_id)
        # The record shows up a moment after the generation ends (wire format §6).
        if record is None or time.monotonic() < self._recorded_at[generation_id]:
            return _json(404, error_envelope(404, f"Generation {generation_id} not found"))
        return _json(200, {"data": record})


async def _real_pause(delay: float) -> None:
    await asyncio.sleep(delay)


def _bearer_key(headers: dict[str, str]) -> str:
    """The key of `Authorization: Bearer <key>`, or "" when there is none."""
    scheme, _, key = headers.get("authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def _output_limit(body: dict[str, Any], scenario: Performance) -> int | None:
    limits = [limit for limit in (body.get("max_output_tokens"), scenario.output_limit) if limit]
    return min(limits, default=None)


def _invalid_prompt(problem: Problem | str) -> FakeResponse:
    """The Responses skin's validation envelope: a string code, `metadata` beside `error`."""
    if isinstance(problem, str):
        problem = Problem(problem)
    metadata = {"raw": problem.raw} if problem.raw else None
    return _json(
        400,
        {"error": {"code": "invalid_prompt", "message": problem.message}, "metadata": metadata},
    )


def _attempts(served: Route, generation: Generation) -> list[dict[str, Any]]:
    """One entry per attempt, the fallbacks' failures first (OAPI `ProviderResponse`)."""
    attempts = [
        {"model_permaslug": model_id, "provider_name": provider or None, "status": status}
        for model_id, provider, status in served.failed
    ]
    attempts.append(
        {
            "model_permaslug": served.model["id"],
            "provider_name": generation.provider,
            "status": 200,
        }
    )
    return attempts


def _json(
    status: int, body: dict[str, Any], extra_headers: list[tuple[str, str]] | None = None
) -> FakeResponse:
    data = json_bytes(body)
    headers = [
        ("content-type", "application/json"),
        ("content-length", str(len(data))),
        *_CORS,
        ("vary", "Accept-Encoding"),
    ]
    return FakeResponse(status, headers + (extra_headers or []), data)


def _generation_headers(generation: Generation) -> list[tuple[str, str]]:
    return [("x-generation-id", generation.id), ("x-provider-name", generation.provider)]


def _stream_headers(generation: Generation) -> list[tuple[str, str]]:
    return [
        ("content-type", "text/event-stream"),
        ("cache-control", "no-cache"),
        *_generation_headers(generation),
        *_CORS,
        ("vary", "Accept-Encoding"),
    ]
