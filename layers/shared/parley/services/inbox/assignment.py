"""Auto-assignment: round robin over the agents of an inbox (or of a team, within the
inbox) who are online right now.

Online means both: a live dashboard socket (a heartbeat in the last minute) and the
availability the agent chose is "online" — busy and offline agents are skipped, as in
Chatwoot. The rotation remembers the last agent picked, in one account object per inbox
or team ("round_robin#inbox#<id>"), saved with its version condition: two conversations
created at once cannot both take the same turn; the loser re-reads and takes the next."""
from __future__ import annotations

from pynamodb.exceptions import PutError

from ...models.account import AccountUser
from ...models.account_object import AccountObject
from ...models.conversation import Conversation
from ...models.inbox import Inbox
from ..access import connections
from . import inboxes
from ..account import teams

MAX_TRIES = 5


def online_agents(account_id: int, candidate_ids: set[int]) -> list[int]:
    """The candidates who are connected and have chosen "online", in id order."""
    if not candidate_ids:
        return []
    live = connections.online_user_ids(account_id) & set(candidate_ids)
    if not live:
        return []
    members = AccountUser.batch_get([(account_id, user_id) for user_id in live])
    return sorted(m.user_id for m in members if m.availability == "online")


def _load(account_id: int, key: str) -> AccountObject | None:
    try:
        return AccountObject.get(account_id, key, consistent_read=True)
    except AccountObject.DoesNotExist:
        return None


def next_in_rotation(account_id: int, rotation: str, eligible: list[int]) -> int | None:
    """The first eligible agent after the one picked last (wrapping round), recorded as
    the new last pick with a conditional write; None if nobody is eligible."""
    if not eligible:
        return None
    key = f"round_robin#{rotation}"
    for _ in range(MAX_TRIES):
        item = _load(account_id, key) or AccountObject(account_id, key, id=0, data={})
        last = item.data.get("last_user_id")
        choice = next((u for u in eligible if last is None or u > last), eligible[0])
        item.data = {**item.data, "last_user_id": choice}
        try:
            item.save()  # the version attribute makes this conditional
            return choice
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    # Rotation contended beyond reason: leave it unassigned rather than double up.
    return None


def for_inbox(inbox: Inbox) -> int | None:
    """Who gets a conversation that opens in this inbox without an assignee."""
    if not inbox.enable_auto_assignment:
        return None
    eligible = online_agents(inbox.account_id, set(inboxes.member_ids(inbox.id)))
    limit = (inbox.auto_assignment_config or {}).get("max_assignment_limit")
    if limit:
        eligible = [u for u in eligible if open_in_inbox(inbox, u) < limit]
    return next_in_rotation(inbox.account_id, f"inbox#{inbox.id}", eligible)


def open_in_inbox(inbox: Inbox, user_id: int) -> int:
    """The agent's open conversations in this inbox: a COUNT Query on their assignee-index
    partition (only run when the inbox sets a max_assignment_limit)."""
    key = Conversation.assignee_key_for(inbox.account_id, user_id, "open")
    return Conversation.assignee_index.count(key, filter_condition=Conversation.inbox_id == inbox.id)


def for_conversation(conversation: Conversation) -> int | None:
    try:
        inbox = Inbox.get(conversation.inbox_id)
    except Inbox.DoesNotExist:
        return None
    return for_inbox(inbox)


def for_team(conversation: Conversation, team_id: int) -> int | None:
    """A team with allow_auto_assign hands an unassigned conversation to one of its online
    members who work in the conversation's inbox (as Chatwoot does)."""
    team = teams.get(conversation.account_id, team_id)
    if not team.data.get("allow_auto_assign", True):
        return None
    candidates = set(teams.member_ids(team)) & set(inboxes.member_ids(conversation.inbox_id))
    eligible = online_agents(conversation.account_id, candidates)
    return next_in_rotation(conversation.account_id, f"team#{team_id}", eligible)
