"""Typed events of a Responses API stream, and the reader that turns SSE bytes into them."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

import httpx

from ._values import as_dict, as_int, as_str, clean_json, clean_text, is_int
from .errors import OpenRouterError
from .sse_decoding import SSEDecoder, SSELineDecoder


@dataclass(frozen=True, kw_only=True)
class StreamEvent:
    raw: dict = field(default_factory=dict, repr=False)
    sequence_number: int | None = None
    # When the bytes carrying the event arrived, on `time.perf_counter`'s clock.
    arrived: float | None = field(default=None, compare=False)
    # The `data:` text it came in, when read from a stream: a copy kept for later is
    # several times smaller as this text than as the decoded objects.
    payload: str = field(default="", repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class StreamOpened(StreamEvent):
    """Not a payload: the HTTP response's head arrived (its first byte). Comes first, also
    before an error status is raised. `request_headers` are the ones actually sent,
    Authorization included: redact before storing or showing them."""

    status: int
    headers: dict = field(repr=False)
    request_headers: dict = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class StreamComment(StreamEvent):
    """An SSE comment line, such as `: OPENROUTER PROCESSING` while a model thinks."""

    text: str


@dataclass(frozen=True, kw_only=True)
class ResponseCreated(StreamEvent):
    response: dict = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class ResponseInProgress(StreamEvent):
    response: dict = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class OutputItemAdded(StreamEvent):
    output_index: int
    item: dict


@dataclass(frozen=True, kw_only=True)
class OutputItemDone(StreamEvent):
    output_index: int
    item: dict


@dataclass(frozen=True, kw_only=True)
class ContentPartAdded(StreamEvent):
    output_index: int
    content_index: int
    part: dict


@dataclass(frozen=True, kw_only=True)
class ContentPartDone(StreamEvent):
    output_index: int
    content_index: int
    part: dict


@dataclass(frozen=True, kw_only=True)
class OutputTextDelta(StreamEvent):
    output_index: int
    content_index: int
    delta: str


@dataclass(frozen=True, kw_only=True)
class OutputTextDone(StreamEvent):
    output_index: int
    content_index: int
    text: str


@dataclass(frozen=True, kw_only=True)
class OutputTextAnnotationAdded(StreamEvent):
    """An annotation of the text, such as a web search's `url_citation` (wire format §3)."""

    output_index: int
    content_index: int
    annotation_index: int
    annotation: dict


@dataclass(frozen=True, kw_only=True)
class ReasoningTextDelta(StreamEvent):
    output_index: int
    content_index: int
    delta: str


@dataclass(frozen=True, kw_only=True)
class ReasoningTextDone(StreamEvent):
    output_index: int
    content_index: int
    text: str


@dataclass(frozen=True, kw_only=True)
class ReasoningSummaryPartAdded(StreamEvent):
    output_index: int
    summary_index: int
    part: dict


@dataclass(frozen=True, kw_only=True)
class ReasoningSummaryPartDone(StreamEvent):
    output_index: int
    summary_index: int
    part: dict


@dataclass(frozen=True, kw_only=True)
class ReasoningSummaryDelta(StreamEvent):
    output_index: int
    summary_index: int
    delta: str


@dataclass(frozen=True, kw_only=True)
class ReasoningSummaryDone(StreamEvent):
    output_index: int
    summary_index: int
    text: str


@dataclass(frozen=True, kw_only=True)
class FunctionCallArgumentsDelta(StreamEvent):
    output_index: int
    delta: str


@dataclass(frozen=True, kw_only=True)
class FunctionCallArgumentsDone(StreamEvent):
    output_index: int
    arguments: str
    name: str


@dataclass(frozen=True, kw_only=True)
class WebSearchCallInProgress(StreamEvent):
    """A web search began; its query and sources come in the item's `action`."""

    output_index: int
    item_id: str


@dataclass(frozen=True, kw_only=True)
class WebSearchCallSearching(StreamEvent):
    output_index: int
    item_id: str


@dataclass(frozen=True, kw_only=True)
class WebSearchCallCompleted(StreamEvent):
    output_index: int
    item_id: str


@dataclass(frozen=True, kw_only=True)
class RefusalDelta(StreamEvent):
    output_index: int
    content_index: int
    delta: str


@dataclass(frozen=True, kw_only=True)
class RefusalDone(StreamEvent):
    output_index: int
    content_index: int
    refusal: str


@dataclass(frozen=True, kw_only=True)
class ResponseCompleted(StreamEvent):
    response: dict = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class ResponseIncomplete(StreamEvent):
    response: dict = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class ResponseFailed(StreamEvent):
    response: dict = field(repr=False)
    error: OpenRouterError


@dataclass(frozen=True, kw_only=True)
class StreamError(StreamEvent):
    """An `error` or `response.error` event; a `response.failed` usually follows."""

    error: OpenRouterError


@dataclass(frozen=True, kw_only=True)
class UnknownEvent(StreamEvent):
    type: str


