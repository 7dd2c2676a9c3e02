"""Conversations and their messages."""
from __future__ import annotations

from pynamodb.attributes import (BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute,
                                 UnicodeAttribute, VersionAttribute)
from pynamodb.indexes import GlobalSecondaryIndex

from .base import TimestampedModel, global_index, table_meta

STATUSES = ("open", "resolved", "pending", "snoozed")
UNASSIGNED = 0
# How many of its newest messages a conversation remembers having applied: a lost activity
# write is caught up by its retry unless this many newer messages landed before it.
APPLIED_KEPT = 8
# How many resolutions and reopenings a conversation keeps for reporting (status_marks).
MARKS_KEPT = 60


def by_activity(index_name: str, **hash_key) -> GlobalSecondaryIndex:
    """A list of conversations, newest activity first: every list index sorts this way."""
    return global_index(index_name, last_activity_at=NumberAttribute(range_key=True), **hash_key)


class Conversation(TimestampedModel):
    """Access: by (account, display id); lists by status, by assignee+status or by
    inbox+status, newest activity first (status-index, assignee-index, inbox-index); a
    contact's conversations (contact-index). The index keys are derived in `sync_keys()` before every save."""

    Meta = table_meta("conversations_table")

    account_id = NumberAttribute(hash_key=True)
    display_id = NumberAttribute(range_key=True)
    uuid = UnicodeAttribute()
    inbox_id = NumberAttribute()
    contact_id = NumberAttribute()
    source_id = UnicodeAttribute()  # the contact inbox's source_id
    status = UnicodeAttribute(default="open")
    assignee_id = NumberAttribute(null=True)
    team_id = NumberAttribute(null=True)
    priority = UnicodeAttribute(null=True)
    labels = ListAttribute(of=UnicodeAttribute, default=list)
    custom_attributes = JSONAttribute(default=dict)
    additional_attributes = JSONAttribute(default=dict)
    muted = BooleanAttribute(default=False)
    snoozed_until = NumberAttribute(null=True)
    last_activity_at = NumberAttribute()  # epoch milliseconds
    agent_last_seen_at = NumberAttribute(default=0)  # epoch seconds
    contact_last_seen_at = NumberAttribute(default=0)
    assignee_last_seen_at = NumberAttribute(default=0)
    waiting_since = NumberAttribute(null=True)
    first_reply_created_at = NumberAttribute(null=True)
    unread_count = NumberAttribute(default=0)  # incoming messages since an agent last looked
    last_message = JSONAttribute(null=True)  # the newest non-private message, for list rows
    campaign_id = NumberAttribute(null=True)  # the campaign that started it (services/rules/ongoing_campaigns.py)
    sla_policy_id = NumberAttribute(null=True)  # the SLA policy applied to it (once, services/sla/applied.py)
    applied_sla = JSONAttribute(null=True)  # its applied SLA as rendered, with its sla_events (same transaction)
    # The newest messages whose activity (unread count, waiting, last message) this item
    # shows, at most APPLIED_KEPT: a retry finds here whether its message's activity write
    # was lost (services/conversation/conversations.catch_up_activity).
    applied_message_ids = ListAttribute(of=NumberAttribute, null=True)
    # Parley's own template messages (services/messaging/auto_messages.py, auto_resolve.py), epoch seconds.
    greeting_sent_at = NumberAttribute(null=True)
    out_of_office_sent_at = NumberAttribute(null=True)
    auto_resolve_at = NumberAttribute(null=True)  # the deadline the pending auto-resolve schedule is for
    # Reporting (services/reporting/timeline.py, docs/reports.md), epoch seconds, written in the
    # status change's own write: the latest resolution (None while not resolved), the bot's
    # handoff to the humans, whether a bot held it from the start (it began pending), and the
    # resolutions and reopenings, [kind, at, assignee id] oldest first, the newest MARKS_KEPT.
    resolved_at = NumberAttribute(null=True)
    bot_handoff_at = NumberAttribute(null=True)
    bot_held = BooleanAttribute(null=True)
    status_marks = JSONAttribute(null=True)
    status_key = UnicodeAttribute()
    assignee_key = UnicodeAttribute()
    inbox_key = UnicodeAttribute(null=True)
    version = VersionAttribute()

    status_index = by_activity("status-index", status_key=UnicodeAttribute(hash_key=True))
    assignee_index = by_activity("assignee-index", assignee_key=UnicodeAttribute(hash_key=True))
    inbox_index = by_activity("inbox-index", inbox_key=UnicodeAttribute(hash_key=True))
    contact_index = by_activity("contact-index", contact_id=NumberAttribute(hash_key=True))

    @staticmethod
    def status_key_for(account_id: int, status: str) -> str:
        return f"{account_id}#{status}"

    @staticmethod
    def assignee_key_for(account_id: int, assignee_id: int | None, status: str) -> str:
        return f"{account_id}#{assignee_id or UNASSIGNED}#{status}"

    @staticmethod
    def inbox_key_for(account_id: int, inbox_id: int, status: str) -> str:
        return f"{account_id}#{inbox_id}#{status}"

    def sync_keys(self) -> None:
        self.status_key = self.status_key_for(self.account_id, self.status)
        self.assignee_key = self.assignee_key_for(self.account_id, self.assignee_id, self.status)
        self.inbox_key = self.inbox_key_for(self.account_id, self.inbox_id, self.status)

    def save(self, *args, **kwargs):
        self.sync_keys()
        return super().save(*args, **kwargs)

    @property
    def key(self) -> str:
        return f"{self.account_id}#{self.display_id}"


class Message(TimestampedModel):
    """Access: a conversation's messages by id (ids grow, so id order is time order);
    pages are `id < before`, newest first, reversed for display."""

    Meta = table_meta("messages_table")

    conversation_key = UnicodeAttribute(hash_key=True)  # "<account id>#<display id>"
    id = NumberAttribute(range_key=True)
    account_id = NumberAttribute()
    inbox_id = NumberAttribute()
    conversation_id = NumberAttribute()  # the display id
    content = UnicodeAttribute(null=True)
    message_type = NumberAttribute()  # 0 incoming, 1 outgoing, 2 activity, 3 template
    content_type = UnicodeAttribute(default="text")
    content_attributes = JSONAttribute(default=dict)
    private = BooleanAttribute(default=False)
    status = UnicodeAttribute(default="sent")
    source_id = UnicodeAttribute(null=True)
    # When a delivery claimed the provider send (epoch seconds); kept with the provider's id
    # after it. A claim with no id is a send that may or may not have happened (services/messaging/delivery.py).
    sending_at = NumberAttribute(null=True)
    echo_id = UnicodeAttribute(null=True)
    sender_type = UnicodeAttribute(null=True)  # "User" | "Contact" | "AgentBot"
    sender_id = NumberAttribute(null=True)
    sender = JSONAttribute(null=True)  # name/avatar snapshot, so listing needs no joins
    attachments = JSONAttribute(default=list)
