"""The one place user and author Markdown becomes HTML: rendered, then sanitised by bleach."""

import functools
import threading

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


class _Renderers(threading.local):
    """A Markdown converter, a cleaner and a linker per thread: building them loads the
    extensions and the HTML parser (tens of milliseconds), and none is thread-safe."""

    def __init__(self):
        self.markdown = markdown_lib.Markdown(extensions=_EXTENSIONS, output_format="html")
        # Replies are emails: a single line break (a sign-off, an address) is kept.
        self.markdown_breaks = markdown_lib.Markdown(
            extensions=[*_EXTENSIONS, "nl2br"], output_format="html"
        )
        self.cleaner = bleach.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
        )
        self.linker = bleach.Linker(callbacks=[_nofollow_external], skip_tags={"pre", "code"})


_renderers = _Renderers()


@functools.lru_cache(maxsize=1024)
def render_markdown(text: str, *, line_breaks: bool = False) -> str:
    """Render Markdown to HTML that is safe to mark safe in a template. Pure, so the
    results of recent texts are kept (lessons are rendered on every load and page view).
    With `line_breaks`, a single line break stays a line break (replies, which are emails)."""
    if not text:
        return ""
    converter = _renderers.markdown_breaks if line_breaks else _renderers.markdown
    html = converter.reset().convert(text)
    return _renderers.linker.linkify(_renderers.cleaner.clean(html))
