"""The server's CPU for answers rendered as markdown while they stream.

Eight columns of about 4,000 tokens each (headings, paragraphs, lists, a table and a
long highlighted code block, repeated) go through `runs/streaming.py`'s `multiplex` in
this process, from scripted upstream streams paced so each batch carries a few tokens,
once with markdown on and once with it off (the raw text relayed as before). The CPU time
of the process in each, over the batches sent, gives what live markdown adds per flush
of the eight columns: `live_markdown_cpu_ms_per_flush`.

In-process on purpose: it measures the relay's own work for the same events, with no
network or other process in the figure, so the difference is live markdown's.
"""

import asyncio
import time

from playground.openrouter import parse_event
from playground.runs.streaming import ColumnState, multiplex

COLUMNS = 8
# About 4 characters a token.
ANSWER_CHARS = 16_000
# Characters each scripted delta carries, and the pause after it: about 20 tokens a
# 40 ms batch, five times a fast model's pace, so the run takes seconds, not a minute.
DELTA_CHARS = 8
DELTA_PAUSE = 0.004

SECTION = (
    "## Part {n}\n\n"
    "A paragraph that explains the idea in plain words, long enough to wrap over a few "
    "lines in a column of the page, with **bold** and `code` in it.\n\n"
    "- first point, short\n- second point, with a [link](https://example.com)\n"
    "- third point\n\n"
    "| Option | Effort | Payoff |\n|---|---|---|\n| Quick fix | Low | Short |\n"
    "| Rewrite | High | Long |\n\n"
    "```python\n"
    + "".join(
        f"def step_{i}(value: int) -> int:\n    return value * {i}  # one step\n\n"
        for i in range(12)
    )
    + "```\n\n"
)


def answer(chars: int = ANSWER_CHARS) -> str:
    parts = []
    while sum(map(len, parts)) < chars:
        parts.append(SECTION.format(n=len(parts) + 1))
    return "".join(parts)[:chars]


def _script(text: str) -> list:
    events: list = []
    for start in range(0, len(text), DELTA_CHARS):
        events.append(
            parse_event(
                {
                    "type": "response.output_text.delta",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": text[start : start + DELTA_CHARS],
                }
            )
        )
        events.append(DELTA_PAUSE)
    return events


def _opener(script: list):
    async def stream():
        for item in script:
            if isinstance(item, float):
                await asyncio.sleep(item)
            else:
                yield item

    return lambda: stream()


async def _relay(script: list, *, markdown: bool) -> tuple[float, int]:
    """CPU seconds of this process while multiplex relays the columns, and its batches."""
    columns = [
        (ColumnState(position=position, markdown=markdown), _opener(script))
        for position in range(COLUMNS)
    ]
    batches = 0
    started = time.process_time()
    async for chunk in multiplex(columns, lambda state: ""):
        batches += chunk.count(b"event: c0-output\n")
    return time.process_time() - started, batches


async def live_markdown_cpu(chars: int = ANSWER_CHARS, rounds: int = 1) -> dict[str, float]:
    script = _script(answer(chars))
    with_markdown = without = 0.0
    flushes = 0
    for _ in range(rounds):
        # In alternation, so both see the same machine.
        spent, batches = await _relay(script, markdown=True)
        with_markdown += spent
        flushes += batches
        spent, _ = await _relay(script, markdown=False)
        without += spent
    return {
        "live_markdown_cpu_ms_per_flush": 1000 * (with_markdown - without) / max(flushes, 1),
        "live_markdown_flushes": flushes / rounds,
        "relay_cpu_ms_per_flush_raw": 1000 * without / max(flushes, 1),
    }
