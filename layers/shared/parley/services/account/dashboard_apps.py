"""Dashboard apps (Chatwoot's `dashboard_apps`): a title and one https page that the
dashboard shows in a sandboxed frame beside a conversation, and to which it posts the
conversation and contact it shows (docs/security.md, "Dashboard apps").

The URL is checked like every URL a user hands Parley (parley.outbound.check_url: no
private, loopback, link-local or reserved address, no local-only name), and must be https:
the frame receives customer data, and the dashboard's Content-Security-Policy frames
https pages only (`frame-src https:`). A host named in the installation's
WEBHOOK_URL_ALLOWLIST (development only, empty by default) may be private, as for
webhooks: a developer's app on https://localhost:8443 for instance."""
from __future__ import annotations

from ... import outbound
from ...errors import Invalid
from ...models.account_object import AccountObject
from . import account_objects

KIND = "dashboard_app"
FRAME = "frame"


def check_url(url: str, field: str = "content.0.url", allowed_hosts: frozenset[str] | None = None) -> str:
    """The frame's URL, once it is https and names no private address (422 otherwise)."""
    if not isinstance(url, str) or not url[:8].lower() == "https://":
        raise Invalid(f"{field} must be an https URL", field=field)
    return outbound.check_url(url, field, allowed_hosts)  # no blocked address (the allowlist aside)


def _content(content: list[dict]) -> list[dict]:
    """Chatwoot's content: a list of one frame, [{"type": "frame", "url": ...}]."""
    if not isinstance(content, list) or len(content) != 1:
        raise Invalid("content must be a list of one frame", field="content")
    frame = content[0]
    if not isinstance(frame, dict) or frame.get("type") != FRAME:
        raise Invalid("content.0.type must be \"frame\"", field="content.0.type")
    return [{"type": FRAME, "url": check_url(frame.get("url"))}]


def _title(title: str) -> str:
    if not isinstance(title, str) or not title.strip():
        raise Invalid("title can't be blank", field="title")
    return title.strip()


def create(account_id: int, title: str, content: list[dict], user_id: int | None) -> AccountObject:
    data = {"title": _title(title), "content": _content(content), "user_id": user_id}
    return account_objects.create(account_id, KIND, data)


def get(account_id: int, app_id: int) -> AccountObject:
    return account_objects.get(account_id, KIND, app_id, "Dashboard app")


def all_of(account_id: int) -> list[AccountObject]:
    return account_objects.all_of(account_id, KIND)


def any_in(account_id: int) -> bool:
    """Whether the account has a dashboard app (one Query of at most one item)."""
    return any(True for _ in AccountObject.query(account_id, AccountObject.key.startswith(f"{KIND}#"), limit=1))


def update(item: AccountObject, changes: dict) -> AccountObject:
    checked = {}
    if "title" in changes:
        checked["title"] = _title(changes["title"])
    if "content" in changes:
        checked["content"] = _content(changes["content"])
    return account_objects.update(item, KIND, checked)


def delete(item: AccountObject) -> None:
    account_objects.delete(item, KIND)
