"""Conversations: a run that continues an earlier run, column by column.

The Responses API keeps nothing between calls, so every turn sends a column's whole
history again: the input of the column's request, then what it answered (its message,
its tool calls), then the new user message, or the results of its tool calls. Each
column keeps its own history; a continued column points at the one it continues
(`RunColumn.previous`), and the run at the run it continues (`Run.parent`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from playground.models import Run, RunColumn
from playground.openrouter import (
    ModelInfo,
    assistant_message,
    function_call_item,
    function_call_output_item,
    reasoning_item,
    user_message,
)
from playground.runs.lifecycle import key_fields, request_fields
from playground.setups.estimates import requests_estimate
from playground.setups.limits import MAX_PROMPT_CHARS
from playground.upstream.connection import Connection

# How many turns a run page follows back (earlier turns shown) and forward (the latest).
MAX_TURNS = 50
# A tool result or follow-up message longer than a prompt may be is refused.
MAX_MESSAGE_CHARS = MAX_PROMPT_CHARS


class ContinuationRefused(ValueError):
    """A continuation that cannot be made; the message says why, to show as it is."""


def continue_refusal(column: RunColumn) -> str:
    """Why a follow-up message cannot go to this column, or "" when it can."""
    if column.status == RunColumn.Status.ERROR:
        return "it ended with an error, so there is no answer to continue from"
    if column.status == RunColumn.Status.CANCELLED:
        return "it was stopped before its answer was complete"
    if not column.answered:
        return "it has not finished yet"
    if column.tool_calls:
        return "it is waiting for the results of its tool calls: answer them with Continue"
    return ""


def tool_results_refusal(column: RunColumn) -> str:
    """Why this column's tool calls cannot be answered, or "" when they can."""
    if not column.tool_calls:
        return "This column made no tool call."
    if column.status != RunColumn.Status.DONE:
        return "Only a column that finished its tool calls can be continued with their results."
    return ""


def column_output_items(column: RunColumn) -> list[dict[str, Any]]:
    """What the column answered, as input items for its next turn: its reasoning where
    it came back as a blob (asked for with `include`), its message (if it wrote any
    text), then each tool call with its ids."""
    items = _reasoning_items(column)
    if column.output_text:
        items.append(assistant_message(_message_id(column), column.output_text))
    for number, call in enumerate(column.tool_calls or []):
        call_id = str(call.get("call_id") or "")
        items.append(
            function_call_item(
                str(call.get("id") or f"fc_{call_id or number}"),
                call_id,
                str(call.get("name") or ""),
                str(call.get("arguments") or ""),
            )
        )
    return items


def column_history(column: RunColumn) -> list[dict[str, Any]]:
    """The column's conversation so far: its request's input, then its answer."""
    sent = (column.request_body or {}).get("input")
    if isinstance(sent, str):
        earlier = [user_message(sent)]
    else:
        earlier = [item for item in sent or [] if isinstance(item, dict)]
    return earlier + column_output_items(column)


def _response_output(column: RunColumn) -> list[Any]:
    """The output items of the column's final response object, as stored."""
    response = column.response if isinstance(column.response, dict) else {}
    output = response.get("output")
    return output if isinstance(output, list) else []


def _reasoning_items(column: RunColumn) -> list[dict[str, Any]]:
    """The column's reasoning items that carry `encrypted_content`, to send back unchanged;
    reasoning that came only as readable text is shown, not replayed."""
    return [
        reasoning_item(
            str(item.get("id") or ""),
            [part for part in item.get("summary") or [] if isinstance(part, dict)],
            item["encrypted_content"],
        )
        for item in _response_output(column)
        if isinstance(item, dict)
        and item.get("type") == "reasoning"
        and isinstance(item.get("encrypted_content"), str)
        and item["encrypted_content"]
    ]


def _message_id(column: RunColumn) -> str:
    """The id of the answer's message item, which a replayed assistant message must
    carry; the final response object has it."""
    for item in _response_output(column):
        if isinstance(item, dict) and item.get("type") == "message" and item.get("id"):
            return str(item["id"])
    return f"msg_{column.generation_id or column.pk}"


def follow_up_check(*, columns: Sequence[RunColumn], message: str) -> str:
    """The message to send (trimmed) when it may go to `columns`; raises
    ContinuationRefused when it is empty or too long, or a column cannot be continued."""
    message = message.strip()
    if not message:
        raise ContinuationRefused("Type a message to send.")
    if len(message) > MAX_MESSAGE_CHARS:
        raise ContinuationRefused(
            f"The message is {len(message):,} characters; at most {MAX_MESSAGE_CHARS:,} fit."
        )
    if not columns:
        raise ContinuationRefused("Choose a column to send the message to.")
    for column in columns:
        if reason := continue_refusal(column):
            raise ContinuationRefused(
                f"Column {column.position + 1} ({column.model}) cannot be continued: {reason}."
            )
    return message