_EVENT_CLASSES: dict[str, type[StreamEvent]] = {
    "response.created": ResponseCreated,
    "response.in_progress": ResponseInProgress,
    "response.output_item.added": OutputItemAdded,
    "response.output_item.done": OutputItemDone,
    "response.content_part.added": ContentPartAdded,
    "response.content_part.done": ContentPartDone,
    "response.output_text.delta": OutputTextDelta,
    "response.output_text.done": OutputTextDone,
    "response.output_text.annotation.added": OutputTextAnnotationAdded,
    "response.reasoning_text.delta": ReasoningTextDelta,
    "response.reasoning_text.done": ReasoningTextDone,
    "response.reasoning_summary_part.added": ReasoningSummaryPartAdded,
    "response.reasoning_summary_part.done": ReasoningSummaryPartDone,
    "response.reasoning_summary_text.delta": ReasoningSummaryDelta,
    "response.reasoning_summary_text.done": ReasoningSummaryDone,
    "response.function_call_arguments.delta": FunctionCallArgumentsDelta,
    "response.function_call_arguments.done": FunctionCallArgumentsDone,
    "response.web_search_call.in_progress": WebSearchCallInProgress,
    "response.web_search_call.searching": WebSearchCallSearching,
    "response.web_search_call.completed": WebSearchCallCompleted,
    "response.refusal.delta": RefusalDelta,
    "response.refusal.done": RefusalDone,
    "response.completed": ResponseCompleted,
    "response.incomplete": ResponseIncomplete,
    "response.failed": ResponseFailed,
    "error": StreamError,
    "response.error": StreamError,
}


_READERS = {"int": as_int, "str": as_str, "dict": as_dict}
_COMMON_FIELDS = {common.name for common in fields(StreamEvent)}


def _field_readers(event_class: type) -> tuple[tuple[str, Callable[[dict], Any]], ...]:
    """How to read each of a class's own fields from a payload. Each field's name is the
    payload's key, so one reader serves every class; field types are the annotation
    strings ("int", "str", ...) of postponed annotations."""
    readers = []
    for event_field in fields(event_class):
        name = event_field.name
        if name in _COMMON_FIELDS:
            continue
        if event_field.type == "OpenRouterError":
            readers.append((name, OpenRouterError.from_event))
        else:
            reader = _READERS[event_field.type]
            readers.append((name, lambda data, name=name, reader=reader: reader(data.get(name))))
    return tuple(readers)


# Worked out once: the stream path parses thousands of events a second.
_FIELD_READERS = {
    event_class: _field_readers(event_class) for event_class in set(_EVENT_CLASSES.values())
}


def parse_event(
    data: dict, sse_event: str = "", arrived: float | None = None, payload: str = ""
) -> StreamEvent:
    """The typed event for one decoded payload; never raises on missing or odd fields.

    Dispatch is on the JSON `type`: OpenRouter sends no `event:` lines (wire format §4.1), so
    the SSE event name is only a fallback.
    """
    event_type = as_str(data.get("type")) or sse_event
    sequence_number = data.get("sequence_number")
    common: dict[str, Any] = {
        "raw": data,
        "sequence_number": sequence_number if is_int(sequence_number) else None,
        "arrived": arrived,
        "payload": payload,
    }
    event_class = _EVENT_CLASSES.get(event_type)
    if event_class is None:
        return UnknownEvent(type=event_type, **common)
    values = {name: read(data) for name, read in _FIELD_READERS[event_class]}
    return event_class(**common, **values)


# NUL and lone surrogates can only come through JSON `\u` escapes (raw ones are invalid
# UTF-8 or JSON); this check keeps the usual event free of a walk through its JSON.
_RISKY_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


_DECODER = json.JSONDecoder(parse_float=Decimal)


def decode_data(data: str) -> dict | None:
    """One `data:` payload as a dict, or None for the `[DONE]` sentinel.

    Floats become Decimal so that costs such as 0.0000225 stay exact.
    """
    if data.strip() == "[DONE]":
        return None
    try:
        decoded = _DECODER.decode(data)
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict):
        raise OpenRouterError.bad_response(
            f"OpenRouter sent an event that is not a JSON object: {clean_text(data[:80])!r}"
        )
    return clean_json(decoded) if _RISKY_ESCAPE.search(data) else decoded


async def iter_events(
    response: httpx.Response, *, clock: Callable[[], float] = time.perf_counter
) -> AsyncIterator[StreamEvent]:
    """The events of a streamed response, comments included, up to `[DONE]` or the end of
    the body. Each carries the time its chunk of bytes arrived, read before any of the
    chunk is parsed, so a slow consumer does not shift the times.

    OpenAI's own stream ends without `[DONE]` (wire format §4.1), so the end of the body is a
    normal end too; whether a terminal event came is for the caller to judge. An event
    left without its closing blank line at the end of the body is dropped, as the SSE
    standard says.
    """
    content_type = response.headers.get("content-type", "").partition(";")[0]
    if "text/event-stream" not in content_type:
        raise OpenRouterError.bad_response(
            f"OpenRouter answered with {content_type or 'no content type'!r}"
            " instead of an event stream."
        )
    # Not httpx-sse's `EventSource`, which drops comments and hides when bytes arrived
    # (sse_decoding.py).
    lines = SSELineDecoder()
    decoder = SSEDecoder()
    async for text in response.aiter_text():
        arrived = clock()
        for line in lines.decode(text):
            if line.startswith(":"):
                yield StreamComment(text=clean_text(line[1:].strip()), arrived=arrived)
                continue
            sse = decoder.decode(line)
            # An SSE block without data lines carries nothing to dispatch.
            if sse is None or not sse.data:
                continue
            data = decode_data(sse.data)
            if data is None:
                return
            yield parse_event(data, sse.event, arrived, sse.data)
