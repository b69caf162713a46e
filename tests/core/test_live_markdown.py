import html
import random
import re

import pytest

from playground.core.live_markdown import LiveMarkdown, LiveUpdate
from playground.core.rendering import render_markdown

CORPUS = {
    "headings": "# One\n## Two\nText under it\n### Three ###\n\nSetext\n======\n\nOther\n---\nend",
    "nested lists": (
        "- one\n  - nested a\n  - nested b\n    1. deep\n    2. deeper\n- two\n\n"
        "1. first\n2. second\n   - inner\n3. third\n"
    ),
    "loose lists": "- a\n\n- b\n\n- c\n\nParagraph after.\n\n- x\n- y\n\n\n- z\n\n  more z\n",
    "ordered starts": "3. three\n4. four\n\ntext\n\n7) seven\n8) eight\n\n1. new\n",
    "tables": (
        "| Model | Score |\n|:--|--:|\n| a | 1 |\n| b | 2 |\nrow without pipes\n\nAfter.\n\n"
        "Para\n| x | y |\n|---|---|\n| 1 | 2 |\n"
    ),
    "blockquotes": (
        "> quote one\nlazy line\n\n> second\n>\n> > nested\n> - list in quote\n\nafter\n"
    ),
    "fence with blank lines": "Code:\n\n```python\ndef f():\n\n\n    return 1\n```\n\nDone.\n",
    "fences without language": "~~~\nplain\n\n~~~\n````\n```\ninner\n```\n````\n```\n\n```\n",
    "fence left open": "Start\n\n```js\nlet a = 1;\n\nlet b = 2;\n",
    "paragraphs": (
        "First paragraph\nwith two lines.\n\nSecond *emphasis\nacross* lines and `code`.\n\n\n\n"
        "Third after blank lines.\n***\nlast"
    ),
    "crlf": (
        "# Title\r\n\r\nPara one\r\nline two\r\n\r\n- a\r\n- b\r\n\r\n"
        "```py\r\nx = 1\r\n\r\n```\r\nEnd\r\n"
    ),
    "lone cr": "a\rb\r\rc\r\r- d\r",
    "indented code": "Para\n\n    code\n\n\n    more code\n\nafter\n",
    "blocks without blank lines": (
        "para\n# heading\npara\n***\npara\n> quote\n\npara\n```\ncode\n```\npara\n- item\n"
    ),
    "fence in a list": "1. Step:\n\n   ```bash\n   ls -l\n\n   pwd\n   ```\n\n2. Next\n",
    "html from the model": "<div>\n<script>alert(1)</script>\n</div>\n\nText <b>bold</b>\n\nok",
    "links": "A [link](https://example.com) and ![img](https://x.example/y.png).\n\nAnother.\n",
    "references": (
        "See [the docs][docs] and [1].\n\nMore text.\n\n[1]: https://example.com/one\n"
        "[docs]: https://example.com/docs 'Docs'\n\nUses [1] again.\n"
    ),
    "brackets without definitions": (
        "As shown in [1], it works.\n\nNext [2].\n\n- [ ] task\n- [x] done\n"
    ),
}


def uncoloured(page: str) -> str:
    """A page without its code's colours: the growing block's code is coloured only once
    it is finished."""
    # Pygments may end the code it colours with a line break, which <pre> does not show.
    return re.sub(r"\s+</code>", "</code>", html.unescape(re.sub(r"</?span[^>]*>", "", page)))


def _stream(chunks: list[str]) -> str:
    """What the page shows at the end: every finished block, then the final tail."""
    live = LiveMarkdown()
    shown = "".join(live.feed(chunk).finished for chunk in chunks)
    return shown + live.finish()


def _random_chunks(text: str, seed: int, largest: int = 12) -> list[str]:
    rng = random.Random(seed)
    chunks, start = [], 0
    while start < len(text):
        size = rng.randint(1, largest)
        chunks.append(text[start : start + size])
        start += size
    return chunks


@pytest.mark.parametrize("text", CORPUS.values(), ids=CORPUS.keys())
def test_fed_one_character_at_a_time_the_page_always_shows_the_full_rendering(text):
    live = LiveMarkdown()
    finished = ""
    for end in range(1, len(text) + 1):
        update = live.feed(text[end - 1])
        finished += update.finished
        shown = uncoloured(finished + update.tail)
        assert shown == uncoloured(render_markdown(text[:end])), repr(text[:end])
    assert finished + live.finish() == render_markdown(text)


@pytest.mark.parametrize("text", CORPUS.values(), ids=CORPUS.keys())
def test_cut_anywhere_in_two_the_end_result_is_the_full_rendering(text):
    expected = render_markdown(text)
    for cut in range(len(text) + 1):
        assert _stream([text[:cut], text[cut:]]) == expected, cut