def follow_up_create(
    *,
    run: Run,
    columns: Sequence[RunColumn],
    message: str,
    connection: Connection,
    catalog: Iterable[ModelInfo] | None = None,
) -> Run:
    """A new run sending `message` to each of `columns` (of `run`) with its own history.
    Raises ContinuationRefused as `follow_up_check` does, and as `_run_continue` does
    for the budget."""
    message = follow_up_check(columns=columns, message=message)
    turns = [(column, [*column_history(column), user_message(message)]) for column in columns]
    return _run_continue(
        run=run, turns=turns, prompt=message, connection=connection, catalog=catalog
    )


def tool_results_check(*, column: RunColumn, outputs: Sequence[str]) -> list[dict[str, Any]]:
    """The `function_call_output` items of `outputs`, one per tool call of `column` in
    order; raises ContinuationRefused when the column has no calls to answer or a result
    is missing or too long."""
    if reason := tool_results_refusal(column):
        raise ContinuationRefused(reason)
    calls = column.tool_calls
    if len(outputs) != len(calls):
        raise ContinuationRefused("Give one result for each tool call.")
    results = []
    for number, (call, output) in enumerate(zip(calls, outputs, strict=True), start=1):
        name = call.get("name") or "the tool"
        if not output.strip():
            raise ContinuationRefused(f"Type the result of call {number} ({name}).")
        if len(output) > MAX_MESSAGE_CHARS:
            raise ContinuationRefused(
                f"The result of call {number} ({name}) is {len(output):,} characters; "
                f"at most {MAX_MESSAGE_CHARS:,} fit."
            )
        results.append(function_call_output_item(str(call.get("call_id") or ""), output))
    return results


def tool_results_create(
    *,
    column: RunColumn,
    outputs: Sequence[str],
    connection: Connection,
    catalog: Iterable[ModelInfo] | None = None,
) -> Run:
    """A new run with one column: `column`'s history and the result of each of its tool
    calls, without a new user message. Raises ContinuationRefused as
    `tool_results_check` does."""
    results = tool_results_check(column=column, outputs=outputs)
    names = ", ".join(dict.fromkeys(str(call.get("name") or "tool") for call in column.tool_calls))
    return _run_continue(
        run=column.run,
        turns=[(column, [*column_history(column), *results])],
        prompt=f"Tool results: {names}",
        connection=connection,
        catalog=catalog,
    )


def turn_again(
    *, run: Run, connection: Connection, catalog: Iterable[ModelInfo] | None = None
) -> Run:
    """`run`, a later turn of its conversation, made again beside it: each column sends
    the input it sent (its conversation so far, then this turn's message or tool
    results) to the same model, as a new turn that continues the same earlier columns.
    Raises ContinuationRefused when an earlier turn it continues was deleted, and as
    `_run_continue` does for the budget."""
    columns = list(run.columns.without_stream_record().select_related("previous"))
    if run.parent is None or any(column.previous is None for column in columns):
        raise ContinuationRefused(
            "The turn this one continues was deleted, so it cannot be made again: "
            "Start over runs the conversation's first prompt again."
        )
    turns = []
    for column in columns:
        sent = (column.request_body or {}).get("input")
        turns.append((column.previous, sent if isinstance(sent, list) else []))
    return _run_continue(
        run=run.parent, turns=turns, prompt=run.prompt, connection=connection, catalog=catalog
    )


