"""The load client counts each piece of the app's markdown stream once, when it first
shows: finished blocks are appended, the growing block replaces the one before."""

from playground.bench.client import Event
from playground.bench.workload import Stream, Target


def shown(*events: tuple[str, str, float]) -> Stream:
    stream = Stream("app")
    target = Target(fake=None, app=None, csrf_token="")
    for name, data, at in events:
        target.record_shown(stream, Event(name, data, at), keep_delays=True)
    return stream


def test_each_piece_counts_once_with_its_delay_from_when_it_first_showed():
    stream = shown(
        ("c0-output", "<p>1.0 1.1</p>", 1.5),
        ("c0-output", "<p>1.0 1.1 1.2</p>", 2.0),
        # The paragraph finished: it moves to the blocks, and a new one grows.
        ("c0-blocks", "<p>1.0 1.1 1.2 1.3</p>\n", 2.5),
        ("c0-output", "<p>1.4</p>", 2.5),
        ("c1-output", "<h3>Notes</h3><p>2.0</p>", 3.0),
    )
    assert stream.pieces == 6
    assert [round(delay, 6) for delay in stream.delays] == [0.5, 0.4, 0.8, 1.2, 1.1, 1.0]
    assert stream.first_due == {0: 1.0, 1: 2.0}
    assert stream.first_text_at == 1.5