@pytest.mark.parametrize("text", CORPUS.values(), ids=CORPUS.keys())
def test_in_random_chunks_or_by_lines_the_end_result_is_the_full_rendering(text):
    expected = render_markdown(text)
    for seed in range(20):
        assert _stream(_random_chunks(text, seed)) == expected, seed
    assert _stream(text.splitlines(keepends=True)) == expected


def test_finished_blocks_are_sent_once_and_the_tail_is_the_growing_block():
    live = LiveMarkdown()
    assert live.feed("One\n\nTwo\n") == LiveUpdate(finished="<p>One</p>\n", tail="<p>Two</p>\n")
    # A line is looked at once it is complete: "Three" could still become anything.
    two_three = "<p>Two</p>\n<p>Three</p>\n"
    assert live.feed("\nThree") == LiveUpdate(finished="", tail=two_three)
    assert live.feed("") == LiveUpdate(finished="", tail=two_three)
    assert live.feed(" and more\n") == LiveUpdate(
        finished="<p>Two</p>\n", tail="<p>Three and more</p>\n"
    )
    assert live.finish() == "<p>Three and more</p>\n"


def test_a_list_stays_in_the_tail_while_an_item_may_follow():
    live = LiveMarkdown()
    assert live.feed("- a\n- b\n\n").finished == ""
    update = live.feed("- c\n\nAfter.\n")
    # The blank line made the list loose: it was right not to send it earlier.
    items = "".join(f"<li>\n<p>{item}</p>\n</li>\n" for item in "abc")
    assert update.finished == f"<ul>\n{items}</ul>\n"
    assert update.tail == "<p>After.</p>\n"


def test_an_open_fence_in_the_middle_shows_as_a_code_block():
    live = LiveMarkdown()
    update = live.feed("Intro\n\n```\nfirst line\n\nsecond")
    assert update.finished == "<p>Intro</p>\n"
    assert update.tail.startswith("<pre><code>first line\n\nsecond")

    update = live.feed(" line\n\n# not a heading\n")
    assert update.finished == ""
    assert update.tail.startswith("<pre><code>first line\n\nsecond line\n\n# not a heading\n")

    # Its code is coloured once it is finished, or at the end.
    live = LiveMarkdown()
    assert live.feed("```python\ndef f():\n").tail == (
        '<pre data-language="Python"><code class="language-python">def f():\n</code></pre>\n'
    )
    assert live.finish().startswith(
        '<pre data-language="Python"><code class="language-python"><span class="k">def</span>'
    )


def test_a_later_reference_definition_still_links_earlier_text():
    text = "See [1].\n\nMore.\n\n" + "Filler paragraph.\n\n" * 5 + "[1]: https://example.com/a\n"
    live = LiveMarkdown()
    updates = [live.feed(chunk) for chunk in text.splitlines(keepends=True)]
    html = "".join(update.finished for update in updates) + live.finish()

    assert all(update.finished == "" for update in updates)
    assert '<a href="https://example.com/a" rel="noopener noreferrer nofollow">1</a>' in html
    assert html == render_markdown(text)


def _long_answer() -> str:
    """About 4,000 tokens: paragraphs, with a heading, a list and a code block now and then."""
    rng = random.Random(7)
    words = ["the", "model", "answers", "with", "plain", "prose", "and", "some", "*emphasis*"]
    blocks = []
    while sum(len(block) + 2 for block in blocks) < 16_000:
        match len(blocks) % 10:
            case 3:
                blocks.append(f"## Section {len(blocks)}")
            case 6:
                blocks.append("\n".join(f"- item {n} `code`" for n in range(4)))
            case 9:
                blocks.append("```python\nfor i in range(3):\n    print(i)\n```")
            case _:
                blocks.append(" ".join(rng.choice(words) for _ in range(rng.randint(30, 60))))
    return "\n\n".join(blocks) + "\n"


def test_a_long_answer_in_small_deltas_renders_a_bounded_amount_per_feed():
    text = _long_answer()
    assert len(text) >= 16_000
    longest_block = max(len(block) for block in text.split("\n\n"))
    live = LiveMarkdown()
    finished = ""
    for start in range(0, len(text), 10):
        update = live.feed(text[start : start + 10])
        finished += update.finished
        # What was rendered for this delta: never more than the last blocks, while the
        # answer grows to 16,000 characters.
        assert len(update.tail) < 2 * longest_block + 200
        assert len(update.finished) < 2 * longest_block + 200
    assert finished + live.finish() == render_markdown(text)
