"""One error type for everything that can go wrong when talking to OpenRouter."""

from __future__ import annotations

import json
import math
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ._values import as_dict, as_str, clean_json

_STATUS_KINDS = {
    400: "invalid_request",
    401: "auth",
    402: "credits",
    403: "forbidden",
    404: "not_found",
    408: "timeout",
    413: "invalid_request",
    422: "invalid_request",
    429: "rate_limit",
    500: "server",
    502: "provider_down",
    503: "provider_down",
    504: "timeout",
    524: "timeout",
    529: "provider_down",
}

# OpenRouter's canonical `error_type` vocabulary (wire format §5.3). Values missing here
# ("refusal", "unmapped") say nothing about the cause.
_ERROR_TYPE_KINDS = {
    "authentication": "auth",
    "payment_required": "credits",
    "rate_limit_exceeded": "rate_limit",
    "permission_denied": "forbidden",
    "content_policy_violation": "forbidden",
    "not_found": "not_found",
    "timeout": "timeout",
    "provider_overloaded": "provider_down",
    "provider_unavailable": "provider_down",
    "server": "server",
    **dict.fromkeys(
        (
            "context_length_exceeded",
            "max_tokens_exceeded",
            "token_limit_exceeded",
            "string_too_long",
            "invalid_request",
            "invalid_prompt",
            "precondition_failed",
            "payload_too_large",
            "unprocessable",
            "invalid_image",
            "image_too_large",
            "image_too_small",
            "unsupported_image_format",
            "image_not_found",
            "image_download_failed",
        ),
        "invalid_request",
    ),
}

# The Responses skin's string codes; "server_error" is left out because OpenRouter
# also uses it for auth failures, overload and timeouts (wire format §5.2).
_CODE_KINDS = {
    "rate_limit_exceeded": "rate_limit",
    "invalid_prompt": "invalid_request",
    "invalid_image": "invalid_request",
    "image_content_policy_violation": "forbidden",
}

_LEADS = {
    "auth": "OpenRouter rejected the API key",
    "credits": "Out of credits",
    "rate_limit": "Rate limited by the provider",
    "forbidden": "OpenRouter refused the request",
    "invalid_request": "OpenRouter rejected the request",
    "not_found": "No model or provider is available for this request",
    "timeout": "The request timed out",
    "provider_down": "The provider is down or overloaded",
    "server": "OpenRouter had an internal error",
    "stream_failed": "The answer stopped with an error",
    "network": "The connection to OpenRouter failed",
}


# What a transport failure means, for the exceptions that often come without a message.
_TRANSPORT_DETAILS = {
    httpx.ConnectError: "could not connect",
    httpx.ReadError: "the connection was reset or broke off",
    httpx.WriteError: "the request could not be sent",
    httpx.RemoteProtocolError: "the connection closed before the answer was complete",
}


