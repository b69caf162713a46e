"""The fake's model catalog: full `/models` entries (wire format §6), with varied capabilities."""

from decimal import Decimal
from typing import Any

PROVIDER_NAME = "Demo Labs"

_SAMPLING_PARAMETERS = ["temperature", "top_p"]
_PENALTY_PARAMETERS = ["frequency_penalty", "presence_penalty"]
_STRUCTURED_PARAMETERS = ["response_format", "structured_outputs"]
_TOOL_PARAMETERS = ["tool_choice", "tools"]
_REASONING_PARAMETERS = ["include_reasoning", "reasoning"]


def _model(
    slug: str,
    name: str,
    description: str,
    *,
    created: int,
    prompt: str,
    completion: str,
    context_length: int,
    max_completion_tokens: int,
    reasoning: bool = False,
    reasoning_budget: bool = False,
    tools: bool = False,
    structured: bool = True,
    sampling: bool = True,
    top_k: bool = False,
    penalties: bool = True,
    verbosity: bool = False,
    inputs: tuple[str, ...] = ("text",),
    image_price: str = "0",
    family: str = "demo",
) -> dict[str, Any]:
    """One `/models` entry. The flags say what the model supports, the way OpenRouter
    lists it in `supported_parameters`: OpenAI-style reasoning models take no sampling
    parameters, open-weight models take `top_k`, and so on."""
    model_id = f"{family}/{slug}"
    parameters = ["max_tokens", "seed", "stop"]
    parameters += _SAMPLING_PARAMETERS if sampling else []
    parameters += ["top_k"] if top_k else []
    parameters += _PENALTY_PARAMETERS if penalties else []
    parameters += _STRUCTURED_PARAMETERS if structured else []
    parameters += _TOOL_PARAMETERS if tools else []
    parameters += _REASONING_PARAMETERS if reasoning else []
    parameters += ["verbosity"] if verbosity else []
    entry: dict[str, Any] = {
        "id": model_id,
        "canonical_slug": f"{model_id}-20260101",
        "hugging_face_id": "",
        "name": f"{family.title()}: {name}",
        "created": created,
        "description": description,
        "context_length": context_length,
        "architecture": {
            "modality": f"{'+'.join(inputs)}->text",
            "input_modalities": list(inputs),
            "output_modalities": ["text"],
            "tokenizer": "Other",
            "instruct_type": None,
        },
        "pricing": {
            "prompt": prompt,
            "completion": completion,
            "request": "0",
            "image": image_price,
            "web_search": "0",
            "internal_reasoning": "0",
        },
        "top_provider": {
            "context_length": context_length,
            "max_completion_tokens": max_completion_tokens,
            "is_moderated": False,
        },
        "per_request_limits": None,
        "supported_parameters": sorted(parameters),
        "default_parameters": {"temperature": None, "top_p": None, "frequency_penalty": None},
    }
    if reasoning:
        entry["reasoning"] = {
            "supported_efforts": ["high", "medium", "low", "minimal"],
            "default_effort": "medium",
            "default_enabled": True,
            "mandatory": False,
            "supports_max_tokens": reasoning_budget,
        }
    entry["knowledge_cutoff"] = "2025-06-30"
    entry["expiration_date"] = None
    entry["links"] = {"details": f"/api/v1/models/{model_id}/endpoints"}
    return entry


