"""Contacts as Chatwoot shows them."""
from __future__ import annotations

from ..models.contact import Contact
from .common import epoch


def _present(**fields) -> dict:
    """The spec types these as strings, not null: leave out the ones with no value."""
    return {k: v for k, v in fields.items() if v is not None}


def contact(item: Contact, *, contact_inboxes: list[dict] | None = None) -> dict:
    """`contact_inboxes` ([{source_id, inbox}]) is shown by the /contacts endpoints only."""
    body = {
        "id": item.id,
        "name": item.name,
        **_present(email=item.email, phone_number=item.phone_number, identifier=item.identifier),
        "thumbnail": item.avatar_url or "",
        "blocked": item.blocked,
        "type": "contact",
        "availability_status": "offline",
        "additional_attributes": item.additional_attributes or {},
        "custom_attributes": item.custom_attributes or {},
        "labels": list(item.labels or []),
        "last_activity_at": item.last_activity_at,
        "created_at": epoch(item.created_at),
    }
    if contact_inboxes is not None:
        body["contact_inboxes"] = contact_inboxes
    return body


def sender(item: Contact) -> dict:
    """The short form stored with a message and shown as a conversation's `meta.sender`."""
    return {"id": item.id, "name": item.name, **_present(email=item.email, phone_number=item.phone_number,
                                                          identifier=item.identifier),
            "thumbnail": item.avatar_url or "", "avatar_url": item.avatar_url or "", "type": "contact"}


def widget_contact(item: Contact, pubsub_token: str) -> dict:
    return {"id": item.id, "name": item.name, "email": item.email, "phone_number": item.phone_number,
            "identifier": item.identifier, "pubsub_token": pubsub_token,
            "custom_attributes": item.custom_attributes or {}}
