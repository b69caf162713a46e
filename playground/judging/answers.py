"""Which answers of a run can be compared, and the two that a request's `left`, `right`
and `mode` pick. Plain data, free of Django: a run's columns and a share's snapshot are
both read into `Answer`s by their views."""

import re
from dataclasses import dataclass

MODES = ("inline", "side-by-side")
DEFAULT_MODE = "inline"
# A column's position in a query string: ASCII digits only (int() also reads "١٢٣"), and
# few of them (a run has at most a handful of columns; a huge number is none of them).
POSITION = re.compile(r"[0-9]{1,3}")


@dataclass(frozen=True)
class Answer:
    position: int
    # The model; in a blind run before the reveal, the column's label ("Model A").
    name: str
    text: str

    @property
    def number(self) -> int:
        """The column's number as its page counts them, from 1."""
        return self.position + 1

    @property
    def label(self) -> str:
        return f"Column {self.number} · {self.name}"


@dataclass(frozen=True)
class Pick:
    left: Answer
    right: Answer
    mode: str


class PickRefused(ValueError):
    """The request names a column without an answer, or the same column twice; the
    message says so to the person."""


def answers_with_text(columns: list[Answer]) -> list[Answer]:
    """The columns that have text to compare (an error or a tool call alone has none)."""
    return [column for column in columns if column.text.strip()]


def answer_pick(
    answers: list[Answer], *, left: str | None, right: str | None, mode: str | None
) -> Pick:
    """The two answers and the mode a request asks for. A side left out is the first
    answer the other side does not take; an unknown mode is inline. Needs two answers;
    raises PickRefused."""
    chosen_left = _answer_at(answers, left, "left")
    chosen_right = _answer_at(answers, right, "right")
    if chosen_left is None:
        chosen_left = next(answer for answer in answers if answer != chosen_right)
    if chosen_right is None:
        chosen_right = next(answer for answer in answers if answer != chosen_left)
    if chosen_left == chosen_right:
        raise PickRefused(
            f"Both sides are column {chosen_left.number}: pick two different columns to compare."
        )
    return Pick(chosen_left, chosen_right, mode if mode in MODES else DEFAULT_MODE)


def _answer_at(answers: list[Answer], value: str | None, side: str) -> Answer | None:
    """The answer at the position `value` names; None when there is no value."""
    if value is None or value == "":
        return None
    by_position = {answer.position: answer for answer in answers}
    if POSITION.fullmatch(value) and int(value) in by_position:
        return by_position[int(value)]
    shown = value if len(value) <= 20 else f"{value[:20]}…"
    raise PickRefused(
        f"“{shown}” is not a column with an answer for the {side} side: pick one of "
        f"this run's answers in the form."
    )
