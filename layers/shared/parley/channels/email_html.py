"""Email bodies made safe to show: HTML sanitised by nh3 (Ammonia, the maintained and
fuzzed Rust sanitiser, on html5ever's standard HTML parser), and quoted-history folding.

Inbound HTML is hostile. Only the tags and attributes below survive; scripts, styles,
event handlers, forms, frames, SVG/MathML and `javascript:`-style URLs never do. The
dashboard still renders the result in a sandbox, but what is stored is already harmless.

How a body is made safe (`_clean`):
1. The parser's work is bounded first: html5ever's scope checks walk its open elements,
   so 50,000 nested <div>s, or a few thousand open ones and many stray end tags, would
   cost it minutes. `_cap_tags` turns every `<` that could open a tag after the first
   MAX_TAGS into text (a guarantee whatever the tree builder makes of the markup), and
   `_bound_nesting` cuts out start tags nested deeper than MAX_STACK (the usual bomb,
   handled cleanly). Ordinary mail is passed on untouched.
2. nh3 with the allowlist, plus the few class/id/type values that mark quoted history.
3. `_Splitter` walks that well-formed output: quoted history into its own part, tags
   deeper than MAX_DEPTH dropped (their text kept), marker attributes removed, attributes
   in a stable (sorted) order, and the empty <p> html5ever makes of a stray </p> dropped.
4. nh3 again on each part, with the strict allowlist and the link policy (target, rel):
   what is stored is nh3's own output.

Quoted history (a reply's copy of the earlier mail) is split from the new text so the
dashboard can show it collapsed: in HTML by the containers mail clients wrap it in (Gmail,
Apple Mail, Outlook, Yahoo), in plain text by "On ... wrote:" headers, "Original Message"
separators and a trailing run of '>' lines.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "del", "div", "em", "font", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p", "pre", "q", "s", "small", "span",
    "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
VOID_TAGS = {"br", "hr", "img"}
# Dropped together with everything inside them (void ones like <embed> are simply not allowed).
DROP_CONTENT = {"script", "style", "head", "title", "iframe", "frameset", "object", "applet",
                "template", "noscript", "svg", "math", "textarea", "select", "option", "button", "xml", "noembed",
                "noframes"}
ALLOWED_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign"},
    "ol": {"start"},
    "blockquote": {"cite"},
}
URL_ATTRS = {"href", "src", "cite"}
SAFE_SCHEMES = {"a": ("http", "https", "mailto"), "img": ("http", "https", "cid"), "blockquote": ("http", "https")}
NUMBER_ATTRS = {"width", "height", "colspan", "rowspan", "start"}
LINK_REL = "noopener noreferrer nofollow"
MAX_DEPTH = 64  # deeper markup keeps its text, not its tags
MAX_STACK = 512  # beyond this, tags are cut out before parsing (bounds the parser's work)
MAX_TAGS = 20_000  # start and end tags a body may have; the rest is shown as text
MAX_ATTR_CHARS = 2048
# What marks quoted history (kept through the first pass only, never stored).
QUOTE_CLASSES = {"gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote"}
REST_IDS = {"appendonsend", "divrplyfwdmsg", "stopspelling", "mail-editor-reference-message-container"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_NUMBER = re.compile(r"^\d{1,4}%?$")
_TAG_OPEN = re.compile(r"<(?=/?[A-Za-z])")  # every place an HTML tokenizer can start a tag


def safe_url(tag: str, value: str) -> str | None:
    """The URL if its scheme is allowed for `tag`; relative URLs are dropped too (there is
    no base they could safely resolve against)."""
    compact = _INVISIBLE.sub("", html.unescape(value or "")).lower()
    match = _SCHEME.match(compact)
    if not match or match.group(1) not in SAFE_SCHEMES.get(tag, ()):
        return None
    return value.strip()


def _allowed_value(tag: str, name: str, value: str) -> str | None:
    """nh3's attribute filter for the allowlisted attributes: per-tag URL schemes (nh3's
    own scheme list is one for all tags), numbers where numbers belong, bounded length."""
    if name in URL_ATTRS:
        value = safe_url(tag, value)
        if value is None:
            return None
    elif name in NUMBER_ATTRS and not _NUMBER.match(value.strip()):
        return None
    return value[:MAX_ATTR_CHARS]


def _marking_value(tag: str, name: str, value: str) -> str | None:
    """The first pass also keeps what marks quoted history, and nothing else of it."""
    if name == "class":
        return " ".join(c for c in value.lower().split() if c in QUOTE_CLASSES) or None
    if name == "id":
        return value.lower() if value.lower() in REST_IDS else None
    if name == "type":
        return "cite" if tag == "blockquote" and value.strip().lower() == "cite" else None
    return _allowed_value(tag, name, value)


_URL_SCHEMES = {scheme for schemes in SAFE_SCHEMES.values() for scheme in schemes}
_MARKING = nh3.Cleaner(
    tags=ALLOWED_TAGS, clean_content_tags=DROP_CONTENT,
    attributes={**{tag: set(names) for tag, names in ALLOWED_ATTRS.items()},
                "blockquote": ALLOWED_ATTRS["blockquote"] | {"type"}, "*": {"class", "id"}},
    attribute_filter=_marking_value, link_rel=None, url_schemes=_URL_SCHEMES, url_relative="deny")
_FINAL = nh3.Cleaner(
    tags=ALLOWED_TAGS, clean_content_tags=DROP_CONTENT, attributes=ALLOWED_ATTRS, attribute_filter=_allowed_value,
    link_rel=LINK_REL, set_tag_attribute_values={"a": {"target": "_blank"}}, url_schemes=_URL_SCHEMES,
    url_relative="deny")


class _NestingBound(HTMLParser):
    """Finds the start tags nested deeper than MAX_STACK (by a linear tag count: an end tag
    closes back to its most recent match, a stray one is ignored)."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=False)
        self.markup = markup
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", markup)]
        self.stack: list[str] = []
        self.cut: list[tuple[int, int]] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID_TAGS:
            return
        if len(self.stack) < MAX_STACK:
            self.stack.append(tag)
            return
        line, column = self.getpos()
        start = self.line_starts[line - 1] + column
        self.cut.append((start, start + len(self.get_starttag_text() or "")))

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass


