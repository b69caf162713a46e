"""What a finished column shows besides its text: who served it, its tool calls, its
structured output checked against the schema, its sources and its generation record.

Reads only the column's own fields, so it can be built while a stream renders a column's
end on the event loop, where no query may run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from playground.core.rendering import SourceLink, pretty_json, source_links
from playground.models import RunColumn
from playground.openrouter import Generation, stored_generation
from playground.runs.conversations import tool_results_refusal
from playground.runs.structured_output import (
    StructuredOutput,
    json_schema_format,
    structured_output,
)


@dataclass(frozen=True)
class ToolCallView:
    number: int
    name: str
    call_id: str
    arguments: str
    # The arguments indented, or None when they are not JSON (an answer cut off).
    pretty: str | None


@dataclass(frozen=True)
class GenerationView:
    """What OpenRouter recorded of the generation (`GET /generation`), or why not."""

    error: str = ""
    record: Generation | None = None


class ColumnView:
    """The derived facts a column's result shows; see the module docstring."""

    def __init__(self, column: RunColumn) -> None:
        self.column = column

    @property
    def served_other_model(self) -> bool:
        """The model that answered is not the one asked for (a fallback, or a dated id)."""
        return bool(self.column.served_model) and self.column.served_model != self.column.model

    @property
    def served_by_fallback(self) -> bool:
        """One of the request's fallback models (`models`) answered instead."""
        asked = (self.column.request_body or {}).get("models")
        fallbacks = asked[1:] if isinstance(asked, list) else []
        return self.served_other_model and self.column.served_model in fallbacks

    @cached_property
    def tool_calls(self) -> list[ToolCallView]:
        calls = []
        for number, call in enumerate(self.column.tool_calls or [], start=1):
            if not isinstance(call, dict):
                continue
            arguments = str(call.get("arguments") or "")
            calls.append(
                ToolCallView(
                    number=number,
                    name=str(call.get("name") or ""),
                    call_id=str(call.get("call_id") or ""),
                    arguments=arguments,
                    pretty=pretty_json(arguments) if arguments else "{}",
                )
            )
        return calls

    @property
    def can_answer_tools(self) -> bool:
        """The column ended on tool calls: the person may give their results."""
        return not tool_results_refusal(self.column)

    @cached_property
    def structured(self) -> StructuredOutput | None:
        """The answer checked against the run's JSON schema, when the run asked for one
        and the column answered."""
        form = json_schema_format(self.column.request_body)
        if form is None or not self.column.answered or self.column.tool_calls:
            return None
        return structured_output(self.column.output_text, form)

    @cached_property
    def sources(self) -> list[SourceLink]:
        return source_links(self.column.citations)

    @cached_property
    def generation(self) -> GenerationView | None:
        return generation_view(self.column.generation)


def generation_view(stored: Any) -> GenerationView | None:
    """The stored generation record as shown; None when none was looked up."""
    if not isinstance(stored, dict) or not stored:
        return None
    if stored.get("error"):
        return GenerationView(error=str(stored["error"]))
    return GenerationView(record=stored_generation(stored))
