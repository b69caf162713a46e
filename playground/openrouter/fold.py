"""Folds the events of one stream into the answer, reasoning, tool calls and usage."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ._values import as_decimal, as_dict, as_int, as_list, as_str
from .errors import OpenRouterError
from .events import (
    ContentPartAdded,
    ContentPartDone,
    FunctionCallArgumentsDelta,
    FunctionCallArgumentsDone,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    OutputTextDone,
    ReasoningSummaryDelta,
    ReasoningSummaryDone,
    ReasoningTextDelta,
    ReasoningTextDone,
    RefusalDelta,
    RefusalDone,
    ResponseCompleted,
    ResponseCreated,
    ResponseFailed,
    ResponseIncomplete,
    ResponseInProgress,
    StreamError,
    StreamEvent,
)


@dataclass
class Usage:
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cached_tokens: int
    total_tokens: int
    cost: Decimal | None

    @classmethod
    def from_api(cls, usage: dict | None) -> Usage | None:
        """Usage from a response object; trimmed objects may lack the details (SPEC §3)."""
        if not isinstance(usage, dict):
            return None
        input_tokens = as_int(usage.get("input_tokens"))
        output_tokens = as_int(usage.get("output_tokens"))
        return cls(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            reasoning_tokens=as_int(
                as_dict(usage.get("output_tokens_details")).get("reasoning_tokens")
            ),
            cached_tokens=as_int(as_dict(usage.get("input_tokens_details")).get("cached_tokens")),
            total_tokens=as_int(usage.get("total_tokens")) or input_tokens + output_tokens,
            cost=as_decimal(usage.get("cost")),
        )


@dataclass
class FunctionCall:
    call_id: str
    name: str
    arguments: str


@dataclass
class _Item:
    """One entry of the response's `output`, as far as it is known."""

    type: str
    call_id: str = ""
    name: str = ""
    arguments: str = ""
    # content_index / summary_index -> the text's pieces in order: joined only when read,
    # so a long answer is not copied again for every delta.
    content: dict[int, list[str]] = field(default_factory=dict)
    summary: dict[int, list[str]] = field(default_factory=dict)

    @classmethod
    def from_api(cls, item: dict) -> _Item:
        return cls(
            type=as_str(item.get("type")),
            call_id=as_str(item.get("call_id")),
            name=as_str(item.get("name")),
            arguments=as_str(item.get("arguments")),
            content={i: [_part_text(p)] for i, p in enumerate(as_list(item.get("content")))},
            summary={i: [_part_text(p)] for i, p in enumerate(as_list(item.get("summary")))},
        )

    def update(self, newer: _Item) -> None:
        """Take what `newer` knows; its empty fields leave the streamed values alone."""
        self.call_id = newer.call_id or self.call_id
        self.name = newer.name or self.name
        self.arguments = newer.arguments or self.arguments
        self.content |= {i: pieces for i, pieces in newer.content.items() if any(pieces)}
        self.summary |= {i: pieces for i, pieces in newer.summary.items() if any(pieces)}


