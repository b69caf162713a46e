"""The bare relay: the least work that relays a model's stream, for `make bench` to hold
the app against.

`python -m playground.bench.bare_relay --port P --upstream http://127.0.0.1:FAKE/api/v1`
answers `GET /stream?prompt=<text>`: it sends upstream the streamed `POST /responses`
the app sends for that prompt on the benchmark's model (the same URL, the same headers in
the same order, the same JSON body: built by the app's own `build_body` and
`build_headers`, laid out by an httpx client as the app's client lays them out) and
copies the upstream's body to the client as it arrives, unparsed. The upstream's chunked
framing passes through as this response's own, so the relay reads no event and
re-frames nothing: per event it does one read and one write. It knows where the body
ends by its last chunk, and closes both connections there. The key and the app's URL and
title come from the environment the app reads them from (`OPENROUTER_API_KEY`,
`OPENROUTER_APP_URL`, `OPENROUTER_APP_TITLE`).

No Django and no framework: uvloop, and one asyncio Protocol on each side. The upstream
side is a raw asyncio connection rather than httpx: httpx parses every chunk with h11 and
hands it on through several layers of async generators, which is the cost of a general
client, not of relaying. The point of this program is the machine's own limit (its
loopback, its kernel and Python's event loop) for the app's figures to be read against,
so it does only what any relay must: it opens an upstream connection per stream (the
app's client keeps its connections open between streams, so here the relay errs on the
app's side), passes the bytes along, stops reading upstream while the client is slow to
take them, and closes upstream when the client goes away.
"""

import argparse
import asyncio
import os
import signal
from typing import cast
from urllib.parse import parse_qs, urlsplit

import httpx
import uvloop

from playground.openrouter import RequestParams, build_body, build_headers

from .workload import MODEL

HOST = "127.0.0.1"
# uvicorn's default, as the app is served.
BACKLOG = 2048
MAX_HEAD = 16384
RESPONSE_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/event-stream\r\n"
    b"Cache-Control: no-cache\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"Connection: close\r\n\r\n"
)
# The end of a chunked body: the previous chunk's CRLF, then the zero-size chunk. No
# other read can end so: every chunk of an event stream ends with the event's blank line
# ("\n\n\r\n"), and only the last chunk has size 0.
LAST_CHUNK = b"\r\n0\r\n\r\n"


def refusal(status: str, reason: str) -> bytes:
    body = reason.encode()
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


class Relay:
    """Where the streams go, with what credentials, and the request each prompt makes."""

    def __init__(self, upstream: str, environ: dict[str, str]) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"the upstream must be an http:// URL, not {upstream!r}")
        self.upstream = upstream
        self.host = parts.hostname
        self.port = parts.port or 80
        self.api_key = environ.get("OPENROUTER_API_KEY", "")
        # The app's defaults (playground/settings.py), for a relay started by hand.
        self.app_url = environ.get("OPENROUTER_APP_URL", "http://127.0.0.1:8000")
        self.app_title = environ.get("OPENROUTER_APP_TITLE", "Model Playground")
        # Only builds requests, never connects: its default headers (Accept-Encoding,
        # Connection, User-Agent) are those the app's client adds. Made once, at the
        # start: making one costs milliseconds.
        self._client = httpx.Client()
        # The benchmark sends a handful of prompts, each many times.
        self._sent: dict[str, bytes] = {}

    def request(self, prompt: str) -> httpx.Request:
        """The request the app's client sends upstream for `prompt` on the bench model."""
        body = build_body(RequestParams(model=MODEL, prompt=prompt))
        headers = build_headers(
            api_key=self.api_key, app_url=self.app_url, app_title=self.app_title
        )
        url = f"{self.upstream.rstrip('/')}/responses"
        return self._client.build_request("POST", url, json=body, headers=headers)

    def request_bytes(self, prompt: str) -> bytes:
        """`request` as the bytes on the wire."""
        sent = self._sent.get(prompt)
        if sent is None:
            request = self.request(prompt)
            lines = [f"POST {request.url.raw_path.decode()} HTTP/1.1".encode()]
            lines += [name + b": " + value for name, value in request.headers.raw]
            sent = self._sent[prompt] = b"\r\n".join(lines) + b"\r\n\r\n" + request.content
        return sent


