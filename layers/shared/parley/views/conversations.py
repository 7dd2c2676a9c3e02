"""Conversations and messages as Chatwoot shows them."""
from __future__ import annotations

from .. import filetypes
from ..models.conversation import Conversation, Message
from ..models.inbox import CHANNEL_TYPES
from .common import epoch

SENDER_TYPES = {"Contact": "contact", "User": "agent", "AgentBot": "agent_bot",
                "Captain::Assistant": "captain_assistant"}


def attachments(records: list[dict], message_id: int, account_id: int) -> list[dict]:
    """Chatwoot's `attachments` array from stored records, with URLs signed now (locally,
    no request: parley/storage.py)."""
    if not records:
        return []
    from .. import storage  # boto3's signer: only messages with files pay for its import

    shown = []
    for record in records:
        url = storage.download_url(record)
        shown.append({"id": record["id"], "message_id": message_id, "file_type": record["file_type"],
                      "account_id": account_id, "extension": record.get("extension"),
                      "data_url": url, "thumb_url": url if record["file_type"] == "image" else "",
                      "file_size": record["file_size"], "file_name": record.get("filename"),
                      "content_type": filetypes.serving(record.get("kind"))[0]})
    return shown


def stored_message(item: Message) -> dict:
    """The message as a conversation keeps it (`last_message`): its view, but with the
    attachment records instead of signed URLs, which would expire while it is stored."""
    return message(item, signed=False)


def shown_last_message(stored: dict) -> dict:
    """A stored last message with its attachments signed now (see `stored_message`)."""
    records = stored.get("attachments") or []
    if not records or "key" not in records[0]:
        return stored
    return {**stored, "attachments": attachments(records, stored["id"], stored["account_id"])}


def message(item: Message, *, signed: bool = True) -> dict:
    body = {
        "id": item.id,
        "content": item.content or "",
        "account_id": item.account_id,
        "inbox_id": item.inbox_id,
        "conversation_id": item.conversation_id,
        "message_type": item.message_type,
        "content_type": item.content_type,
        "content_attributes": item.content_attributes or {},
        "created_at": epoch(item.created_at),
        "updated_at": epoch(item.updated_at),
        "private": item.private,
        "status": item.status,
        "source_id": item.source_id,
        "echo_id": item.echo_id,
        "attachments": (attachments(item.attachments or [], item.id, item.account_id) if signed
                        else [dict(r) for r in item.attachments or []]),
        "sender": item.sender,
    }
    if item.sender_type:
        body["sender_type"] = SENDER_TYPES[item.sender_type]
        body["sender_id"] = item.sender_id
    return {k: v for k, v in body.items() if v is not None or k == "sender"}


def conversation(item: Conversation, *, sender: dict, channel_type: str, assignee: dict | None) -> dict:
    """`sender` is the contact's short form; `assignee` the agent's, or None."""
    meta = {"sender": sender, "channel": CHANNEL_TYPES.get(channel_type, channel_type), "hmac_verified": False}
    if assignee:
        meta["assignee"] = assignee
    body = {
        "id": item.display_id,
        "uuid": item.uuid,
        "account_id": item.account_id,
        "inbox_id": item.inbox_id,
        "status": item.status,
        "priority": item.priority,
        "labels": list(item.labels or []),
        "muted": item.muted,
        "can_reply": True,
        "additional_attributes": item.additional_attributes or {},
        "custom_attributes": item.custom_attributes or {},
        "agent_last_seen_at": item.agent_last_seen_at,
        "contact_last_seen_at": item.contact_last_seen_at,
        "assignee_last_seen_at": item.assignee_last_seen_at,
        "unread_count": item.unread_count,
        "last_activity_at": item.last_activity_at // 1000,
        # The reference spec types this as a string; it holds the same epoch seconds.
        "timestamp": str(item.last_activity_at // 1000),
        "created_at": epoch(item.created_at),
        "updated_at": epoch(item.updated_at),
        "messages": [shown_last_message(item.last_message)] if item.last_message else [],
        "meta": meta,
        "assignee_id": item.assignee_id,
        "team_id": item.team_id,
        "contact_id": item.contact_id,
        "campaign_id": item.campaign_id,
    }
    if item.sla_policy_id is not None and item.applied_sla:
        shown = dict(item.applied_sla)
        body["sla_policy_id"] = item.sla_policy_id
        body["sla_events"] = shown.pop("sla_events", [])
        body["applied_sla"] = shown
    for key in ("snoozed_until", "first_reply_created_at", "waiting_since"):
        if getattr(item, key) is not None:
            body[key] = getattr(item, key)
    if item.last_message:
        body["last_non_activity_message"] = body["messages"][0]
    return {k: v for k, v in body.items() if v is not None or k in ("assignee_id", "team_id")}
