"""Articles' Markdown -> sanitised HTML (parley/views/article_html.py): known XSS payloads
render inert, ordinary Markdown survives."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from parley.views.article_html import render, text

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<body onload="alert(1)">',
    '<div onmouseover="alert(1)">hover</div>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](vbscript:alert(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '[x](https://ok.example "title" onclick="alert(1)")',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<math href="javascript:alert(1)">x</math>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<form><button formaction="javascript:alert(1)">go</button></form>',
    '<input autofocus onfocus="alert(1)">',
    '<details open ontoggle="alert(1)">x</details>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<video><source onerror="alert(1)"></video>',
    '<audio src=x onerror=alert(1)>',
    '<a href="#" onclick="alert(1)">x</a>',
    "```html\n<script>alert(1)</script>\n```",
    "<div>\n\n[x](javascript:alert(1))\n\n</div>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<textarea><script>alert(1)</script></textarea>',
    "<template><script>alert(1)</script></template>",
    '<a href="/relative" target="_blank">x</a>',
]

FORBIDDEN_TAGS = {"script", "style", "iframe", "object", "embed", "form", "input", "button", "svg", "math",
                  "meta", "base", "link", "video", "audio", "source", "textarea", "template", "noscript", "body"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "xlink:href", "data", "srcdoc"}


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html: str):
    parser = _Elements()
    parser.feed(html)
    return parser.elements


def assert_inert(html: str):
    for tag, attrs in elements(html):
        assert tag not in FORBIDDEN_TAGS, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (name, html)
            assert name not in {"style", "srcdoc", "formaction", "action", "background", "target"}, (name, html)
            if name in URL_ATTRIBUTES:
                scheme = "".join((value or "").split()).lower().split(":", 1)
                assert len(scheme) == 1 or scheme[0] in {"http", "https", "mailto", "tel"}, (value, html)
        if tag == "a" and "href" in attrs:
            assert attrs.get("rel") == "noopener nofollow", html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_known_xss_payloads_render_inert(payload):
    html = render(payload)
    assert_inert(html)
    # inside a paragraph of ordinary text too
    assert_inert(render(f"Some text.\n\n{payload}\n\nMore *text*."))


def test_script_and_style_content_is_dropped_not_shown():
    out = render("before\n\n<script>alert('x')</script>\n\n<style>p{color:red}</style>\n\nafter")
    assert "alert" not in out and "color:red" not in out
    assert "before" in out and "after" in out


def test_code_blocks_show_markup_as_text():
    out = render("```\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;" in out and "<script" not in out


def test_ordinary_markdown_survives():
    out = render("# Title\n\nSome **bold**, *em*, `code` and ~~gone~~.\n\n- one\n- two\n\n"
                 "1. first\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                 "[a link](https://example.com/x?y=1) ![pic](https://example.com/p.png \"P\") <kbd>Ctrl</kbd>\n\n"
                 "[mail](mailto:help@example.com)")
    for piece in ["<h1>Title</h1>", "<strong>bold</strong>", "<em>em</em>", "<code>code</code>", "<s>gone</s>",
                  "<li>one</li>", "<blockquote>", "<table>", "<td>2</td>", "<kbd>Ctrl</kbd>",
                  'href="https://example.com/x?y=1"', 'src="https://example.com/p.png"', 'alt="pic"',
                  'href="mailto:help@example.com"']:
        assert piece in out, piece
    assert_inert(out)


def test_plain_text_for_descriptions():
    assert text("# Title\n\nSome **bold** & text <script>x</script>") == "Title Some bold & text"
    long = text("word " * 100, limit=40)
    assert len(long) <= 40 and long.endswith("…")
    assert text("") == ""
