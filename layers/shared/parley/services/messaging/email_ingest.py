"""A received mail, stored as a message: channels/email.py parses it and reads SES's
verdicts; here it is routed (reply address, thread, else a new conversation) and written
(sanitised body, checked files, verdicts) through the ingest claim protocol
(services/messaging/ingest.receive, keyed by its Message-ID), so it is stored exactly once.

Routing, first match wins: a `reply+<conversation uuid>@<inbound domain>` recipient; an
`In-Reply-To` or `References` id that is a message Parley stored or sent in that inbox;
else a new conversation. A flagged mail (spam, virus, unauthenticated From) is filed in a
conversation of its own, never threaded into one it names."""
from __future__ import annotations

from ... import filetypes, permissions, security_log
from ...channels import email
from ...channels.inbound import Inbound
from ...errors import AccountSuspended, Invalid
from ...models.conversation import Conversation
from ...models.inbox import Inbox
from ...models.unique import UniqueClaim
from ...settings import get_settings
from . import attachments, ingest, messages
from ..conversation import conversations


def process(item: dict) -> int:
    """One queued S3 notice of a stored mail (channels/email.s3_notice): 1 if it became a
    message. A suspended account's mail is held whole, as ingest.process holds any item."""
    try:
        return int(receive_s3(item.get("s3_bucket"), item["s3_key"]) is not None)
    except AccountSuspended as exc:
        ingest.hold(exc.account_id, item)
        return 0


def _target(key: str) -> list[str] | None:
    try:
        return UniqueClaim.get(key).target.split("#")
    except UniqueClaim.DoesNotExist:
        return None


def _inbox(inbox_id: int) -> Inbox | None:
    try:
        inbox = Inbox.get(inbox_id)
    except Inbox.DoesNotExist:
        return None
    return inbox if inbox.channel_type == "email" else None


def route(parsed: email.ParsedEmail) -> tuple[Inbox | None, Conversation | None]:
    """(inbox, conversation or None) the mail is for, or (None, None)."""
    for address in parsed.recipients:
        conversation_uuid = email.reply_uuid(address)
        if conversation_uuid:
            target = _target(email.conversation_claim_key(conversation_uuid))
            if target:
                try:
                    conversation = Conversation.get(int(target[1]), int(target[2]))
                except Conversation.DoesNotExist:
                    continue
                inbox = _inbox(conversation.inbox_id)
                if inbox is not None:
                    return inbox, conversation
    # Our own (inbound-domain) addresses first: the forwarding address is a secret of its
    # inbox, while a support address is whatever an inbox named, and forwarded mail still
    # has the original To. Matching that first would hand one account's forwarded mail to
    # another account that named the same support address.
    domain = email.inbound_domain()
    ours = [a for a in parsed.recipients if domain and a.endswith("@" + domain)]
    for address in ours + [a for a in parsed.recipients if a not in ours]:
        target = _target(email.inbox_claim_key(address))
        if target:
            inbox = _inbox(int(target[1]))
            if inbox is not None:
                return inbox, None
    return None, None


def _threaded(inbox: Inbox, parsed: email.ParsedEmail) -> Conversation | None:
    """The conversation an In-Reply-To / References id of this inbox belongs to."""
    for reference in [parsed.in_reply_to, *reversed(parsed.references)]:
        claimed = ingest.claimed(inbox.id, reference) if reference else None
        if claimed:
            try:
                return Conversation.get(claimed[0], claimed[1])
            except Conversation.DoesNotExist:
                continue
    return None


def _files(parsed: email.ParsedEmail) -> list[attachments.InlineFile]:
    """Attachments fit to store: within the size limit, and honest about their type (a
    lying one is dropped, not the whole mail)."""
    kept = []
    for item in parsed.attachments:
        declared = filetypes.normalize(item.content_type) or "application/octet-stream"
        try:
            if len(item.data) > attachments.max_bytes():
                continue
            filetypes.check(declared, item.data[:filetypes.SNIFF_BYTES])
        except ValueError:
            continue
        kept.append(attachments.InlineFile(item.filename, declared, item.data))
    return kept


def receive_s3(bucket: str | None, key: str):
    """Store one mail from the mail bucket as a message. Returns the message, or None when
    the mail is for no inbox, a duplicate, or a loop of Parley's own mail. Only the
    stack's mail bucket is read, whatever a queued item names."""
    expected = get_settings().mail_bucket
    if not expected or bucket != expected or not isinstance(key, str) or not key.startswith("inbound/"):
        raise Invalid("not a mail in the mail bucket")
    return receive_raw(email.fetch(bucket, key), fallback_id=f"s3:{key[-400:]}")


def receive_raw(raw: bytes, *, fallback_id: str):
    """Store one mail through the ingest claim protocol (services/messaging/ingest.receive, keyed by
    its Message-ID), with email's own routing (reply address, thread, else a new
    conversation) and writing (sanitised body, checked files, SES's verdicts)."""
    parsed = email.parse_mime(raw)
    if not parsed.from_email:
        return None  # nobody to answer (bounces without a sender, malformed From)
    domain = email.inbound_domain()
    if domain and parsed.from_email.endswith("@" + domain):
        return None  # our own mail coming back: never converse with ourselves
    inbox, addressed = route(parsed)
    if inbox is None:
        return None
    permissions.open_account(inbox.account_id)  # suspended: the mail is held (`process`)
    verdicts = email.read_verdicts(raw, parsed.from_email)
    flags = verdicts.flags()
    if flags:  # filed apart, never into a conversation the mail names
        security_log.refused("email_flagged", f"SES flagged the mail ({', '.join(flags)}): stored apart",
                             inbox_id=inbox.id, flags=flags, from_domain=email.domain_of(parsed.from_email))
        addressed = None
    provider_id = (parsed.message_id or fallback_id)[:500]
    inbound = Inbound(kind="message", provider_message_id=provider_id, source_id=parsed.from_email,
                      name=parsed.from_name or parsed.from_email.split("@")[0], email=parsed.from_email)

    def conversation_for():
        """The reply address's conversation, else the thread's, else a new one."""
        conversation = addressed or (None if flags else _threaded(inbox, parsed))
        if conversation is not None:
            return conversation, None
        contact, link = ingest.sender_contact(inbox, inbound)
        extra = {"email_flagged": flags} if flags else {}
        conversation = messages.start_conversation(
            inbox, contact, link, additional_attributes={"mail_subject": parsed.subject, "source": "email", **extra})
        email.claim_reply_address(conversation)
        return conversation, contact

    def write(conversation, contact, message_id: int):
        content, email_attributes = email.body_parts(parsed)
        if verdicts.as_dict():
            email_attributes["verdict"] = verdicts.as_dict()
        if flags:
            email_attributes["flagged"] = flags
        if "virus" in flags:  # never stored, so never signed or served to an agent
            files = []
            email_attributes["withheld_attachments"] = [a.filename[:255] for a in parsed.attachments]
        else:
            files = _files(parsed)
        if not content.strip() and not files:
            content = f"(no text) {parsed.subject}".strip() if parsed.subject else "(empty email)"
        # content_type stays "text": the reference spec's enum has no "incoming_email";
        # content_attributes.email marks the message as a mail.
        return messages.post_message(
            conversation, uploader=attachments.contact_uploader(contact.id), files=files, content=content,
            message_type=conversations.INCOMING, sender_type="Contact", sender=contact,
            source_id=provider_id, content_attributes={"email": email_attributes}, message_id=message_id)

    return ingest.receive(inbox, inbound, route=conversation_for, write=write)
