"""One response being produced: its output items, its events and its final object.

A scenario is a synchronous generator of steps, `(seconds to wait, bytes to send)`. The
state here only moves when the next step is pulled, so a consumer that goes away stops
the generation where it stood.

One concern kept in one file: every output item kind (message, reasoning, function
call, web search) shares the one response's state and event order.
"""

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from .catalog import PROVIDER_NAME, prices
from .features import Plan
from .wire import (
    DONE,
    KEEPALIVE,
    Framing,
    call_id,
    generation_id,
    item_id,
    sse_event,
)

type Step = tuple[float, bytes]
type Script = Iterator[Step]


class OutputLimitReached(Exception):
    """The next output token would exceed `max_output_tokens`."""


class ConnectionReset(Exception):
    """Raised by a script to have the connection reset where it stands."""


class Generation:
    def __init__(
        self,
        *,
        model: dict[str, Any],
        request: dict[str, Any],
        input_tokens: int,
        max_output_tokens: int | None,
        framing: Framing,
        plan: Plan | None = None,
        provider: str = PROVIDER_NAME,
        price_factor: Decimal = Decimal(1),
    ) -> None:
        self.id = generation_id()
        self.model = model
        self.request = request
        # What the request asks for besides an answer, as the serving model can do it.
        self.plan = plan or Plan()
        # The provider that serves it, and its price relative to the catalog's.
        self.provider = provider
        self.price_factor = price_factor
        self.web_searches = 0
        self.framing = framing
        self.input_tokens = input_tokens
        self.max_output_tokens = max_output_tokens
        self.created_at = int(time.time())
        self.completed_at: int | None = None
        self.status = "in_progress"
        self.error: dict[str, str] | None = None
        self.error_type: str | None = None
        self.incomplete_reason: str | None = None
        self.output_tokens = 0
        self.reasoning_tokens = 0
        self.items: dict[int, OutputItem] = {}
        self.open_items: list[OutputItem] = []
        self.started = time.monotonic()
        self.first_token_at: float | None = None
        self._sequence = 0

    # Framing

    def event(self, payload: dict[str, Any]) -> bytes:
        # Assigning keeps the key where the payload put it (R10 has it mid-object).
        payload["sequence_number"] = self._sequence
        self._sequence += 1
        return sse_event(payload, self.framing)

    def keepalive(self) -> Script:
        if self.framing is Framing.OPENROUTER:
            yield 0.0, KEEPALIVE

    def done(self) -> Script:
        if self.framing is Framing.OPENROUTER:
            yield 0.0, DONE

    # Tokens and money

    def spend_token(self, *, reasoning: bool) -> None:
        if self.max_output_tokens is not None and self.output_tokens >= self.max_output_tokens:
            raise OutputLimitReached
        if self.first_token_at is None:
            self.first_token_at = time.monotonic()
        self.output_tokens += 1
        self.reasoning_tokens += reasoning

    def costs(self) -> tuple[Decimal, Decimal]:
        """USD for the input (images at the catalog's price each) and the output so far."""
        prompt_price, completion_price = prices(self.model)
        image_price = Decimal(self.model["pricing"].get("image") or 0)
        images = len(self.plan.images) * image_price
        return (
            (self.input_tokens * prompt_price + images) * self.price_factor,
            self.output_tokens * completion_price * self.price_factor,
        )

    def usage(self) -> dict[str, Any]:
        input_cost, output_cost = self.costs()
        usage = {
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self.input_tokens + self.output_tokens,
            "cost": input_cost + output_cost,
            "is_byok": False,
            "cost_details": {
                "upstream_inference_cost": None,
                "upstream_inference_input_cost": input_cost,
                "upstream_inference_output_cost": output_cost,
            },
        }
        if self.web_searches:
            usage["server_tool_use_details"] = {"web_search_requests": self.web_searches}
        return usage

    # The response object (wire format §3, the 2026 field set)

    def response(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "object": "response",
            "id": self.id,
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "model": self.model["id"],
            "provider": self.provider,
            "status": self.status,
            "output": [self.items[index].final() for index in sorted(self.items)],
            "error": self.error,
        }
        if self.error_type is not None:
            body["error_type"] = self.error_type
        body["incomplete_details"] = (
            {"reason": self.incomplete_reason} if self.incomplete_reason else None
        )
        body["usage"] = None if self.status == "in_progress" else self.usage()
        echo = self._echo
        body |= {
            "max_tool_calls": echo("max_tool_calls", None),
            "tools": echo("tools", []),
            "tool_choice": echo("tool_choice", "auto"),
            "parallel_tool_calls": echo("parallel_tool_calls", True),
            "max_output_tokens": echo("max_output_tokens", None),
            "temperature": echo("temperature", None),
            "top_p": echo("top_p", None),
            "top_logprobs": echo("top_logprobs", 0),
            "presence_penalty": echo("presence_penalty", 0),
            "frequency_penalty": echo("frequency_penalty", 0),
            "metadata": echo("metadata", {}),
            "background": False,
            "previous_response_id": None,
            "service_tier": echo("service_tier", "auto"),
            "truncation": echo("truncation", "disabled"),
            "store": False,
            "instructions": echo("instructions", None),
            "text": echo("text", {"format": {"type": "text"}, "verbosity": "medium"}),
            "reasoning": echo("reasoning", None),
            "safety_identifier": echo("safety_identifier", None),
            "prompt_cache_key": echo("prompt_cache_key", None),
            "prompt_cache_options": echo("prompt_cache_options", None),
        }
        return body

    def upstream_body(self) -> dict[str, Any]:
        """The request as OpenRouter passes it on: for the model that serves it, without
        the fields only OpenRouter reads."""
        own = {"models", "provider", "plugins", "debug", "user", "session_id", "route"}
        body = {key: value for key, value in self.request.items() if key not in own}
        return body | {"model": self.model["id"]}

    def _echo(self, key: str, default: Any) -> Any:
        value = self.request.get(key)
        return default if value is None else value

    # Lifecycle

    def opening(self, *, keepalives: int = 1, interval: float = 0.0) -> Script:
        """Keep-alive comments `interval` seconds apart, then `created` and `in_progress`."""
        if self.framing is Framing.OPENROUTER:
            for number in range(keepalives):
                yield (interval if number else 0.0), KEEPALIVE
        debug = self.request.get("debug")
        if isinstance(debug, dict) and debug.get("echo_upstream_body") is True:
            # wire format §4.4: the body sent to the provider, before anything else.
            upstream = self.upstream_body()
            yield (
                interval,
                self.event({"type": "response.debug", "debug": {"echo_upstream_body": upstream}}),
            )
            interval = 0.0
        yield interval, self.event({"type": "response.created", "response": self.response()})
        yield 0.0, self.event({"type": "response.in_progress", "response": self.response()})

    def stream(self, item: "OutputItem", pieces: list[str], *, first: float, gap: float) -> Script:
        """Each piece is one delta and one output token, `first` then `gap` seconds apart."""
        for number, piece in enumerate(pieces):
            self.spend_token(reasoning=item.is_reasoning)
            yield (first if number == 0 else gap), item.delta(piece)

    def complete(self) -> Script:
        self.status = "completed"
        self.completed_at = int(time.time())
        yield 0.0, self.event({"type": "response.completed", "response": self.response()})
        yield from self.done()

    def stop_incomplete(self, *, done: bool = True) -> Script:
        # The newest item closes first, so a message closes before its reasoning (R02).
        for item in reversed(list(self.open_items)):
            yield from item.close(status="incomplete")
        self.status = "incomplete"
        self.incomplete_reason = "max_output_tokens"
        yield 0.0, self.event({"type": "response.incomplete", "response": self.response()})
        if done:
            yield from self.done()

    def fail(
        self,
        *,
        after: float = 0.0,
        error_event: bool = True,
        failed: bool = True,
        done: bool = True,
    ) -> Script:
        """OpenAI's pattern (X11): an `error` event, then `response.failed`, then [DONE];
        the fault modes leave out some of the three.

        The error event uses OAPI's flat shape; 500-class messages are masked (wire format §4.4).
        """
        self.status = "failed"
        self.error = {"code": "server_error", "message": "Internal server error"}
        self.error_type = "server"
        if error_event:
            yield after, self.event({"type": "error", **self.error, "param": None})
            after = 0.0
        if failed:
            yield after, self.event({"type": "response.failed", "response": self.response()})
        if done:
            yield from self.done()

    @property
    def finish_reason(self) -> str | None:
        if self.status == "completed":
            calls = any(isinstance(item, FunctionCallItem) for item in self.items.values())
            return "tool_calls" if calls else "stop"
        return {"incomplete": "length", "failed": "error"}.get(self.status)


