"""The widget page (/widget?website_token=…) as the HTTP API serves it: the built
frontend/dist/widget/index.html from the frontend bucket, with the inbox's allowed
domains as `Content-Security-Policy: frame-ancestors` (which the browser enforces on the
host site) and as a <meta> the iframe checks postMessage origins against."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from ... import aws, embedding
from ...errors import AccountSuspended, Invalid, NotFound
from ...security_log import refused
from ...settings import get_settings
from . import inboxes

NOT_AVAILABLE = "<!doctype html><title>Chat</title><p>This chat is not available.</p>"


@dataclass(frozen=True)
class Page:
    status: int
    html: str
    policy: str


def _built_page() -> str:
    # Read on every render, not memoised: a frontend upload replaces the hashed asset
    # names it points to, and CloudFront already keeps each answer for a minute.
    return aws.client("s3").get_object(Bucket=get_settings().frontend_bucket, Key="widget/index.html")["Body"].read().decode("utf-8")


def render(website_token: str | None) -> Page:
    try:
        inbox = inboxes.by_website_token(website_token)
    except NotFound:
        return Page(404, NOT_AVAILABLE, embedding.NOT_EMBEDDABLE)
    except AccountSuspended as exc:  # refused like its widget API, as a page a frame can show
        refused("account_suspended", exc.message, account_id=exc.account_id, path="/widget")
        return Page(403, NOT_AVAILABLE, embedding.NOT_EMBEDDABLE)
    try:
        allowed = embedding.parse_allowed_domains((inbox.channel or {}).get("allowed_domains"))
    except Invalid as exc:  # stored before it was validated: embeddable nowhere until fixed
        refused("widget_allowed_domains", exc.message, inbox_id=inbox.id, account_id=inbox.account_id)
        return Page(200, _with_allowed(_built_page(), []), embedding.NOT_EMBEDDABLE)
    return Page(200, _with_allowed(_built_page(), allowed), embedding.widget_page_policy(allowed))


def _with_allowed(html: str, allowed: list[str]) -> str:
    meta = f'<meta name="parley-allowed-domains" content="{escape(",".join(allowed))}">'
    return html.replace("</head>", meta + "</head>", 1)
