"""httpx-sse's own line and event decoders, which its public API does not export.

The public `EventSource` drops comment lines (OpenRouter's `: OPENROUTER PROCESSING`
keep-alives, which the inspector shows) and hides when each chunk of bytes arrived (the
timings it charts). The reader in events.py therefore drives these decoders itself over
timed chunks rather than hand-parse SSE. They live in the private `httpx_sse._decoders`,
so httpx-sse is pinned to one version in pyproject.toml, and
tests/openrouter/test_sse_decoding.py checks that version and the behaviour relied on;
nothing else imports `httpx_sse._decoders`.
"""

from httpx_sse._decoders import SSEDecoder, SSELineDecoder

__all__ = ["SSEDecoder", "SSELineDecoder"]
