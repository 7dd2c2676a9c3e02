"""Email bodies made safe to show: an allowlist HTML sanitiser and quoted-history folding.

Inbound HTML is hostile. Only the tags and attributes below survive; scripts, styles,
event handlers, forms, frames and `javascript:`-style URLs never do. The dashboard still
renders the result in a sandbox, but what is stored is already harmless.

Quoted history (a reply's copy of the earlier mail) is split from the new text so the
dashboard can show it collapsed: in HTML by the containers mail clients wrap it in (Gmail,
Apple Mail, Outlook, Yahoo), in plain text by "On ... wrote:" headers, "Original Message"
separators and a trailing run of '>' lines.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

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
MAX_DEPTH = 64  # deeper markup keeps its text, not its tags
MAX_STACK = 512  # beyond this, tags are not even tracked (bounds the work per end tag)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_NUMBER = re.compile(r"^\d{1,4}%?$")


def _quote_start(tag: str, attrs: dict[str, str]) -> str | None:
    """'block' for a container whose content is quoted history, 'rest' for a marker after
    which the whole remainder is (Outlook puts its quote after a divider, not inside one)."""
    classes = set((attrs.get("class") or "").lower().split())
    element_id = (attrs.get("id") or "").lower()
    if classes & {"gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote"}:
        return "block"
    if tag == "blockquote" and ((attrs.get("type") or "").lower() == "cite" or "gmail_quote" in classes):
        return "block"
    if element_id in {"appendonsend", "divrplyfwdmsg", "stopspelling", "mail-editor-reference-message-container"}:
        return "rest"
    return None


def safe_url(tag: str, value: str) -> str | None:
    """The URL if its scheme is allowed for `tag`; relative URLs are dropped too (there is
    no base they could safely resolve against)."""
    compact = _INVISIBLE.sub("", html.unescape(value or "")).lower()
    match = _SCHEME.match(compact)
    if not match or match.group(1) not in SAFE_SCHEMES.get(tag, ()):
        return None
    return value.strip()


class _Sanitiser(HTMLParser):
    def __init__(self, split_quotes: bool):
        super().__init__(convert_charrefs=True)
        self.split_quotes = split_quotes
        self.main: list[str] = []
        self.quoted: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, emitted?) for every open tag
        self.dropping = 0  # depth inside a DROP_CONTENT element
        self.quote_depth: int | None = None  # stack depth where the current quote block began
        self.rest_quoted = False

    @property
    def out(self) -> list[str]:
        return self.quoted if (self.rest_quoted or self.quote_depth is not None) else self.main

    def handle_starttag(self, tag, attrs):
        self._start(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag, attrs):
        self._start(tag, attrs, self_closing=True)

    def _start(self, tag: str, attrs: list, self_closing: bool) -> None:
        tag = tag.lower()
        if self.dropping:
            if tag in DROP_CONTENT and not self_closing:
                self.dropping += 1
            return
        if tag in DROP_CONTENT:
            if not self_closing:
                self.dropping = 1
            return
        values = {k.lower(): (v or "") for k, v in attrs if k}
        if self.split_quotes and self.quote_depth is None and not self.rest_quoted:
            kind = _quote_start(tag, values)
            if kind == "rest":
                self.rest_quoted = True
            elif kind == "block" and tag not in VOID_TAGS and not self_closing:
                self.quote_depth = len(self.stack)
        emit = tag in ALLOWED_TAGS and len(self.stack) < MAX_DEPTH
        if emit:
            self.out.append(self._render(tag, values))
        if tag not in VOID_TAGS and not self_closing and len(self.stack) < MAX_STACK:
            self.stack.append((tag, emit))

    def _render(self, tag: str, values: dict[str, str]) -> str:
        parts = [tag]
        for name in sorted(ALLOWED_ATTRS.get(tag, ())):
            value = values.get(name)
            if value is None:
                continue
            if name in URL_ATTRS:
                value = safe_url(tag, value)
                if value is None:
                    continue
            elif name in {"width", "height", "colspan", "rowspan", "start"} and not _NUMBER.match(value.strip()):
                continue
            parts.append(f'{name}="{html.escape(value[:2048], quote=True)}"')
        if tag == "a":
            parts.append('target="_blank" rel="noopener noreferrer nofollow"')
        return "<" + " ".join(parts) + ">"

    def handle_endtag(self, tag):
        tag = tag.lower()
        if self.dropping:
            if tag in DROP_CONTENT:
                self.dropping -= 1
            return
        if tag in VOID_TAGS or not any(open_tag == tag for open_tag, _ in self.stack):
            return  # a stray end tag
        while self.stack:
            open_tag, emitted = self.stack.pop()
            if emitted:
                self.out.append(f"</{open_tag}>")
            if self.quote_depth is not None and len(self.stack) == self.quote_depth:
                self.quote_depth = None
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self.dropping:
            self.out.append(html.escape(data, quote=False))

    # Comments, <!DOCTYPE>, processing instructions and CDATA never reach the output.
    def handle_comment(self, data):
        pass

    def handle_decl(self, decl):
        pass

    def handle_pi(self, data):
        pass

    def unknown_decl(self, data):
        pass

    def finish(self) -> tuple[str, str]:
        self.close()
        while self.stack:  # close what the sender left open, in the right buffer
            open_tag, emitted = self.stack.pop()
            if emitted:
                self.out.append(f"</{open_tag}>")
            if self.quote_depth is not None and len(self.stack) == self.quote_depth:
                self.quote_depth = None
        return "".join(self.main).strip(), "".join(self.quoted).strip()


def sanitize(markup: str) -> str:
    """The allowlisted rendering of `markup`, quotes included."""
    parser = _Sanitiser(split_quotes=False)
    parser.feed(markup or "")
    return parser.finish()[0]


def split_html(markup: str) -> tuple[str, str]:
    """(reply, quoted history), both sanitised."""
    parser = _Sanitiser(split_quotes=True)
    parser.feed(markup or "")
    return parser.finish()


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
