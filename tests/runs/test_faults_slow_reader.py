"""A slow reader: the server coalesces what arrives while the browser is not reading,
so a stream's memory grows with its unsent text only, never per event, and the browser
gets it as one event per column when it reads again."""

import asyncio
import gc
import html
import tracemalloc

from playground.openrouter import parse_event
from playground.runs.streaming import ColumnState, multiplex

PIECE = "word "


def delta(text):
    return parse_event(
        {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": text}
    )


def completed():
    return parse_event({"type": "response.completed", "response": {"status": "completed"}})


class FastModel:
    """An upstream stream of `count` pieces as fast as the loop allows."""

    def __init__(self, count):
        self.count = count
        self.done = False

    async def __call__(self):
        for number in range(self.count):
            yield delta(PIECE)
            if number % 50 == 0:
                await asyncio.sleep(0)
        yield completed()
        self.done = True


def events_of(chunk):
    """(event, data) pairs in one chunk of bytes sent to the browser."""
    events = []
    for block in chunk.decode().split("\n\n"):
        lines = block.split("\n")
        if lines[0].startswith("event: "):
            data = "\n".join(line[len("data: ") :] for line in lines[1:])
            events.append((lines[0][len("event: ") :], data))
    return events


async def held_while_not_reading(count, *, stalled):
    """Bytes still allocated once every column has ended, with a reader that read all
    along or one that stalled after the first chunk; and what that reader then got."""
    models = [FastModel(count), FastModel(count)]
    states = [ColumnState(position=0), ColumnState(position=1)]
    columns = list(zip(states, models, strict=True))
    received = []
    gc.collect()
    tracemalloc.start()
    try:
        generator = multiplex(columns, lambda state: "end", flush_interval=0.01)
        received.append(await anext(generator))
        if not stalled:
            # What the reader got is let go, as the server lets go of what it sent.
            async for _chunk in generator:
                if all(model.done for model in models):
                    break
        while not all(state.ended_at for state in states):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    received.extend([chunk async for chunk in generator])
    return held, received


async def test_a_stalled_reader_costs_the_server_its_unsent_text_once_and_nothing_per_event():
    count = 10_000
    text = PIECE * count

    reading, _ = await held_while_not_reading(count, stalled=False)
    stalled, received = await held_while_not_reading(count, stalled=True)

    # Two columns of 50 kB each wait for the reader: about that much more is held, not
    # the tens of bytes per event a queue of pieces would hold.
    unsent = 2 * len(text)
    assert stalled - reading < 1.25 * unsent, f"{stalled - reading} bytes held for {unsent}"
    # When the reader comes back, each column's text arrives as one event.
    [first, *rest] = received
    assert first == b": stream open\n\n"
    events = [event for chunk in rest for event in events_of(chunk)]
    assert [name for name, _ in events].count("c0-output") == 1
    assert [name for name, _ in events].count("c1-output") == 1
    assert html.unescape(dict(events)["c0-output"]) == text


async def test_a_slow_reader_gets_one_event_per_column_for_each_read():
    model = FastModel(20_000)
    state = ColumnState(position=0)
    outputs = []
    reads = 0

    async for chunk in multiplex([(state, model)], lambda state: "end", flush_interval=0.01):
        reads += 1
        names = [name for name, _ in events_of(chunk)]
        assert names.count("c0-output") <= 1
        outputs += [data for name, data in events_of(chunk) if name == "c0-output"]
        await asyncio.sleep(0.05)  # the browser is busy

    assert html.unescape("".join(outputs)) == PIECE * 20_000
    assert len(outputs) <= reads