def _run_continue(
    *,
    run: Run,
    turns: Sequence[tuple[RunColumn, list[dict[str, Any]]]],
    prompt: str,
    connection: Connection,
    catalog: Iterable[ModelInfo] | None = None,
) -> Run:
    """Stores the next turn of `run`: one column per (earlier column, input), each sending
    the earlier column's request (tools, parameters, routing) with this input.

    Given the catalog, each column's worst case is estimated from its request (the whole
    conversation is sent again, so a turn costs more than the one before), and the turn
    is held to the run's budget: ContinuationRefused, saving nothing, when over it."""
    if run.is_hidden and [(earlier.run_id, earlier.position) for earlier, _ in turns] != [
        (run.pk, position) for position in range(run.columns.count())
    ]:
        # Each column keeps its label from turn to turn only when every column goes on.
        raise ContinuationRefused(
            "A blind run's follow-up goes to every column, and every one can take it. "
            "Vote or reveal the models first to continue only some."
        )
    bodies = [{**earlier.request_body, "input": items} for earlier, items in turns]
    estimate = requests_estimate(bodies, catalog, run.budget) if catalog is not None else None
    if estimate is not None and (problem := estimate.budget_problem()):
        raise ContinuationRefused(problem)
    request = request_fields(connection)
    with transaction.atomic():
        follow_up = Run.objects.create(
            owner=run.owner,
            parent=run,
            prompt=prompt,
            instructions=run.instructions,
            temperature=run.temperature,
            max_output_tokens=run.max_output_tokens,
            reasoning_effort=run.reasoning_effort,
            # The setup the conversation started from: "Run again" and the form on the
            # run page start it over.
            setup=run.setup,
            budget=run.budget,
            keep_running=run.keep_running,
            # A turn of a blind conversation is blind as long as the conversation is.
            blind=run.blind,
            revealed_at=run.revealed_at,
            **key_fields(connection),
        )
        RunColumn.objects.bulk_create(
            RunColumn(
                run=follow_up,
                position=position,
                model=earlier.model,
                previous=earlier,
                request_body=body,
                **request,
                cost_estimate=estimate.columns[position].stored if estimate else None,
            )
            for position, ((earlier, _), body) in enumerate(zip(turns, bodies, strict=True))
        )
    return follow_up


# What a run page shows of its conversation.


@dataclass
class Turn:
    """One earlier run of the conversation, as shown above the current one."""

    number: int
    run: Run
    columns: list[RunColumn]

    @property
    def tool_results(self) -> list[tuple[str, str]]:
        return tool_results_sent(self.columns[0]) if self.columns else []


@dataclass
class Conversation:
    """Where a run stands in its conversation: the turns before it (oldest first), the
    runs that continue it, and the follow-up box, which continues the newest turn."""

    run: Run
    columns: list[RunColumn] = field(default_factory=list)
    earlier: list[Turn] = field(default_factory=list)
    later: list[Run] = field(default_factory=list)
    box: FollowUpBox | None = None

    @property
    def number(self) -> int:
        """This run's turn number, from 1."""
        return len(self.earlier) + 1

    @property
    def tool_results(self) -> list[tuple[str, str]]:
        """The tool results this run sent, when it continues tool calls."""
        return tool_results_sent(self.columns[0]) if self.columns else []


def tool_results_sent(column: RunColumn) -> list[tuple[str, str]]:
    """The (tool name, result) pairs a continuation sent after its history, if any."""
    items = (column.request_body or {}).get("input")
    items = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    names = {
        item.get("call_id"): item.get("name")
        for item in items
        if item.get("type") == "function_call"
    }
    results = []
    for item in reversed(items):
        if item.get("type") != "function_call_output":
            break
        output = item.get("output")
        results.append(
            (
                str(names.get(item.get("call_id")) or "tool"),
                output if isinstance(output, str) else "",
            )
        )
    return results[::-1]


def conversation_of(run: Run, columns: Sequence[RunColumn]) -> Conversation:
    """The conversation around `run` (whose `columns` are loaded already), with the box
    that follows up its latest turn."""
    conversation = Conversation(run=run, columns=list(columns))
    conversation.earlier = earlier_turns(run)
    # Only a finished run can have been continued.
    frontier = [run.pk] if run.is_finished else []
    for _ in range(MAX_TURNS if frontier else 0):
        found = list(Run.objects.filter(parent__in=frontier, owner_id=run.owner_id))
        if not found:
            break
        conversation.later.extend(found)
        frontier = [later.pk for later in found]
    latest, latest_columns, earlier = run, list(columns), conversation.earlier
    if conversation.later:
        conversation.later.sort(key=lambda later: (later.created_at, later.pk))
        latest = conversation.later[-1]
        latest_columns = list(latest.columns.without_stream_record())
        earlier = earlier_turns(latest)
    conversation.box = follow_up_box(latest, latest_columns, page_run=run, earlier=earlier)
    return conversation


