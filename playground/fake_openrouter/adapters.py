"""Two thin ways to reach `FakeOpenRouter.handle`: an httpx transport and an ASGI app.

Both serve the bytes `handle` returns, and both stream a body chunk by chunk.
"""

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx

from .generation import ConnectionReset
from .messages import EventStream, FakeRequest, FakeResponse, Handler

type Scope = dict[str, Any]
type Receive = Callable[[], Awaitable[dict[str, Any]]]
type Send = Callable[[dict[str, Any]], Awaitable[None]]


class FakeTransport(httpx.AsyncBaseTransport):
    """In-process transport. Unlike httpx.ASGITransport it does not buffer the body."""

    def __init__(self, handle: Handler) -> None:
        self._handle = handle

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._handle(
                FakeRequest(
                    method=request.method,
                    path=request.url.path,
                    query=dict(request.url.params),
                    headers={name.lower(): value for name, value in request.headers.items()},
                    body=await request.aread(),
                )
            )
        except ConnectionReset:
            raise httpx.ReadError(RESET_MESSAGE, request=request) from None
        return httpx.Response(
            response.status, headers=response.headers, stream=_byte_stream(response)
        )


def _byte_stream(response: FakeResponse) -> httpx.AsyncByteStream:
    if isinstance(response.body, bytes):
        return httpx.ByteStream(response.body)
    return _StreamedBody(response.body)


class _StreamedBody(httpx.AsyncByteStream):
    def __init__(self, body: EventStream) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._body:
                yield chunk
        except ConnectionReset:
            # What httpx raises when the peer resets a real connection.
            raise httpx.ReadError(RESET_MESSAGE) from None

    async def aclose(self) -> None:
        # httpx calls this when the consumer closes the response, read or not.
        await self._body.aclose()


class ASGIApp:
    """A plain ASGI 3 application, for uvicorn."""

    def __init__(self, handle: Handler) -> None:
        self._handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            response = await self._handle(
                FakeRequest(
                    method=scope["method"],
                    path=scope["path"],
                    query=dict(parse_qsl(scope["query_string"].decode("latin-1"))),
                    headers={
                        name.decode("latin-1").lower(): value.decode("latin-1")
                        for name, value in scope["headers"]
                    },
                    body=await _read_body(receive),
                )
            )
        except ConnectionReset:
            await _reset(send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [(name.encode(), value.encode()) for name, value in response.headers],
            }
        )
        if isinstance(response.body, bytes):
            await send({"type": "http.response.body", "body": response.body})
        else:
            await _stream(response.body, receive, send)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return body
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return body


async def _stream(body: EventStream, receive: Receive, send: Send) -> None:
    """Send chunk by chunk until the end or until the client goes away.

    uvicorn's `send` silently drops writes after a disconnect, so the disconnect is
    watched for on `receive` at the same time.
    """

    async def pump() -> None:
        async for chunk in body:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    pumping = asyncio.create_task(pump())
    watching = asyncio.create_task(watch())
    try:
        await asyncio.wait({pumping, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        pumping.cancel()
        watching.cancel()
        # A failed send ends the pump with an error: that is a disconnect too.
        outcomes = await asyncio.gather(pumping, watching, return_exceptions=True)
        await body.aclose()
    if isinstance(outcomes[0], ConnectionReset):
        await _reset(send)


RESET_MESSAGE = "[Errno 104] Connection reset by peer"


async def _reset(send: Send) -> None:
    """Resets the TCP connection (RST, not a clean close), as a crashed proxy does.

    ASGI has no message for this. uvicorn's `send` is a method of the request's cycle,
    which holds the connection's transport; any other server gets an exception, which
    makes it abort the connection (and log the exception).
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionReset
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Lingering for 0 s makes closing send RST instead of FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Lets the server see the connection lost before the app returns, so it does not
    # report a response left unfinished.
    await asyncio.sleep(0)
