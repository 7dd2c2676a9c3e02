"""Inbound channel traffic: webhooks enqueue what providers send; channel_ingest turns
each queued item into messages (or delivery status changes) through the same
conversation services every other door uses.

Idempotency: a provider's message id is claimed in the Uniques table
(`channel_message#<inbox>#<provider id>` -> "Pending#<account>#<display id>#<message id>")
before the message is written, with the message id allocated up front, and marked
"Message#..." once the message and its events are done. A retry that finds a complete
claim is a duplicate; one that finds it pending finishes the earlier attempt's work with
the same message id (written or not). Either way one message. A pending claim younger
than LEASE_SECONDS may still belong to a live worker (the provider retried its webhook
and both copies are being processed at once): the second waits (InFlight, the queue
retries it) rather than finish the same work twice. Outgoing messages claim their
provider id when they are sent (services/messaging/delivery.py), so status updates find them the
same way.
"""
from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager
from functools import partial
from typing import Callable

from aws_lambda_powertools import Logger
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from ... import aws, dynamo, ids, permissions
from ...channels.inbound import Inbound
from ...errors import AccountSuspended, Invalid, NotFound, Retry
from ...models.account_object import AccountObject
from ...models.base import utcnow
from ...models.contact import Contact, ContactInbox
from ...models.conversation import Conversation, Message
from ...models.inbox import Inbox
from ...models.unique import UniqueClaim
from ...settings import get_settings
from ..contact import contacts
from ..conversation import conversations
from . import campaign_outcomes, messages

MAX_QUEUED_BYTES = 240_000  # SQS takes 256 KiB per message, with room for the envelope
# Delivery states only move forward; a late "delivered" never undoes "read".
RANK = {"progress": 0, "sent": 1, "delivered": 2, "read": 3}


logger = Logger(child=True)
# Twice channel_ingest's timeout (30 s): a pending claim older than this has no live worker.
LEASE_SECONDS = 60


class InFlight(Retry):
    """Another worker claimed this provider message and has not written it yet: retry
    later, once its lease may have run out, not after the queue's whole visibility timeout
    (a worker that died mid-write, e.g. in a restart, would hold its messages back for
    minutes)."""

    def __init__(self, provider_message_id: str):
        super().__init__(f"another worker holds message {provider_message_id[:100]}", LEASE_SECONDS)


# ---------------------------------------------------------------- enqueue (webhook side)

def queue_url() -> str:
    return get_settings().required("ingest_queue_url")


def enqueue(channel: str, inbox_id: int, payload) -> None:
    body = json.dumps({"channel": channel, "inbox_id": inbox_id, "payload": payload, "received_at": int(time.time())})
    if len(body.encode()) > MAX_QUEUED_BYTES:
        raise Invalid("Webhook payload is too large")
    aws.client("sqs").send_message(QueueUrl=queue_url(), MessageBody=body)


# ---------------------------------------------------------------- ingest (consumer side)

def claim_key(inbox_id: int, provider_message_id: str) -> str:
    return f"channel_message#{inbox_id}#{provider_message_id}"


def claimed(inbox_id: int, provider_message_id: str) -> tuple[int, int, int, bool] | None:
    """(account id, conversation display id, message id, complete) the provider id is
    claimed for. The target is "Pending#..." from the claim until the message and
    everything after it (conversation activity, events) are done, then "Message#..."."""
    try:
        claim = UniqueClaim.get(claim_key(inbox_id, provider_message_id), consistent_read=True)
    except UniqueClaim.DoesNotExist:
        return None
    state, account_id, display_id, message_id = claim.target.split("#")
    return int(account_id), int(display_id), int(message_id), state == "Message"


def take_over(inbox_id: int, provider_message_id: str) -> None:
    """Lease a pending claim whose worker is gone (its lease ran out, or it let go on
    failure); InFlight if a live worker still holds it."""
    now = int(time.time())
    try:
        UniqueClaim(claim_key(inbox_id, provider_message_id)).update(
            actions=[UniqueClaim.claimed_at.set(now)],
            condition=UniqueClaim.target.startswith("Pending#")
            & (UniqueClaim.claimed_at.does_not_exist() | (UniqueClaim.claimed_at < now - LEASE_SECONDS)))
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise InFlight(provider_message_id) from None
        raise


