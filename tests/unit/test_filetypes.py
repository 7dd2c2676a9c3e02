"""The sniffer: declared content types are believed only when the bytes agree."""
from __future__ import annotations

import pytest

from parley import filetypes

SAMPLES = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20,
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20,
    "gif": b"GIF89a\x01\x00\x01\x00" + b"\x00" * 20,
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20,
    "wav": b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 20,
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    "zip": b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml",
    "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00",
    "ogg": b"OggS\x00\x02" + b"\x00" * 20,
    "mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00",
    "text": "name,email\nÅsa,åsa@example.test\n".encode(),
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_sniff_knows_each_kind(kind):
    assert filetypes.sniff(SAMPLES[kind]) == kind


def test_mp3_without_id3_tag_is_a_frame_sync():
    assert filetypes.sniff(b"\xff\xfb\x90\x64" + b"\x00" * 10) == "mp3"


@pytest.mark.parametrize("declared,kind", [
    ("image/png", "png"), ("IMAGE/JPEG; charset=x", "jpeg"), ("image/gif", "gif"), ("image/webp", "webp"),
    ("application/pdf", "pdf"), ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "zip"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "zip"), ("audio/mpeg", "mp3"),
    ("audio/ogg", "ogg"), ("audio/wav", "wav"), ("video/mp4", "mp4"), ("text/csv", "text"), ("text/plain", "text"),
])
def test_honest_declarations_pass(declared, kind):
    assert filetypes.check(declared, SAMPLES[kind]) == kind


@pytest.mark.parametrize("declared,data", [
    ("image/png", b"<html><script>alert(1)</script></html>"),
    ("image/jpeg", SAMPLES["png"]),
    ("application/pdf", SAMPLES["zip"]),
    ("text/plain", SAMPLES["png"]),
    ("text/csv", b"a,b\x00\x00\x01\x02binary"),
    ("video/mp4", SAMPLES["mp3"]),
    ("image/gif", b""),
])
def test_lies_are_caught(declared, data):
    with pytest.raises(ValueError, match="declared as"):
        filetypes.check(declared, data)


def test_text_cut_inside_a_multibyte_character_is_still_text():
    assert filetypes.sniff("ééé".encode()[:-1]) == "text"


def test_unknown_declared_type_is_an_opaque_file():
    assert filetypes.check("application/x-msdownload", b"MZ\x90\x00") is None
    assert filetypes.serving(None) == ("application/octet-stream", False)


@pytest.mark.parametrize("declared", ["image/svg+xml", "text/html", "application/xml"])
def test_markup_is_accepted_as_text_and_never_served_inline(declared):
    kind = filetypes.check(declared, b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    assert kind == "text"
    assert filetypes.serving(kind) == ("text/plain; charset=utf-8", False)
    assert filetypes.file_type(kind, declared) == "file"


def test_only_raster_images_are_inline_images():
    for kind in ("png", "jpeg", "gif", "webp"):
        assert filetypes.serving(kind)[1] is True
        assert filetypes.file_type(kind, "image/" + kind) == "image"
    for kind in ("pdf", "zip", "mp3", "ogg", "wav", "mp4", "text"):
        assert filetypes.serving(kind)[1] is False


def test_media_file_types():
    assert filetypes.file_type("mp3", "audio/mpeg") == "audio"
    assert filetypes.file_type("mp4", "video/mp4") == "video"
    assert filetypes.file_type("mp4", "audio/mp4") == "audio"
    assert filetypes.file_type("ogg", "video/ogg") == "video"
    assert filetypes.file_type("ogg", "audio/ogg") == "audio"
    assert filetypes.file_type("pdf", "application/pdf") == "file"