class Downstream(asyncio.Protocol):
    """One client's connection: its request, then the stream relayed to it."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.transport: asyncio.Transport | None = None
        self.head = b""
        self.upstream: Upstream | None = None
        self.gone = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.upstream is not None or not self.transport:
            return
        self.head += data
        end = self.head.find(b"\r\n\r\n")
        if end < 0:
            if len(self.head) > MAX_HEAD:
                self.refuse("431 Request Header Fields Too Large", "request head too large")
            return
        method, _, rest = self.head[:end].partition(b" ")
        target = rest.partition(b" ")[0].decode("latin-1")
        path, _, query = target.partition("?")
        prompt = parse_qs(query).get("prompt", [""])[0]
        if method != b"GET" or path != "/stream" or not prompt:
            self.refuse("404 Not Found", "only GET /stream?prompt=... is served")
            return
        self.upstream = Upstream(self, self.relay.request_bytes(prompt))
        asyncio.get_running_loop().create_task(self.connect())

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: self.upstream, self.relay.host, self.relay.port)
        except OSError as error:
            self.refuse("502 Bad Gateway", f"cannot reach the upstream: {error}")

    def refuse(self, status: str, reason: str) -> None:
        if self.transport is not None and not self.gone:
            self.transport.write(refusal(status, reason))
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        # The client went away: closing upstream is what stops a real model.
        self.gone = True
        if self.upstream is not None:
            self.upstream.close()

    def pause_writing(self) -> None:
        if self.upstream is not None:
            self.upstream.pause_reading()

    def resume_writing(self) -> None:
        if self.upstream is not None:
            self.upstream.resume_reading()


class Upstream(asyncio.Protocol):
    """The stream's upstream connection: its request, then the body copied downstream."""

    def __init__(self, downstream: Downstream, request: bytes) -> None:
        self.downstream = downstream
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.head = b""
        self.streaming = False
        # The body's last bytes so far, to find LAST_CHUNK across reads; it starts as the
        # end of the response's head, so an empty body ends too.
        self.tail = b"\r\n"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        if self.downstream.gone:
            self.transport.close()
            return
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        client = self.downstream.transport
        assert client is not None
        if not self.streaming:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            status, _, headers = self.head[:end].partition(b"\r\n")
            if (
                not status.startswith(b"HTTP/1.1 200 ")
                or b"transfer-encoding: chunked" not in headers.lower()
            ):
                reason = f"the upstream answered {status.decode('latin-1')}"
                self.downstream.refuse("502 Bad Gateway", reason)
                self.close()
                return
            self.streaming = True
            data = self.head[end + 4 :]
            client.write(RESPONSE_HEAD + data)
        else:
            client.write(data)
        self.tail = (self.tail + data[-len(LAST_CHUNK) :])[-len(LAST_CHUNK) :]
        if self.tail == LAST_CHUNK:
            self.close()
            client.close()

    def connection_lost(self, exc: Exception | None) -> None:
        client = self.downstream.transport
        if client is not None and not client.is_closing():
            # Upstream broke off mid-body: the client sees its stream cut short.
            client.close()

    def pause_reading(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def serve(port: int, relay: Relay) -> None:
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    server = await loop.create_server(lambda: Downstream(relay), HOST, port, backlog=BACKLOG)
    print(f"Bare relay on http://{HOST}:{port}/stream, upstream {relay.upstream}", flush=True)
    async with server:
        await stopped.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m playground.bench.bare_relay",
        description="Relays GET /stream?prompt=... from the upstream's bench model, unparsed.",
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--upstream", required=True, help="the API's base URL, e.g. http://127.0.0.1:8765/api/v1"
    )
    args = parser.parse_args(argv)
    uvloop.run(serve(args.port, Relay(args.upstream, dict(os.environ))))


if __name__ == "__main__":
    main()