class ResponseFold:
    """The state of one response, built from its stream events in arrival order.

    Items are keyed by `output_index`, never by item id: OpenRouter may close the
    reasoning item after the message and give it a new id in `response.completed`
    (SPEC §4.3, quirks a and b).

    A stream that ends without `response.completed`, `response.incomplete`,
    `response.failed` or an `error` event leaves the fold "in_progress"; the caller
    decides what that means, usually by calling `fail()` with its own error.
    """

    def __init__(self) -> None:
        self._items: dict[int, _Item] = {}
        self._status = "in_progress"
        self._error: OpenRouterError | None = None
        self._usage: Usage | None = None
        self._model = ""
        self._response_id = ""
        self._incomplete_reason: str | None = None
        self._response: dict = {}

    def apply(self, event: StreamEvent) -> None:
        match event:
            case ResponseFailed(response=response, error=error):
                if self._status in ("in_progress", "failed"):
                    self._absorb(response)
                self.fail(error)
                return
            case StreamError(error=error):
                self.fail(error)
                return
        if self.finished:
            return
        match event:
            case ResponseCreated() | ResponseInProgress():
                self._absorb(event.response)
            case OutputItemAdded() | OutputItemDone():
                self._merge_item(event.output_index, event.item)
            case ContentPartAdded(part=part):
                parts = self._item(event.output_index, _item_type_of_part(part)).content
                parts.setdefault(event.content_index, [_part_text(part)])
            case ContentPartDone(part=part):
                parts = self._item(event.output_index, _item_type_of_part(part)).content
                _set_text(parts, event.content_index, _part_text(part))
            case OutputTextDelta() | RefusalDelta():
                parts = self._item(event.output_index, "message").content
                _append(parts, event.content_index, event.delta)
            case OutputTextDone(text=text) | RefusalDone(refusal=text):
                parts = self._item(event.output_index, "message").content
                _set_text(parts, event.content_index, text)
            case ReasoningTextDelta():
                parts = self._item(event.output_index, "reasoning").content
                _append(parts, event.content_index, event.delta)
            case ReasoningTextDone():
                parts = self._item(event.output_index, "reasoning").content
                _set_text(parts, event.content_index, event.text)
            case ReasoningSummaryDelta():
                parts = self._item(event.output_index, "reasoning").summary
                _append(parts, event.summary_index, event.delta)
            case ReasoningSummaryDone():
                parts = self._item(event.output_index, "reasoning").summary
                _set_text(parts, event.summary_index, event.text)
            case FunctionCallArgumentsDelta():
                self._item(event.output_index, "function_call").arguments += event.delta
            case FunctionCallArgumentsDone():
                call = self._item(event.output_index, "function_call")
                call.arguments = event.arguments or call.arguments
                call.name = event.name or call.name
            case ResponseCompleted():
                self._absorb(event.response)
                self._status = "completed"
            case ResponseIncomplete():
                self._absorb(event.response)
                reason = as_dict(event.response.get("incomplete_details")).get("reason")
                self._incomplete_reason = as_str(reason) or None
                self._status = "incomplete"

    def fail(self, error: OpenRouterError) -> None:
        """Mark the response failed, unless it already finished well.

        OpenAI-style streams send `error` and then `response.failed`; of the two, the
        error that tells more is kept.
        """
        if self._status in ("completed", "incomplete"):
            return
        if self._error is None or _detail_score(error) > _detail_score(self._error):
            self._error = error
        self._status = "failed"

    @property
    def text(self) -> str:
        """The answer: message texts (refusals included) in output order, one paragraph each."""
        return "\n\n".join(
            text for item in self._ordered("message") if (text := "".join(_in_order(item.content)))
        )

    @property
    def reasoning(self) -> str:
        """Reasoning text and summaries in output order, blocks separated by a blank line."""
        blocks = [
            text
            for item in self._ordered("reasoning")
            for text in [*_in_order(item.content), *_in_order(item.summary)]
        ]
        return "\n\n".join(block for block in blocks if block)

    @property
    def function_calls(self) -> list[FunctionCall]:
        return [
            FunctionCall(call_id=item.call_id, name=item.name, arguments=item.arguments)
            for item in self._ordered("function_call")
        ]

    @property
    def usage(self) -> Usage | None:
        return self._usage

    @property
    def model(self) -> str:
        return self._model

    @property
    def response_id(self) -> str:
        return self._response_id

    @property
    def status(self) -> str:
        return self._status

    @property
    def incomplete_reason(self) -> str | None:
        return self._incomplete_reason

    @property
    def error(self) -> OpenRouterError | None:
        return self._error

    @property
    def finished(self) -> bool:
        return self._status != "in_progress"

    @property
    def response(self) -> dict:
        """The latest response object the stream carried: the final one once it ended."""
        return self._response

    def _absorb(self, response: dict) -> None:
        self._response = response or self._response
        self._response_id = as_str(response.get("id")) or self._response_id
        self._model = as_str(response.get("model")) or self._model
        self._usage = Usage.from_api(response.get("usage")) or self._usage
        output = as_list(response.get("output"))
        if output:
            # The final `output` wins and drops items it lacks; each final item is merged
            # onto the streamed one at its index, so a trimmed item keeps the streamed text.
            previous, self._items = self._items, {}
            for index, item in enumerate(output):
                if index in previous:
                    self._items[index] = previous[index]
                self._merge_item(index, item)

    def _merge_item(self, index: int, item: dict) -> None:
        newer = _Item.from_api(item)
        current = self._items.get(index)
        if current is None or current.type != newer.type:
            self._items[index] = newer
        else:
            current.update(newer)

    def _item(self, index: int, item_type: str) -> _Item:
        return self._items.setdefault(index, _Item(type=item_type))

    def _ordered(self, item_type: str) -> list[_Item]:
        return [self._items[i] for i in sorted(self._items) if self._items[i].type == item_type]


def _append(parts: dict[int, list[str]], index: int, delta: str) -> None:
    parts.setdefault(index, []).append(delta)


def _set_text(parts: dict[int, list[str]], index: int, text: str) -> None:
    # A `.done` event without its text must not wipe what the deltas built.
    if text:
        parts[index] = [text]


def _detail_score(error: OpenRouterError) -> int:
    return sum(
        (
            bool(error.error_type),
            bool(error.upstream_message),
            bool(error.provider),
            error.retry_after is not None,
            error.kind != "stream_failed",
        )
    )


def _in_order(parts: dict[int, list[str]]) -> list[str]:
    return ["".join(parts[i]) for i in sorted(parts)]


def _item_type_of_part(part: dict) -> str:
    return "reasoning" if part.get("type") == "reasoning_text" else "message"


def _part_text(part: Any) -> str:
    if not isinstance(part, dict):
        return ""
    return as_str(part.get("refusal") if part.get("type") == "refusal" else part.get("text"))
