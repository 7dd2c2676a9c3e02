"""An agent starts a conversation (POST .../conversations): which contact inbox it joins,
whether the inbox's auto-assignment or the agent's choice assigns it, and its first reply."""
from __future__ import annotations

from ...errors import Invalid
from ...models.account import AccountUser
from ...models.contact import Contact, ContactInbox
from ...models.conversation import Conversation
from ...models.inbox import Inbox
from ...models.user import User
from ..contact import contacts
from ..conversation import conversations
from ..inbox import inboxes
from . import messages


def start(member: AccountUser, agent: User, inbox_id: int, *, source_id: str | None, contact_id: int | None,
          assignee_id: int | None, status: str, additional_attributes: dict | None,
          custom_attributes: dict | None, message: str | None) -> Conversation:
    """In an inbox the member works in, for the contact inbox `source_id` names or else the
    contact `contact_id` (whose contact inbox in this inbox is found or made). An assignee
    given is checked first and assigned after; without one the inbox may auto-assign."""
    account_id = member.account_id
    inbox = inboxes.working_inbox(member, inbox_id)
    if assignee_id is not None:
        conversations.check_assignee(account_id, assignee_id)
    contact, contact_inbox = _contact_inbox(account_id, inbox, source_id, contact_id)
    conversation = messages.start_conversation(
        inbox, contact, contact_inbox, status=status, additional_attributes=additional_attributes,
        custom_attributes=custom_attributes, auto_assign=assignee_id is None)
    if assignee_id is not None:
        conversations.assign(conversation, assignee_id)
    if message:
        messages.post_message(conversation, content=message, message_type=conversations.OUTGOING,
                              sender_type="User", sender=agent)
    return conversation


def _contact_inbox(account_id: int, inbox: Inbox, source_id: str | None,
                   contact_id: int | None) -> tuple[Contact, ContactInbox]:
    contact_inbox = contacts.contact_inbox(inbox.id, source_id) if source_id else None
    if contact_inbox is not None:
        return contacts.get_contact(account_id, contact_inbox.contact_id), contact_inbox
    if contact_id is None:
        raise Invalid("source_id must name a contact inbox of this inbox, or contact_id must be given",
                      field="source_id")
    contact = contacts.get_contact(account_id, contact_id)
    return contact, contacts.contact_inbox_for(contact, inbox) or contacts.create_contact_inbox(contact, inbox, source_id)
