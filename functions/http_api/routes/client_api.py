"""The Client API (/public/api/v1/inboxes/{inbox_identifier}/...): an API channel's
contacts, conversations and messages, called from the customer's own front end.

No token: the inbox identifier names the inbox, the contact identifier (a contact inbox's
source_id, random) names the contact. Everything ends in the same services as the widget."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Attributes, Body, ContactIdentity, body, path_id, query
from parley.errors import NotFound
from parley.services.messaging import client_api, messages
from parley.services.conversation import conversations
from parley.services.inbox import inboxes
from parley.views.client_api import public_contact, public_conversation, public_inbox, public_message

router = Router()
BASE = "/public/api/v1/inboxes/<inbox_identifier>"
CONVERSATION = BASE + "/contacts/<contact_identifier>/conversations/<conversation_id>"


class ConversationPayload(Body):
    custom_attributes: Attributes | None = Field(default=None, max_length=100)


class MessagePayload(Body):
    content: str = Field(min_length=1, max_length=conversations.MAX_CONTENT)
    echo_id: str | None = Field(default=None, max_length=64)


class MessageUpdate(Body):
    submitted_values: list[dict] | dict = Field(max_length=20)


class MessagesQuery(Body):
    before: int | None = Field(default=None, ge=1)
    after: int | None = Field(default=None, ge=0)


class Typing(Body):
    typing_status: str = Field(pattern=r"^(on|off)$")


MESSAGES_LIMIT = 100


def _inbox(inbox_identifier: str):
    return inboxes.by_identifier(inbox_identifier)


def _contact(inbox_identifier: str, contact_identifier: str):
    inbox = _inbox(inbox_identifier)
    contact_inbox, contact = client_api.session(inbox, contact_identifier)
    return inbox, contact_inbox, contact


def _conversation(inbox_identifier: str, contact_identifier: str, conversation_id: str):
    inbox, contact_inbox, contact = _contact(inbox_identifier, contact_identifier)
    return client_api.get_conversation(inbox, contact_inbox, path_id(conversation_id)), contact


def _shown(conversation, contact) -> dict:
    recent = conversations.list_messages(conversation, public_only=True)
    return public_conversation(conversation, contact, recent)


@router.get(BASE)
def show_inbox(inbox_identifier: str):
    return public_inbox(_inbox(inbox_identifier))


@router.post(BASE + "/contacts")
def create_contact(inbox_identifier: str):
    inbox = _inbox(inbox_identifier)
    payload = body(router, ContactIdentity, wrapper="contact").model_dump(exclude_unset=True)
    contact_inbox, contact = client_api.create_contact(inbox, **payload)
    return public_contact(contact, contact_inbox)


@router.get(BASE + "/contacts/<contact_identifier>")
def show_contact(inbox_identifier: str, contact_identifier: str):
    _, contact_inbox, contact = _contact(inbox_identifier, contact_identifier)
    return public_contact(contact, contact_inbox)


@router.route(BASE + "/contacts/<contact_identifier>", method=["PATCH", "PUT"])
def update_contact(inbox_identifier: str, contact_identifier: str):
    inbox, contact_inbox, contact = _contact(inbox_identifier, contact_identifier)
    payload = body(router, ContactIdentity, wrapper="contact").model_dump(exclude_unset=True)
    contact_inbox, contact = client_api.update_contact(inbox, contact_inbox, contact, **payload)
    return public_contact(contact, contact_inbox)


@router.get(BASE + "/contacts/<contact_identifier>/conversations")
def list_conversations(inbox_identifier: str, contact_identifier: str):
    _, contact_inbox, contact = _contact(inbox_identifier, contact_identifier)
    return [_shown(c, contact) for c in conversations.for_contact_inbox(contact_inbox)]


@router.post(BASE + "/contacts/<contact_identifier>/conversations")
def create_conversation(inbox_identifier: str, contact_identifier: str):
    inbox, contact_inbox, contact = _contact(inbox_identifier, contact_identifier)
    payload = body(router, ConversationPayload)
    conversation = messages.start_conversation(inbox, contact, contact_inbox,
                                               custom_attributes=payload.custom_attributes)
    return public_conversation(conversation, contact, [])


@router.get(CONVERSATION)
def show_conversation(inbox_identifier: str, contact_identifier: str, conversation_id: str):
    return _shown(*_conversation(inbox_identifier, contact_identifier, conversation_id))


@router.post(CONVERSATION + "/toggle_status")
def resolve(inbox_identifier: str, contact_identifier: str, conversation_id: str):
    """Chatwoot's Client API toggle_status resolves the conversation (the contact ends it)."""
    conversation, contact = _conversation(inbox_identifier, contact_identifier, conversation_id)
    conversations.toggle_status(conversation, "resolved")
    return _shown(conversation, contact)


@router.post(CONVERSATION + "/toggle_typing")
def toggle_typing(inbox_identifier: str, contact_identifier: str, conversation_id: str):
    conversation, contact = _conversation(inbox_identifier, contact_identifier, conversation_id)
    payload = body(router, Typing)
    conversations.typing(conversation, on=payload.typing_status == "on",
                         who={"id": contact.id, "name": contact.name, "type": "contact"})
    return {}


@router.post(CONVERSATION + "/update_last_seen")
def update_last_seen(inbox_identifier: str, contact_identifier: str, conversation_id: str):
    conversation, _ = _conversation(inbox_identifier, contact_identifier, conversation_id)
    conversations.mark_read_by_contact(conversation)
    return {}


@router.get(CONVERSATION + "/messages")
def list_messages(inbox_identifier: str, contact_identifier: str, conversation_id: str):
    conversation, _ = _conversation(inbox_identifier, contact_identifier, conversation_id)
    params = query(router, MessagesQuery)
    rows = conversations.list_messages(conversation, before=params.before, after=params.after, public_only=True,
                                       limit=MESSAGES_LIMIT)
    return [public_message(m) for m in rows]


@router.post(CONVERSATION + "/messages")
def create_message(inbox_identifier: str, contact_identifier: str, conversation_id: str):
    conversation, contact = _conversation(inbox_identifier, contact_identifier, conversation_id)
    payload = body(router, MessagePayload)
    message = messages.post_message(conversation, content=payload.content,
                                    message_type=conversations.INCOMING, sender_type="Contact",
                                    sender=contact, echo_id=payload.echo_id)
    return public_message(message)


@router.route(CONVERSATION + "/messages/<message_id>", method=["PATCH", "PUT"])
def update_message(inbox_identifier: str, contact_identifier: str, conversation_id: str, message_id: str):
    """The contact answers an interactive message (options, a form, a CSAT survey)."""
    conversation, _ = _conversation(inbox_identifier, contact_identifier, conversation_id)
    payload = body(router, MessageUpdate)
    message = conversations.get_message(conversation, path_id(message_id))
    if message.private or message.message_type == conversations.ACTIVITY:
        raise NotFound("Message not found")
    if message.content_type == "input_csat":  # a CSAT survey's answer (services/csat)
        from parley.services.csat import responses

        responses.rate_message(message, payload.submitted_values)
        return public_message(conversations.get_message(conversation, message.id))
    updated = conversations.update_message_content_attributes(conversation, message,
                                                              {"submitted_values": payload.submitted_values})
    return public_message(updated)