@contextmanager
def holding(inbox_id: int, provider_message_id: str):
    """Around a worker's work on its pending claim: if the work fails, the lease is let go
    at once, so the queue's retry need not wait it out."""
    try:
        yield
    except Exception:
        try:
            UniqueClaim(claim_key(inbox_id, provider_message_id)).update(
                actions=[UniqueClaim.claimed_at.remove()], condition=UniqueClaim.target.startswith("Pending#"))
        except Exception:  # the lease then simply runs out
            logger.warning("could not release an ingest claim", extra={"provider_message_id": provider_message_id})
        raise


def set_claim(inbox_id: int, provider_message_id: str, message_key: tuple[int, int, int], state: str,
              condition=None) -> None:
    claim = UniqueClaim(claim_key(inbox_id, provider_message_id))
    claim.target = "{}#{}#{}#{}".format(state, *message_key)
    claim.claimed_at = int(time.time()) if state == "Pending" else None
    claim.save(condition=condition)


def claim_sent(message: Message, provider_message_id: str) -> None:
    """Record an outgoing message's provider id so status updates find it."""
    set_claim(message.inbox_id, provider_message_id, (message.account_id, message.conversation_id, message.id),
               "Message")


def _message(account_id: int, display_id: int, message_id: int) -> Message | None:
    try:
        return Message.get(f"{account_id}#{display_id}", message_id, consistent_read=True)
    except Message.DoesNotExist:
        return None


def ingest(inbox: Inbox, inbound: Inbound) -> Message | None:
    """Apply one inbound item. Returns the message created or changed; None when there
    was nothing to do (a duplicate, a status for a message Parley never sent, a stale status)."""
    if not inbound.provider_message_id or len(inbound.provider_message_id) > 512:
        raise Invalid("provider message id is missing or too long")
    if inbound.kind == "status":
        return apply_status(inbox, inbound)
    return receive(inbox, inbound)


def sender_contact(inbox: Inbox, inbound: Inbound) -> tuple[Contact, ContactInbox]:
    """The sender as this inbox knows them, created on first contact. A known phone number
    or email links the new channel identity to the account's existing contact."""
    if not inbound.source_id or len(inbound.source_id) > 255:
        raise Invalid("sender id is missing or too long")
    for attempt in range(2):
        link = contacts.contact_inbox(inbox.id, inbound.source_id)
        if link is not None:
            return Contact.get(link.contact_id), link
        existing = None
        for key, value in (("phone_number", inbound.phone_number), ("email", inbound.email)):
            existing = existing or contacts.find_by_unique(inbox.account_id, key, value)
        try:
            if existing is not None:
                link = contacts.create_contact_inbox(existing, inbox, inbound.source_id)
            else:
                link = contacts.new_contact(inbox.account_id, name=inbound.name[:255], phone_number=inbound.phone_number,
                                            email=inbound.email, inbox=inbox, source_id=inbound.source_id)[1]
            return Contact.get(link.contact_id), link
        except Invalid:
            # A concurrent message from the same sender linked them (or took the phone
            # number) between our read and our write: read again and use theirs.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _conversation(inbox: Inbox, contact: Contact, link: ContactInbox) -> Conversation:
    """The sender's unresolved conversation in this inbox, else a new one (Chatwoot's rule
    for messaging channels). Opening one claims it on the contact inbox
    (`open_conversation_id`, written only if it still holds what we read, in the new
    conversation's transaction): two first messages of a new sender processed at once
    open one conversation, and the second joins the first's."""
    for attempt in range(2):
        for conversation in conversations.for_contact_inbox(link):
            if conversation.status != "resolved":
                return conversation
        if link.open_conversation_id is not None:  # the contact index may not show it yet
            try:
                claimed_conversation = conversations.get_conversation(inbox.account_id, link.open_conversation_id)
            except NotFound:
                claimed_conversation = None
            if claimed_conversation is not None and claimed_conversation.status != "resolved":
                return claimed_conversation
        try:
            return messages.start_conversation(inbox, contact, link, also=partial(_claim_open, link))
        except TransactWriteError as exc:
            if attempt or "ConditionalCheckFailed" not in dynamo.cancellation_codes(exc):
                raise
            link.refresh(consistent_read=True)  # another message opened one: find it
    raise AssertionError("unreachable")


