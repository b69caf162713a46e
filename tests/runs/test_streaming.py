"""Fan-out, merge, coalescing and SSE framing, with scripted upstream streams."""

import asyncio
import html
import time

from playground.core.live_markdown import LiveMarkdown
from playground.core.rendering import render_markdown
from playground.openrouter import OpenRouterError, parse_event
from playground.runs.streaming import ColumnState, multiplex, sse_comment, sse_event


def delta(text, index=0):
    return parse_event(
        {
            "type": "response.output_text.delta",
            "output_index": index,
            "content_index": 0,
            "delta": text,
        }
    )


def completed(text):
    return parse_event(
        {
            "type": "response.completed",
            "response": {
                "id": "gen-1-x",
                "model": "m",
                "status": "completed",
                "output": [
                    {
                        "type": "message",
                        "id": "msg_tmp_1",
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "output_text", "text": text, "annotations": []}],
                    }
                ],
            },
        }
    )


class ScriptedStream:
    """An upstream stream: events with pauses, remembering whether it was closed early."""

    def __init__(self, script):
        self.script = script
        self.closed_early = False
        self.finished = False

    async def __call__(self):
        try:
            for item in self.script:
                if isinstance(item, float):
                    await asyncio.sleep(item)
                elif isinstance(item, Exception):
                    raise item
                else:
                    yield item
            self.finished = True
        finally:
            if not self.finished:
                self.closed_early = True


def parse_sse(chunks):
    """(event, data) pairs from the bytes the browser would receive."""
    events = []
    for block in b"".join(chunks).decode().split("\n\n"):
        name, data = "", []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        if name:
            events.append((name, "\n".join(data)))
    return events


async def collect(columns, **kwargs):
    return [
        chunk
        async for chunk in multiplex(columns, lambda state: f"end of {state.position}", **kwargs)
    ]


def test_an_sse_event_spreads_lines_over_data_fields():
    assert sse_event("c0-output", "a\nb\r\nc") == b"event: c0-output\ndata: a\ndata: b\ndata: c\n\n"
    assert sse_event("done", "") == b"event: done\ndata: \n\n"
    assert sse_comment("keep-alive") == b": keep-alive\n\n"


async def test_deltas_are_coalesced_and_escaped_per_column():
    pieces = [f"<{i}>" for i in range(200)]
    text = "".join(pieces)
    stream = ScriptedStream(
        [item for p in pieces for item in (delta(p), 0.0005)] + [completed(text)]
    )
    state = ColumnState(position=0)
    events = parse_sse(await collect([(state, stream)], flush_interval=0.03))
    outputs = [data for name, data in events if name == "c0-output"]
    assert html.unescape("".join(outputs)) == text
    assert "<" not in "".join(outputs)
    assert len(outputs) < len(pieces) / 4  # about 30 ms a batch, not one event a delta
    assert events[-1] == ("c0-end", "end of 0")
    assert state.fold.status == "completed" and state.fold.text == text


async def test_the_first_delta_is_sent_without_waiting_for_a_batch():
    stream = ScriptedStream([delta("first"), 0.5, delta(" second"), completed("first second")])
    state = ColumnState(position=0)
    loop = asyncio.get_running_loop()
    start = loop.time()
    async for chunk in multiplex([(state, stream)], lambda s: "", flush_interval=0.2):
        if b"c0-output" in chunk:
            assert b"first" in chunk
            break
    assert loop.time() - start < 0.15


async def test_columns_stream_at_once_and_end_independently():
    slow = ScriptedStream([0.2, delta("slow"), completed("slow")])
    fast = ScriptedStream([delta("fast"), completed("fast")])
    events = parse_sse(
        await collect([(ColumnState(position=0), slow), (ColumnState(position=1), fast)])
    )
    names = [name for name, _ in events]
    assert names.index("c1-end") < names.index("c0-output")


