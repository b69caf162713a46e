"""Model output to safe HTML: markdown with raw HTML off, then a strict sanitizer.

Model output is untrusted. markdown-it escapes any HTML the model writes (html=False);
nh3 then keeps only the tags markdown produces, drops images (no remote fetches from
model output, and the CSP would block them anyway) and makes every link inert to the
page (rel=noopener noreferrer nofollow, http/https/mailto only).
"""

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)


def _image_as_text(self, tokens, idx, options, env) -> str:
    # An image in model output would be a request to any server the model names:
    # show its description instead.
    alt = self.renderInline(tokens[idx].children or [], options, env)
    return f"[image: {alt}]" if alt else "[image]"


_markdown.add_render_rule("image", _image_as_text)

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
    "blockquote", "ul", "ol", "li", "code", "pre", "a",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
# No style attributes: the CSP forbids inline styles, so table alignment is dropped.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def render_markdown(text: str) -> str:
    """Sanitized HTML for a model's markdown answer."""
    if not text:
        return ""
    html = _markdown.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


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
