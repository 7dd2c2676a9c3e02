"""Campaigns in Chatwoot's JSON: `id` is the account's own number (display_id too); a
one_off campaign shows scheduled_at (epoch seconds), its audience, its WhatsApp
template_params (Chatwoot's shape) and, once sending started, its progress (Parley's)."""
from __future__ import annotations

from .common import epoch
from .inboxes import inbox as inbox_view
from .users import sender as sender_view


def campaign(item, inbox=None, sender=None, progress: dict | None = None) -> dict:
    data = item.data
    body = {"id": item.id, "display_id": item.id, "title": data["title"], "description": data.get("description") or "",
            "account_id": item.account_id, "inbox_id": data["inbox_id"],
            "inbox": inbox_view(inbox) if inbox is not None else None,
            "sender_id": data.get("sender_id"), "sender": sender_view(sender) if sender is not None else None,
            "message": data["message"], "campaign_status": data.get("campaign_status") or "active",
            "enabled": bool(data.get("enabled")), "campaign_type": data["campaign_type"],
            "trigger_rules": data.get("trigger_rules") or {},
            "trigger_only_during_business_hours": bool(data.get("trigger_only_during_business_hours")),
            "created_at": epoch(item.created_at), "updated_at": epoch(item.updated_at)}
    if data["campaign_type"] == "one_off":
        params = data.get("template_params")
        body.update(scheduled_at=data.get("scheduled_at"), audience=data.get("audience") or [],
                    template_params={k: params[k] for k in ("name", "category", "language", "processed_params")
                                     if k in params} if params else None,
                    progress=progress)
    return body