async def test_a_failing_column_ends_with_its_error_and_the_other_goes_on():
    failing = ScriptedStream([delta("part"), OpenRouterError.bad_response("broken")])
    good = ScriptedStream([0.05, delta("whole"), completed("whole")])
    states = [ColumnState(position=0), ColumnState(position=1)]
    events = parse_sse(await collect([(states[0], failing), (states[1], good)]))
    assert ("c0-end", "end of 0") in events and ("c1-end", "end of 1") in events
    assert states[0].fold.status == "failed" and states[0].fold.text == "part"
    assert states[1].fold.status == "completed"


async def test_a_stream_that_just_stops_is_an_error_not_an_answer():
    state = ColumnState(position=0)
    await collect([(state, ScriptedStream([delta("half an ans")]))])
    assert state.fold.status == "failed"
    assert "ended before the answer was complete" in state.fold.error.message


async def test_keep_alive_comments_flow_while_models_are_silent():
    stream = ScriptedStream([0.25, delta("late"), completed("late")])
    chunks = await collect([(ColumnState(position=0), stream)], keepalive_interval=0.05)
    assert sum(chunk.count(b": keep-alive\n\n") for chunk in chunks) >= 3


async def test_closing_the_stream_closes_every_upstream_and_marks_columns_cancelled():
    streams = [ScriptedStream([delta("a"), 5.0, completed("a")]) for _ in range(3)]
    states = [ColumnState(position=i) for i in range(3)]
    generator = multiplex(list(zip(states, streams, strict=True)), lambda s: "")
    async for chunk in generator:
        if b"-output" in chunk:
            break
    await generator.aclose()
    assert all(stream.closed_early for stream in streams)
    assert all(state.cancelled and state.total_ms is not None for state in states)


async def test_raw_events_are_kept_with_arrival_times_and_capped(monkeypatch):
    monkeypatch.setattr("playground.runs.streaming.MAX_STORED_EVENTS", 3)
    stream = ScriptedStream([delta("a"), 0.02, delta("b"), delta("c"), completed("abc")])
    state = ColumnState(position=0)
    await collect([(state, stream)])
    stored = state.events.as_json()
    assert [e["event"]["type"] for e in stored] == ["response.output_text.delta"] * 3
    assert stored[1]["t_ms"] >= 15
    assert state.events_truncated


# A column whose answer streams as markdown.


async def test_a_markdown_column_sends_finished_blocks_once_and_its_growing_block_anew():
    text = "# Title\n\nFirst paragraph.\n\n- one\n- two\n\nLast **bold** words.\n"
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
    stream = ScriptedStream(
        [item for p in pieces for item in (delta(p), 0.002)] + [completed(text)]
    )
    events = parse_sse(await collect([(ColumnState(position=0, markdown=True), stream)]))
    blocks = "".join(data for name, data in events if name == "c0-blocks")
    tails = [data for name, data in events if name == "c0-output"]
    assert blocks.startswith("<h1>Title</h1>") and "<li>one</li>" in blocks
    assert blocks + tails[-1] == render_markdown(text)
    assert tails[-1] == "<p>Last <strong>bold</strong> words.</p>\n"
    assert events[-1] == ("c0-end", "end of 0")


async def test_a_growing_block_that_is_slow_to_render_is_rendered_less_often(monkeypatch):
    """A render of 20 ms may come again only after 200 ms: text arriving meanwhile waits
    in the outbox, and the column's end shows all of it."""
    real_render = LiveMarkdown.feed

    def slow_render(self, delta_text):
        time.sleep(0.02)
        return real_render(self, delta_text)

    monkeypatch.setattr(LiveMarkdown, "feed", slow_render)
    text = "".join(f"word{i} " for i in range(100))
    stream = ScriptedStream(
        [item for i in range(100) for item in (delta(f"word{i} "), 0.005)] + [completed(text)]
    )
    events = parse_sse(
        await collect([(ColumnState(position=0, markdown=True), stream)], flush_interval=0.01)
    )
    tails = [data for name, data in events if name == "c0-output"]
    # About 0.5 s of text: without the bound, one render per 10 ms batch.
    assert 1 < len(tails) <= 6
    assert tails[-1] == render_markdown(text)
