"""An ongoing campaign as the widget gets it (GET /api/v1/widget/campaigns, Chatwoot's
shape): what to watch for and what to say, nothing of the account's settings."""
from __future__ import annotations


def widget_campaign(item, sender=None) -> dict:
    rules = item.data.get("trigger_rules") or {}
    return {"id": item.id, "trigger_rules": {"url": rules.get("url"), "time_on_page": rules.get("time_on_page", 10)},
            "message": item.data["message"],
            "sender": {"name": sender.available_name, "avatar_url": sender.avatar_url or ""} if sender is not None else None}
