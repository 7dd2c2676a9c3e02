"""Rebuilding an account's reporting events and rollups from the conversations and
messages already stored (docs/reports.md, "Rebuild"): every installation has months of
history from before the reporting consumer existed.

The rebuild does exactly what the live consumer does for each conversation
(recorder.record_conversation: compute every occurrence, record the missing ones with
their claims), so it is idempotent and re-runnable at any time: what is recorded already
is skipped, and it can run while the consumer runs. It walks the account's conversations
in display id order, CHUNK at a time (fewer when their occurrences reach WRITES_PER_RUN
transactions); each run is one job of the account-jobs queue
(services/lifecycle/account_jobs.py), which queues the next chunk until it is done. Its
progress (the last display id done, counts) is the account's `reporting_rebuild#0` object,
so a failed run is retried from where it stands and the dashboard can show it.

Then, for each local-day phase of the account (services/reporting/rollups.py: days of a UTC
offset such as +05:30, kept only from the phase's `complete_since` on), it fills the
phase's past days back to the account's first conversation from the UTC days, hours and
quarters (always complete): DAYS_PER_RUN days a run, newest first, moving complete_since
back after each, so a report at that offset reads one bucket per day from then on. A phase
whose complete_since is not yet past (added today) is left for a later rebuild.

Between the two, unless the account's CSAT tallies are complete already, its CSAT surveys
from before the tallies existed are counted in them (services/csat/tallies.sync_next, 200
surveys a run), after which the CSAT metrics read the tallies.

Last, the live counts (services/reporting/live_counts.py: unattended, per team and status)
are recomputed from the conversations, REBUILD_CHUNK conversations a run."""
from __future__ import annotations

import time

from pynamodb.exceptions import TransactWriteError

from ... import audit, dynamo
from ...errors import Conflict
from ...models.account import AccountUser
from ...models.account_object import AccountObject
from ...models.conversation import Conversation
from ...models.inbox import CHANNEL_TYPES, Inbox
from ..account import labels, teams
from ..csat import tallies
from . import live_counts, recorder, rollups

JOB = "rebuild_reporting"
KIND = "reporting_rebuild"
CHUNK = 50  # conversations per run (each: its messages' Query, one BatchGetItem, the missing writes)
WRITES_PER_RUN = 2000  # a run stops after the conversation that brought it to this many transactions
DAYS_PER_RUN = 14  # local days of a phase filled per run (each: one read of its series' UTC pieces, one write each)
SETTLED = 2 * rollups.PHASES_CACHE_SECONDS  # a day is filled once every writer has written its last occurrence
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
    """Mark a rebuild started from the first conversation, audited (`Account`
    `rebuild_reports`) in the same transaction; the caller queues its first chunk. 409
    while one is running and making progress."""
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
        with dynamo.transaction() as tx:  # audited with its start (docs/audit.md)
            tx.save(item)
            audit.add(tx, account_id, "Account", account_id, "rebuild_reports")
    except TransactWriteError as exc:  # another start won the race (the version attribute)
        if "ConditionalCheckFailed" not in dynamo.cancellation_codes(exc):
            raise
        raise Conflict("A rebuild of the reports is running already") from exc
    return dict(item.data)


def run(account_id: int, limit: int = CHUNK, days: int = DAYS_PER_RUN) -> bool:
    """One chunk: record the missing occurrences of the next `limit` conversations; once
    they are all done, fill `days` past days of a local-day phase; then a step of the live
    counts' rebuild. True when the rebuild is finished (or none is running), else the
    caller queues the next chunk."""
    try:
        item = AccountObject.get(account_id, state_key(), consistent_read=True)
    except AccountObject.DoesNotExist:
        return True
    data = dict(item.data or {})
    if data.get("status") != "running":
        return True
    now = int(time.time())
    if data.get("stage", "conversations") == "conversations":
        after = int(data.get("after", 0))
        rows = list(Conversation.query(account_id, Conversation.display_id > after, limit=limit, consistent_read=True))
        inboxes = {i.id: i for i in Inbox.batch_get({c.inbox_id for c in rows})} if rows else {}
        recorded, done = 0, []
        for conversation in rows:
            if data.get("first_at") is None:
                data["first_at"] = int(conversation.created_at.timestamp())
            recorded += recorder.record_conversation(conversation, inboxes.get(conversation.inbox_id))
            done.append(conversation)
            if recorded >= WRITES_PER_RUN:  # long conversations: the rest in the next run
                break
        data.update(after=done[-1].display_id if done else after,
                    conversations=int(data.get("conversations", 0)) + len(done),
                    recorded=int(data.get("recorded", 0)) + recorded)
        if len(rows) == limit or len(done) < len(rows):
            return _save(item, data, now, done=False)
        data["stage"] = "csat"
    if data["stage"] == "csat":
        # An account tallied from its creation (or by an earlier rebuild) has nothing to count.
        after = None if tallies.complete(account_id) else tallies.sync_next(account_id, data.get("csat_after"))
        if after is not None:
            data["csat_after"] = after
            return _save(item, data, now, done=False)
        data["stage"] = "phases"
    if data["stage"] == "phases":
        if _fill_next(account_id, data, days, now) is not None:
            return _save(item, data, now, done=False)
        data["stage"] = "live_counts"
    return _save(item, data, now, done=live_counts.rebuild_step(account_id))


def _save(item: AccountObject, data: dict, now: int, *, done: bool) -> bool:
    data["progressed_at"] = now
    if done:
        data.update(status="done", finished_at=now)
    item.data = data
    item.save()
    return done


def series_ids(account_id: int) -> list[tuple[str, object]]:
    """Every (dimension, id) series the account's reports may ask for: the account, its
    inboxes and their channels, its agents, teams and labels."""
    found: list[tuple[str, object]] = [("account", 0)]
    inboxes = list(Inbox.account_index.query(account_id))
    found += [("inbox", i.id) for i in inboxes]
    found += [("channel", c) for c in sorted({CHANNEL_TYPES.get(i.channel_type, i.channel_type) for i in inboxes})]
    found += [("agent", m.user_id) for m in AccountUser.query(account_id)]
    found += [("team", t.id) for t in teams.all_of(account_id)]
    found += [("label", label.data.get("title")) for label in labels.all_of(account_id) if label.data.get("title")]
    return found


def _fill_next(account_id: int, data: dict, days: int, now: int) -> int | None:
    """Fill up to `days` days of the first phase still incomplete back to the first
    conversation's day; the phase filled, or None when none is left."""
    first_at = data.get("first_at")
    if first_at is None:
        return None
    for phase, since in sorted(rollups.phases(account_id, consistent=True).items()):
        oldest = rollups.day_start(int(first_at), phase)
        if not phase or since <= oldest or since > now - SETTLED:
            continue  # UTC's own; complete back to the first conversation; or added too recently
        start = max(oldest, since - days * rollups.DAY)
        rollups.fill_phase_days(account_id, phase, series_ids(account_id), start, (since - start) // rollups.DAY)
        rollups.mark_complete_since(account_id, phase, start)
        return phase
    return None
