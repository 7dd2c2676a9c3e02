"""Where a website inbox's widget may be embedded: its `allowed_domains`.

Chatwoot's format: a comma-separated list of host names, `*.example.com` for any
subdomain, empty for any site. Each entry becomes a CSP source expression of the widget
page's `frame-ancestors`, so only what is certainly a host source gets in: an optional
http(s) scheme, a host name (or `*.` + one), an optional port or `:*`. Anything else
(paths, quotes, `;`, `javascript:`) could widen or rewrite the policy and is refused."""
from __future__ import annotations

import re

from .errors import Invalid

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ENTRY = re.compile(rf"(?:https?://)?(?:\*\.)?{_LABEL}(?:\.{_LABEL})*(?::(?:\*|[0-9]{{1,5}}))?")
MAX_ENTRIES = 50


def parse_allowed_domains(text: str | None) -> list[str]:
    """The entries of an allowed_domains value, lower-cased; Invalid for anything else."""
    text = (text or "").strip()
    if not text:
        return []
    entries = [part.strip().lower() for part in text.split(",")]
    if len(entries) > MAX_ENTRIES:
        raise Invalid(f"allowed_domains may list at most {MAX_ENTRIES} domains", field="allowed_domains")
    for entry in entries:
        port = entry.rsplit(":", 1)[1] if re.search(r":[0-9]+$", entry) else None
        if not _ENTRY.fullmatch(entry) or (port is not None and not 0 < int(port) < 65536):
            raise Invalid(f"allowed_domains: {entry!r} is not a domain like example.com or *.example.com",
                          field="allowed_domains")
    return entries


def normalize_allowed_domains(text: str | None) -> str:
    return ", ".join(parse_allowed_domains(text))


def widget_page_policy(allowed: list[str]) -> str:
    """The widget page's Content-Security-Policy. No frame-ancestors when the list is empty
    (any site may embed it, as in Chatwoot)."""
    policy = "script-src 'self'; object-src 'none'; base-uri 'self'"
    return policy + ("; frame-ancestors " + " ".join(allowed) if allowed else "")


NOT_EMBEDDABLE = "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
