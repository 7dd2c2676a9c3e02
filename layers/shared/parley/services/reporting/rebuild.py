"""Rebuilding an account's reporting events and rollups from the conversations and
messages already stored (docs/reports.md, "Rebuild"): every installation has months of
history from before the reporting consumer existed.

The rebuild does exactly what the live consumer does for each conversation
(recorder.record_conversation: compute every occurrence, record the missing ones with
their claims), so it is idempotent and re-runnable at any time: what is recorded already
is skipped, and it can run while the consumer runs. It walks the account's conversations
in display id order, CHUNK at a time; each run is one job of the account-jobs queue
(services/lifecycle/account_jobs.py), which queues the next chunk until it is done. Its
progress (the last display id done, counts) is the account's `reporting_rebuild#0` object,
so a failed run is retried from where it stands and the dashboard can show it."""
from __future__ import annotations

import time

from pynamodb.exceptions import PutError

from ...errors import Conflict
from ...models.account_object import AccountObject
from ...models.conversation import Conversation
from ...models.inbox import Inbox
from . import recorder

JOB = "rebuild_reporting"
KIND = "reporting_rebuild"
CHUNK = 50  # conversations per run (each: its messages' Query, one BatchGetItem, the missing writes)
STALE_SECONDS = 15 * 60  # a running rebuild with no progress for this long may be started again


def state_key() -> str:
    return AccountObject.key_for(KIND, 0)


def state(account_id: int) -> dict:
    """{status: none | running | done, after, conversations, recorded, started_at, finished_at}."""
    try:
        item = AccountObject.get(account_id, state_key(), consistent_read=True)
    except AccountObject.DoesNotExist:
        return {"status": "none"}
    return dict(item.data)


def start(account_id: int, now: float | None = None) -> dict:
    """Mark a rebuild started from the first conversation (the caller queues its first
    chunk). 409 while one is running and making progress."""
    now = int(now or time.time())
    try:
        item = AccountObject.get(account_id, state_key(), consistent_read=True)
    except AccountObject.DoesNotExist:
        item = AccountObject(account_id, state_key(), id=0)
    if (item.data or {}).get("status") == "running" and now - int(item.data.get("progressed_at", 0)) < STALE_SECONDS:
        raise Conflict("A rebuild of the reports is running already")
    item.data = {"status": "running", "after": 0, "conversations": 0, "recorded": 0, "started_at": now,
                 "progressed_at": now, "finished_at": None}
    try:
        item.save()
    except PutError as exc:  # another start won the race (the version attribute)
        raise Conflict("A rebuild of the reports is running already") from exc
    return dict(item.data)


def run(account_id: int, limit: int = CHUNK) -> bool:
    """One chunk: record the missing occurrences of the next `limit` conversations. True
    when the rebuild is finished (or none is running), else the caller queues the next."""
    try:
        item = AccountObject.get(account_id, state_key(), consistent_read=True)
    except AccountObject.DoesNotExist:
        return True
    data = dict(item.data or {})
    if data.get("status") != "running":
        return True
    after = int(data.get("after", 0))
    rows = list(Conversation.query(account_id, Conversation.display_id > after, limit=limit, consistent_read=True))
    inboxes = {i.id: i for i in Inbox.batch_get({c.inbox_id for c in rows})} if rows else {}
    recorded = 0
    for conversation in rows:
        recorded += recorder.record_conversation(conversation, inboxes.get(conversation.inbox_id))
    done = len(rows) < limit
    now = int(time.time())
    data.update(after=rows[-1].display_id if rows else after, conversations=int(data.get("conversations", 0)) + len(rows),
                recorded=int(data.get("recorded", 0)) + recorded, progressed_at=now)
    if done:
        data.update(status="done", finished_at=now)
    item.data = data
    item.save()
    return done