def _claim_open(link: ContactInbox, tx, conversation: Conversation) -> None:
    held = ContactInbox.open_conversation_id
    tx.update(ContactInbox(link.inbox_id, link.source_id), actions=[held.set(conversation.display_id)],
              condition=ContactInbox.source_id.exists()
              & (held.does_not_exist() if link.open_conversation_id is None else held == link.open_conversation_id))


def _content(inbound: Inbound) -> str:
    text = (inbound.content or "").strip()
    if not text and inbound.attachments:
        names = [a.get("file_name") or a.get("file_type") or "file" for a in inbound.attachments]
        text = "Attachment: " + ", ".join(names)
    return text[:conversations.MAX_CONTENT]


def _by_sender(inbox: Inbox, inbound: Inbound) -> tuple[Conversation, Contact]:
    """Where a messaging channel's new message goes: its sender's open conversation."""
    contact, link = sender_contact(inbox, inbound)
    return _conversation(inbox, contact, link), contact


def _write_text(inbound: Inbound, conversation: Conversation, contact: Contact, message_id: int) -> Message:
    """A messaging channel's message: its text, with the provider's file references."""
    attributes = dict(inbound.content_attributes)
    if inbound.attachments:
        attributes["provider_attachments"] = inbound.attachments[:10]
    if inbound.in_reply_to:
        attributes["in_reply_to_external_id"] = inbound.in_reply_to[:512]
    return messages.post_message(
        conversation, content=_content(inbound), message_type=conversations.INCOMING, sender_type="Contact",
        sender=contact, source_id=inbound.provider_message_id, content_attributes=attributes, message_id=message_id)


