"""What a file really is, from its first bytes, and how it may be served.

A client declares a content type when it uploads; Parley believes it only when the bytes
agree (magic numbers). Serving is decided here too: only raster images are ever shown
inline; SVG, HTML, XML and anything unknown download as attachments with a type a browser
will not render (stored XSS through an "image" is Chatwoot's security history)."""
from __future__ import annotations

SNIFF_BYTES = 4096  # enough for every signature below and for a fair look at text

# Declared content type -> the kind its bytes must show.
DECLARED_KIND = {
    "image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/pjpeg": "jpeg",
    "image/gif": "gif", "image/webp": "webp",
    "application/pdf": "pdf",
    "application/zip": "zip", "application/x-zip-compressed": "zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "zip",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "zip",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "zip",
    "audio/mpeg": "mp3", "audio/mp3": "mp3",
    "audio/ogg": "ogg", "audio/opus": "ogg", "application/ogg": "ogg", "video/ogg": "ogg",
    "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/vnd.wave": "wav",
    "video/mp4": "mp4", "audio/mp4": "mp4", "audio/x-m4a": "mp4", "video/quicktime": "mp4",
    "text/plain": "text", "text/csv": "text", "text/markdown": "text", "application/json": "text",
    # Text a browser would render as a page or run as script: accepted, never inline.
    "image/svg+xml": "text", "text/html": "text", "application/xhtml+xml": "text",
    "text/xml": "text", "application/xml": "text",
}

RASTER = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
# What each kind is served as (always with Content-Disposition: attachment, except RASTER).
SERVED_AS = {"pdf": "application/pdf", "zip": "application/zip", "mp3": "audio/mpeg", "ogg": "audio/ogg",
             "wav": "audio/wav", "mp4": "video/mp4", "text": "text/plain; charset=utf-8"}
OCTET = "application/octet-stream"


def normalize(content_type: str | None) -> str:
    """`Image/PNG; charset=x` -> `image/png`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A read cut off in the middle of a multi-byte character is still text.
        if exc.start < len(head) - 3:
            return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls <= len(head) // 100


def sniff(head: bytes) -> str | None:
    """The kind the first bytes show, or None when they match nothing Parley knows."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head and _looks_like_text(head):
        return "text"
    return None


def check(declared: str | None, head: bytes) -> str | None:
    """The kind of an upload whose first bytes are `head`: a known declared type must be
    what the bytes show (else ValueError); an unknown one is kept as an opaque file (None)."""
    declared = normalize(declared)
    expected = DECLARED_KIND.get(declared)
    if expected is None:
        return None
    found = sniff(head)
    if found != expected:
        shown = found or "unrecognised data"
        raise ValueError(f"The file is declared as {declared} but its content is {shown}")
    return expected


def file_type(kind: str | None, declared: str | None) -> str:
    """Chatwoot's attachment file_type. Only previewable (raster) images are `image`."""
    media = normalize(declared).split("/", 1)[0]
    if kind in RASTER:
        return "image"
    if kind in ("mp3", "wav"):
        return "audio"
    if kind in ("ogg", "mp4"):  # containers for sound or pictures: the declared type says which
        return media if media in ("audio", "video") else ("audio" if kind == "ogg" else "video")
    return "file"


def serving(kind: str | None) -> tuple[str, bool]:
    """(content type to serve, inline?)."""
    if kind in RASTER:
        return RASTER[kind], True
    return SERVED_AS.get(kind or "", OCTET), False
