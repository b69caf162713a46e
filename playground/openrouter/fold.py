"""Folds the events of one stream into the answer, reasoning, tool calls, citations and
usage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ._values import as_decimal, as_dict, as_int, as_list, as_str, is_int
from .errors import OpenRouterError
from .events import (
    ContentPartAdded,
    ContentPartDone,
    FunctionCallArgumentsDelta,
    FunctionCallArgumentsDone,
    OutputItemAdded,
    OutputItemDone,
    OutputTextAnnotationAdded,
    OutputTextDelta,
    OutputTextDone,
    ReasoningSummaryDelta,
    ReasoningSummaryDone,
    ReasoningSummaryPartAdded,
    ReasoningSummaryPartDone,
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
        """Usage from a response object; trimmed objects may lack the details (wire format §3)."""
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
    """A tool call: `id` is the output item's, `call_id` the one its result must name."""

    id: str
    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Citation:
    """A source the answer cites (a `url_citation` annotation); the indexes are the cited
    span of the message text."""

    url: str
    title: str
    start_index: int
    end_index: int


@dataclass
class _Item:
    """One entry of the response's `output`, as far as it is known."""

    type: str
    id: str = ""
    call_id: str = ""
    name: str = ""
    arguments: str = ""
    # content_index / summary_index -> the text's pieces in order: joined only when read,
    # so a long answer is not copied again for every delta.
    content: dict[int, list[str]] = field(default_factory=dict)
    summary: dict[int, list[str]] = field(default_factory=dict)
    # content_index -> annotation_index -> annotation, as sent.
    annotations: dict[int, dict[int, dict]] = field(default_factory=dict)
    # The reasoning came as an opaque `encrypted_content` blob (OpenAI upstreams).
    encrypted: bool = False

    @classmethod
    def from_api(cls, item: dict) -> _Item:
        parts = as_list(item.get("content"))
        return cls(
            type=as_str(item.get("type")),
            id=as_str(item.get("id")),
            call_id=as_str(item.get("call_id")),
            name=as_str(item.get("name")),
            arguments=as_str(item.get("arguments")),
            content={i: [_part_text(p)] for i, p in enumerate(parts)},
            summary={i: [_part_text(p)] for i, p in enumerate(as_list(item.get("summary")))},
            annotations={
                i: annotations for i, p in enumerate(parts) if (annotations := _annotations(p))
            },
            encrypted=bool(as_str(item.get("encrypted_content"))),
        )

    def update(self, newer: _Item) -> None:
        """Take what `newer` knows; its empty fields leave the streamed values alone."""
        self.id = newer.id or self.id
        self.call_id = newer.call_id or self.call_id
        self.name = newer.name or self.name
        self.arguments = newer.arguments or self.arguments
        self.content |= {i: pieces for i, pieces in newer.content.items() if any(pieces)}
        self.summary |= {i: pieces for i, pieces in newer.summary.items() if any(pieces)}
        self.annotations |= newer.annotations
        # A trimmed final item may leave the blob out; it still came.
        self.encrypted = self.encrypted or newer.encrypted


@dataclass
class _Slot:
    """An item of the streamed output at its `output_index`, with the ids events gave it."""

    index: int
    item: _Item
    ids: set[str] = field(default_factory=set)


