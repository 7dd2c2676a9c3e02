"""The door every human message goes through, and a new conversation's: the dashboard,
the widget, the Client API, automation's and macros' messages and the channels' inbound
all post here. `post_message` checks and stores the files (services/messaging/attachments.py),
writes the message with its events (conversations.write_message), then does what follows
a new message (`after_message`): a reopened conversation's snooze and assignment, the
inbox's automatic replies, auto-resolve's schedule (services/messaging/auto_messages.py). Above
conversations and the automatic replies, which post their own template messages straight
through conversations.write_message (nothing follows those)."""
from __future__ import annotations

from typing import Callable

from ...errors import Invalid, NotFound
from ...models.contact import Contact, ContactInbox
from ...models.conversation import Conversation, Message
from ...models.inbox import Inbox
from . import attachments, auto_messages
from ..conversation import conversations


def start_conversation(inbox: Inbox, contact: Contact, contact_inbox: ContactInbox, **options) -> Conversation:
    """conversations.create_conversation, then auto-resolve's schedule for it."""
    conversation = conversations.create_conversation(inbox, contact, contact_inbox, **options)
    auto_messages.after_conversation_created(conversation)
    return conversation


def post_message(conversation: Conversation | None, *, uploader: str | None = None, uploads: list[str] | None = None,
                 files: list[attachments.InlineFile] | None = None, start: Callable[[], Conversation] | None = None,
                 account_id: int | None = None, **message) -> Message:
    """Write a message (conversations.write_message's fields) with its files, then what
    follows it. Every file is checked before anything is written; if the message write
    then fails, the stored copies are removed again (and only then: a message that was
    written keeps its files whatever fails after). With `start` (and `account_id`) instead
    of a conversation, as for a visitor's first message, the conversation is created only
    once the files have passed. A retry (same echo_id) of a message already stored returns
    that message, and nothing follows it a second time."""
    uploads, files = list(uploads or []), list(files or [])
    account_id = conversation.account_id if conversation is not None else account_id
    if not uploads and not files and not (message.get("content") or "").strip():
        raise Invalid("Message content can't be blank", field="content")
    try:
        accepted = attachments.accept(account_id, uploader, uploads, files)
    except NotFound:
        # The first attempt of a retried send stored its message and consumed the uploads.
        earlier = None
        if conversation is not None and message.get("echo_id"):
            earlier = conversations.echoed(conversation, message["echo_id"], sender_type=message.get("sender_type"),
                                           sender=message.get("sender"))
        if earlier is None:
            raise
        return earlier
    if conversation is None:
        conversation = start()
    stored: list[dict] = []
    try:
        for item in accepted:
            stored.append(attachments.store(conversation, item))
        written = conversations.write_message(conversation, attachments=stored, **message)
    except Exception:
        # The write failed, so nothing refers to them. Not BaseException: a function that is
        # stopped (its timeout) runs no handler anyway, and one stopped after the commit
        # must keep the files its stored message refers to.
        attachments.delete([record["key"] for record in stored])
        raise
    # A retry's own copies: the message stored earlier refers to the first attempt's files.
    kept = {record.get("key") for record in written.message.attachments or []}
    attachments.delete([record["key"] for record in stored if record["key"] not in kept])
    attachments.delete(uploads)  # copied: the upload's own expiry would remove it too, a day later
    if written.created:
        after_message(conversation, written.message, written.reopened)
    return written.message


def after_message(conversation: Conversation, message: Message, reopened: str | None = None) -> None:
    """What follows a new message once it is stored with its events: a reopened
    conversation's snooze schedule and assignment, automatic replies, auto-resolve.
    Separate so ingest can finish a message whose first attempt died right after the
    write (services/messaging/ingest.py)."""
    if reopened:
        conversations.after_reopen(conversation, reopened)
    auto_messages.after_message(conversation, message)  # greeting, out of office, auto-resolve


def delete_message(conversation: Conversation, message: Message) -> Message:
    """conversations.delete_message, and the message's files leave the bucket too."""
    keys = [record["key"] for record in message.attachments or [] if record.get("key")]
    deleted = conversations.delete_message(conversation, message)
    attachments.delete(keys)
    return deleted
