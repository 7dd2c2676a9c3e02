"""How conversation lists, counts and filters read DynamoDB, at the same cost for 1,000 or
20,000 conversations in an account.

- Counts come from count buckets (models/conversation_index.py `ConversationCount`): one
  item per (status, inbox, assignee), moved in the same transaction as the conversation
  write that changes one of the three. Reading them is one Query of a few items per inbox
  and agent; no COUNT query walks the conversations.
- Rows come from index partitions read newest activity first: status-index
  (account × status), assignee-index (account × assignee × status) or inbox-index
  (account × inbox × status). The buckets say how many conversations each partition
  holds, so the plan reads the smallest set of partitions that holds every wanted
  conversation, and an in-memory test drops the rest. Reading stops when the page is
  full or after a bounded number of items.
"""
from __future__ import annotations

import heapq
from typing import Callable, Iterable, Iterator

from ...models.account import AccountUser
from ...models.conversation import STATUSES, Conversation
from ...models.conversation_index import COUNT_KIND, ConversationCount

Bucket = tuple[str, int, int]  # (status, inbox id, assignee id or 0)
MAX_PARTITIONS = 40  # more partitions than this cost more requests than they save items


def bucket_of(conversation: Conversation) -> Bucket:
    return conversation.status, conversation.inbox_id, conversation.assignee_id or 0


# What a conversation counts in: its bucket, whether it is unattended, its team (0: none).
State = tuple[str, int, int, bool, int]


def unattended(conversation: Conversation) -> bool:
    """Chatwoot's unattended: open, and no agent has answered yet or a customer is waiting
    since the last answer (first_reply_created_at / waiting_since, kept by the messages)."""
    c = conversation
    return c.status == "open" and (c.first_reply_created_at is None or c.waiting_since is not None)


def state_of(conversation: Conversation) -> State:
    return (*bucket_of(conversation), unattended(conversation), conversation.team_id or 0)


def live_keys(state: State | None) -> list[str]:
    """The count items a conversation in `state` adds one to: its bucket, its unattended
    item (inbox × assignee) when unattended, its team × status item when it has a team."""
    if state is None:
        return []
    status, inbox_id, assignee_id, waiting, team_id = state
    keys = [ConversationCount.key_for(status, inbox_id, assignee_id)]
    if waiting:
        keys.append(ConversationCount.unattended_key(inbox_id, assignee_id))
    if team_id:
        keys.append(ConversationCount.team_key(status, team_id))
    return keys


def count_moves(tx, account_id: int, before: State | None, after: State | None) -> None:
    """Add to transaction `tx` the moves of one conversation from state `before` (None: it
    is new) to `after` (None: it is gone): -1 on the count items it leaves, +1 on those it
    joins (live counts: docs/data-model.md, "Conversation counts")."""
    if before == after:
        return
    left, joined = live_keys(before), live_keys(after)
    for keys, others, delta in ((left, joined, -1), (joined, left, 1)):
        for key in keys:
            if key not in others:
                tx.update(ConversationCount(account_id, key), actions=[ConversationCount.value.add(delta)])


def buckets(account_id: int, statuses: Iterable[str]) -> dict[Bucket, int]:
    """The account's non-empty buckets of these statuses: one Query (all statuses share a
    prefix) or one per status."""
    statuses = list(statuses)
    prefixes = [f"{COUNT_KIND}#"] if set(statuses) == set(STATUSES) else [ConversationCount.prefix_for(s)
                                                                         for s in statuses]
    found: dict[Bucket, int] = {}
    for prefix in prefixes:
        for item in ConversationCount.query(account_id, ConversationCount.key.startswith(prefix), page_size=1000):
            if item.value:
                found[item.bucket] = int(item.value)
    return found


def summary(counts: dict[Bucket, int], member: AccountUser, inboxes: set[int] | None) -> dict:
    """Chatwoot's meta counts from the buckets of the inboxes the caller sees."""
    mine = unassigned = total = 0
    for (_, inbox_id, assignee_id), n in counts.items():
        if inboxes is not None and inbox_id not in inboxes:
            continue
        total += n
        if assignee_id == 0:
            unassigned += n
        elif assignee_id == member.user_id:
            mine += n
    return {"mine_count": mine, "unassigned_count": unassigned, "assigned_count": total - unassigned,
            "all_count": total}


def plan(account_id: int, counts: dict[Bucket, int], statuses: Iterable[str], *, inboxes: set[int] | None = None,
         assignees: set[int] | None = None) -> list[tuple[object, str]]:
    """The cheapest index partitions that together hold every conversation with one of
    `statuses`, in one of `inboxes` and assigned to one of `assignees` (None: any; 0 is
    unassigned), judged by the bucket counts: [(index, hash key), ...]."""
    statuses = list(statuses)

    def size(test: Callable[[Bucket], bool]) -> int:
        return sum(n for bucket, n in counts.items() if bucket[0] in statuses and test(bucket))

    options = [(size(lambda b: True), [(Conversation.status_index, Conversation.status_key_for(account_id, s))
                                       for s in statuses])]
    if assignees is not None and len(assignees) * len(statuses) <= MAX_PARTITIONS:
        options.append((size(lambda b: b[2] in assignees),
                        [(Conversation.assignee_index, Conversation.assignee_key_for(account_id, a, s))
                         for a in sorted(assignees) for s in statuses]))
    if inboxes is not None and len(inboxes) * len(statuses) <= MAX_PARTITIONS:
        options.append((size(lambda b: b[1] in inboxes),
                        [(Conversation.inbox_index, Conversation.inbox_key_for(account_id, i, s))
                         for i in sorted(inboxes) for s in statuses]))
    return min(options, key=lambda option: (option[0], len(option[1])))[1]


def read(partitions: list[tuple[object, str]], test: Callable[[Conversation], bool], wanted: int,
         read_limit: int, page_size: int) -> tuple[list[Conversation], bool]:
    """Up to `wanted` conversations passing `test`, newest activity first, from the merged
    partitions; at most `read_limit` items are examined. Returns them and whether the
    read stopped at the limit (older conversations were not examined)."""
    streams = [index.query(key, scan_index_forward=False, page_size=page_size) for index, key in partitions]
    merged: Iterator[Conversation] = heapq.merge(*streams, key=lambda c: -c.last_activity_at)
    rows, seen, examined = [], set(), 0
    if wanted <= 0:
        return rows, False
    for conversation in merged:
        if examined >= read_limit:
            return rows, True
        examined += 1
        if conversation.display_id in seen:
            continue
        seen.add(conversation.display_id)
        if test(conversation):
            rows.append(conversation)
            if len(rows) >= wanted:
                break
    return rows, False
