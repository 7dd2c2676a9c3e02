"""The email HTML sanitiser and quoted-history folding (pure functions, no AWS)."""
from __future__ import annotations

import re
import time

import pytest

from parley.channels.email_html import html_to_text, safe_url, sanitize, split_html, split_text


@pytest.mark.parametrize("markup", [
    '<script>alert(1)</script>hi',
    '<SCRIPT type="text/javascript">alert(1)</SCRIPT>hi',
    '<style>body{background:url(javascript:alert(1))}</style>hi',
    '<iframe src="https://evil.example"></iframe>hi',
    '<svg><script>alert(1)</script></svg>hi',
    '<object data="x"></object><embed src="x">hi',
    '<!-- <script>alert(1)</script> -->hi',
])
def test_dangerous_elements_are_dropped_with_their_content(markup):
    assert sanitize(markup) == "hi"


def test_event_handlers_styles_and_unknown_attributes_are_dropped():
    out = sanitize('<p onclick="alert(1)" style="x" class="c" id="i">a</p>'
                   '<img src="https://ex.com/a.png" onerror="alert(1)" alt="pic">')
    assert out == '<p>a</p><img alt="pic" src="https://ex.com/a.png">'
    assert "onerror" not in out and "onclick" not in out and "style" not in out


@pytest.mark.parametrize("href", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "&#106;avascript:alert(1)", "vbscript:x", "data:text/html;base64,PHNjcmlwdD4=", "/relative", "//evil.example",
])
def test_unsafe_links_lose_their_href(href):
    out = sanitize(f'<a href="{href}">x</a>')
    assert "href" not in out and out.endswith(">x</a>")


def test_safe_links_are_kept_and_open_safely():
    out = sanitize('<a href="https://example.com/?a=1&amp;b=&quot;2">x</a>')
    assert out == ('<a href="https://example.com/?a=1&amp;b=&quot;2" target="_blank" '
                   'rel="noopener noreferrer nofollow">x</a>')
    assert safe_url("a", "mailto:a@b.c") == "mailto:a@b.c"
    assert safe_url("img", "cid:logo@x") == "cid:logo@x"
    assert safe_url("img", "javascript:x") is None


def test_text_is_escaped_and_unclosed_tags_are_closed():
    assert sanitize("<b>1 < 2 &amp; <i>open") == "<b>1 &lt; 2 &amp; <i>open</i></b>"
    assert sanitize("</div>stray</p>") == "stray"
    assert sanitize('<a href="x" title=\'"><script>\'>t</a>') == '<a title="&quot;&gt;&lt;script&gt;" target="_blank" rel="noopener noreferrer nofollow">t</a>'


def test_deep_nesting_is_bounded_and_fast():
    bomb = "<div>" * 50_000 + "deep" + "</div>" * 50_000
    started = time.perf_counter()
    out = sanitize(bomb)
    assert time.perf_counter() - started < 5
    assert "deep" in out and out.count("<div>") <= 64


def test_gmail_quote_is_folded():
    reply, quoted = split_html('<div dir="ltr">Thanks, that works!</div><br><div class="gmail_quote">'
                               '<div class="gmail_attr">On Mon, Jan 1 Bob wrote:</div>'
                               '<blockquote class="gmail_quote">Earlier text</blockquote></div>')
    assert reply == "<div>Thanks, that works!</div><br>"
    assert quoted.startswith("<div>") and "Earlier text" in quoted and "On Mon" in quoted


def test_apple_mail_blockquote_and_outlook_divider_are_folded():
    reply, quoted = split_html('<p>New</p><blockquote type="cite">Old</blockquote>')
    assert (reply, quoted) == ("<p>New</p>", "<blockquote>Old</blockquote>")
    reply, quoted = split_html('<div>Answer</div><div id="appendonsend"></div><hr>'
                               '<div id="divRplyFwdMsg"><b>From:</b> Bob</div><div>Old text</div>')
    assert reply == "<div>Answer</div>"
    assert "Old text" in quoted and "From:" in quoted


def test_plain_on_wrote_block_is_folded():
    text = "Sounds good.\n\nOn Tue, 3 Mar 2026 at 10:00, Support <reply+x@mail.example>\nwrote:\n> Hello\n> there\n"
    reply, quoted = split_text(text)
    assert reply == "Sounds good."
    assert quoted.startswith("On Tue") and "> Hello" in quoted


def test_trailing_angle_quote_is_folded_but_inline_answers_stay():
    assert split_text("Yes\n\n> question?\n> more\n") == ("Yes", "> question?\n> more")
    inline = "> first question\nfirst answer\n> second question\nsecond answer"
    assert split_text(inline) == (inline, "")


def test_outlook_plain_header_and_original_message_are_folded():
    reply, quoted = split_text("Done.\n\nFrom: Support <s@x.com>\nSent: Monday\nTo: me\nSubject: Re: hi\n\nold")
    assert reply == "Done." and quoted.startswith("From: Support")
    reply, quoted = split_text("Ok\n-----Original Message-----\nold")
    assert (reply, quoted) == ("Ok", "-----Original Message-----\nold")


def test_a_message_that_is_only_a_quote_is_shown_as_is():
    assert split_text("> just a quote") == ("> just a quote", "")


