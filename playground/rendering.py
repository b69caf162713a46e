"""Model output to safe HTML: markdown with raw HTML off, then a strict sanitizer.

Model output is untrusted. markdown-it escapes any HTML the model writes (html=False);
nh3 then keeps only the tags markdown produces, drops images (no remote fetches from
model output, and the CSP would block them anyway) and makes every link inert to the
page (rel=noopener noreferrer nofollow, http/https/mailto only).
"""

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
