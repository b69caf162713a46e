"""A lean HTTP/1.1 client for loopback load: one request per connection, server-sent
events parsed as they arrive, each stamped with `time.monotonic()` when its bytes were read.

Thousands of streams at thousands of events a second must not make the client the
bottleneck, and the direct and the through-the-app measurements must pay exactly the same
client costs; a general-purpose client does more work per event than needed here.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

HOST = "127.0.0.1"
READ_SIZE = 65536


class HttpError(Exception):
    """A refused request or a connection that broke."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Event:
    """One server-sent event: its name ("message" when none), its data, when it arrived."""

    name: str
    data: str
    at: float


@dataclass
class Site:
    """One HTTP server on loopback, with the cookies it has set."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Response:
        """The whole response; its cookies are kept for the next requests."""
        async with Exchange(self.port, method, path, self._headers(headers), body) as exchange:
            response = await exchange.response()
            response.body = b"".join([chunk async for _, chunk in exchange.body()])
        self.cookies.update(response.cookies)
        return response

    async def get(self, path: str, *, headers: dict[str, str] | None = None) -> Response:
        return await self.request("GET", path, headers=headers)

    async def post_form(
        self, path: str, fields: list[tuple[str, str]], *, headers: dict[str, str] | None = None
    ) -> Response:
        return await self.request(
            "POST",
            path,
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
            body=urlencode(fields).encode(),
        )

    def exchange(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> "Exchange":
        """A request whose body is read as it streams (`Exchange.events`)."""
        return Exchange(self.port, method, path, self._headers(headers), body)

    def exchange_json(self, path: str, payload: dict, *, headers: dict[str, str]) -> "Exchange":
        return self.exchange(
            "POST",
            path,
            headers={"Content-Type": "application/json", **headers},
            body=json.dumps(payload).encode(),
        )


class Exchange:
    """One request on its own connection. Leaving the `async with` closes the connection,
    which is how a browser that goes away looks to the server."""

    def __init__(
        self, port: int, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> None:
        self._port = port
        self._request = _request_bytes(port, method, path, headers, body)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.sent_at = 0.0
        self.closed_at: float | None = None
        self._headers: dict[str, str] = {}

    async def __aenter__(self) -> "Exchange":
        try:
            self._reader, self._writer = await asyncio.open_connection(
                HOST, self._port, limit=READ_SIZE * 4
            )
        except OSError as error:
            raise HttpError(f"cannot connect to port {self._port}: {error}") from error
        self.sent_at = time.monotonic()
        self._writer.write(self._request)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._writer is not None and self.closed_at is None:
            self.closed_at = time.monotonic()
            self._writer.close()

    async def response(self) -> Response:
        """The status and headers (the body follows with `body` or `events`)."""
        assert self._reader is not None
        try:
            head = await self._reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            raise HttpError(f"the connection closed before a response: {error}") from error
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _, _ = value.partition(";")
                cookie_name, _, cookie_value = cookie.partition("=")
                cookies[cookie_name.strip()] = cookie_value.strip()
            else:
                headers[name] = value
        self._headers = headers
        return Response(status, headers, cookies)

    async def body(self) -> AsyncIterator[tuple[float, bytes]]:
        """The body as it arrives: (when it was read, the bytes), de-chunked."""
        assert self._reader is not None
        reader = self._reader
        if self._headers.get("transfer-encoding", "").lower() == "chunked":
            async for item in _dechunk(reader):
                yield item
        elif "content-length" in self._headers:
            length = int(self._headers["content-length"])
            data = await reader.readexactly(length) if length else b""
            yield time.monotonic(), data
        else:
            while data := await reader.read(READ_SIZE):
                yield time.monotonic(), data

    async def events(self) -> AsyncIterator[Event]:
        """The body's server-sent events as they arrive; comments are skipped."""
        buffer = b""
        async for at, data in self.body():
            buffer += data
            *blocks, buffer = buffer.split(b"\n\n")
            for block in blocks:
                event = _parse_event(block, at)
                if event is not None:
                    yield event


def _request_bytes(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _dechunk(reader: asyncio.StreamReader) -> AsyncIterator[tuple[float, bytes]]:
    buffer = bytearray()
    while True:
        data = await reader.read(READ_SIZE)
        if not data:
            raise HttpError("the connection closed in the middle of the body")
        at = time.monotonic()
        buffer += data
        payload = bytearray()
        position = 0
        finished = False
        while True:
            line_end = buffer.find(b"\r\n", position)
            if line_end < 0:
                break
            size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
            start = line_end + 2
            if size == 0:
                finished = True
                break
            if len(buffer) < start + size + 2:
                break
            payload += buffer[start : start + size]
            position = start + size + 2
        del buffer[:position]
        if payload:
            yield at, bytes(payload)
        if finished:
            return


def _parse_event(block: bytes, at: float) -> Event | None:
    name = "message"
    data: list[str] = []
    for line in block.decode().split("\n"):
        if line.startswith("data:"):
            data.append(line[6:] if line.startswith("data: ") else line[5:])
        elif line.startswith("event:"):
            name = line[6:].strip()
    return Event(name, "\n".join(data), at) if data else None
