"""The Client API's shapes (Chatwoot's public/api/v1 views).

Where the reference spec types a field differently from the rest of the API (a
message's id, type, time and content_attributes, a conversation's inbox_id are strings
there), these follow the spec, which is this API's contract."""
from __future__ import annotations

import json

from ..models.contact import Contact, ContactInbox
from ..models.conversation import Conversation, Message
from ..models.inbox import Inbox
from ..models.inbox import working_hours
from . import conversations as views
from .common import epoch


def public_inbox(inbox: Inbox) -> dict:
    rows = [{k: v for k, v in row.items() if v is not None} for row in working_hours(inbox)]
    return {"identifier": inbox.inbox_identifier, "name": inbox.name, "timezone": inbox.timezone,
            "working_hours": rows, "working_hours_enabled": inbox.working_hours_enabled,
            "csat_survey_enabled": bool(inbox.csat_survey_enabled), "greeting_enabled": inbox.greeting_enabled,
            "identity_validation_enabled": inbox.hmac_mandatory}


def public_contact(contact: Contact, contact_inbox: ContactInbox) -> dict:
    body = {"id": contact.id, "source_id": contact_inbox.source_id, "name": contact.name,
            "email": contact.email, "phone_number": contact.phone_number,
            "pubsub_token": contact_inbox.pubsub_token}
    return {k: v for k, v in body.items() if v is not None}


def public_message(message: Message) -> dict:
    shown = views.message(message)
    return {"id": str(message.id), "content": message.content or "", "message_type": str(message.message_type),
            "content_type": message.content_type,
            "content_attributes": json.dumps(message.content_attributes or {}),
            "created_at": str(epoch(message.created_at)), "conversation_id": str(message.conversation_id),
            "attachments": shown["attachments"], "sender": message.sender or {}}


def public_conversation(conversation: Conversation, contact: Contact, messages: list[Message]) -> dict:
    return {"id": conversation.display_id, "uuid": conversation.uuid, "inbox_id": str(conversation.inbox_id),
            "status": conversation.status, "contact_last_seen_at": conversation.contact_last_seen_at,
            "agent_last_seen_at": conversation.agent_last_seen_at,
            "messages": [{k: v for k, v in views.message(m).items() if v is not None} for m in messages],
            "contact": {"id": contact.id, "name": contact.name, "email": contact.email,
                        "phone_number": contact.phone_number}}