class OutputItem(ABC):
    """One entry of `output`, keyed by `output_index`; subclasses know its events."""

    prefix = "msg"
    is_reasoning = False

    def __init__(self, generation: Generation, output_index: int) -> None:
        self.generation = generation
        self.output_index = output_index
        self.id = item_id(self.prefix)
        self.text = ""
        self.status = "in_progress"

    def open(self) -> Script:
        self.generation.items[self.output_index] = self
        self.generation.open_items.append(self)
        yield from self._opened()

    def delta(self, piece: str) -> bytes:
        self.text += piece
        return self.generation.event(self._delta_event(piece))

    def close(self, *, status: str = "completed") -> Script:
        self.status = status
        self.generation.open_items.remove(self)
        yield from self._closed()

    def _event(self, payload: dict[str, Any]) -> Step:
        return 0.0, self.generation.event(payload)

    def _item_event(self, stage: str, item: dict[str, Any]) -> Step:
        event = f"response.output_item.{stage}"
        return self._event({"type": event, "output_index": self.output_index, "item": item})

    @abstractmethod
    def _opened(self) -> Script: ...

    @abstractmethod
    def _delta_event(self, piece: str) -> dict[str, Any]: ...

    @abstractmethod
    def _closed(self) -> Script: ...

    @abstractmethod
    def final(self) -> dict[str, Any]: ...


