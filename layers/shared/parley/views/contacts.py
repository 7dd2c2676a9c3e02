"""Contacts as Chatwoot shows them."""
from __future__ import annotations

from ..models.account_object import AccountObject
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


def contact_import(record: AccountObject) -> dict:
    """A contact CSV import job and its progress."""
    data = record.data
    return {"id": record.id, "status": data.get("status"), "file_name": data.get("file_name"),
            "total_rows": data.get("total_rows", 0), "processed_rows": data.get("processed_rows", 0),
            "created": data.get("created", 0), "updated": data.get("updated", 0), "failed": data.get("failed", 0),
            "failures": data.get("failures", []), "error": data.get("error"),
            "created_at": int(record.created_at.timestamp()), "updated_at": int(record.updated_at.timestamp())}


def contact_export(record: AccountObject, download_path: str) -> dict:
    """A contact CSV export job; its download path once it is complete."""
    data = record.data
    done = data.get("status") == "completed"
    return {"id": record.id, "status": data.get("status"), "rows": data.get("rows", 0),
            "columns": data.get("columns", []), "truncated": bool(data.get("truncated")), "error": data.get("error"),
            "download_url": download_path if done else None,
            "created_at": int(record.created_at.timestamp()), "updated_at": int(record.updated_at.timestamp())}
