"""Messages Parley sends by itself: the inbox's greeting and out-of-office reply, run
inline right after a contact's message is stored (see docs/data-model.md for why not a
consumer), and the auto-resolve bookkeeping after any activity.

They are Chatwoot's `template` messages (message_type 3) with no sender, and they never
trigger anything themselves: the hook returns at once for them, so no greeting answers a
greeting, and automation consumers can recognise them by type and missing sender.
"""
from __future__ import annotations

import time
from typing import Callable

from ...models.conversation import Conversation, Message
from ...models.inbox import Inbox
from . import auto_resolve
from ..account import business_hours
from ..conversation import conversations

AGENT_ACTIVE_SECONDS = 5 * 60  # Chatwoot: no out-of-office reply into a conversation an agent is in
RECENT_MESSAGES = 50


def is_system(message: Message) -> bool:
    return message.message_type == conversations.TEMPLATE and message.sender_type is None


def after_conversation_created(conversation: Conversation) -> None:
    auto_resolve.track(conversation)


def after_message(conversation: Conversation, message: Message) -> None:
    """The hook services/messaging/messages.after_message calls once the message is stored and published."""
    if is_system(message):
        return  # the caller that posted it tracks the activity itself
    if message.message_type == conversations.INCOMING and message.sender_type == "Contact":
        reply_to_contact(conversation)
    auto_resolve.track(conversation)


def _agent_replied_recently(conversation: Conversation, now: float) -> bool:
    since = now - AGENT_ACTIVE_SECONDS
    # Newest first; ids grow with time, so stop at the first message older than the window.
    for message in Message.query(conversation.key, scan_index_forward=False, limit=RECENT_MESSAGES):
        if message.created_at.timestamp() < since:
            return False
        if message.message_type == conversations.OUTGOING:
            return True
    return False


def _claim(conversation: Conversation, attribute: str, due: Callable[[Conversation], bool], now: int) -> bool:
    """Mark `attribute` sent if `due` still holds on the saved conversation. The version
    check in apply_change re-reads on a race, so two messages at once send it only once."""
    if not due(conversation):
        return False
    won = False

    def change(c: Conversation) -> None:
        nonlocal won
        won = due(c)
        if won:
            setattr(c, attribute, now)

    conversations.apply_change(conversation, change)
    return won


def _post(conversation: Conversation, content: str) -> None:
    """A template message: nothing follows it (`after_message` returns at once for it)."""
    conversations.write_message(conversation, content=content, message_type=conversations.TEMPLATE)


def reply_to_contact(conversation: Conversation) -> None:
    """Chatwoot's order: the out-of-office reply if the inbox is closed; otherwise the
    greeting, once, before anyone (agent or template) has written to the contact."""
    if conversation.status == "resolved":
        return  # still resolved after the contact wrote: muted or blocked, so stay quiet
    try:
        inbox = Inbox.get(conversation.inbox_id)
    except Inbox.DoesNotExist:
        return
    now = int(time.time())
    closed_since = business_hours.out_of_office_since(inbox, now)
    if closed_since is not None and not _agent_replied_recently(conversation, now):
        # At most once per closed period: a reply sent before this period began is old news.
        if _claim(conversation, "out_of_office_sent_at",
                  lambda c: c.out_of_office_sent_at is None or c.out_of_office_sent_at < closed_since, now):
            _post(conversation, inbox.out_of_office_message.strip())
            return
    if inbox.greeting_enabled and (inbox.greeting_message or "").strip():
        if _claim(conversation, "greeting_sent_at",
                  lambda c: c.greeting_sent_at is None and c.out_of_office_sent_at is None
                  and c.first_reply_created_at is None, now):
            _post(conversation, inbox.greeting_message.strip())
