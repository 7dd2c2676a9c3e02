"""Outbound delivery: an agent's reply (or a template message) in a channel inbox goes out
through that channel's `send`, from the deliver consumer, never while the agent waits.

Success stores the provider's message id on the message (`source_id`, status `sent`) and
claims it, so the provider's status updates find the message. A Permanent failure, or a
Retryable one on the last attempt, marks the message `failed` with the reason in
`content_attributes.external_error` (Chatwoot's field) and publishes message.updated, so
the dashboard shows it. A message that already has a provider id or has failed is never
sent again."""
from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from .. import channels, dynamo
from ..channels import Permanent, Retryable
from ..models.base import utcnow
from ..models.conversation import Message
from ..models.inbox import Inbox
from . import contacts, conversations, ingest

SENDABLE = (conversations.OUTGOING, conversations.TEMPLATE)


def _fail(conversation, message: Message, reason: str) -> None:
    message.status = "failed"
    message.content_attributes = {**(message.content_attributes or {}), "external_error": reason[:500]}
    conversations.update_message(conversation, message, [Message.status.set("failed"),
                                                         Message.content_attributes.set(message.content_attributes),
                                                         Message.updated_at.set(utcnow())])


def deliver(account_id: int, display_id: int, message_id: int, *, last_attempt: bool) -> str:
    """Send one message. Returns what happened (sent, failed, or why nothing was done);
    raises Retryable when the provider may accept it later and attempts remain."""
    try:
        message = Message.get(f"{account_id}#{display_id}", message_id, consistent_read=True)
    except Message.DoesNotExist:
        return "gone"
    if message.private or message.message_type not in SENDABLE:
        return "not for the channel"
    if message.source_id or message.status == "failed":
        return "done before"
    try:
        inbox = Inbox.get(message.inbox_id)
    except Inbox.DoesNotExist:
        return "gone"
    module = channels.module(inbox.channel_type)
    if module is None or not hasattr(module, "send"):
        return "not for the channel"
    conversation = conversations.get_conversation(account_id, display_id)
    contact_inbox = contacts.contact_inbox(inbox.id, conversation.source_id)
    try:
        if contact_inbox is None:
            raise Permanent("The contact has no identity in this channel")
        provider_id = module.send(inbox, conversation, message, contact_inbox)
    except Permanent as exc:
        _fail(conversation, message, exc.reason)
        return "failed"
    except Retryable as exc:
        if last_attempt:
            _fail(conversation, message, f"{exc.reason} (gave up after retrying)")
            return "failed"
        raise
    message.source_id, message.status = provider_id[:512], "sent"
    try:
        conversations.update_message(conversation, message, [Message.source_id.set(message.source_id),
                                                             Message.status.set("sent"), Message.updated_at.set(utcnow())],
                                     condition=Message.source_id.does_not_exist())
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            return "done before"  # a concurrent duplicate delivery recorded its send first
        raise
    ingest.claim_sent(message, message.source_id)
    return "sent"
