"""Live conversation counts (GET /api/v2/accounts/{id}/reports/conversations): read from
the count items the conversation writes keep in their own transactions
(services/conversation/conversation_queries.py `count_moves`), a few Queries on key
prefixes whatever the number of conversations; and their rebuild from the stored
conversations, in bounded chunks (docs/data-model.md, "Conversation counts").
"""
from __future__ import annotations

from collections import Counter

from ...models.account_object import AccountObject
from ...models.conversation import STATUSES, Conversation
from ...models.conversation_index import COUNT_KIND, TEAM_COUNT_KIND, UNATTENDED_KIND, ConversationCount
from ..conversation import conversation_queries as queries

REBUILD_KIND = "live_counts_rebuild"
REBUILD_CHUNK = 500  # conversations a rebuild step reads


def _items(account_id: int, prefix: str):
    return ConversationCount.query(account_id, ConversationCount.key.startswith(prefix), page_size=1000)


def unattended(account_id: int) -> dict[tuple[int, int], int]:
    """{(inbox id, assignee id or 0): open conversations unattended} (one Query)."""
    found = {}
    for item in _items(account_id, f"{UNATTENDED_KIND}#"):
        _, inbox_id, assignee_id = item.key.split("#")
        found[(int(inbox_id), int(assignee_id))] = max(int(item.value or 0), 0)
    return found


def team_counts(account_id: int) -> dict[tuple[str, int], int]:
    """{(status, team id): conversations} (one Query)."""
    found = {}
    for item in _items(account_id, f"{TEAM_COUNT_KIND}#"):
        _, status, team_id = item.key.split("#")
        found[(status, int(team_id))] = max(int(item.value or 0), 0)
    return found


def buckets(account_id: int, statuses=("open", "pending")) -> dict[tuple[str, int, int], int]:
    return {bucket: max(n, 0) for bucket, n in queries.buckets(account_id, statuses).items()}


def account(account_id: int) -> dict:
    """Chatwoot's account live counts: {open, unattended, unassigned, pending} (3 Queries)."""
    counted = buckets(account_id)
    waiting = unattended(account_id)
    return {"open": sum(n for (status, _, _), n in counted.items() if status == "open"),
            "unattended": sum(waiting.values()),
            "unassigned": sum(n for (status, _, assignee), n in counted.items() if status == "open" and not assignee),
            "pending": sum(n for (status, _, _), n in counted.items() if status == "pending")}


def per_agent(account_id: int) -> dict[int, dict]:
    """{agent id: {open, unattended}} of open conversations assigned to each agent."""
    counted = buckets(account_id, ("open",))
    waiting = unattended(account_id)
    result: dict[int, dict] = {}
    for (_, _, assignee), n in counted.items():
        if assignee:
            result.setdefault(assignee, {"open": 0, "unattended": 0})["open"] += n
    for (_, assignee), n in waiting.items():
        if assignee:
            result.setdefault(assignee, {"open": 0, "unattended": 0})["unattended"] += n
    return result


def per_team(account_id: int) -> dict[int, dict]:
    """{team id: {open, pending, resolved, snoozed}}."""
    result: dict[int, dict] = {}
    for (status, team_id), n in team_counts(account_id).items():
        result.setdefault(team_id, dict.fromkeys(STATUSES, 0))[status] = n
    return result


def per_inbox(account_id: int) -> dict[int, dict]:
    """{inbox id: {open, pending, snoozed, resolved}} of every conversation (one Query)."""
    result: dict[int, dict] = {}
    for (status, inbox_id, _), n in buckets(account_id, STATUSES).items():
        counts = result.setdefault(inbox_id, dict.fromkeys(STATUSES, 0))
        counts[status] += n
    return result


# ------------------------------------------------------------------ rebuild

def _rebuild_key() -> str:
    return AccountObject.key_for(REBUILD_KIND, 0)


def rebuild_step(account_id: int, limit: int = REBUILD_CHUNK) -> bool:
    """One bounded step of recomputing an account's count items (buckets, unattended,
    team × status) from its stored conversations: reads at most `limit` conversations
    after the step before (the cursor and the partial tallies live in one account object),
    and once every conversation is read, writes every count item to its tally (items
    no conversation counts in any more to 0) and forgets the cursor. Returns True when
    done. Re-runnable: a new run starts from the first conversation. Writes that move
    counts while a rebuild runs are not seen by it: run it when an installation upgrades
    (the new counters start empty), or to repair."""
    try:
        state = AccountObject.get(account_id, _rebuild_key(), consistent_read=True)
    except AccountObject.DoesNotExist:
        state = AccountObject(account_id, _rebuild_key(), id=0, data={"after": 0, "tallies": {}})
    after = int(state.data.get("after", 0))
    tallies = Counter(state.data.get("tallies", {}))
    page = list(Conversation.query(account_id, Conversation.display_id > after, limit=limit,
                                   consistent_read=True))
    for conversation in page:
        for key in queries.live_keys(queries.state_of(conversation)):
            tallies[key] += 1
    if len(page) == limit:
        state.data = {"after": int(page[-1].display_id), "tallies": dict(tallies)}
        state.save()
        return False
    existing = {item.key for prefix in (f"{COUNT_KIND}#", f"{UNATTENDED_KIND}#", f"{TEAM_COUNT_KIND}#")
                for item in _items(account_id, prefix)}
    with ConversationCount.batch_write() as batch:
        for key in existing | set(tallies):
            batch.save(ConversationCount(account_id, key, value=tallies.get(key, 0)))
    if state.version is not None:
        state.delete()
    return True


def rebuild(account_id: int, limit: int = REBUILD_CHUNK, max_steps: int | None = None) -> bool:
    """Run rebuild steps until done (or `max_steps`); True when done."""
    steps = 0
    while not rebuild_step(account_id, limit):
        steps += 1
        if max_steps is not None and steps >= max_steps:
            return False
    return True
