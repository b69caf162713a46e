"""The fence around httpx-sse's private decoders (playground/openrouter/sse_decoding.py):
the version installed is the one pinned, and the decoders do what the event reader
relies on. When this fails after an upgrade, review the fence and events.py's reader."""

from importlib.metadata import version

from playground.openrouter.sse_decoding import SSEDecoder, SSELineDecoder
from tests.pins import pinned


def test_the_installed_httpx_sse_is_the_pinned_one():
    assert version("httpx-sse") == pinned("httpx-sse")


def decode(chunks: list[str]) -> list:
    """What the reader does: comment lines kept aside, the rest to the event decoder."""
    lines, decoder = SSELineDecoder(), SSEDecoder()
    out = []
    for chunk in chunks:
        for line in lines.decode(chunk):
            if line.startswith(":"):
                out.append(("comment", line))
            elif (sse := decoder.decode(line)) is not None:
                out.append((sse.event, sse.data))
    return out


def test_comments_and_events_come_through_whole_from_split_chunks():
    chunks = [
        ": OPENROUTER PRO",
        "CESSING\r",
        "\n\nevent: response.created\nda",
        'ta: {"a":\ndata: 1}\r\n',
        "\r\ndata: [DONE]\n\n",
    ]
    assert decode(chunks) == [
        ("comment", ": OPENROUTER PROCESSING"),
        ("response.created", '{"a":\n1}'),
        ("message", "[DONE]"),
    ]


def test_an_event_without_its_blank_line_is_not_dispatched():
    assert decode(["data: half\n"]) == []


def test_lines_split_only_on_sse_line_ends():
    # Other Unicode line breaks, which str.splitlines() would split on, are data.
    assert decode(["data: a\u2028b\x0cc\n\n"]) == [("message", "a\u2028b\x0cc")]