def earlier_turns(run: Run) -> list[Turn]:
    """The turns before `run` in its conversation, oldest first (at most MAX_TURNS)."""
    ancestors: list[Run] = []
    parent_id = run.parent_id
    while parent_id is not None and len(ancestors) < MAX_TURNS:
        parent = Run.objects.filter(pk=parent_id, owner_id=run.owner_id).first()
        if parent is None:
            break
        ancestors.append(parent)
        parent_id = parent.parent_id
    ancestors.reverse()
    if not ancestors:
        return []
    by_run: dict[int, list[RunColumn]] = {}
    for column in RunColumn.objects.filter(
        run__in=[a.pk for a in ancestors]
    ).without_stream_record():
        by_run.setdefault(column.run_id, []).append(column)
    return [
        Turn(number=number, run=ancestor, columns=by_run.get(ancestor.pk, []))
        for number, ancestor in enumerate(ancestors, start=1)
    ]


# Each column's conversation is its own: a follow-up sent to some columns leaves the
# others where they were, and the next turn can continue them from there.


@dataclass(frozen=True)
class Thread:
    """One column's conversation as far as it went on the way to a run: `column`, its
    latest column, of turn `turn`; `start` orders the threads by where each began (its
    first turn, then its column's position there)."""

    column: RunColumn
    turn: int
    start: tuple[int, int]


def conversation_threads(
    run: Run, columns: Sequence[RunColumn], earlier: Sequence[Turn]
) -> list[Thread]:
    """Every thread of the conversation on the way to `run` (whose `columns` and
    `earlier` turns are read already): one per column of `run`, then one per column of
    an earlier turn that no later turn on the way went on from; in the order they began.
    Reads nothing from the database. A blind run's turns continue every column, so its
    threads are its columns."""
    number = len(earlier) + 1
    starts: dict[int, tuple[int, int]] = {}
    latest: dict[tuple[int, int], Thread] = {}
    for turn in [] if run.is_hidden else earlier:
        for column in sorted(turn.columns, key=lambda column: column.position):
            start = starts.get(column.previous_id, (turn.number, column.position))
            starts[column.pk] = start
            latest[start] = Thread(column, turn.number, start)
    for column in columns:
        start = starts.get(column.previous_id, (number, column.position))
        latest[start] = Thread(column, number, start)
    return sorted(latest.values(), key=lambda thread: thread.start)


@dataclass(frozen=True)
class ColumnChoice:
    """One thread the follow-up box can send to: `position` is its place among the
    threads, from 0 (a column's position when every column went on together)."""

    position: int
    column: RunColumn
    # Why it cannot take a follow-up, or "".
    refusal: str
    # A blind run's before the vote is named by its label only ("Model B").
    blind_name: str = ""
    # The turn its column answered in, when earlier than the box's run.
    behind_turn: int | None = None

    @property
    def model(self) -> str:
        return self.column.model

    @property
    def label(self) -> str:
        return self.blind_name or f"Column {self.position + 1}: {self.model}"


@dataclass
class FollowUpBox:
    """The follow-up form under a run: it continues `run` (the conversation's latest
    turn), shown on the page of `page_run`."""

    run: Run
    page_run: Run
    choices: list[ColumnChoice]
    message: str = ""
    selected: str = "all"
    errors: list[str] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        """A blind run's before the vote: its follow-up goes to every column."""
        return self.run.is_hidden

    @property
    def continuable(self) -> list[ColumnChoice]:
        return [choice for choice in self.choices if not choice.refusal]

    @property
    def refused(self) -> list[ColumnChoice]:
        return [choice for choice in self.choices if choice.refusal]

    @property
    def behind(self) -> list[ColumnChoice]:
        """The threads the latest turn did not continue, which go on from an earlier one."""
        return [choice for choice in self.choices if choice.behind_turn is not None]

    @property
    def waiting(self) -> bool:
        """The latest turn has not finished: nothing to continue from yet."""
        return not self.run.is_finished

    @property
    def elsewhere(self) -> bool:
        """The turn continued is a later run than the page's."""
        return self.run.pk != self.page_run.pk


def follow_up_box(
    run: Run,
    columns: Sequence[RunColumn],
    *,
    page_run: Run,
    earlier: Sequence[Turn] = (),
    message: str = "",
    selected: str = "all",
    errors: Sequence[str] = (),
) -> FollowUpBox:
    """The follow-up form for `run`, its `columns` and its `earlier` turns: one choice
    per thread of the conversation. Reads no more from the database."""
    threads = conversation_threads(run, columns, earlier)
    return FollowUpBox(
        run=run,
        page_run=page_run,
        choices=[
            ColumnChoice(
                position,
                thread.column,
                continue_refusal(thread.column),
                f"Model {thread.column.label}" if run.is_hidden else "",
                thread.turn if thread.column.run_id != run.pk else None,
            )
            for position, thread in enumerate(threads)
        ],
        message=message,
        selected=selected,
        errors=list(errors),
    )
