"""Contacts and their per-inbox identities (contact inboxes)."""
from __future__ import annotations

import secrets
import time
import uuid

from .. import events, ids
from ..errors import NotFound
from ..models.contact import Contact, ContactInbox
from ..models.inbox import Inbox
from ..views.contacts import contact as contact_view


def create_contact(account_id: int, *, name: str = "", email: str | None = None, phone_number: str | None = None,
                   identifier: str | None = None, custom_attributes: dict | None = None,
                   additional_attributes: dict | None = None) -> Contact:
    contact = Contact(ids.next_id("Contact"), account_id=account_id, name=name or "", email=email,
                      phone_number=phone_number, identifier=identifier, custom_attributes=custom_attributes or {},
                      additional_attributes=additional_attributes or {}, last_activity_at=int(time.time()))
    contact.save(condition=Contact.id.does_not_exist())
    events.publish("contact.created", account_id, contact_view(contact))
    return contact


def get_contact(account_id: int, contact_id: int) -> Contact:
    try:
        contact = Contact.get(contact_id)
    except Contact.DoesNotExist:
        raise NotFound("Contact not found") from None
    if contact.account_id != account_id:
        raise NotFound("Contact not found")
    return contact


def update_contact(contact: Contact, **changes) -> Contact:
    if not changes:
        return contact
    before = {key: getattr(contact, key) for key in changes}
    for key, value in changes.items():
        setattr(contact, key, value)
    contact.save()
    changed = {k: [before[k], v] for k, v in changes.items() if before[k] != v}
    if changed:
        events.publish("contact.updated", contact.account_id, contact_view(contact), changed)
    return contact


def create_contact_inbox(contact: Contact, inbox: Inbox, source_id: str | None = None) -> ContactInbox:
    contact_inbox = ContactInbox(inbox.id, source_id or str(uuid.uuid4()), contact_id=contact.id,
                                 account_id=contact.account_id, pubsub_token=secrets.token_urlsafe(24))
    contact_inbox.save(condition=ContactInbox.source_id.does_not_exist())
    return contact_inbox


def contact_inbox(inbox_id: int, source_id: str) -> ContactInbox | None:
    if not source_id or len(source_id) > 255:
        return None
    try:
        return ContactInbox.get(inbox_id, source_id)
    except ContactInbox.DoesNotExist:
        return None


def contact_inbox_for(contact: Contact, inbox: Inbox) -> ContactInbox | None:
    """The contact's identity in `inbox`, if it has one."""
    return next(iter(ContactInbox.contact_index.query(contact.id, ContactInbox.inbox_id == inbox.id, limit=1)), None)


def by_pubsub_token(token: str | None) -> ContactInbox | None:
    if not token or len(token) > 128:
        return None
    return next(iter(ContactInbox.pubsub_index.query(token, limit=1)), None)