def test_html_to_text():
    assert html_to_text("<p>Hello&nbsp;<b>you</b></p><p>2 &lt; 3</p>") == "Hello you\n2 < 3"


# ---------------------------------------------------------------- attacks nh3 must stop

@pytest.mark.parametrize("markup", [
    '<script>alert(1)</script><p>hi</p>',
    '<scr<script>ipt>alert(1)</script><p>hi</p>',
    '<img src="x" onerror="alert(1)"><p>hi</p>',
    '<img src=x onerror=alert(1)//><p>hi</p>',
    '<body onload="alert(1)"><p>hi</p></body>',
    '<a href="javascript:alert(1)" onmouseover="alert(1)">x</a><p>hi</p>',
    '<a href="jav&#x09;ascript:alert(1)">x</a><p>hi</p>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1)">x</a><p>hi</p>',
    '<svg onload="alert(1)"><p>hi</p>',
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg><p>hi</p>',
    '<svg><style><img src=x onerror=alert(1)></style></svg><p>hi</p>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math><p>hi</p>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math><p>hi</p>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript><p>hi</p>',
    '<div style="width: expression(alert(1))"><p>hi</p></div>',
    '<p style="background:url(javascript:alert(1))">hi</p>',
    '<style>@import "https://evil.example/x.css"; p{behavior:url(x.htc)}</style><p>hi</p>',
    '<link rel="stylesheet" href="https://evil.example/x.css"><p>hi</p>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><p>hi</p>',
    '<base href="javascript:alert(1)//"><p>hi</p>',
    '<form action="https://evil.example"><input name="password"><button>go</button></form><p>hi</p>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe><p>hi</p>',
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)"><p>hi</p>',
    '<!--[if gte IE 4]><script>alert(1)</script><![endif]--><p>hi</p>',
    '<![CDATA[<script>alert(1)</script>]]><p>hi</p>',
    '<xmp><img src=x onerror=alert(1)></xmp><p>hi</p>',
    '<template><img src=x onerror=alert(1)></template><p>hi</p>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"><p>hi</p>',
    '<img srcset="javascript:alert(1) 1x" src="https://ex.com/a.png"><p>hi</p>',
    '<a href="https://ex.com" target="_top" rel="opener">x</a><p>hi</p>',
    '<details open ontoggle="alert(1)"><p>hi</p></details>',
])
def test_attacks_leave_nothing_active(markup):
    for out in (sanitize(markup), *split_html(markup)):
        lowered = out.lower()
        for bad in ("<script", "<svg", "<math", "<style", "<iframe", "<object", "<embed", "<form", "<input",
                    "<link", "<meta", "<base", "<noscript", "<template", "<xmp", "<details", "<body",
                    "javascript:", "data:", "expression(", "srcset", "style=", "xlink", "\"opener", "_top"):
            assert bad not in lowered, (markup, out)
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered), (markup, out)  # no event handler on any tag
    assert "<p>hi</p>" in sanitize(markup)


def test_links_always_open_safely_and_images_keep_only_safe_sources():
    out = sanitize('<a href="https://ex.com" target="_self" rel="opener">x</a><img src="cid:logo@x" alt="l">'
                   '<img src="https://ex.com/a.png"><img src="/local.png"><img src="mailto:a@b.c">')
    assert out == ('<a href="https://ex.com" target="_blank" rel="noopener noreferrer nofollow">x</a>'
                   '<img alt="l" src="cid:logo@x"><img src="https://ex.com/a.png"><img><img>')
    assert sanitize('<a href="cid:x">y</a>') == '<a target="_blank" rel="noopener noreferrer nofollow">y</a>'
    assert sanitize('<blockquote cite="javascript:x">q</blockquote><blockquote cite="https://ex.com">r</blockquote>') \
        == '<blockquote>q</blockquote><blockquote cite="https://ex.com">r</blockquote>'


def test_quote_markers_are_read_but_never_stored():
    reply, quoted = split_html('<div class="gmail_quote x" id="appendonsend" title="t">old</div>')
    assert (reply, quoted) == ("", "<div>old</div>")
    assert sanitize('<blockquote type="cite" class="gmail_quote">q</blockquote>') == "<blockquote>q</blockquote>"


def test_a_quote_marker_inside_an_element_leaves_both_parts_well_formed():
    reply, quoted = split_html('<div><p>Answer</p><div id="appendonsend"></div><p>old</p></div>')
    assert reply == "<div><p>Answer</p></div>"
    assert quoted == "<div></div><p>old</p>"


@pytest.mark.parametrize("name,markup", [
    ("stray end tags under open spans", "<span>" * 5_000 + "</x>" * 200_000),
    ("divs the tag counter thinks are closed", "<div><xmp></div></xmp>" * 40_000),
    ("adoption agency", "<a><div></a>" * 40_000),
    ("divs hidden in foreign raw text", "<svg><script>" + "<div>" * 150_000),
    ("divs after a comment closed by --!>", "<!----!>" + "<div>" * 150_000 + "-->"),
])
def test_parser_work_is_bounded_whatever_the_tree(name, markup):
    started = time.perf_counter()
    reply, quoted = split_html(markup[:1_000_000])
    assert time.perf_counter() - started < 10, name
    assert (reply + quoted).count("<div>") <= 64
