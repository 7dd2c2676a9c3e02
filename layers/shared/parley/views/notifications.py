"""Notifications and notification settings as Chatwoot shows them."""
from __future__ import annotations

from datetime import datetime, timezone

from ..models.account_object import AccountObject
from ..models.notification import ALL_EMAIL_FLAGS, ALL_PUSH_FLAGS, Notification
from ..models.user import User
from .common import iso
from .users import sender


def notification(item: Notification, user: User | None = None) -> dict:
    created = int(item.created_at.timestamp())
    read_at = datetime.fromtimestamp(item.read_at, timezone.utc) if item.read_at else None
    return {
        "id": item.id,
        "account_id": item.account_id,
        "notification_type": item.notification_type,
        "push_message_title": item.push_message_title,
        "push_message_body": item.push_message_body,
        "primary_actor_type": item.primary_actor_type,
        "primary_actor_id": item.primary_actor_id,
        "primary_actor": item.primary_actor or {},
        "secondary_actor": item.secondary_actor,
        "read_at": iso(read_at),
        "user": sender(user) if user else None,
        "created_at": created,
        "last_activity_at": created,
        "snoozed_until": None,
        "meta": {},
    }


def settings(item: AccountObject) -> dict:
    """An agent's notification settings (stored as an account object: `email`, `push`)."""
    return {
        "id": item.data.get("setting_id"),
        "user_id": item.id,
        "account_id": item.account_id,
        "all_email_flags": list(ALL_EMAIL_FLAGS),
        "selected_email_flags": list(item.data.get("email") or []),
        "all_push_flags": list(ALL_PUSH_FLAGS),
        "selected_push_flags": list(item.data.get("push") or []),
    }
