"""Outbound delivery: an agent's reply (or a template message) in a channel inbox goes out
through that channel's `send`, from the deliver consumer, never while the agent waits.

Success stores the provider's message id on the message (`source_id`, status `sent`) and
claims it, so the provider's status updates find the message. A Permanent failure, or a
Retryable one on the last attempt, marks the message `failed` with the reason in
`content_attributes.external_error` (Chatwoot's field) and publishes message.updated, so
the dashboard shows it. A message that already has a provider id or has failed is never
sent again.

Sent at most once. No provider takes an idempotency key (Telegram, WhatsApp, Twilio and SES
hand their id back after the send), so exactly once is impossible: a delivery first claims
the send (`sending_at`, conditional on no claim and no provider id), then calls the
provider, then records its id. A delivery that finds a claim with no id, older than any
attempt can live, does not send again: the earlier attempt died between the call and the
record, so the message is marked failed with `delivery_unknown` and the reason, and the
agent decides (`retry`, Chatwoot's retry action). A Retryable refusal gives the claim back.

A one-off campaign's message (content_attributes.campaign_id) reports its outcome, sent
or failed with the reason, to its recipient (services/messaging/campaign_outcomes.py). Its
send keeps the provider's rate (channels.send_rate): each takes the inbox's next send slot
(`_pace`), one interval after the one before, and waits for it right before calling the
provider; a slot further off than PACE_MAX_WAIT comes back later instead (Retryable). The
campaign job paces the messages it creates at the same rate, so that is rare.
"""
from __future__ import annotations

import time

from pynamodb.exceptions import TransactWriteError, UpdateError

from ... import channels, dynamo
from ...channels import Permanent, Retryable
from ...errors import Invalid
from ...models.account_object import send_pace_counter
from ...models.base import utcnow
from ...models.counter import Counter
from ...models.conversation import Message
from ...models.inbox import Inbox
from ..contact import contacts
from ..conversation import conversations
from . import campaign_outcomes, ingest

# Longer than a deliver invocation can run (its timeout, 10 s): a claim this old belongs
# to an attempt that is gone.
SEND_LEASE_SECONDS = 60
RETRIED = "progress"  # the status `retry` gives a message: the deliver consumer sends it again
UNKNOWN = ("Delivery unknown: an earlier attempt stopped after calling the provider and before it "
           "answered, so the customer may or may not have received it. Retry to send it again.")

SENDABLE = (conversations.OUTGOING, conversations.TEMPLATE)
PACE_MARGIN = 1.1  # slots 10% wider than 1/rate: network jitter moves arrivals at the provider
PACE_MAX_WAIT = 1.0  # seconds a delivery waits for its slot (the function's timeout is 10 s)


def _pace(inbox: Inbox) -> None:
    """Take the inbox's next campaign send slot (its Counter, send_pace_counter, holds the
    last slot taken, epoch ms) and wait for it: no two sends closer than 1/rate."""
    name = send_pace_counter(inbox.account_id, inbox.id)
    interval = int(1000 * PACE_MARGIN / channels.send_rate(inbox))
    for _ in range(20):
        now = int(time.time() * 1000)
        try:
            last = int(Counter.get(name, consistent_read=True).value)
        except Counter.DoesNotExist:
            last = None
        slot = now if last is None else max(now, last + interval)
        if slot - now > PACE_MAX_WAIT * 1000:
            exc = Retryable("Waiting for the provider's send rate")
            exc.seconds = max(1, (slot - now) // 1000)
            raise exc
        try:
            Counter(name).update(actions=[Counter.value.set(slot)],
                                 condition=Counter.name.does_not_exist() if last is None else Counter.value == last)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                continue  # another send took it: take the next one
            raise
        wait = slot / 1000 - time.time()
        if wait > 0:
            time.sleep(wait)
        return
    raise Retryable("Too many sends at once for the provider's send rate")


def _fail(conversation, message: Message, reason: str, *, unknown: bool = False) -> None:
    message.status = "failed"
    message.content_attributes = {**(message.content_attributes or {}), "external_error": reason[:500]}
    if unknown:
        message.content_attributes["delivery_unknown"] = True
    conversations.update_message(conversation, message, [Message.status.set("failed"),
                                                         Message.content_attributes.set(message.content_attributes),
                                                         Message.updated_at.set(utcnow())])
    campaign_outcomes.delivered(message, conversation.contact_id, "failed", reason)


def _claim_send(message: Message) -> bool:
    """Take the one right to call the provider for this message; False if an earlier
    attempt holds it (or recorded the send)."""
    try:
        message.update(actions=[Message.sending_at.set(int(time.time()))],
                       condition=Message.sending_at.does_not_exist() & Message.source_id.does_not_exist())
        return True
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            message.refresh(consistent_read=True)
            return False
        raise


def _give_back(message: Message) -> None:
    """The provider refused (Retryable): it did not take the message, so a retry may send."""
    message.update(actions=[Message.sending_at.remove()],
                   condition=Message.sending_at == message.sending_at)


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
        # The attempt that recorded its outcome may have stopped before reporting it (a no-op if not).
        campaign_outcomes.report(account_id, display_id, message)
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
    if contact_inbox is None:
        _fail(conversation, message, "The contact has no identity in this channel")
        return "failed"
    if not _claim_send(message):
        if message.source_id or message.status == "failed":
            return "done before"
        if time.time() - (message.sending_at or 0) < SEND_LEASE_SECONDS:
            raise Retryable("another attempt is sending this message")
        _fail(conversation, message, UNKNOWN, unknown=True)
        return "delivery unknown"
    try:
        if (message.content_attributes or {}).get("campaign_id") is not None:
            _pace(inbox)
        provider_id = module.send(inbox, conversation, message, contact_inbox)
    except Permanent as exc:
        _fail(conversation, message, exc.reason)
        return "failed"
    except Retryable as exc:
        if last_attempt:
            _fail(conversation, message, f"{exc.reason} (gave up after retrying)")
            return "failed"
        _give_back(message)
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
    campaign_outcomes.delivered(message, conversation.contact_id, "sent")
    return "sent"


def retry(conversation, message: Message) -> Message:
    """An agent sends a failed message again (Chatwoot's retry): its failure and send claim
    are cleared and message.updated goes out, which the deliver consumer takes as a new
    delivery. Only an outgoing message of a channel that sends, never delivered, can be."""
    if message.status != "failed" or message.source_id or message.private or message.message_type not in SENDABLE:
        raise Invalid("Only a failed outgoing message that was never delivered can be retried")
    attributes = {k: v for k, v in (message.content_attributes or {}).items()
                  if k not in ("external_error", "delivery_unknown")}
    message.status, message.content_attributes, message.sending_at = RETRIED, attributes, None
    try:
        conversations.update_message(conversation, message, [
            Message.status.set(RETRIED), Message.content_attributes.set(attributes),
            Message.sending_at.remove(), Message.updated_at.set(utcnow())],
            condition=(Message.status == "failed") & Message.source_id.does_not_exist())
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            raise Invalid("The message changed meanwhile; reload it") from None
        raise
    return message
