"""The fake's own request and response types, shared by `handle` and its adapters."""

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self

from .generation import Script


@dataclass(frozen=True)
class FakeRequest:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # names lowercased
    body: bytes = b""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: dict[str, Any] | None

    @classmethod
    def of(cls, request: FakeRequest) -> Self:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = None
        return cls(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=dict(request.headers),
            json=body if isinstance(body, dict) else None,
        )


class EventStream:
    """A streamed body: each chunk after `pause(its delay)`.

    It ends exactly once, either finished (read to the end) or closed early (closed,
    cancelled or failed before the end), and reports which to `on_end(finished)`.
    """

    def __init__(
        self,
        script: Script,
        *,
        pause: Callable[[float], Awaitable[None]],
        on_end: Callable[[bool], None],
    ) -> None:
        self._script = script
        self._pause = pause
        self._on_end = on_end
        self._ended = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        try:
            delay, chunk = next(self._script)
            await self._pause(delay)
        except StopIteration:
            self._end(finished=True)
            raise StopAsyncIteration from None
        except BaseException:
            self._end(finished=False)
            raise
        return chunk

    async def aclose(self) -> None:
        self._script.close()
        self._end(finished=False)

    def _end(self, *, finished: bool) -> None:
        if not self._ended:
            self._ended = True
            self._on_end(finished)


@dataclass(frozen=True)
class FakeResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes | EventStream


type Handler = Callable[[FakeRequest], Awaitable[FakeResponse]]
