"""MIME parsing of inbound mail: limits, hostile headers, odd charsets (pure, no AWS)."""
from __future__ import annotations

import pytest

from parley.channels.email import MAX_RAW_BYTES, body_parts, parse_mime
from parley.errors import Invalid
from tests.conftest import EVENTS


def load(name: str) -> bytes:
    return (EVENTS / "email" / f"{name}.eml").read_bytes()


def test_plain_mail_fields():
    parsed = parse_mime(load("plain"))
    assert (parsed.from_name, parsed.from_email) == ("Carla Customer", "carla@customer.example")
    assert parsed.message_id == "CAF=plain-0001@mail.customer.example"
    assert "support@acme.example" in parsed.recipients and parsed.to == ["support@acme.example"]
    assert parsed.text.startswith("Hello,")


def test_limits_are_checked_before_parsing():
    with pytest.raises(Invalid, match="too many MIME parts"):
        parse_mime(load("hostile_multipart_bomb"))
    with pytest.raises(Invalid, match="larger than"):
        parse_mime(b"Subject: x\r\n\r\n" + b"a" * (MAX_RAW_BYTES + 1))
    with pytest.raises(Invalid, match="header section"):
        parse_mime(b"X-A: " + b"b" * 300_000)


def test_oversized_and_surplus_headers_are_dropped_not_the_mail():
    parsed = parse_mime(load("hostile_huge_header"))
    assert parsed.subject == "Huge headers" and parsed.text.strip() == "Still a real question under all that noise."


def test_header_injection_and_bad_charsets_are_harmless():
    raw = (b"From: =?utf-8?q?Eve=0D=0ABcc:_x@evil.example?= <eve@example.com>\r\n"
           b"Subject: =?x-unknown?q?hi?=\r\nMessage-ID: <a@b>\r\n"
           b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello \xff\r\n")
    parsed = parse_mime(raw)
    assert parsed.from_email == "eve@example.com" and "\n" not in parsed.from_name and "\r" not in parsed.from_name
    assert "\n" not in parsed.subject
    assert parsed.text.startswith("hello")


def test_no_sender_and_garbage_addresses():
    parsed = parse_mime(b"From: not an address\r\nTo: ;;;@@@\r\n\r\nx")
    assert parsed.from_email is None and parsed.recipients == []


def test_body_parts_keep_reply_and_quote_apart():
    content, details = body_parts(parse_mime(load("html_quote")))
    assert content == "Thanks, that works for me!"
    assert details["text_content"]["quoted"].startswith("On Tue")
    assert "gmail_quote" not in details["html_content"]["reply"]
