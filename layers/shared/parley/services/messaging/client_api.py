"""The Client API (/public/api/v1/inboxes/{inbox_identifier}/...): an API channel's
contacts talk to Parley from the customer's own front end.

A contact is named by its contact inbox's `source_id` (Chatwoot's contact_identifier).
Identity works as in the widget (services/contact/widget.py): an `identifier` proven by
`identifier_hash` = HMAC-SHA256(inbox hmac token, identifier); an inbox with
`hmac_mandatory` refuses contact writes without one (401), and an identifier that already
belongs to a contact is only taken with a valid hash. A contact identifier reads only its
own contact inbox's conversations."""
from __future__ import annotations

from ...errors import NotFound, Unauthorized
from ...models.contact import Contact, ContactInbox
from ...models.conversation import Conversation
from ...models.inbox import Inbox
from ..contact import contacts, widget
from ..conversation import conversations


def _verified(inbox: Inbox, identifier: str | None, given_hash: str | None) -> bool:
    if identifier is None:
        if inbox.hmac_mandatory:
            raise Unauthorized("HMAC failed: identifier and identifier_hash are required")
        return False
    return widget.verify_identity(inbox, identifier, given_hash)


def create_contact(inbox: Inbox, *, identifier: str | None = None, identifier_hash: str | None = None,
                   **fields) -> tuple[ContactInbox, Contact]:
    """A new contact inbox: for the contact that proved `identifier` before, or for a new
    contact (services/contact/widget.py `identify` decides, as for the widget's setUser). Each call
    is a new contact inbox, so one device never reads another's conversations."""
    if identifier is None:
        _verified(inbox, None, identifier_hash)  # 401 where the inbox makes it mandatory
        contact, contact_inbox = contacts.new_contact(inbox.account_id, inbox=inbox, **fields)
        return contact_inbox, contact
    contact_inbox, contact, _ = widget.identify(inbox, None, None, identifier, identifier_hash,
                                                reuse_verified_inbox=False, **fields)
    if fields:  # a contact that existed takes the new values; a new one already has them
        contact = contacts.update_contact(contact, **fields)
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
        contact_inbox, contact, _ = widget.identify(inbox, contact_inbox, contact, identifier, identifier_hash,
                                                    reuse_verified_inbox=False)
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
