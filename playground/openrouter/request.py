"""The body and headers of a streamed `POST /responses` call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True)
class RequestParams:
    model: str
    prompt: str
    instructions: str = ""
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    reasoning_effort: str | None = None

    def __post_init__(self) -> None:
        if self.reasoning_effort is not None and self.reasoning_effort not in REASONING_EFFORTS:
            raise ValueError(f"Unknown reasoning effort {self.reasoning_effort!r}.")


def build_body(params: RequestParams) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": params.model,
        "input": [
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": params.prompt}],
            }
        ],
    }
    if params.instructions:
        body["instructions"] = params.instructions
    optional = {
        "temperature": params.temperature,
        "top_p": params.top_p,
        "max_output_tokens": params.max_output_tokens,
    }
    body |= {name: value for name, value in optional.items() if value is not None}
    if params.reasoning_effort is not None:
        body["reasoning"] = {"effort": params.reasoning_effort}
    body["stream"] = True
    return body


def build_headers(*, api_key: str, app_url: str, app_title: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {api_key}",
        "HTTP-Referer": app_url,
        "X-OpenRouter-Title": app_title,
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
    }


def redact_key(key: str) -> str:
    if not key:
        return ""
    # A key this short would be shown whole; real keys are ~70 characters.
    if len(key) <= 4:
        return "…"
    return f"…{key[-4:]}"


# OpenRouter's keys start with this; showing it tells a reader which kind of key was sent
# without giving away any of the random part.
KEY_PREFIX = "sk-or-"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers as they may be logged or shown: the API key reduced to OpenRouter's
    public prefix and its last four, "Bearer sk-or-…abcd"."""
    redacted = dict(headers)
    for name, value in headers.items():
        if name.lower() == "authorization":
            key = value.removeprefix("Bearer ")
            prefix = KEY_PREFIX if key.startswith(KEY_PREFIX) and len(key) > 16 else ""
            redacted[name] = f"Bearer {prefix}{redact_key(key)}"
    return redacted