CATALOG: list[dict[str, Any]] = [
    _model(
        "swift",
        "Swift",
        "Simulated. Fast and terse: about 0.2 s to the first token, then about 100 tokens "
        "a second, and a short plain-text answer.",
        created=1767225600,
        prompt="0.0000001",
        completion="0.0000004",
        context_length=131072,
        max_completion_tokens=16384,
        tools=True,
        top_k=True,
    ),
    _model(
        "swift:free",
        "Swift (free)",
        "Simulated. The free variant of Swift: the same answers at no cost, with a smaller "
        "context window, as OpenRouter's `:free` variants have.",
        created=1767225601,
        prompt="0",
        completion="0",
        context_length=32768,
        max_completion_tokens=8192,
        tools=True,
        top_k=True,
    ),
    _model(
        "reasoner",
        "Reasoner",
        "Simulated. Thinks out loud first (raw reasoning text, as open-weight models do), "
        "then answers; about 3 s in all.",
        created=1767312000,
        prompt="0.0000011",
        completion="0.0000044",
        context_length=131072,
        max_completion_tokens=32768,
        reasoning=True,
        reasoning_budget=True,
        tools=True,
        top_k=True,
    ),
    _model(
        "summarizer",
        "Summarizer",
        "Simulated. Streams a reasoning summary before the answer, framed the way "
        "OpenAI's own Responses stream is (event lines, no [DONE]). Reads images and files.",
        created=1767398400,
        prompt="0.00000125",
        completion="0.00001",
        context_length=400000,
        max_completion_tokens=128000,
        reasoning=True,
        tools=True,
        sampling=False,
        penalties=False,
        verbosity=True,
        inputs=("text", "image", "file"),
        image_price="0.001",
    ),
    _model(
        "markdown",
        "Markdown",
        "Simulated. Answers in markdown: a heading, a list, a table and a code block. "
        "Reads images.",
        created=1767484800,
        prompt="0.0000003",
        completion="0.0000025",
        context_length=1048576,
        max_completion_tokens=65536,
        tools=True,
        top_k=True,
        inputs=("text", "image"),
        image_price="0.0003",
    ),
    _model(
        "slow",
        "Slow",
        "Simulated. Slow on purpose: about 1 s to the first token, then about 6 tokens a "
        "second for a long answer (about 40 s). Good for trying Stop.",
        created=1767571200,
        prompt="0.000003",
        completion="0.000015",
        context_length=200000,
        max_completion_tokens=64000,
        structured=False,
    ),
    _model(
        "echo",
        "Echo",
        "Simulated. Repeats your prompt back verbatim, in small pieces.",
        created=1767657600,
        prompt="0.00000002",
        completion="0.00000008",
        context_length=32768,
        max_completion_tokens=32768,
        structured=False,
        penalties=False,
    ),
    _model(
        "tool-caller",
        "Tool caller",
        "Simulated. Calls a get_weather function instead of answering in text.",
        created=1767744000,
        prompt="0.0000004",
        completion="0.0000016",
        context_length=128000,
        max_completion_tokens=16384,
        tools=True,
    ),
    _model(
        "quiet",
        "Quiet",
        "Simulated. Says nothing for about 6 s (keep-alive comments only), then answers briefly.",
        created=1767830400,
        prompt="0.0000002",
        completion="0.0000006",
        context_length=65536,
        max_completion_tokens=8192,
    ),
    _model(
        "sloppy-json",
        "Sloppy JSON",
        "Simulated. Claims structured output, but its JSON leaves out a required property, "
        "and comes wrapped in prose when the schema is not strict.",
        created=1767873600,
        prompt="0.00000009",
        completion="0.00000027",
        context_length=65536,
        max_completion_tokens=8192,
    ),
    _model(
        "fail-auth",
        "Auth failure",
        "Simulated failure. Rejected before the first byte with 401 (user not found).",
        created=1767916800,
        prompt="0.0000005",
        completion="0.0000015",
        context_length=32768,
        max_completion_tokens=4096,
        tools=True,
    ),
    _model(
        "fail-credits",
        "Out of credits",
        "Simulated failure. Rejected before the first byte with 402 (insufficient credits).",
        created=1768003200,
        prompt="0.00000015",
        completion="0.0000006",
        context_length=32768,
        max_completion_tokens=4096,
        tools=True,
    ),
    _model(
        "fail-rate-limit",
        "Rate limited",
        "Simulated failure. Rejected before the first byte with 429 and Retry-After: 7.",
        created=1768089600,
        prompt="0.00000035",
        completion="0.0000014",
        context_length=32768,
        max_completion_tokens=4096,
        tools=True,
    ),
    _model(
        "fail-provider-down",
        "Provider down",
        "Simulated failure. Rejected before the first byte with 502 (provider unavailable).",
        created=1768176000,
        prompt="0.0000008",
        completion="0.0000032",
        context_length=32768,
        max_completion_tokens=4096,
        tools=True,
    ),
    _model(
        "fail-midstream",
        "Mid-stream failure",
        "Simulated failure. Starts answering, then the stream fails with response.failed.",
        created=1768262400,
        prompt="0.00000025",
        completion="0.000002",
        context_length=32768,
        max_completion_tokens=4096,
        tools=True,
    ),
    _model(
        "fail-incomplete",
        "Cut short",
        "Simulated failure. Stops part-way with response.incomplete (max_output_tokens), "
        "whatever the request asked for.",
        created=1768348800,
        prompt="0.0000006",
        completion="0.0000024",
        context_length=32768,
        max_completion_tokens=4096,
        tools=True,
    ),
]

# The benchmark's models (`make bench`): listed and served only by a fake made with
# `bench_models=True`, so the demo's model picker never offers them.
BENCH_CATALOG: list[dict[str, Any]] = [
    _model(
        "paced",
        "Paced",
        "Simulated, for the benchmark. One-token pieces on a fixed clock set by the prompt "
        "(`first=0.02 gap=0.05 count=100`), each stamped with the time it is due.",
        created=1768435200,
        prompt="0.00000001",
        completion="0.00000002",
        context_length=1048576,
        max_completion_tokens=1000000,
        family="bench",
    ),
]

# The fault modes (`fault/...`): served to anyone who names them, never listed by
# /models, so the demo's model picker does not offer a model that hangs on purpose.
_FAULTS = [
    ("overloaded", "Overloaded", "503 before the first byte, with Retry-After."),
    ("failed", "Failed", "A few words, then response.failed, then silence."),
    ("error-event", "Error event", "A few words, then an error event, then silence."),
    ("incomplete", "Incomplete", "A few words, then response.incomplete, then silence."),
    ("reset", "Reset", "A few words, then the TCP connection is reset."),
    ("silence", "Silence", "The response head, then nothing at all."),
    ("keepalive-forever", "Keep-alive forever", "Keep-alive comments, never an event."),
]
FAULT_CATALOG: list[dict[str, Any]] = [
    _model(
        slug,
        name,
        f"Simulated fault. {description}",
        created=1768521600 + number,
        prompt="0.0000001",
        completion="0.0000002",
        context_length=32768,
        max_completion_tokens=4096,
        family="fault",
    )
    for number, (slug, name, description) in enumerate(_FAULTS)
]

_BY_ID = {entry["id"]: entry for entry in CATALOG + FAULT_CATALOG}
_BENCH_BY_ID = {entry["id"]: entry for entry in BENCH_CATALOG}


def model_ids() -> list[str]:
    return [entry["id"] for entry in CATALOG]


def find_model(model_id: str, *, bench: bool = False) -> dict[str, Any] | None:
    """The catalog entry of a model id (the fault modes included); the benchmark's
    models only when `bench`."""
    return _BY_ID.get(model_id) or (_BENCH_BY_ID.get(model_id) if bench else None)


def prices(model: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """USD per input token and per output token."""
    pricing = model["pricing"]
    return Decimal(pricing["prompt"]), Decimal(pricing["completion"])