def receive(inbox: Inbox, inbound: Inbound, *, route: Callable[[], tuple[Conversation, Contact | None]] | None = None,
            write: Callable[[Conversation, Contact, int], Message] | None = None) -> Message | None:
    """Store one inbound message exactly once (the claim protocol in the module's doc).

    What differs between channels is two hooks: `route()` gives the conversation a message
    not yet claimed goes to, and its contact when it has it at hand (default: the sender's
    open conversation, else a new one); `write(conversation, contact, message_id)` stores
    the message under the id claimed for it (default: text and the provider's file
    references). Email routes by reply address and thread, and stores its body and files."""
    pmid = inbound.provider_message_id
    route = route or partial(_by_sender, inbox, inbound)
    write = write or partial(_write_text, inbound)
    claim = claimed(inbox.id, pmid)
    if claim and claim[3]:
        return None  # the provider's retry of something already stored
    if claim:
        # An earlier attempt claimed it and is gone: before the message was written (write
        # it, with the same message id), or after (it was stored with its events: finish
        # what follows a message).
        take_over(inbox.id, pmid)
        contact = None
        account_id, display_id, message_id = claim[:3]
        conversation = conversations.get_conversation(account_id, display_id)
        written = _message(account_id, display_id, message_id)
    else:
        conversation, contact = route()
        message_id, written = ids.next_id("Message"), None
        try:
            set_claim(inbox.id, pmid, (conversation.account_id, conversation.display_id, message_id), "Pending",
                      condition=UniqueClaim.key.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            if (claimed(inbox.id, pmid) or (0, 0, 0, False))[3]:
                return None
            raise InFlight(pmid) from None
    with holding(inbox.id, pmid):
        if contact is None or contact.id != conversation.contact_id:
            try:
                contact = Contact.get(conversation.contact_id)
            except Contact.DoesNotExist:
                raise NotFound("Contact not found") from None
        if written is not None:
            reopened = conversations.catch_up_activity(conversation, written, bool(contact.blocked))
            messages.after_message(conversation, written, reopened)
            message = written
        else:
            message = write(conversation, contact, message_id)
        set_claim(inbox.id, pmid, (conversation.account_id, conversation.display_id, message.id), "Message")
    return message


def apply_status(inbox: Inbox, inbound: Inbound) -> Message | None:
    """Move an outgoing message's delivery status forward (never back: read > delivered >
    sent); `failed` only replaces sent, with the provider's reason."""
    status = inbound.status
    if status not in RANK and status != "failed":
        raise Invalid(f"unknown delivery status {status!r}")
    claim = claimed(inbox.id, inbound.provider_message_id)
    message = _message(*claim[:3]) if claim else None
    if message is None:
        return None
    allowed = ["progress", "sent"] if status == "failed" else [s for s, rank in RANK.items() if rank < RANK[status]]
    if message.status not in allowed:
        if status == message.status == "failed":
            # A repeat (the provider's, or this item's after a crash below): the campaign
            # recipient hears it again, a no-op when it heard it the first time.
            campaign_outcomes.report(claim[0], claim[1], message)
        return None
    actions = [Message.status.set(status), Message.updated_at.set(utcnow())]
    if status == "failed":
        attributes = {**(message.content_attributes or {}), "external_error": (inbound.reason or "Delivery failed")[:500]}
        actions.append(Message.content_attributes.set(attributes))
    conversation = conversations.get_conversation(claim[0], claim[1])
    message.status = status
    if status == "failed":
        message.content_attributes = attributes
    try:
        conversations.update_message(conversation, message, actions, condition=Message.status.is_in(*allowed))
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            return None  # a newer status won the race
        raise
    if status == "failed":
        campaign_outcomes.delivered(message, conversation.contact_id, "failed", attributes["external_error"])
    return message


HELD = "held_ingest"  # AccountObjects kind: items of a suspended account, kept until it reopens


def hold(account_id: int, item: dict) -> None:
    """Keep a queued item of a suspended account in its own partition (retrievable, and
    removed with the account if it is deleted); services/lifecycle/account_jobs.release_held puts it
    back on the queue when the account is reactivated. Keyed by arrival time and content,
    so a redelivered item is held once."""
    digest = hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:32]
    held = AccountObject(account_id, f"{HELD}#{int(item.get('received_at') or 0):012d}#{digest}", id=0, data=item)
    try:
        held.save()
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    logger.info("held an ingest item of a suspended account", extra={"account_id": account_id, "key": held.key})


def process(item: dict) -> int:
    """One queued item: applied, or held whole if its account is suspended (nothing of it
    is stored until the account reopens; see `hold`)."""
    try:
        return _process(item)
    except AccountSuspended as exc:
        hold(exc.account_id, item)
        return 0


def _process(item: dict) -> int:
    """One queued webhook payload (a mail's S3 notice is services/messaging/email_ingest.process's):
    parse it with its channel's module and ingest what it says. Returns how many inbound
    items were applied. Items that can never succeed (unknown inbox, malformed content) are
    logged by the caller and dropped: ParleyError. Anything else propagates, so SQS retries
    the item; retries are safe because every step is idempotent."""
    from ... import channels
    from ...errors import ParleyError

    channel = item.get("channel")
    module = channels.module(channel) if isinstance(channel, str) else None
    if module is None:
        raise Invalid(f"unknown channel {channel!r}")
    inbox_id = item.get("inbox_id")
    if not isinstance(inbox_id, int):
        raise Invalid("inbox_id is missing")
    try:
        inbox = Inbox.get(inbox_id)
    except Inbox.DoesNotExist:
        raise NotFound("Inbox not found") from None
    if inbox.channel_type != channel:
        raise Invalid(f"inbox {inbox_id} is not a {channel} inbox")
    permissions.open_account(inbox.account_id)  # suspended: held by process(); being deleted: dropped
    applied = 0
    for inbound in module.parse(inbox, item.get("payload")):
        try:
            applied += ingest(inbox, inbound) is not None
        except ParleyError as exc:  # this one item is malformed; the rest of the payload still counts
            logger.warning("inbound item dropped", extra={"reason": exc.message})
    return applied
