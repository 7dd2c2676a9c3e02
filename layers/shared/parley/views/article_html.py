"""Help center articles: Markdown -> HTML that is safe to serve on the portal's pages, in
the widget and in the dashboard's preview, whatever an author wrote.

markdown-it-py renders CommonMark (plus tables and strikethrough); raw HTML in the Markdown
is passed through to the sanitiser rather than escaped, so an author's <kbd> or <details>
survives, and everything else is then cut down by nh3 (Ammonia) to an explicit allow-list:
no script, style, iframe, object, form or SVG/MathML element; no event handler, style or
class attribute; URLs only http(s), mailto and tel (or relative); every link gets
rel="noopener nofollow". Both libraries are imported on the first render, not at import
(the HTTP API's cold start never pays for them)."""
from __future__ import annotations

from functools import lru_cache

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# dropped with everything inside them, not just their tags
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
                        "textarea", "select", "title", "xmp", "noembed", "noframes"}


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"])


def render(markdown: str) -> str:
    """Sanitised HTML of an article's Markdown."""
    import nh3

    html = _parser().render(markdown or "")
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     clean_content_tags=DROPPED_WITH_CONTENT, link_rel="noopener nofollow",
                     strip_comments=True).strip()


def text(markdown: str, limit: int = 160) -> str:
    """Plain text of an article's start, for a meta description when it has none."""
    import nh3

    plain = nh3.clean(_parser().render(markdown or ""), tags=set(), clean_content_tags=DROPPED_WITH_CONTENT)
    plain = " ".join(plain.split())
    import html as _html

    plain = _html.unescape(plain)
    return plain if len(plain) <= limit else plain[: limit - 1].rsplit(" ", 1)[0] + "…"
