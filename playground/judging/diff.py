"""The word diff between two answers: the words one has that the other lacks.

Plain functions on text, free of Django. The texts are compared word by word (a run of
punctuation counts as a word); the whitespace after each word goes along with it, so the
segments of a diff joined give back each text exactly, line breaks included, and the
text reads naturally around a change.
"""

import difflib
import re
from dataclasses import dataclass
from itertools import islice
from typing import Literal

# A word or a run of punctuation, and the whitespace after it. Only the words are compared:
# spaces as tokens of their own make each sequence twice as long, and SequenceMatcher up to
# three times as slow at 20,000 words (measured).
TOKEN = re.compile(r"(\w+|[^\w\s]+)(\s*)")
WORD = re.compile(r"\S+")

# Each answer is compared on its first MAX_WORDS words. `answer_diff` measured (Python 3.12,
# two shared and busy cores) on real text, Vim's help files, one against itself with a word
# in ten changed and two unrelated ones: 5,000 words 45 to 75 ms, 10,000 words 0.2 to
# 0.4 s, 20,000 words 0.36 to 0.66 s, the time growing faster than the length. A diff
# that swaps in on a click should take well under a second, rendering included, on such a
# machine too; answers of over 10,000 words (some 13,000 tokens) are rare, and how two
# answers differ shows in their beginnings.
MAX_WORDS = 10_000

Kind = Literal["same", "insert", "delete"]


@dataclass(frozen=True)
class Segment:
    """A run of text the two answers share ("same"), or only the right ("insert") or the
    left ("delete") has."""

    kind: Kind
    text: str


@dataclass(frozen=True)
class SideBySide:
    """The two answers each on their own: the left with what it alone has (deleted), the
    right with what it alone has (inserted)."""

    left: list[Segment]
    right: list[Segment]


@dataclass(frozen=True)
class AnswerDiff:
    segments: list[Segment]
    # The answer had more than `max_words` words: only its first ones were compared.
    left_cut: bool
    right_cut: bool
    max_words: int

    @property
    def identical(self) -> bool:
        return all(segment.kind == "same" for segment in self.segments)

    @property
    def sides(self) -> SideBySide:
        return side_by_side(self.segments)


def word_diff(left: str, right: str) -> list[Segment]:
    """The segments that turn `left` into `right`, word by word; neighbours are of
    different kinds. The time grows faster than the texts: see MAX_WORDS."""
    a, b = _tokens(left), _tokens(right)
    # autojunk (difflib's default) ignores, as the start of a match, the words that make
    # up more than 1% of a text of 200 or more ("the", ","). Without it two answers
    # caught in repetition loops took 42 s at 5,000 words (measured), with it 2 ms; in
    # ordinary answers it marks a few more words as changed.
    matcher = difflib.SequenceMatcher(
        None, [word for word, _ in a], [word for word, _ in b], autojunk=True
    )
    segments: list[Segment] = []
    for operation, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if operation == "equal":
            for (word, a_space), (_, b_space) in zip(
                a[a_start:a_end], b[b_start:b_end], strict=True
            ):
                segments.append(Segment("same", word))
                segments += _space_change(a_space, b_space)
            continue
        deleted = "".join(word + space for word, space in a[a_start:a_end])
        inserted = "".join(word + space for word, space in b[b_start:b_end])
        # "cat " replaced by "dog ": the space after both is shared, not changed.
        shared = _shared_trailing_space(deleted, inserted)
        if deleted := deleted.removesuffix(shared):
            segments.append(Segment("delete", deleted))
        if inserted := inserted.removesuffix(shared):
            segments.append(Segment("insert", inserted))
        segments.append(Segment("same", shared))
    return _merged(segments)


def side_by_side(segments: list[Segment]) -> SideBySide:
    return SideBySide(
        left=[segment for segment in segments if segment.kind != "insert"],
        right=[segment for segment in segments if segment.kind != "delete"],
    )


def first_words(text: str, limit: int) -> tuple[str, bool]:
    """The text up to the end of its `limit`th word (`limit` ≥ 1), and whether words were
    left out."""
    last = next(islice(WORD.finditer(text), limit - 1, None), None)
    if last is None or not text[last.end() :].strip():
        return text, False
    return text[: last.end()], True


def answer_diff(left: str, right: str, *, max_words: int = MAX_WORDS) -> AnswerDiff:
    """The word diff of two answers, each cut to its first `max_words` words."""
    left, left_cut = first_words(left, max_words)
    right, right_cut = first_words(right, max_words)
    return AnswerDiff(word_diff(left, right), left_cut, right_cut, max_words)


def _tokens(text: str) -> list[tuple[str, str]]:
    """(word, the whitespace after it) for each word; whitespace before the first word is
    the space of an empty word."""
    words = TOKEN.findall(text)
    lead = text[: len(text) - len(text.lstrip())]
    return [("", lead), *words] if lead else words


def _space_change(a_space: str, b_space: str) -> list[Segment]:
    """The whitespace after a word both texts have: shared, or changed."""
    if a_space == b_space:
        return [Segment("same", a_space)]
    return [Segment("delete", a_space), Segment("insert", b_space)]


def _shared_trailing_space(deleted: str, inserted: str) -> str:
    a, b = deleted[len(deleted.rstrip()) :], inserted[len(inserted.rstrip()) :]
    return a if a == b else ""


def _merged(segments: list[Segment]) -> list[Segment]:
    """Neighbours of the same kind joined, and empty segments left out."""
    merged: list[Segment] = []
    for segment in segments:
        if not segment.text:
            continue
        if merged and merged[-1].kind == segment.kind:
            merged[-1] = Segment(segment.kind, merged[-1].text + segment.text)
        else:
            merged.append(segment)
    return merged
