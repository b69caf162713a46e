"""Model output to safe HTML: markdown with raw HTML off, then a strict sanitizer.

Model output is untrusted. markdown-it escapes any HTML the model writes (html=False);
nh3 then keeps only the tags markdown produces, drops images (no remote fetches from
model output, and the CSP would block them anyway) and makes every link inert to the
page (rel=noopener noreferrer nofollow, http/https/mailto only).

A fenced code block whose info string names a language Pygments knows is highlighted on
the server: spans with Pygments' short CSS classes (coloured by static/playground/
highlight.css; never inline styles, which the CSP forbids) inside
`<pre data-language="Python"><code class="language-python">`. Any other code block stays
plain escaped text: the language is never guessed. The sanitizer keeps only those classes
and those language names, so nothing a model writes can add a class or an attribute.
"""

import html
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.token import STANDARD_TYPES

# Highlighting is a regular-expression lexer run over the whole block on every render (a
# page view, and each streamed delta while the block grows); its time grows with the size,
# some lexers backtrack badly on unusual input, and the output is several times the input.
# Past this size a block is shown plain: 20,000 characters is about 500 lines of code,
# which takes Pygments about 0.1 s in Python and comes out as 8 times as much HTML.
HIGHLIGHT_MAX_CHARS = 20_000

# Built-in lexers only (no plugins), so that the names the sanitizer allows below are
# exactly the ones the lookup can return: alias -> (display name, first alias).
_LANGUAGES = {
    alias: (name, aliases[0])
    for name, aliases, _, _ in get_all_lexers(plugins=False)
    for alias in aliases
}
# Classes only, never inline styles; nowrap: the <pre><code> around it is ours.
_formatter = HtmlFormatter(nowrap=True)


def _highlight_fence(code: str, language: str, _attributes: str, *, colours: bool = True) -> str:
    """The whole <pre> of a fenced code block (markdown-it's `highlight` option).

    A result starting with "<pre" replaces markdown-it's own wrapper, which would put the
    model's info string, whatever it is, in a class. Without `colours` a known language
    keeps its label and class, its code plain.
    """
    known = _LANGUAGES.get(language.lower())
    if known is None:
        return f"<pre><code>{html.escape(code, quote=False)}</code></pre>"
    name, alias = known
    if not colours or len(code) > HIGHLIGHT_MAX_CHARS:
        body = html.escape(code, quote=False)
    else:
        # stripnl/ensurenl off: the code is shown exactly as the model wrote it.
        lexer = get_lexer_by_name(alias, stripnl=False, ensurenl=False)
        body = highlight(code, lexer, _formatter)
    return (
        f'<pre data-language="{html.escape(name)}">'
        f'<code class="language-{html.escape(alias)}">{body}</code></pre>'
    )


def _plain_fence(code: str, language: str, attributes: str) -> str:
    return _highlight_fence(code, language, attributes, colours=False)


_markdown = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "highlight": _highlight_fence}
).enable(["table", "strikethrough"])
# The same, code blocks left uncoloured: for text still growing (live_markdown.py).
_markdown_plain = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "highlight": _plain_fence}
).enable(["table", "strikethrough"])


def _image_as_text(self, tokens, idx, options, env) -> str:
    # An image in model output would be a request to any server the model names:
    # show its description instead.
    alt = self.renderInline(tokens[idx].children or [], options, env)
    return f"[image: {alt}]" if alt else "[image]"


_markdown.add_render_rule("image", _image_as_text)
_markdown_plain.add_render_rule("image", _image_as_text)

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
    "blockquote", "ul", "ol", "li", "code", "pre", "a", "span",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
# No style attributes: the CSP forbids inline styles, so table alignment is dropped.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# Classes and values only from the highlighter above: Pygments' token classes on <span>,
# the languages it knows on <code> and <pre>.
ALLOWED_CLASSES = {
    "span": {css_class for css_class in STANDARD_TYPES.values() if css_class},
    "code": {f"language-{alias}" for _, alias in _LANGUAGES.values()},
}
ALLOWED_ATTRIBUTE_VALUES = {"pre": {"data-language": {name for name, _ in _LANGUAGES.values()}}}

# Built once: nh3.clean() would convert these sets (about 600 language classes) on each call.
_sanitizer = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer nofollow",
)


def render_markdown(text: str, *, colours: bool = True) -> str:
    """Sanitized HTML for a model's markdown answer. Without `colours` code blocks are
    not highlighted (the rest is the same): highlighting is most of what rendering a
    growing code block costs."""
    if not text:
        return ""
    return _sanitizer.clean((_markdown if colours else _markdown_plain).render(text))


def parse_markdown(text: str, env: dict[str, Any]) -> list[Token]:
    """The block tokens render_markdown renders text from (same parser, same options).

    markdown-it fills env["references"] with the link reference definitions it met.
    """
    return _markdown.parse(text, env)


@dataclass(frozen=True)
class SourceLink:
    """One cited source as the column lists it: "[1] title — host"."""

    number: int
    title: str
    host: str
    # None when the stored URL is not a plain http(s) address: shown as text, never linked.
    url: str | None


def source_links(citations: Any) -> list[SourceLink]:
    """The stored citations (url, title), numbered from 1 in the stored order.

    Only http and https URLs become links: a `javascript:` or `data:` URL from a model or a
    search result is shown as text.
    """
    links = []
    for citation in citations if isinstance(citations, list) else []:
        if not isinstance(citation, dict):
            continue
        url = citation.get("url")
        url = url if isinstance(url, str) else ""
        title = citation.get("title")
        host = _web_host(url)
        links.append(
            SourceLink(
                number=len(links) + 1,
                title=(title if isinstance(title, str) else "").strip() or host or url,
                host=host,
                url=url if host else None,
            )
        )
    return links


def _web_host(url: str) -> str:
    """The host of an http(s) URL, "" for anything else."""
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https"):
        return ""
    return host


def pretty_json(text: str) -> str | None:
    """A JSON text indented for reading, or None when it is not JSON (arguments cut off)."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        return None
