"""The Client API (/public/api/v1/inboxes/{inbox_identifier}/...): an API channel's
contacts talk to Parley from the customer's own front end.

A contact is named by its contact inbox's `source_id` (Chatwoot's contact_identifier).
Identity works as in the widget (services/widget.py): an `identifier` proven by
`identifier_hash` = HMAC-SHA256(inbox hmac token, identifier); an inbox with
`hmac_mandatory` refuses contact writes without one (401), and an identifier that already
belongs to a contact is only taken with a valid hash."""
from __future__ import annotations

from ..errors import NotFound, Unauthorized
from ..models.contact import Contact, ContactInbox
from ..models.conversation import Conversation
from ..models.inbox import Inbox
from . import contacts, conversations, widget


def _verified(inbox: Inbox, identifier: str | None, given_hash: str | None) -> bool:
    if identifier is None:
        if inbox.hmac_mandatory:
            raise Unauthorized("HMAC failed: identifier and identifier_hash are required")
        return False
    return widget.verify_identity(inbox, identifier, given_hash)


def _mark_verified(contact_inbox: ContactInbox) -> None:
    if not contact_inbox.hmac_verified:
        contact_inbox.update(actions=[ContactInbox.hmac_verified.set(True)])


def create_contact(inbox: Inbox, *, identifier: str | None = None, identifier_hash: str | None = None,
                   **fields) -> tuple[ContactInbox, Contact]:
    """A new contact inbox: for the contact holding `identifier` (with a valid hash), or
    for a new contact."""
    verified = _verified(inbox, identifier, identifier_hash)
    existing = contacts.find_by_unique(inbox.account_id, "identifier", identifier) if identifier else None
    if existing is not None:
        if not verified:
            raise Unauthorized("This identifier belongs to another contact: identifier_hash is required")
        contact_inbox = contacts.create_contact_inbox(existing, inbox)
        contact = contacts.update_contact(existing, **fields) if fields else existing
    else:
        contact, contact_inbox = contacts.new_contact(inbox.account_id, identifier=identifier, inbox=inbox, **fields)
    if verified:
        _mark_verified(contact_inbox)
    return contact_inbox, contact


def session(inbox: Inbox, contact_identifier: str) -> tuple[ContactInbox, Contact]:
    contact_inbox = contacts.contact_inbox(inbox.id, contact_identifier)
    if contact_inbox is None:
        raise NotFound("Contact not found")
    return contact_inbox, contacts.get_contact(inbox.account_id, contact_inbox.contact_id)


def update_contact(inbox: Inbox, contact_inbox: ContactInbox, contact: Contact, *, identifier: str | None = None,
                   identifier_hash: str | None = None, **fields) -> tuple[ContactInbox, Contact]:
    if identifier is None:
        _verified(inbox, None, identifier_hash)  # 401 where the inbox makes it mandatory
    else:
        contact_inbox, contact, _ = widget.identify(inbox, contact_inbox, contact, identifier, identifier_hash)
    if fields:
        if "custom_attributes" in fields:
            fields["custom_attributes"] = {**(contact.custom_attributes or {}), **(fields["custom_attributes"] or {})}
        contact = contacts.update_contact(contact, **fields)
    return contact_inbox, contact


def get_conversation(inbox: Inbox, contact_inbox: ContactInbox, display_id: int) -> Conversation:
    """One of this contact inbox's conversations; anyone else's is not found."""
    conversation = conversations.get_conversation(inbox.account_id, display_id)
    if conversation.inbox_id != inbox.id or conversation.source_id != contact_inbox.source_id:
        raise NotFound("Conversation not found")
    return conversation
