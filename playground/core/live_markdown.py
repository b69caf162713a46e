"""A streaming answer as sanitized markdown, at a cost bounded by its last block.

The page shows a streaming column as two parts: the finished blocks, which are appended
once and never rendered again, and the tail, the block still growing, which each update
replaces. Both are render_markdown's output (same parser, same sanitizer), and at every
moment, finished blocks + tail == render_markdown(all the text so far), except that the
tail's code blocks are not coloured until they are finished; at the end (`finish`), the
answer is exactly what it will be once stored.

A block is finished when a later top-level block has begun on a complete line: markdown-it
parses the complete lines of the tail, and everything before the start of the last
top-level block is finished. In CommonMark nothing written later can change where such a
block ends or how it renders: a list or a blockquote that may still continue, a paragraph
that may still become a setext heading or a table header, an open code fence are all the
last block. The partial last line is never looked at, since its first characters can still
change what it is ("2" may become "2. item" and continue a list).

One exception, from link reference definitions (`[1]: https://…`), which apply to the
whole document, before and after them:
- a block whose text still shows a "]" once parsed ("see [1]") could become a link when a
  definition arrives later, so neither it nor anything after it is finished;
- a definition in the tail is needed by every block after it, so once one is there,
  nothing more is finished.
In both cases the rest of the answer stays in the tail, rendered whole on each update:
correct, but no longer bounded.
"""

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from markdown_it.token import Token

from playground.core.rendering import parse_markdown, render_markdown

# The line endings of CommonMark, which markdown-it counts its lines by.
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class LiveUpdate:
    """What the page changes after a delta, as two swaps of an SSE relay."""

    # HTML of the blocks finished since the previous update, "" if none: append it once.
    finished: str
    # HTML of the rest of the text, "" if none: it replaces the previous tail.
    tail: str


class LiveMarkdown:
    """One streaming column's markdown: feed it the text deltas, then finish it.

    Cost per feed: one render_markdown of the tail, plus one markdown-it parse of it when
    the delta ends a line, plus, once, the render of the blocks it finishes. The tail is
    the last block and its partial line, except after a possible link reference (see the
    module docstring). A long block (a code block, a list, a table) is still one block,
    rendered whole on each feed while it grows; a code block is highlighted only up to
    rendering.HIGHLIGHT_MAX_CHARS, then escaped, which is cheap.
    """

    def __init__(self) -> None:
        self._tail = ""
        self._tail_html = ""

    def feed(self, delta: str) -> LiveUpdate:
        if not delta:
            return LiveUpdate(finished="", tail=self._tail_html)
        self._tail += delta
        finished = ""
        # Only a new complete line can finish a block.
        if _LINE_END.search(delta):
            length = _finished_length(self._tail)
            if length:
                finished = render_markdown(self._tail[:length])
                self._tail = self._tail[length:]
        # Its code is coloured once finished (or at the end): highlighting a code block
        # on every delta while it grows costs more than all the rest.
        self._tail_html = render_markdown(self._tail, colours=False)
        return LiveUpdate(finished=finished, tail=self._tail_html)

    def finish(self) -> str:
        """The final tail's HTML, its code coloured: an unclosed code fence shows as a
        code block."""
        return render_markdown(self._tail)


def _finished_length(text: str) -> int:
    """How many characters at the start of text are finished blocks (see the module doc)."""
    line_starts = [0] + [match.end() for match in _LINE_END.finditer(text)]
    env: dict[str, Any] = {}
    tokens = parse_markdown(text[: line_starts[-1]], env)
    if env.get("references"):
        return 0
    # The first line of each top-level block, and whether it may hold a reference.
    blocks: list[tuple[int, bool]] = []
    for token in tokens:
        if token.level == 0 and token.nesting != -1 and token.map:
            blocks.append((token.map[0], False))
        elif token.type == "inline" and _shows_a_bracket(token.children or []):
            blocks[-1] = (blocks[-1][0], True)
    finished_lines = 0
    for (_, may_be_a_reference), (next_start, _) in pairwise(blocks):
        if may_be_a_reference:
            break
        finished_lines = next_start
    return line_starts[finished_lines]


def _shows_a_bracket(tokens: list[Token]) -> bool:
    """Whether inline text (image descriptions included) has a "]" left as text."""
    return any(
        (token.type == "text" and "]" in token.content) or _shows_a_bracket(token.children or [])
        for token in tokens
    )
