"""Copy-as-code: one column's stored request as a script a person can paste and run.

Each snippet sends the same body to the same URL with the same non-secret headers, reads
the key from the OPENROUTER_API_KEY environment variable, and prints the answer as it
streams in. The Authorization header given is never read: a stored request holds only a
redacted key, and a snippet must not carry any part of one.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Headers that carry credentials; a snippet sets its own Authorization from the environment.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
# Headers of the connection rather than the request, recorded as they were sent: each
# client sets its own (a copied Content-Length would not fit the snippet's own body).
_TRANSPORT_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "accept-encoding", "user-agent"}
)

# Body keys the openai SDK's `responses.create` has long taken as keyword arguments (a test
# checks them against the installed SDK). Anything else (OpenRouter's own `provider`, `models`,
# `plugins`, `top_k`, ...) goes through `extra_body`, which the SDK merges into the JSON body,
# so the request on the wire is the same either way.
OPENAI_KWARGS = frozenset(
    {
        "include",
        "input",
        "instructions",
        "max_output_tokens",
        "metadata",
        "model",
        "parallel_tool_calls",
        "previous_response_id",
        "reasoning",
        "service_tier",
        "store",
        "stream",
        "temperature",
        "text",
        "tool_choice",
        "tools",
        "top_p",
        "truncation",
        "user",
    }
)


@dataclass(frozen=True)
class Snippet:
    """One runnable script; `language` names it for syntax highlighting."""

    id: str
    label: str
    filename: str
    language: str
    code: str


def code_snippets(
    *, body: Mapping[str, Any], headers: Mapping[str, str], base_url: str
) -> list[Snippet]:
    """The request `body` with `headers` to `{base_url}/responses`, as curl, Python and
    TypeScript. `body` is a streamed request (`"stream": true`), as every column sends."""
    if body.get("stream") is not True:
        raise ValueError('Only a streamed request ("stream": true) can be shown as code.')
    base = base_url.rstrip("/")
    url = f"{base}/responses"
    public = {
        name: value
        for name, value in headers.items()
        if name.lower() not in _SECRET_HEADERS | _TRANSPORT_HEADERS
    }
    return [
        Snippet("curl", "curl", "request.sh", "bash", _curl(url, public, body)),
        Snippet(
            "python-openai",
            "Python (openai SDK)",
            "request_openai.py",
            "python",
            _python_openai(base, public, body),
        ),
        Snippet(
            "python-httpx",
            "Python (httpx)",
            "request_httpx.py",
            "python",
            _python_httpx(url, public, body),
        ),
        Snippet(
            "typescript",
            "TypeScript (fetch)",
            "request.ts",
            "typescript",
            _typescript(url, public, body),
        ),
    ]


# curl

_CURL = """
# Streams one response from OpenRouter's Responses API as server-sent events; the answer
# arrives in response.output_text.delta events. The key is read from $OPENROUTER_API_KEY.
curl -N __URL__ \\
  -H "Authorization: Bearer $OPENROUTER_API_KEY" \\
__HEADERS__  --data-binary @- <<'__DELIMITER__'
__BODY__
__DELIMITER__
"""


def _curl(url: str, headers: Mapping[str, str], body: Mapping[str, Any]) -> str:
    data = _json(body)
    # A quoted here-document passes the body through the shell untouched: no quoting of
    # quotes, `$`, backticks or backslashes in the prompt. Indented JSON never has a line
    # that is just the delimiter; the loop keeps that true whatever the body holds.
    delimiter = "JSON"
    while delimiter in data.splitlines():
        delimiter += "_END"
    return _fill(
        _CURL,
        URL=shlex.quote(url),
        HEADERS="".join(
            f"  -H {shlex.quote(f'{name}: {value}')} \\\n" for name, value in headers.items()
        ),
        DELIMITER=delimiter,
        BODY=data,
    )


# Python

_PYTHON_OPENAI = r'''
"""Streams one response from OpenRouter's Responses API and prints its text as it arrives.

Needs `pip install openai`; the key is read from the OPENROUTER_API_KEY environment variable.
"""

import os
import sys

from openai import OpenAI

client = OpenAI(
    base_url=__BASE_URL__,
    api_key=os.environ["OPENROUTER_API_KEY"],
    default_headers=__HEADERS__,
)

stream = client.responses.create(
__ARGUMENTS__)
for event in stream:
    if event.type == "response.output_text.delta":
        print(event.delta, end="", flush=True)
    elif event.type == "error":
        sys.exit(f"\nThe stream failed: {event.message}")
    elif event.type == "response.failed":
        sys.exit(f"\nThe stream failed: {event.response.error.message}")
print()
'''

_PYTHON_HTTPX = r'''
"""Streams one response from OpenRouter's Responses API and prints its text as it arrives.

