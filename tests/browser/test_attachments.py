"""Attachments in real browsers: files go straight to (the local stack's) S3 with presigned
POSTs, then appear on the other side: an agent's image as a preview in the widget, a
visitor's PDF as a download link in the dashboard."""
from __future__ import annotations

import re
import struct
import zlib

from playwright.sync_api import expect

from .pages import start_chat, tag


def png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_agent_sends_an_image_the_visitor_sees_previewed(visitor, agent):
    t = tag()
    start_chat(visitor, agent, f"Can you show me where? [{t}]")
    page = agent.page
    page.get_by_test_id("reply-file-input").set_input_files(
        files=[{"name": "where.png", "mimeType": "image/png", "buffer": png_1x1()}])
    chip = page.get_by_test_id("reply-attachment")
    expect(chip).to_have_attribute("data-status", "ready")  # uploaded to S3
    expect(chip.locator("img")).to_be_visible()  # the thumbnail before sending
    page.get_by_test_id("reply-input").fill(f"Here [{t}]")
    page.get_by_test_id("send-button").click()
    sent = agent.messages(f"Here [{t}]")
    expect(sent).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    expect(sent.get_by_test_id("attachment-image")).to_be_visible()
    expect(chip).to_have_count(0)

    seen = visitor.messages(f"Here [{t}]")
    expect(seen).to_have_count(1)
    image = seen.get_by_test_id("widget-attachment-image")
    expect(image).to_be_visible()
    image.evaluate("img => img.decode()")  # rejects unless the bytes load as an image
    assert image.evaluate("img => img.naturalWidth") == 1


def test_visitor_sends_a_pdf_the_agent_downloads(visitor, agent):
    t = tag()
    start_chat(visitor, agent, f"I was charged twice [{t}]")
    frame = visitor.frame
    frame.get_by_test_id("widget-file-input").set_input_files(
        files=[{"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    expect(frame.get_by_test_id("widget-attachment")).to_have_attribute("data-status", "ready")
    frame.get_by_test_id("widget-message-input").fill(f"The invoice [{t}]")
    frame.get_by_test_id("widget-send-button").click()
    expect(visitor.messages(f"The invoice [{t}]")).to_have_attribute("data-message-id", re.compile(r"^\d+$"))

    link = agent.messages(f"The invoice [{t}]").get_by_test_id("attachment-download")
    expect(link).to_be_visible()
    expect(link).to_contain_text("invoice.pdf")
    got = agent.page.request.get(link.get_attribute("href"))
    assert got.status == 200 and got.body() == PDF
    assert got.headers["content-disposition"] == 'attachment; filename="invoice.pdf"'
