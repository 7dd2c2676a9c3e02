"""Chatwoot's JSON for dashboard apps, integration apps and their hooks."""
from __future__ import annotations

from ..models.account_object import AccountObject
from .common import iso


def dashboard_app(item: AccountObject) -> dict:
    """Chatwoot's dashboard_app: id, title, content ([{type: "frame", url}]), created_at."""
    return {"id": item.id, "title": item.data["title"],
            "content": [{"type": frame["type"], "url": frame["url"]} for frame in item.data.get("content", [])],
            "created_at": iso(item.created_at)}


def webhook_hook(item: AccountObject, *, administrator: bool) -> dict:
    """A hook of the webhook app (one of the account's webhooks) in Chatwoot's hook shape.
    Its settings (where events go) are for administrators only, as in Chatwoot; the
    signing secret is never among them."""
    body = {"id": item.id, "app_id": "webhook", "status": True, "inbox": None, "account_id": item.account_id,
            "hook_type": "account"}
    if administrator:
        body["settings"] = {"url": item.data["url"], "name": item.data.get("name", ""),
                            "subscriptions": list(item.data.get("subscriptions", []))}
    return body


def app(app, account_id: int, *, enabled: bool, hooks: list[AccountObject], administrator: bool) -> dict:
    """Chatwoot's integration app. `action` and `button` (where it is set up) only for
    administrators, as in Chatwoot; here they are the app's Parley settings screen."""
    body = {"id": app.id, "name": app.name, "description": app.description, "short_description": app.description,
            "enabled": enabled, "hook_type": app.hook_type, "allow_multiple_hooks": app.allow_multiple_hooks,
            "hooks": [webhook_hook(hook, administrator=administrator) for hook in hooks]}
    if administrator:
        body["action"] = body["button"] = f"/app/accounts/{account_id}/settings/{app.settings_path}"
    return body