class MessageItem(OutputItem):
    def __init__(self, generation: Generation, output_index: int) -> None:
        super().__init__(generation, output_index)
        self.annotations: list[dict[str, Any]] = []

    def annotate(self, annotation: dict[str, Any]) -> bytes:
        """A citation of the text so far, e.g. a `url_citation` from a web search."""
        self.annotations.append(annotation)
        return self.generation.event(
            {
                "type": "response.output_text.annotation.added",
                "output_index": self.output_index,
                "item_id": self.id,
                "content_index": 0,
                "annotation_index": len(self.annotations) - 1,
                "annotation": annotation,
            }
        )

    def _opened(self) -> Script:
        yield self._item_event(
            "added",
            {
                "type": "message",
                "status": "in_progress",
                "content": [],
                "id": self.id,
                "role": "assistant",
            },
        )
        yield self._event(
            {
                "type": "response.content_part.added",
                "item_id": self.id,
                "output_index": self.output_index,
                "content_index": 0,
                "part": {"type": "output_text", "annotations": [], "text": ""},
            }
        )

    def _delta_event(self, piece: str) -> dict[str, Any]:
        return {
            "type": "response.output_text.delta",
            "logprobs": [],
            "output_index": self.output_index,
            "item_id": self.id,
            "content_index": 0,
            "delta": piece,
        }

    def _closed(self) -> Script:
        yield self._event(
            {
                "type": "response.output_text.done",
                "item_id": self.id,
                "output_index": self.output_index,
                "content_index": 0,
                "text": self.text,
                "logprobs": [],
            }
        )
        yield self._event(
            {
                "type": "response.content_part.done",
                "item_id": self.id,
                "output_index": self.output_index,
                "content_index": 0,
                "part": {
                    "type": "output_text",
                    "annotations": list(self.annotations),
                    "text": self.text,
                },
            }
        )
        yield self._item_event("done", self.final())

    def final(self) -> dict[str, Any]:
        return {
            "type": "message",
            "status": self.status,
            "content": [
                {
                    "type": "output_text",
                    "text": self.text,
                    "annotations": list(self.annotations),
                    "logprobs": [],
                }
            ],
            "id": self.id,
            "role": "assistant",
        }


class ReasoningTextItem(OutputItem):
    """Raw chain of thought in `content[]` with an empty `summary`, as R02 streams it."""

    prefix = "rs"
    is_reasoning = True

    def __init__(self, generation: Generation, output_index: int) -> None:
        super().__init__(generation, output_index)
        # Quirk (b) of wire format §4.3: `response.completed` names this item with another id.
        self.final_id = item_id(self.prefix)
        # Set for `include: ["reasoning.encrypted_content"]`: the blob appears when the
        # item is done, as X3 shows (not on `output_item.added`).
        self.encrypted_content: str | None = None

    def _opened(self) -> Script:
        yield self._item_event("added", {"type": "reasoning", "id": self.id, "summary": []})
        yield self._event(
            {
                "type": "response.content_part.added",
                "item_id": self.id,
                "output_index": self.output_index,
                "content_index": 0,
                "part": {"type": "reasoning_text", "text": ""},
            }
        )

    def _delta_event(self, piece: str) -> dict[str, Any]:
        return {
            "type": "response.reasoning_text.delta",
            "output_index": self.output_index,
            "item_id": self.id,
            "content_index": 0,
            "delta": piece,
        }

    def _closed(self) -> Script:
        yield self._event(
            {
                "type": "response.reasoning_text.done",
                "output_index": self.output_index,
                "item_id": self.id,
                "content_index": 0,
                "text": self.text,
            }
        )
        yield self._event(
            {
                "type": "response.content_part.done",
                "item_id": self.id,
                "output_index": self.output_index,
                "content_index": 0,
                "part": {"type": "reasoning_text", "text": self.text},
            }
        )
        yield self._item_event("done", self._item(self.id))

    def _item(self, identifier: str) -> dict[str, Any]:
        item: dict[str, Any] = {
            "type": "reasoning",
            "id": identifier,
            "summary": [],
            "content": [{"type": "reasoning_text", "text": self.text}],
        }
        if self.encrypted_content is not None:
            item["encrypted_content"] = self.encrypted_content
        return item

    def final(self) -> dict[str, Any]:
        return self._item(self.final_id)