class ResponseFold:
    """The state of one response, built from its stream events in arrival order.

    Items are found by `output_index` and type, and by item id where an event has one:
    OpenRouter may close the reasoning item after the message and give it a new id in
    `response.completed` (wire format §4.3, quirks a and b). An event for an index that
    holds an item of another type begins an item of its own there: captured streams send
    a message at the index of the reasoning before it, the ids telling them apart, and
    both are kept, in the order they came.

    A stream that ends without `response.completed`, `response.incomplete`,
    `response.failed` or an `error` event leaves the fold "in_progress"; the caller
    decides what that means, usually by calling `fail()` with its own error.
    """

    def __init__(self) -> None:
        # In arrival order; read in output order (by index, then arrival).
        self._slots: list[_Slot] = []
        self._status = "in_progress"
        self._error: OpenRouterError | None = None
        self._usage: Usage | None = None
        self._model = ""
        self._provider = ""
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
                parts = self._item(event, _item_type_of_part(part)).content
                parts.setdefault(event.content_index, [_part_text(part)])
            case ContentPartDone(part=part):
                item = self._item(event, _item_type_of_part(part))
                _set_text(item.content, event.content_index, _part_text(part))
                if annotations := _annotations(part):
                    item.annotations[event.content_index] = annotations
            case OutputTextAnnotationAdded():
                item = self._item(event, "message")
                annotations = item.annotations.setdefault(event.content_index, {})
                # Without its index an annotation goes after the others, never over one.
                has_index = is_int(event.raw.get("annotation_index"))
                index = event.annotation_index if has_index else max(annotations, default=-1) + 1
                annotations[index] = event.annotation
            case OutputTextDelta() | RefusalDelta():
                parts = self._item(event, "message").content
                _append(parts, event.content_index, event.delta)
            case OutputTextDone(text=text) | RefusalDone(refusal=text):
                parts = self._item(event, "message").content
                _set_text(parts, event.content_index, text)
            case ReasoningTextDelta():
                parts = self._item(event, "reasoning").content
                _append(parts, event.content_index, event.delta)
            case ReasoningTextDone():
                parts = self._item(event, "reasoning").content
                _set_text(parts, event.content_index, event.text)
            case ReasoningSummaryPartAdded(part=part):
                parts = self._item(event, "reasoning").summary
                parts.setdefault(event.summary_index, [_part_text(part)])
            case ReasoningSummaryDelta():
                parts = self._item(event, "reasoning").summary
                _append(parts, event.summary_index, event.delta)
            case ReasoningSummaryDone(text=text) | ReasoningSummaryPartDone(part={"text": text}):
                parts = self._item(event, "reasoning").summary
                _set_text(parts, event.summary_index, as_str(text))
            case FunctionCallArgumentsDelta():
                self._item(event, "function_call").arguments += event.delta
            case FunctionCallArgumentsDone():
                call = self._item(event, "function_call")
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
        """All the reasoning shown: each reasoning item's text, then its summaries, in
        output order, blocks separated by a blank line."""
        return _blocks(
            text
            for item in self._ordered("reasoning")
            for text in [*_in_order(item.content), *_in_order(item.summary)]
        )

    @property
    def reasoning_text(self) -> str:
        """The raw chain of thought alone (`reasoning_text` parts)."""
        return _blocks(
            text for item in self._ordered("reasoning") for text in _in_order(item.content)
        )

    @property
    def reasoning_summary(self) -> str:
        """The reasoning summaries alone (`summary_text` parts)."""
        return _blocks(
            text for item in self._ordered("reasoning") for text in _in_order(item.summary)
        )

    @property
    def reasoning_encrypted(self) -> bool:
        """Whether reasoning came encrypted: present, billed, and not readable."""
        return any(item.encrypted for item in self._ordered("reasoning"))

    @property
    def function_calls(self) -> list[FunctionCall]:
        return [
            FunctionCall(id=item.id, call_id=item.call_id, name=item.name, arguments=item.arguments)
            for item in self._ordered("function_call")
        ]

    @property
    def citations(self) -> list[Citation]:
        """The cited sources in order of first appearance, each url once; numbered from 1
        in this order where they are shown."""
        found: dict[str, Citation] = {}
        for item in self._ordered("message"):
            for content_index in sorted(item.annotations):
                annotations = item.annotations[content_index]
                for index in sorted(annotations):
                    citation = _citation(annotations[index])
                    if citation is not None and citation.url not in found:
                        found[citation.url] = citation
        return list(found.values())

    @property
    def usage(self) -> Usage | None:
        return self._usage

    @property
    def served_model(self) -> str:
        """The model that answered, from the response's `model`: with fallback models it
        may not be the one asked for."""
        return self._model

    @property
    def model(self) -> str:
        """Same as `served_model`."""
        return self._model

    @property
    def served_provider(self) -> str:
        """The provider that answered, from the response's `provider`, when it names one."""
        return self._provider

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
        self._provider = as_str(response.get("provider")) or self._provider
        self._usage = Usage.from_api(response.get("usage")) or self._usage
        output = as_list(response.get("output"))
        if output:
            # The final `output` wins and drops items it lacks; each final item is merged
            # onto the first streamed item of its type not matched yet, in output order,
            # so a trimmed item keeps the streamed text (its id may have changed).
            unmatched = self._in_output_order()
            self._slots = []
            for index, entry in enumerate(output):
                newer = _Item.from_api(entry if isinstance(entry, dict) else {})
                streamed = next((s for s in unmatched if s.item.type == newer.type), None)
                if streamed is None:
                    self._slots.append(_Slot(index, newer, {newer.id} - {""}))
                    continue
                unmatched.remove(streamed)
                streamed.item.update(newer)
                streamed.index = index
                self._slots.append(streamed)

    def _merge_item(self, index: int, item: dict) -> None:
        newer = _Item.from_api(item)
        self._find(index, newer.type, newer.id).update(newer)

    def _item(self, event: Any, item_type: str) -> _Item:
        """The item a delta or part event speaks of (`item_id` where it has one)."""
        return self._find(event.output_index, item_type, as_str(event.raw.get("item_id")))

    def _find(self, index: int, item_type: str, item_id: str = "") -> _Item:
        """The item with this id; else the latest of this type at `index` (which takes
        the id); else a new one there, after those it holds."""
        if item_id:
            for slot in self._slots:
                if item_id in slot.ids:
                    return slot.item
        for slot in reversed(self._slots):
            if slot.index == index and slot.item.type == item_type:
                if item_id:
                    slot.ids.add(item_id)
                return slot.item
        slot = _Slot(index, _Item(type=item_type), {item_id} - {""})
        self._slots.append(slot)
        return slot.item

    def _in_output_order(self) -> list[_Slot]:
        # Stable: items at the same index stay in the order they came.
        return sorted(self._slots, key=lambda slot: slot.index)

    def _ordered(self, item_type: str) -> list[_Item]:
        return [slot.item for slot in self._in_output_order() if slot.item.type == item_type]


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


def _blocks(texts: Iterable[str]) -> str:
    return "\n\n".join(text for text in texts if text)


def _annotations(part: Any) -> dict[int, dict]:
    return dict(enumerate(as_list(part.get("annotations")))) if isinstance(part, dict) else {}


def _citation(annotation: Any) -> Citation | None:
    if not isinstance(annotation, dict) or annotation.get("type") != "url_citation":
        return None
    # Chat Completions nests the fields under "url_citation"; Responses has them flat.
    fields = as_dict(annotation.get("url_citation")) or annotation
    url = as_str(fields.get("url"))
    if not url:
        return None
    return Citation(
        url=url,
        title=as_str(fields.get("title")),
        start_index=as_int(fields.get("start_index")),
        end_index=as_int(fields.get("end_index")),
    )


def _in_order(parts: dict[int, list[str]]) -> list[str]:
    return ["".join(parts[i]) for i in sorted(parts)]


def _item_type_of_part(part: dict) -> str:
    return "reasoning" if part.get("type") == "reasoning_text" else "message"


def _part_text(part: Any) -> str:
    if not isinstance(part, dict):
        return ""
    return as_str(part.get("refusal") if part.get("type") == "refusal" else part.get("text"))
