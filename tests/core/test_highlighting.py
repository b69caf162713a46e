import re
from html.parser import HTMLParser
from pathlib import Path

from playground.core.rendering import (
    ALLOWED_CLASSES,
    ALLOWED_TAGS,
    HIGHLIGHT_MAX_CHARS,
    render_markdown,
)

HIGHLIGHT_CSS = Path(__file__).resolve().parents[2] / "static/playground/highlight.css"


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser would read them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


def test_python_is_highlighted_with_pygments_classes():
    html = render_markdown("```python\ndef add(a, b):\n    return a + b\n```")
    assert html.startswith('<pre data-language="Python"><code class="language-python">')
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">add</span>' in html
    assert '<span class="k">return</span>' in html


def test_an_alias_is_labelled_with_the_language_name():
    assert render_markdown("```py\nx = 1\n```").startswith(
        '<pre data-language="Python"><code class="language-python">'
    )
    assert render_markdown("```JS extra words\nlet x = 1\n```").startswith(
        '<pre data-language="JavaScript"><code class="language-javascript">'
    )


def test_an_unknown_language_stays_plain_escaped_code():
    html = render_markdown("```klingon\nif (a < b) { qapla(); }\n```")
    assert html == "<pre><code>if (a &lt; b) { qapla(); }\n</code></pre>\n"


def test_a_block_without_a_language_is_not_guessed():
    html = render_markdown("```\ndef add(a, b):\n    return a + b\n```")
    assert html == "<pre><code>def add(a, b):\n    return a + b\n</code></pre>\n"


def test_highlighting_shows_the_code_exactly_as_written():
    code = "\n\n\tdef f():  \n        return '<b>' & \"x\"\n\n"
    html = render_markdown(f"```python\n{code}```")
    assert "<span" in html
    assert _Elements(html.removesuffix("\n")).text == code


def test_no_inline_style_anywhere():
    languages = ["python", "javascript", "html", "css", "rust", "go", "sql", "bash", "diff"]
    code = "x = \"<a style='color:red'>\" /* y */ # z\n- removed\n+ added\n"
    html = render_markdown("\n\n".join(f"```{lang}\n{code}```" for lang in languages))
    assert html.count("<span") > 50
    for _tag, attributes in _Elements(html).elements:
        assert "style" not in attributes


INJECTIONS = (
    "<script>alert(1)</script>\n"
    '<img src=x onerror="alert(2)">\n'
    '<span class="k evil" style="color:red" onclick="alert(3)">x</span>\n'
    '<pre data-language="Evil"><code class="language-python evil">y</code></pre>\n'
)


def test_html_injected_by_the_model_does_not_survive_inside_or_outside_code_blocks():
    text = "\n\n".join(
        [
            INJECTIONS,  # prose
            f"- {INJECTIONS.replace(chr(10), ' ')}",  # a list item
            f"`{INJECTIONS.replace(chr(10), ' ')}`",  # inline code
            f"```python\n{INJECTIONS}```",  # highlighted
            f"```klingon\n{INJECTIONS}```",  # unknown language
            f"```\n{INJECTIONS}```",  # no language
            f'```python" onerror="alert(4)" class="evil\n{INJECTIONS}```',  # info string
            f'```python style="color:red" class="evil"\n{INJECTIONS}```',
        ]
    )
    html = render_markdown(text)

    rendered = _Elements(html)
    elements = rendered.elements
    assert {tag for tag, _ in elements} <= ALLOWED_TAGS
    assert {tag for tag, _ in elements} >= {"p", "ul", "code", "pre", "span"}
    for tag, attributes in elements:
        assert not [name for name in attributes if name.startswith("on") or name == "style"]
        assert set(attributes.get("class", "").split()) <= ALLOWED_CLASSES.get(tag, set())
        assert attributes.get("data-language") in (None, "Python")
    assert "evil" not in {c for _, a in elements for c in a.get("class", "").split()}
    # Shown as text, not dropped: the reader sees what the model wrote.
    assert rendered.text.count("<script>alert(1)</script>") == 8


def test_highlighted_spans_appear_only_inside_code_blocks():
    html = render_markdown('Say <span class="k">def</span> here.\n\n```python\ndef f(): pass\n```')
    assert html.startswith('<p>Say &lt;span class="k"&gt;def&lt;/span&gt; here.</p>')
    assert html.count('<span class="k">def</span>') == 1


def test_a_block_over_the_size_bound_is_labelled_but_not_highlighted():
    line = "x = 1  # <tag>\n"
    at_bound = line * (HIGHLIGHT_MAX_CHARS // len(line))
    over = at_bound + "y" * (HIGHLIGHT_MAX_CHARS - len(at_bound) + 1)
    assert len(at_bound) <= HIGHLIGHT_MAX_CHARS < len(over)

    assert "<span" in render_markdown(f"```python\n{at_bound}```")
    html = render_markdown(f"```python\n{over}```")
    assert html.startswith('<pre data-language="Python"><code class="language-python">x = 1')
    assert "<span" not in html
    assert "# &lt;tag&gt;" in html


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_token_colour_reaches_wcag_aa_against_its_code_block_background():
    css = re.sub(r"/\*.*?\*/", "", HIGHLIGHT_CSS.read_text(), flags=re.DOTALL)
    themes: dict[str, dict[str, list[str]]] = {}
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        scope = selector.split(".markdown pre")[0].strip()
        theme = themes.setdefault(scope, {"background": [], "colours": []})
        theme["background"] += re.findall(r"background:\s*(#[0-9a-f]{6})", body)
        theme["colours"] += re.findall(r"(?<![-\w])color:\s*(#[0-9a-f]{6})", body)

    assert set(themes) == {"", ":root:not([data-theme=light])", "[data-theme=dark]"}
    for theme in themes.values():
        (background,) = theme["background"]
        assert len(theme["colours"]) > 10
        for colour in theme["colours"]:
            assert _contrast(colour, background) >= 4.5, (colour, background)
    assert _luminance(themes[""]["background"][0]) > 0.8  # near-white
    assert _luminance(themes["[data-theme=dark]"]["background"][0]) < 0.02  # near-black
