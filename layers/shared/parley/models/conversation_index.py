"""Items that make conversation lists and searches cheap at any size: per-bucket counts of
conversations and per-message search terms. Both are written in the same transaction as
the conversation or message they describe (services/conversation/conversations.py)."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import KeysOnlyProjection
from pynamodb.models import Model

from .base import global_index, table_meta

COUNT_KIND = "conversation_count"
UNATTENDED_KIND = "conversation_unattended"
TEAM_COUNT_KIND = "conversation_team_count"


class ConversationCount(Model):
    """How many of an account's conversations are in one (status, inbox, assignee) bucket.

    Stored in the account objects table under key
    "conversation_count#<status>#<inbox id>#<assignee id or 0>", so one Query on the prefix
    "conversation_count#<status>#" reads every bucket of a status: a few items per inbox
    and agent, however many conversations there are. Agents' counts sum the buckets of
    their inboxes only."""

    Meta = table_meta("account_objects_table")

    account_id = NumberAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    value = NumberAttribute(default=0)

    @staticmethod
    def key_for(status: str, inbox_id: int, assignee_id: int | None) -> str:
        return f"{COUNT_KIND}#{status}#{inbox_id:012d}#{assignee_id or 0:012d}"

    @staticmethod
    def prefix_for(status: str) -> str:
        return f"{COUNT_KIND}#{status}#"

    # Live counts for reports (services/reporting/live_counts.py), kept in the same
    # transactions: open conversations nobody has answered or whose customer waits, per
    # inbox × assignee; and conversations per team × status.
    @staticmethod
    def unattended_key(inbox_id: int, assignee_id: int | None) -> str:
        return f"{UNATTENDED_KIND}#{inbox_id:012d}#{assignee_id or 0:012d}"

    @staticmethod
    def team_key(status: str, team_id: int) -> str:
        return f"{TEAM_COUNT_KIND}#{status}#{team_id:012d}"

    @property
    def bucket(self) -> tuple[str, int, int]:
        """(status, inbox id, assignee id or 0) read back from the key."""
        _, status, inbox_id, assignee_id = self.key.split("#")
        return status, int(inbox_id), int(assignee_id)


class MessageTerm(Model):
    """One word of one message, for word-prefix search (see "Message search" in
    docs/data-model.md). Stored in the messages table beside the messages: key
    ("terms#<message id>", n), which never meets a conversation's key ("<account>#<id>").

    `term_pk` = "<account id>#<inbox id>": an agent searches only the inboxes they belong
    to. `term_sk` = "<word>\\x1f<message id inverted>\\x1f<conversation display id>": a
    word's messages come newest first and the message's key is read back from the index
    key (the index is keys-only)."""

    Meta = table_meta("messages_table")

    conversation_key = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    term_pk = UnicodeAttribute()
    term_sk = UnicodeAttribute()

    term_index = global_index("term-index",
                              KeysOnlyProjection(),
                              term_pk=UnicodeAttribute(hash_key=True),
                              term_sk=UnicodeAttribute(range_key=True))