class ReasoningSummaryItem(OutputItem):
    """An OpenAI-style reasoning summary; the summary events keep R10's key order."""

    prefix = "rs"
    is_reasoning = True

    def __init__(self, generation: Generation, output_index: int) -> None:
        super().__init__(generation, output_index)
        self.encrypted_content: str | None = None

    def _opened(self) -> Script:
        yield self._item_event("added", {"id": self.id, "type": "reasoning", "summary": []})
        yield self._event(
            {
                "type": "response.reasoning_summary_part.added",
                "item_id": self.id,
                "output_index": self.output_index,
                "part": {"type": "summary_text", "text": ""},
                "sequence_number": None,
                "summary_index": 0,
            }
        )

    def _delta_event(self, piece: str) -> dict[str, Any]:
        return {
            "type": "response.reasoning_summary_text.delta",
            "delta": piece,
            "item_id": self.id,
            "output_index": self.output_index,
            "sequence_number": None,
            "summary_index": 0,
        }

    def _closed(self) -> Script:
        yield self._event(
            {
                "type": "response.reasoning_summary_text.done",
                "item_id": self.id,
                "output_index": self.output_index,
                "sequence_number": None,
                "summary_index": 0,
                "text": self.text,
            }
        )
        yield self._event(
            {
                "type": "response.reasoning_summary_part.done",
                "item_id": self.id,
                "output_index": self.output_index,
                "part": {"type": "summary_text", "text": self.text},
                "sequence_number": None,
                "summary_index": 0,
            }
        )
        yield self._item_event("done", self.final())

    def final(self) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.id, "type": "reasoning"}
        if self.encrypted_content is not None:
            # OpenAI's key order (R10), and the format X3 names.
            item["encrypted_content"] = self.encrypted_content
        item["summary"] = [{"type": "summary_text", "text": self.text}]
        if self.encrypted_content is not None:
            item["format"] = "openai-responses-v1"
        return item


class FunctionCallItem(OutputItem):
    prefix = "fc"

    def __init__(self, generation: Generation, output_index: int, *, name: str) -> None:
        super().__init__(generation, output_index)
        self.name = name
        self.call_id = call_id()

    def _opened(self) -> Script:
        yield self._item_event("added", self.final())

    def _delta_event(self, piece: str) -> dict[str, Any]:
        return {
            "type": "response.function_call_arguments.delta",
            "output_index": self.output_index,
            "item_id": self.id,
            "delta": piece,
        }

    def _closed(self) -> Script:
        yield self._event(
            {
                "type": "response.function_call_arguments.done",
                "output_index": self.output_index,
                "item_id": self.id,
                "name": self.name,
                "arguments": self.text,
            }
        )
        yield self._item_event("done", self.final())

    def final(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function_call",
            "status": self.status,
            "call_id": self.call_id,
            "name": self.name,
            "arguments": self.text,
        }


class WebSearchCallItem(OutputItem):
    """A server-side web search (wire format §3, §4.2): no tokens, only its progress events."""

    prefix = "ws"

    def __init__(
        self, generation: Generation, output_index: int, *, query: str, duration: float
    ) -> None:
        super().__init__(generation, output_index)
        self.query = query
        self.duration = duration
        self.sources: list[str] = []

    def found(self, urls: list[str]) -> None:
        self.sources = list(urls)
        self.generation.web_searches += 1

    def _opened(self) -> Script:
        yield self._item_event(
            "added",
            {
                "id": self.id,
                "type": "web_search_call",
                "status": "in_progress",
                "action": {"type": "search", "query": self.query},
            },
        )
        yield self._progress("in_progress")
        yield self._progress("searching")

    def _progress(self, stage: str) -> Step:
        return self._event(
            {
                "type": f"response.web_search_call.{stage}",
                "output_index": self.output_index,
                "item_id": self.id,
            }
        )

    def _delta_event(self, piece: str) -> dict[str, Any]:
        raise TypeError("a web search streams no text")

    def _closed(self) -> Script:
        _, completed = self._progress("completed")
        yield self.duration, completed
        yield self._item_event("done", self.final())

    def final(self) -> dict[str, Any]:
        action: dict[str, Any] = {"type": "search", "query": self.query}
        if self.sources:
            action["sources"] = [{"type": "url", "url": url} for url in self.sources]
        return {"id": self.id, "type": "web_search_call", "status": self.status, "action": action}
