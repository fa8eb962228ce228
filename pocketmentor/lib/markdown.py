"""Authors' Markdown to safe HTML: a CommonMark parser, then an allow-list sanitiser."""

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_parser = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
    ["replacements", "smartquotes", "strikethrough", "table"]
)
_TAGS = {
    "p", "br", "strong", "em", "del", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "td": {"align"}, "th": {"align"}}


@lru_cache(maxsize=2048)
def render_markdown(text: str) -> str:
    """Render Markdown to HTML that can never carry a script, a style or a frame."""
    html = _parser.render(text)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
