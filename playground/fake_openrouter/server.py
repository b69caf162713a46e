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
from .catalog import BENCH_CATALOG, CATALOG, PROVIDER_NAME, find_model
from .generation import Generation
from .messages import EventStream, FakeRequest, FakeResponse, RecordedRequest
from .prompts import input_tokens, prompt_of
from .scenarios import SCENARIOS, USER_ID, Performance, Refusal, play
from .wire import error_envelope, json_bytes

# A key the fake treats as revoked on every endpoint, so key checks can be tested.
INVALID_KEY = "sk-or-v1-invalid"
KEY_LIMIT = Decimal(25)
_MODELS_ROUTE = ("GET", "/api/v1/models")

_CORS = [
    ("access-control-allow-origin", "*"),
    ("access-control-expose-headers", "X-Generation-Id,X-Provider-Name,cf-ray"),
]


class FakeOpenRouter:
    """OpenRouter's API, simulated. Scenarios are chosen by model id (see `CATALOG`).

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
        self._spent: defaultdict[str, Decimal] = defaultdict(Decimal)
        self._routes = {
            ("POST", "/api/v1/responses"): self._responses,
            _MODELS_ROUTE: self._models,
            ("GET", "/api/v1/key"): self._key,
            ("GET", "/api/v1/auth/key"): self._key,
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
        if endpoint is None:
            return _json(404, error_envelope(404, "Not Found"))
        key = _bearer_key(request.headers)
        if key == INVALID_KEY:
            return _json(401, error_envelope(401, "User not found."))
        # /models answers without a key in practice, though OAPI declares bearer auth (SPEC §6).
        if not key and route != _MODELS_ROUTE:
            return _json(401, error_envelope(401, "No auth credentials found"))
        return await endpoint(request, key)

    async def _responses(self, request: FakeRequest, key: str) -> FakeResponse:
        try:
            body = json.loads(request.body)
        except ValueError:
            return _invalid_prompt("Invalid Responses API request: the body is not valid JSON.")
        problem = _problem(body)
        if problem:
            return _invalid_prompt(problem)
        model = find_model(body["model"], bench=self.bench_models)
        if model is None:
            return _json(400, _model_not_found(body["model"]))
        scenario = SCENARIOS[model["id"]]
        if isinstance(scenario, Refusal):
            return _json(scenario.status, scenario.body, list(scenario.headers))
        generation = Generation(
            model=model,
            request=body,
            input_tokens=input_tokens(body),
            max_output_tokens=_output_limit(body, scenario),
            framing=scenario.framing,
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
                self._remember(generation, key, streamed=True, cancelled=not finished)

            stream = EventStream(script, pause=pause, on_end=on_end)
            return FakeResponse(200, _stream_headers(generation), stream)
        for delay, _ in script:
            await pause(delay)
        self._remember(generation, key, streamed=False, cancelled=False)
        return _json(200, generation.response(), _generation_headers(generation))

    def _remember(
        self, generation: Generation, key: str, *, streamed: bool, cancelled: bool
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
            "provider_name": PROVIDER_NAME,
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
            "num_media_prompt": None,
            "num_input_audio_prompt": None,
            "num_media_completion": 0,
            "num_search_results": None,
            "origin": "",
            "usage": cost,
            "is_byok": False,
            "native_finish_reason": finish_reason,
            "external_user": generation.request.get("user"),
            "api_type": "responses",
            "router": None,
            "provider_responses": None,
        }

    async def _models(self, request: FakeRequest, key: str) -> FakeResponse:
        catalog = self.catalog
        return _json(200, {"data": catalog, "total_count": len(catalog), "links": {"next": None}})

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

    async def _generation(self, request: FakeRequest, key: str) -> FakeResponse:
        generation_id = request.query.get("id")
        if not generation_id:
            return _json(400, error_envelope(400, "Missing required query parameter: id"))
        record = self._generations.get(generation_id)
        if record is None:
            return _json(404, error_envelope(404, f"Generation {generation_id} not found"))
        return _json(200, {"data": record})


async def _real_pause(delay: float) -> None:
    await asyncio.sleep(delay)


def _bearer_key(headers: dict[str, str]) -> str:
    """The key of `Authorization: Bearer <key>`, or "" when there is none."""
    scheme, _, key = headers.get("authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def _problem(body: Any) -> str | None:
    """Why a /responses body is rejected with `invalid_prompt`, if it is."""
    if not isinstance(body, dict):
        return "Invalid Responses API request: the body must be a JSON object."
    if not isinstance(body.get("input"), str | list):
        return "Invalid Responses API request: input is required (a string or a list of items)."
    if not isinstance(body.get("model"), str):
        return "Invalid Responses API request: model is required."
    if body.get("store") is True:
        return "store: true is not supported. The Responses API is stateless; send store: false."
    if body.get("previous_response_id") is not None:
        return (
            "previous_response_id is not supported. The Responses API is stateless; "
            "send the earlier turns in input instead."
        )
    limit = body.get("max_output_tokens")
    if limit is not None and (type(limit) is not int or limit < 1):
        return "Invalid Responses API request: max_output_tokens must be a positive integer."
    return None


def _output_limit(body: dict[str, Any], scenario: Performance) -> int | None:
    limits = [limit for limit in (body.get("max_output_tokens"), scenario.output_limit) if limit]
    return min(limits, default=None)


def _invalid_prompt(message: str) -> FakeResponse:
    """The Responses skin's validation envelope: a string code, `metadata` beside `error`."""
    return _json(400, {"error": {"code": "invalid_prompt", "message": message}, "metadata": None})


def _model_not_found(model_id: str) -> dict[str, Any]:
    return error_envelope(
        400,
        f"{model_id} is not a valid model ID",
        error_type="invalid_request",
        http_status=400,
        availability={
            "code": "model_not_found",
            "retryable": False,
            "retry_after": None,
            "requested_models": [model_id],
            "fallback_models": [],
            "docs_url": "https://openrouter.ai/models",
        },
    )


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
    return [("x-generation-id", generation.id), ("x-provider-name", PROVIDER_NAME)]


def _stream_headers(generation: Generation) -> list[tuple[str, str]]:
    return [
        ("content-type", "text/event-stream"),
        ("cache-control", "no-cache"),
        *_generation_headers(generation),
        *_CORS,
        ("vary", "Accept-Encoding"),
    ]