def _cap_tags(markup: str) -> str:
    """`markup` with every `<` that could open a tag after the first MAX_TAGS escaped.
    Counted where any tokenizer could see a tag (in comments and raw text too), so the
    parser never meets more than MAX_TAGS tags, however it nests them."""
    if markup.count("<") <= MAX_TAGS:
        return markup
    seen = 0

    def escape(match: re.Match) -> str:
        nonlocal seen
        seen += 1
        return "<" if seen <= MAX_TAGS else "&lt;"

    return _TAG_OPEN.sub(escape, markup)


def _bound_nesting(markup: str) -> str:
    """`markup` without the start tags nested deeper than MAX_STACK (their text and end
    tags stay; the parser ignores an end tag it has nothing open for)."""
    if markup.count("<") <= MAX_STACK:
        return markup  # cannot nest that deep
    finder = _NestingBound(markup)
    finder.feed(markup)
    finder.close()
    if not finder.cut:
        return markup
    kept, last = [], 0
    for start, end in finder.cut:
        kept.append(markup[last:start])
        last = end
    kept.append(markup[last:])
    return "".join(kept)


def _quote_start(tag: str, attrs: dict[str, str]) -> str | None:
    """'block' for a container whose content is quoted history, 'rest' for a marker after
    which the whole remainder is (Outlook puts its quote after a divider, not inside one)."""
    classes = set((attrs.get("class") or "").lower().split())
    element_id = (attrs.get("id") or "").lower()
    if classes & QUOTE_CLASSES:
        return "block"
    if tag == "blockquote" and ((attrs.get("type") or "").lower() == "cite" or "gmail_quote" in classes):
        return "block"
    if element_id in REST_IDS:
        return "rest"
    return None


