"""Which model and provider serve a request, or the error OpenRouter answers instead.

OpenRouter tries the request's model, then each of its `models` fallbacks, when one
fails before streaming (rate limit, downtime, no endpoint able to serve it). For each
model it picks a provider from the preferences in `provider` (wire format §2).
"""

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .catalog import PROVIDER_NAME, find_model, prices
from .features import Plan
from .scenarios import Performance, Refusal, scenario_for
from .wire import error_envelope

ROUTING_DOCS = (
    "To learn more about provider routing, visit: https://openrouter.ai/docs/provider-routing"
)
# Failures another model may succeed at; 401 and 402 are the account's, not the model's.
FALLBACK_STATUSES = {404, 429, 500, 502, 503}
MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Provider:
    slug: str
    name: str
    # Its price relative to the catalog's, which is the cheapest provider's.
    price_factor: Decimal = Decimal(1)
    collects_data: bool = False
    zdr: bool = False
    tokens_per_second: int = 100
    seconds_to_first_token: float = 0.5

    def answers_to(self, reference: str) -> bool:
        """OpenRouter takes a provider's slug or its name, in any case."""
        wanted = _normal(reference)
        return wanted in {_normal(self.slug), _normal(self.name)}


def _normal(text: str) -> str:
    return "-".join(text.lower().replace("_", " ").replace("-", " ").split())


# Every demo model is served by these three, which differ as real providers do.
PROVIDERS = (
    Provider(
        "demo-labs",
        PROVIDER_NAME,
        Decimal(1),
        zdr=True,
        tokens_per_second=90,
        seconds_to_first_token=0.4,
    ),
    Provider(
        "swiftserve",
        "SwiftServe",
        Decimal("1.2"),
        collects_data=True,
        tokens_per_second=240,
        seconds_to_first_token=0.6,
    ),
    Provider(
        "nearby-cloud",
        "Nearby Cloud",
        Decimal("1.5"),
        tokens_per_second=60,
        seconds_to_first_token=0.15,
    ),
)


@dataclass(frozen=True)
class Route:
    model: dict[str, Any]
    scenario: Performance
    provider: Provider
    plan: Plan
    # The attempts before this one: (model id, provider name, status).
    failed: tuple[tuple[str, str, int], ...] = ()


def route(body: dict[str, Any], plan: Plan, *, bench: bool) -> Route | Refusal:
    """The model and provider that serve `body`, or the error it gets."""
    candidates = _candidates(body)
    unknown = [model_id for model_id in candidates if find_model(model_id, bench=bench) is None]
    if unknown:
        return Refusal(400, _model_not_found(unknown[0], candidates))
    failed: list[tuple[str, str, int]] = []
    first_error: Refusal | None = None
    for model_id in candidates:
        model = find_model(model_id, bench=bench)
        assert model is not None
        outcome = _serve(model, body, plan)
        if isinstance(outcome, Route):
            return dataclasses.replace(outcome, failed=tuple(failed))
        first_error = first_error or outcome
        failed.append((model_id, _provider_of(outcome), outcome.status))
        if outcome.status not in FALLBACK_STATUSES:
            break
    assert first_error is not None
    return first_error


def _candidates(body: dict[str, Any]) -> list[str]:
    models = [body["model"]] if isinstance(body.get("model"), str) else []
    models += body.get("models") or []
    return list(dict.fromkeys(models))


def _serve(model: dict[str, Any], body: dict[str, Any], plan: Plan) -> Route | Refusal:
    plan = _as_served(model, plan)
    if isinstance(plan, Refusal):
        return plan
    provider = choose_provider(model, body.get("provider"))
    if isinstance(provider, Refusal):
        return provider
    scenario = scenario_for(model)
    if isinstance(scenario, Refusal):
        return scenario
    return Route(model, scenario, provider, plan)


