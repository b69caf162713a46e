"""Byte-level conventions of OpenRouter's wire format: JSON numbers, SSE framing, ids."""

import base64
import json
import secrets
import string
import time
from decimal import Decimal
from enum import Enum
from typing import Any

_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits


def dumps(value: Any) -> str:
    """Compact JSON in the given key order, with Decimals as plain numbers.

    OpenRouter prints costs JavaScript-style (`0.0000225`); Python's json would write a
    float as `2.25e-05` and cannot write a Decimal at all, hence this small encoder.
    """
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{dumps(key)}:{dumps(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def json_bytes(value: Any) -> bytes:
    return dumps(value).encode()


def error_envelope(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """OpenRouter's standard error body: an integer `code`, after `message` (wire format §5.2)."""
    return {"error": {"message": message, "code": status, **extra}}


class Framing(Enum):
    """How events are written on the wire (wire format §4.1)."""

    # `data:` lines only, `: OPENROUTER PROCESSING` keep-alives, `data: [DONE]` at the end.
    OPENROUTER = "openrouter"
    # OpenAI's own stream: an `event: <type>` line before each `data:`, no comments, no [DONE].
    OPENAI = "openai"


KEEPALIVE = b": OPENROUTER PROCESSING\n\n"
DONE = b"data: [DONE]\n\n"


def sse_event(event: dict[str, Any], framing: Framing) -> bytes:
    data = b"data: " + json_bytes(event) + b"\n\n"
    if framing is Framing.OPENAI:
        return f"event: {event['type']}\n".encode() + data
    return data


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def generation_id() -> str:
    """`gen-<unix seconds>-<20 alnum>`: a Responses id is the generation id (wire format §1)."""
    return f"gen-{int(time.time())}-{_random(_ALNUM, 20)}"


def item_id(prefix: str) -> str:
    """`msg_tmp_…`, `rs_tmp_…`, `fc_tmp_…`: ids OpenRouter synthesises for output items."""
    return f"{prefix}_tmp_{_random(_LOWER_ALNUM, 11)}"


def call_id() -> str:
    return f"call_{_random(_ALNUM, 24)}"


def encrypted_reasoning(endpoint_slug: str) -> str:
    """An opaque reasoning blob, with OpenRouter's `.<base64url {"endpoint_slug": …}>`
    suffix (wire format §3, X3). Clients send it back unchanged and never read it."""
    blob = base64.urlsafe_b64encode(b"\x80" + secrets.token_bytes(180)).decode()
    suffix = base64.urlsafe_b64encode(json_bytes({"endpoint_slug": endpoint_slug})).decode()
    return f"gAAAAA{blob.rstrip('=')}.{suffix.rstrip('=')}"