class _Splitter(HTMLParser):
    """Walks nh3's (well-formed, allowlisted) output into reply and quoted parts."""

    def __init__(self, split_quotes: bool):
        super().__init__(convert_charrefs=True)
        self.split_quotes = split_quotes
        self.main: list[str] = []
        self.quoted: list[str] = []
        # Every open element: (tag, the part its start went to or None if not emitted).
        self.stack: list[tuple[str, list[str] | None]] = []
        self.quote_depth: int | None = None  # stack depth where the current quote block began
        self.rest_quoted = False

    @property
    def out(self) -> list[str]:
        return self.quoted if (self.rest_quoted or self.quote_depth is not None) else self.main

    def handle_starttag(self, tag, attrs):
        values = {k: (v or "") for k, v in attrs}
        if self.split_quotes and self.quote_depth is None and not self.rest_quoted:
            kind = _quote_start(tag, values)
            if kind == "rest":
                self.rest_quoted = True
            elif kind == "block" and tag not in VOID_TAGS:
                self.quote_depth = len(self.stack)
        emit = len(self.stack) < MAX_DEPTH
        if emit:
            parts = [tag] + [f'{name}="{html.escape(values[name], quote=True)}"'
                             for name in sorted(ALLOWED_ATTRS.get(tag, ())) if name in values]
            self.out.append("<" + " ".join(parts) + ">")
        if tag not in VOID_TAGS:
            self.stack.append((tag, self.out if emit else None))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID_TAGS or not self.stack:
            return
        open_tag, part = self.stack.pop()  # nh3's output is well-formed: this is `tag`
        if part is not None:
            if open_tag == "p" and part and part[-1] == "<p>":
                part.pop()  # an empty <p>: html5ever's reading of a stray </p>
            else:
                part.append(f"</{open_tag}>")
        if self.quote_depth is not None and len(self.stack) == self.quote_depth:
            self.quote_depth = None

    def handle_data(self, data):
        self.out.append(html.escape(data, quote=False))

    def finish(self) -> tuple[str, str]:
        self.close()
        while self.stack:
            self.handle_endtag(self.stack[-1][0])
        return "".join(self.main).strip(), "".join(self.quoted).strip()


def _clean(markup: str, split_quotes: bool) -> tuple[str, str]:
    splitter = _Splitter(split_quotes)
    splitter.feed(_MARKING.clean(_bound_nesting(_cap_tags(markup or ""))))
    return tuple(_FINAL.clean(part).strip() for part in splitter.finish())


def sanitize(markup: str) -> str:
    """The allowlisted rendering of `markup`, quotes included."""
    return _clean(markup, split_quotes=False)[0]


def split_html(markup: str) -> tuple[str, str]:
    """(reply, quoted history), both sanitised."""
    return _clean(markup, split_quotes=True)


# ---------------------------------------------------------------- plain text

_WROTE = re.compile(r"^\s*(On\s.{1,400}?\swrote:|Am\s.{1,400}?\sschrieb\s?.{0,200}:|Le\s.{1,400}?\sa écrit\s?:)\s*$",
                    re.IGNORECASE)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht)\s*-{2,}\s*$",
                       re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^\s*\*?From:\*?\s.+$", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(Sent|Date|To|Subject):\*?\s", re.IGNORECASE)


def _quote_header_at(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _WROTE.match(line) or _ORIGINAL.match(line):
        return True
    # Gmail wraps a long "On ... <a@b.c>" header onto the next line, which ends "wrote:".
    if line.strip().lower().startswith("on ") and index + 1 < len(lines):
        if _WROTE.match(line.rstrip() + " " + lines[index + 1].strip()):
            return True
    if _OUTLOOK_FROM.match(line):
        following = [l for l in lines[index + 1:index + 4] if l.strip()]
        return bool(following) and all(_OUTLOOK_NEXT.match(l) for l in following[:2])
    return False


def split_text(text: str) -> tuple[str, str]:
    """(reply, quoted history) of a plain-text body. Inline answers between quoted lines
    stay in the reply; only a header-led or trailing quote is folded."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = None
    for index in range(len(lines)):
        if _quote_header_at(lines, index):
            cut = index
            break
    if cut is None:
        cut = len(lines)
        while cut > 0 and (lines[cut - 1].lstrip().startswith(">") or not lines[cut - 1].strip()):
            cut -= 1
        if not any(l.lstrip().startswith(">") for l in lines[cut:]):
            cut = len(lines)
    reply = "\n".join(lines[:cut]).strip()
    quoted = "\n".join(lines[cut:]).strip()
    if not reply and quoted:  # nothing but a quote: show it rather than an empty message
        return quoted, ""
    return reply, quoted


_BLOCKS = re.compile(r"<(br|/p|/div|/li|/tr|/h[1-6]|hr|/blockquote)\b[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")


def html_to_text(safe_markup: str) -> str:
    """Text of already-sanitised markup, for the message content and search."""
    text = _BLOCKS.sub("\n", safe_markup or "")
    text = html.unescape(_TAGS.sub("", text))
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r"\n\s*\n\s*\n+", "\n\n", text).strip()