def model_endpoints(model: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's endpoints as `GET /models/{author}/{slug}/endpoints` lists them: one
    per demo provider, priced by its factor over the catalog's prices."""
    prompt, completion = prices(model)
    top = model.get("top_provider") or {}
    return [
        {
            "name": f"{provider.name} | {model['id']}",
            "model_id": model["id"],
            "model_name": model.get("name", model["id"]),
            "context_length": model.get("context_length"),
            "pricing": {
                "prompt": str(prompt * provider.price_factor),
                "completion": str(completion * provider.price_factor),
            },
            "provider_name": provider.name,
            "tag": provider.slug,
            "quantization": None,
            "max_completion_tokens": top.get("max_completion_tokens"),
            "max_prompt_tokens": None,
            "supported_parameters": list(model.get("supported_parameters") or []),
            "status": 0,
            "uptime_last_30m": 100,
            "supports_implicit_caching": False,
        }
        for provider in PROVIDERS
    ]


def _supports(model: dict[str, Any], *parameters: str) -> bool:
    return bool(set(parameters) & set(model.get("supported_parameters") or []))


def _as_served(model: dict[str, Any], plan: Plan) -> Plan | Refusal:
    """The plan as this model can carry it out. Tools and images need an endpoint that
    takes them (404 otherwise, as OpenRouter answers); other parameters a model does not
    support are dropped, unless `provider.require_parameters` asks for them."""
    if plan.tools_offered and not _supports(model, "tools"):
        return _no_endpoint(f"No endpoints found that support tool use. {ROUTING_DOCS}")
    modalities = (model.get("architecture") or {}).get("input_modalities") or ["text"]
    if plan.images and "image" not in modalities:
        return _no_endpoint("No endpoints found that support image input")
    json_ok = _supports(model, "structured_outputs", "response_format")
    reasoning_asked = plan.reasoning.summary or plan.reasoning.budget or plan.reasoning.encrypted
    if plan.require_parameters and (
        (plan.json_format and not json_ok)
        or (reasoning_asked and not _supports(model, "reasoning"))
    ):
        return _no_endpoint(
            f"No endpoints found that can handle the requested parameters. {ROUTING_DOCS}"
        )
    if plan.json_format and not json_ok:
        return dataclasses.replace(plan, json_format=None)
    return plan


def choose_provider(model: dict[str, Any], preferences: Any) -> Provider | Refusal:
    """The provider the preferences pick: the first of `only` or `order` that passes the
    filters (`ignore`, data policy, max price), else the best by `sort` (price first)."""
    prefs = preferences if isinstance(preferences, dict) else {}
    # A slug no endpoint of the model has is no provider at all, as on OpenRouter: `only`
    # of such slugs alone leaves no endpoint (404), and in `order` they are passed over.
    order = _providers(prefs.get("order") or [])
    pool = _providers(prefs["only"]) if prefs.get("only") else list(PROVIDERS)
    ignored = prefs.get("ignore") or []
    pool = [p for p in pool if not any(p.answers_to(reference) for reference in ignored)]
    if prefs.get("allow_fallbacks") is False and order:
        pool = [p for p in pool if p in order]
    if not pool:
        return _no_endpoint("No allowed providers are available for the selected model.")
    if prefs.get("data_collection") == "deny":
        pool = [p for p in pool if not p.collects_data]
    if prefs.get("zdr") is True:
        pool = [p for p in pool if p.zdr]
    if not pool:
        return _no_endpoint(
            "No endpoints found matching your data policy. "
            "Configure: https://openrouter.ai/settings/privacy"
        )
    pool = [p for p in pool if _within(model, p, prefs.get("max_price"))]
    if not pool:
        return _no_endpoint("No endpoints found that match your max_price limits.")
    ranked = [p for p in order if p in pool]
    ranked += sorted((p for p in pool if p not in ranked), key=_sort_key(prefs.get("sort")))
    return ranked[0]


def _providers(references: list[Any]) -> list[Provider]:
    """The demo providers the references name (by slug or name), in their order."""
    found = []
    for reference in references:
        provider = next((p for p in PROVIDERS if p.answers_to(str(reference))), None)
        if provider is not None and provider not in found:
            found.append(provider)
    return found


def _sort_key(sort: Any) -> Any:
    if isinstance(sort, dict):
        sort = sort.get("by")
    if sort == "throughput":
        return lambda p: -p.tokens_per_second
    if sort == "latency":
        return lambda p: p.seconds_to_first_token
    return lambda p: p.price_factor


def _within(model: dict[str, Any], provider: Provider, limits: Any) -> bool:
    """Whether the provider's prices (USD per million tokens) are within `max_price`."""
    if not isinstance(limits, dict):
        return True
    prompt, completion = prices(model)
    for key, per_token in (("prompt", prompt), ("completion", completion)):
        try:
            limit = Decimal(str(limits[key])) if key in limits else None
        except InvalidOperation:
            limit = None
        if limit is not None and per_token * provider.price_factor * MILLION > limit:
            return False
    return True


def _no_endpoint(message: str) -> Refusal:
    return Refusal(404, error_envelope(404, message))


def _provider_of(refused: Refusal) -> str:
    metadata = refused.body.get("error", {}).get("metadata") or {}
    return metadata.get("provider_name") or ""


def _model_not_found(model_id: str, requested: list[str]) -> dict[str, Any]:
    return error_envelope(
        400,
        f"{model_id} is not a valid model ID",
        error_type="invalid_request",
        http_status=400,
        availability={
            "code": "model_not_found",
            "retryable": False,
            "retry_after": None,
            "requested_models": requested,
            "fallback_models": [],
            "docs_url": "https://openrouter.ai/models",
        },
    )