Needs `pip install httpx`; the key is read from the OPENROUTER_API_KEY environment variable.
"""

import json
import os
import sys

import httpx

URL = __URL__
HEADERS = {
    "Authorization": f"Bearer {os.environ['OPENROUTER_API_KEY']}",
__HEADERS__}
BODY = __BODY__

# A slow model may think for minutes before its first word.
timeout = httpx.Timeout(30, read=300)
with httpx.stream("POST", URL, headers=HEADERS, json=BODY, timeout=timeout) as response:
    if response.is_error:
        response.read()
        sys.exit(f"HTTP {response.status_code}: {response.text}")
    for line in response.iter_lines():
        # Blank lines end events; `: OPENROUTER PROCESSING` lines are keep-alives.
        if not line.startswith("data:"):
            continue
        data = line.removeprefix("data:").strip()
        if data == "[DONE]":
            break
        event = json.loads(data)
        if event["type"] == "response.output_text.delta":
            print(event["delta"], end="", flush=True)
        elif event["type"] in ("error", "response.error", "response.failed"):
            error = event.get("error") or event.get("response", {}).get("error") or event
            sys.exit(f"\nThe stream failed: {error.get('message', error)}")
print()
'''


def _python_openai(base_url: str, headers: Mapping[str, str], body: Mapping[str, Any]) -> str:
    arguments = {name: value for name, value in body.items() if name in OPENAI_KWARGS}
    extra = {name: value for name, value in body.items() if name not in OPENAI_KWARGS}
    if extra:
        arguments["extra_body"] = extra
    return _fill(
        _PYTHON_OPENAI,
        BASE_URL=_py(base_url, 1),
        HEADERS=_py(dict(headers), 1),
        ARGUMENTS="".join(f"    {name}={_py(value, 1)},\n" for name, value in arguments.items()),
    )


def _python_httpx(url: str, headers: Mapping[str, str], body: Mapping[str, Any]) -> str:
    return _fill(
        _PYTHON_HTTPX,
        URL=_py(url),
        HEADERS="".join(f"    {_py(name)}: {_py(value, 1)},\n" for name, value in headers.items()),
        BODY=_py(dict(body)),
    )


# Characters of a container's contents (with its indent) that still fit on its key's line.
_SHORT_CONTAINER = 60


def _py(value: Any, level: int = 0) -> str:
    """`value` as a Python literal, laid out for reading, on a line indented `level` times."""
    inner = "    " * (level + 1)
    outer = "    " * level
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        pieces = re.findall(r"[^\n]*\n|[^\n]+", value)
        if len(pieces) < 2:
            return _py_string(value)
        # One line of source per line of text, so a long prompt reads as it was typed.
        joined = "".join(f"{inner}{_py_string(piece)}\n" for piece in pieces)
        return f"(\n{joined}{outer})"
    if isinstance(value, Mapping):
        items = [f"{_py_string(str(key))}: {_py(item, level + 1)}" for key, item in value.items()]
        opening, closing = "{", "}"
    elif isinstance(value, list | tuple):
        items = [_py(item, level + 1) for item in value]
        opening, closing = "[", "]"
    else:
        raise TypeError(f"A request body cannot hold {type(value).__name__}.")
    flat = ", ".join(items)
    # Short containers stay on one line, as a person (or ruff) would write them.
    if "\n" not in flat and len(outer) + len(flat) <= _SHORT_CONTAINER:
        return f"{opening}{flat}{closing}"
    lines = "".join(f"{inner}{item},\n" for item in items)
    return f"{opening}\n{lines}{outer}{closing}"


_PY_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _py_string(text: str) -> str:
    # Printable characters stay as typed; anything a terminal or editor could hide or
    # reinterpret (control, bidi and zero-width characters) is written as an escape.
    return '"' + "".join(_py_char(char) for char in text) + '"'


def _py_char(char: str) -> str:
    if char in _PY_ESCAPES:
        return _PY_ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


# TypeScript

# Plain enough to run as JavaScript too: nothing in it needs a type annotation.
_TYPESCRIPT = r"""
// Streams one response from OpenRouter's Responses API and prints its text as it arrives.
// Run with Node 18+ (e.g. `npx tsx request.ts`); the key is read from OPENROUTER_API_KEY.
async function main() {
  const apiKey = process.env.OPENROUTER_API_KEY;
  if (!apiKey) throw new Error("Set OPENROUTER_API_KEY first.");
  const body = __BODY__;
  const response = await fetch(__URL__, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${apiKey}`,
__HEADERS__    },
    body: JSON.stringify(body),
  });
  if (!response.ok || !response.body) {
    throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      // Blank lines end events; `: OPENROUTER PROCESSING` lines are keep-alives.
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (data === "[DONE]") return;
      const event = JSON.parse(data);
      if (event.type === "response.output_text.delta") {
        process.stdout.write(event.delta);
      } else if (["error", "response.error", "response.failed"].includes(event.type)) {
        const error = event.error ?? event.response?.error ?? event;
        throw new Error(`The stream failed: ${error.message ?? JSON.stringify(error)}`);
      }
    }
  }
}

main().then(
  () => process.stdout.write("\n"),
  (error) => {
    console.error(`\n${error.message}`);
    process.exitCode = 1;
  },
);
"""


def _typescript(url: str, headers: Mapping[str, str], body: Mapping[str, Any]) -> str:
    return _fill(
        _TYPESCRIPT,
        BODY=_json(body).replace("\n", "\n  "),
        URL=_json(url),
        HEADERS="".join(
            f"      {_json(name)}: {_json(value)},\n" for name, value in headers.items()
        ),
    )


def _fill(template: str, **values: str) -> str:
    """The template (which starts on the line after its opening quotes) with each
    `__NAME__` marker replaced by `values[NAME]`."""
    # One pass over the template: text put in (a prompt, say) is never searched for markers.
    filled = re.sub(r"__([A-Z_]+)__", lambda match: values[match[1]], template)
    return filled.removeprefix("\n")


# JSON, shared by curl and TypeScript


def _json(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    # json.dumps escapes only control characters; escape the rest of what could be hidden
    # (bidi overrides, zero-width and separator characters) as well. Outside strings the
    # output holds nothing but ASCII, so this touches string contents only.
    return "".join(
        char if char.isprintable() or char == "\n" else json.dumps(char)[1:-1] for char in text
    )