class OpenRouterError(Exception):
    """A failed request or stream, with a message a person can act on.

    `kind` is the stable category to branch on; `code` is the upstream code as text
    (or ours: "timeout", "network", "bad_response"); `status` is None when no HTTP
    error status was involved (network failures, errors inside a stream).
    """

    def __init__(
        self,
        *,
        kind: str,
        code: str,
        message: str,
        status: int | None = None,
        upstream_message: str = "",
        retry_after: float | None = None,
        error_type: str | None = None,
        provider: str | None = None,
        metadata: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.message = message
        self.status = status
        self.upstream_message = upstream_message
        self.retry_after = retry_after
        self.error_type = error_type
        self.provider = provider
        self.metadata = _plain(metadata or {})

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_http(cls, status: int, headers: Mapping[str, str], body: bytes) -> OpenRouterError:
        """An error from a non-2xx response, whichever envelope its body uses (wire format §5.2)."""
        try:
            parsed = clean_json(json.loads(body))
        except ValueError:
            parsed = None
        payload = parsed if isinstance(parsed, dict) else {}
        error = as_dict(payload.get("error"))
        # The gateway puts `metadata` inside `error`; the Responses skin puts it beside.
        metadata = as_dict(error.get("metadata")) or as_dict(payload.get("metadata"))
        upstream_message = as_str(error.get("message"))
        if not upstream_message and isinstance(payload.get("error"), str):
            upstream_message = payload["error"]
        kind = _STATUS_KINDS.get(status) or _kind_for_unlisted_status(status)
        retry_after = _retry_after_header(headers)
        if retry_after is None:
            retry_after = _retry_after_body(error, metadata)
        detail = upstream_message or httpx.codes.get_reason_phrase(status)
        return cls(
            kind=kind,
            code=_code(error.get("code")) or str(status),
            message=_describe(kind, detail, status=status, retry_after=retry_after),
            status=status,
            upstream_message=upstream_message,
            retry_after=retry_after,
            error_type=as_str(error.get("error_type"))
            or as_str(payload.get("error_type"))
            or as_str(metadata.get("error_type"))
            or None,
            provider=as_str(metadata.get("provider_name")) or None,
            metadata=metadata,
        )

    @classmethod
    def from_event(cls, data: dict) -> OpenRouterError:
        """An error reported inside a stream: `response.failed`, `error` or `response.error`.

        The `error` event comes flat (`code`, `message`; OAPI) or nested under `error`
        (OpenAI, prose docs), so both are read (wire format §4.2).
        """
        response = as_dict(data.get("response"))
        error = as_dict(data.get("error")) or as_dict(response.get("error"))
        metadata = as_dict(error.get("metadata")) or as_dict(data.get("metadata"))
        code = _code(data.get("code")) or _code(error.get("code"))
        upstream_message = as_str(data.get("message")) or as_str(error.get("message"))
        error_type = (
            as_str(response.get("error_type"))
            or as_str(data.get("error_type"))
            or as_str(error.get("error_type"))
            or as_str(metadata.get("error_type"))
            or None
        )
        kind = _ERROR_TYPE_KINDS.get(error_type or "") or _kind_for_code(code)
        retry_after = _retry_after_body(error, metadata)
        return cls(
            kind=kind,
            code=code or "stream_failed",
            message=_describe(kind, upstream_message, retry_after=retry_after),
            upstream_message=upstream_message,
            retry_after=retry_after,
            error_type=error_type,
            provider=as_str(metadata.get("provider_name")) or None,
            metadata=metadata,
        )

    @classmethod
    def from_transport(cls, exc: httpx.HTTPError) -> OpenRouterError:
        """A timeout or a broken connection, before or during a stream."""
        if isinstance(exc, httpx.TimeoutException):
            seconds = _timeout_seconds(exc)
            within = f" within {seconds:g} s" if seconds is not None else " in time"
            if isinstance(exc, httpx.PoolTimeout):
                # Every connection of the pool is held by a stream under way.
                return cls(
                    kind="timeout",
                    code="pool_timeout",
                    message="This server has too many requests to OpenRouter under way; "
                    f"none finished{within}. Try again in a moment.",
                )
            return cls(
                kind="timeout", code="timeout", message=f"No answer from OpenRouter{within}."
            )
        detail = (
            _connect_failure(exc)
            or str(exc)
            or _TRANSPORT_DETAILS.get(type(exc), type(exc).__name__)
        )
        return cls(kind="network", code="network", message=_describe("network", detail))

    @classmethod
    def bad_response(cls, message: str) -> OpenRouterError:
        """A response that breaks the protocol, or one this app failed to read."""
        return cls(kind="bad_response", code="bad_response", message=message)

    def to_dict(self) -> dict:
        """A JSON-ready form, for storing the error and showing it again later."""
        return {
            "kind": self.kind,
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "upstream_message": self.upstream_message,
            "retry_after": self.retry_after,
            "error_type": self.error_type,
            "provider": self.provider,
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OpenRouterError:
        return cls(
            kind=d.get("kind") or "bad_response",
            code=d.get("code") or "",
            message=d.get("message") or "",
            status=d.get("status"),
            upstream_message=d.get("upstream_message") or "",
            retry_after=d.get("retry_after"),
            error_type=d.get("error_type"),
            provider=d.get("provider"),
            metadata=d.get("metadata"),
        )


def _describe(
    kind: str, detail: str, *, status: int | None = None, retry_after: float | None = None
) -> str:
    lead = _LEADS[kind]
    if kind == "rate_limit" and retry_after is not None:
        return f"{lead}; try again in {math.ceil(retry_after)} s."
    if kind == "auth":
        return f"{lead} ({detail})." if detail else f"{lead}."
    if status is not None and kind in ("provider_down", "server"):
        lead = f"{lead} ({status})"
    return f"{lead}: {detail}" if detail else f"{lead}."


def _kind_for_unlisted_status(status: int) -> str:
    if 400 <= status < 500:
        return "invalid_request"
    if status >= 500:
        return "server"
    return "bad_response"


def _kind_for_code(code: str) -> str:
    # Chat-style in-stream errors carry an HTTP status as their code (wire format §5.4).
    if code.isdigit():
        return _STATUS_KINDS.get(int(code)) or _kind_for_unlisted_status(int(code))
    return _CODE_KINDS.get(code, "stream_failed")


def _retry_after_header(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` in seconds or as an HTTP date, as seconds from now."""
    value = next((v for name, v in headers.items() if name.lower() == "retry-after"), "")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _retry_after_body(error: dict, metadata: dict) -> float | None:
    availability = as_dict(error.get("availability"))
    for value in (availability.get("retry_after"), metadata.get("retry_after")):
        try:
            return max(float(value), 0.0)
        except (TypeError, ValueError):
            continue
    return None


def _connect_failure(exc: httpx.HTTPError) -> str:
    """Why a connection could not be made, from the OS error underneath: httpx reports
    a refused connection only as "All connection attempts failed"."""
    if not isinstance(exc, httpx.ConnectError):
        return ""
    try:
        url = exc.request.url
    except RuntimeError:  # httpx raises this when the exception carries no request
        return ""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"the host name {url.host} could not be found"
        if isinstance(cause, ConnectionRefusedError):
            port = url.port or _DEFAULT_PORTS.get(url.scheme, "")
            return f"{url.host}:{port} refused the connection"
        cause = cause.__cause__ or cause.__context__
    return ""


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _timeout_seconds(exc: httpx.TimeoutException) -> float | None:
    phase = {
        httpx.ConnectTimeout: "connect",
        httpx.ReadTimeout: "read",
        httpx.WriteTimeout: "write",
        httpx.PoolTimeout: "pool",
    }.get(type(exc))
    try:
        timeouts = exc.request.extensions.get("timeout", {})
    except RuntimeError:  # httpx raises this when the exception carries no request
        return None
    value = timeouts.get(phase) if phase else None
    return float(value) if value is not None else None


def _code(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return str(value)


def _plain(value: Any) -> Any:
    # Stream payloads are decoded with Decimal floats; stored errors must stay JSON.
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
