"""The one place user and author Markdown becomes HTML: rendered, then sanitised by bleach."""

import bleach
import markdown as markdown_lib

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "mark", "ol", "p", "pre", "s",
        "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "abbr": ["title"],
    "td": ["align"],
    "th": ["align", "scope"],
    "span": ["class"],
    "div": ["class"],
    "code": ["class"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_EXTENSIONS = ["extra", "sane_lists", "smarty"]


def _nofollow_external(attrs, new=False):
    href = attrs.get((None, "href"), "")
    if href.startswith(("http://", "https://")):
        attrs[(None, "rel")] = "nofollow noopener"
    return attrs


def render_markdown(text: str) -> str:
    """Render Markdown to HTML that is safe to mark safe in a template."""
    if not text:
        return ""
    html = markdown_lib.markdown(text, extensions=_EXTENSIONS, output_format="html")
    cleaned = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )
    return bleach.linkify(cleaned, callbacks=[_nofollow_external], skip_tags={"pre", "code"})
