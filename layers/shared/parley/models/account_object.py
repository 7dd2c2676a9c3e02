"""An account's small configuration objects, one table for all kinds.

Key: (account_id, "<kind>#<id, zero-padded>"), so listing a kind is one Query on a key
prefix, in id order, and tenant isolation is in the key. Team members are
"team_member#<team id>#<user id>": a team's members are one Query too.
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from .base import TimestampedModel, table_meta

# A custom role's kind (services/access/custom_roles.py): permissions.py reads an agent's role by it.
CUSTOM_ROLE = "custom_role"
# An agent bot's kind (services/account/agent_bots.py): auth.py finds a bot token's bot by it.
AGENT_BOT = "agent_bot"


class AccountObject(TimestampedModel):
    Meta = table_meta("account_objects_table")

    account_id = NumberAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    id = NumberAttribute()
    data = JSONAttribute(default=dict)
    version = VersionAttribute()

    @staticmethod
    def key_for(kind: str, object_id: int) -> str:
        return f"{kind}#{object_id:012d}"


# Conversation participants (services/conversation/participants.py): one item per
# conversation and participant, and its mirror per participant and conversation, so both
# "who follows this conversation" and "which conversations does this agent follow"
# (permissions.py, for conversation_participating_manage) are one Query on a prefix.

def participant_prefix(display_id: int) -> str:
    return f"participant#{display_id:012d}#"


def participant_key(display_id: int, user_id: int) -> str:
    return f"{participant_prefix(display_id)}{user_id:012d}"


def participating_prefix(user_id: int) -> str:
    return f"participating#{user_id:012d}#"


def participating_key(user_id: int, display_id: int) -> str:
    return f"{participating_prefix(user_id)}{display_id:012d}"


# A conversation being deleted (services/lifecycle/conversation_deletion.py): written in the
# transaction that removes the conversation item, deleted when its cascade has removed
# everything else of it. Holds what the cascade needs once the conversation item is gone.
CONVERSATION_DELETION = "conversation_deletion"


def conversation_deletion_prefix() -> str:
    return f"{CONVERSATION_DELETION}#"


def conversation_deletion_key(display_id: int) -> str:
    return AccountObject.key_for(CONVERSATION_DELETION, display_id)


# An inbox's link to the Captain assistant answering in it (services/captain/assistants.py):
# the key is the claim (an inbox has one assistant) and the lookup (one GetItem). Deleting
# the inbox deletes it (services/inbox/inboxes.py), which knows no service above it.
CAPTAIN_INBOX = "captain_inbox"


def captain_inbox_key(inbox_id: int) -> str:
    return AccountObject.key_for(CAPTAIN_INBOX, inbox_id)


# The account's CSAT tallies are complete (services/csat/tallies.py): every survey of it is
# counted in them, so the metrics may read them. Written when the account is created (it
# has no survey yet) or when the reporting rebuild has counted the surveys from before.
CSAT_TALLIES = "csat_tallies"


def csat_tallies_key() -> str:
    return AccountObject.key_for(CSAT_TALLIES, 0)


# A one-off campaign's recipients (services/rules/campaign_sending.py): one item per
# campaign and contact, written only if absent in the transaction that writes the
# contact's conversation and message, so a retried chunk never messages anyone twice. Its status counts are Counter items (campaign_counter), moved in
# the same transaction as the recipient's status (services/messaging/campaign_outcomes.py).
CAMPAIGN_RECIPIENT = "campaign_recipient"


def campaign_recipient_prefix(campaign_id: int) -> str:
    return f"{CAMPAIGN_RECIPIENT}#{campaign_id:012d}#"


def campaign_recipient_key(campaign_id: int, contact_id: int) -> str:
    return f"{campaign_recipient_prefix(campaign_id)}{contact_id:012d}"


def campaign_counter(account_id: int, campaign_id: int, status: str) -> str:
    """The Counter item's name holding how many of the campaign's recipients are `status`."""
    return f"Account#{account_id}/Campaign#{campaign_id}/{status}"


def send_pace_counter(account_id: int, inbox_id: int) -> str:
    """The Counter item holding the inbox's last campaign send slot (services/messaging/delivery.py)."""
    return f"Account#{account_id}/SendPace#{inbox_id}"
