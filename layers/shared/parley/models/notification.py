"""An agent's notifications (mentions, assignments, new messages), one item each."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import KeysOnlyProjection

from .base import TimestampedModel, global_index, table_meta

# An applied SLA's misses (services/sla): Chatwoot's types, one per clock.
SLA_TYPES = ("sla_missed_first_response", "sla_missed_next_response", "sla_missed_resolution")
TYPES = ("conversation_creation", "conversation_assignment", "assigned_conversation_new_message",
         "participating_conversation_new_message", "conversation_mention") + SLA_TYPES
# An agent's notification settings select flags of these, listed in Chatwoot's order.
SETTINGS_TYPES = ("conversation_creation", "conversation_assignment", "conversation_mention",
                  "assigned_conversation_new_message", "participating_conversation_new_message") + SLA_TYPES
ALL_EMAIL_FLAGS = tuple(f"email_{t}" for t in SETTINGS_TYPES)
ALL_PUSH_FLAGS = tuple(f"push_{t}" for t in SETTINGS_TYPES)


class Notification(TimestampedModel):
    """Access: a user's notifications in an account, newest first (Query on owner); one by
    (owner, id) — a notification id of someone else is simply not found; the unread ones
    (unread-index). TTL `expires_at` drops old ones, like Chatwoot's cleanup job."""

    Meta = table_meta("notifications_table")

    owner = UnicodeAttribute(hash_key=True)  # "<account id>#<user id>"
    id = NumberAttribute(range_key=True)
    account_id = NumberAttribute()
    user_id = NumberAttribute()
    notification_type = UnicodeAttribute()
    primary_actor_type = UnicodeAttribute(default="Conversation")
    primary_actor_id = NumberAttribute()
    primary_actor = JSONAttribute(default=dict)  # snapshot of the conversation
    secondary_actor = JSONAttribute(null=True)  # the message or the agent, when there is one
    push_message_title = UnicodeAttribute(default="")
    push_message_body = UnicodeAttribute(default="")
    read_at = NumberAttribute(null=True)  # epoch seconds
    unread_owner = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()

    # Sparse: only unread notifications carry `unread_owner`, so the unread count reads unread
    # items only, however many read ones a user keeps.
    unread_index = global_index("unread-index",
                                KeysOnlyProjection(),
                                unread_owner=UnicodeAttribute(hash_key=True),
                                id=NumberAttribute(range_key=True))

    @staticmethod
    def owner_for(account_id: int, user_id: int) -> str:
        return f"{account_id}#{user_id}"
