"""SLA policies applied to conversations, and their clocks.

One applied SLA per conversation (as Chatwoot: once applied it cannot be changed or
removed), an AccountObjects item "applied_sla#<applied at>#<conversation>", so an
account's applied SLAs of a period are one key-range Query. It keeps the policy's name
and thresholds as they were when applied, its status (`active`, `active_with_misses`,
`hit`, `missed`) and its `sla_events` (the misses: frt, nrt with the message the
customer was waiting on, rt). The conversation carries `sla_policy_id` and a rendered
copy of the applied SLA (`applied_sla`), written in the same transaction, so conversation
lists show the status with no extra read.

The clocks are not polled. `settle` evaluates an applied SLA from the conversation's own
facts (created or handed off by a bot, first reply, waiting since, resolved), records the
misses that are due, and keeps ONE EventBridge Scheduler schedule at the next deadline
(parley.schedules, run by functions/scheduled), moved when the deadline moves and
cancelled when no clock runs. It runs when the SLA is applied, on the domain events that
start or stop a clock (`follow`: a message, a status change) and when the schedule fires
(`fire`). Evaluating twice, late or out of order changes nothing: a miss is recorded once
per clock (per customer wait for nrt), and a resolution stops every clock and settles
the SLA as `hit` or `missed` (chatwoot#10178: no clock runs after resolution).

Each new miss publishes `sla.missed` (in the same transaction): the notify consumer tells
the assignee and the team, and automation rules on `sla_missed` escalate."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from ... import events, ids, schedules
from ...errors import Invalid, NotFound
from ...models.account_object import AccountObject
from ...models.conversation import Conversation
from ...models.inbox import Inbox, working_hours
from ...views.sla import applied_sla as rendered, sla_events
from ..conversation import conversations
from . import policies
from .deadlines import Hours, due

KIND = "applied_sla"
TASK = "sla_deadline"
MISSED_EVENT = "sla.missed"
MIN_LEAD_SECONDS = 60  # a one-time schedule is never created in the past
MAX_EVENTS = 100  # misses kept per applied SLA (one per customer wait at most)
ACTIVE, ACTIVE_WITH_MISSES, HIT, MISSED = "active", "active_with_misses", "hit", "missed"
STATUSES = (ACTIVE, HIT, MISSED, ACTIVE_WITH_MISSES)
FRT, NRT, RT = "frt", "nrt", "rt"
NOTIFICATION_TYPES = {FRT: "sla_missed_first_response", NRT: "sla_missed_next_response",
                      RT: "sla_missed_resolution"}


def _now() -> int:
    return int(time.time())


def key_for(applied_at: int, display_id: int) -> str:
    return f"{KIND}#{applied_at:012d}#{display_id:012d}"


# ---------------------------------------------------------------- the clocks (pure)

@dataclass
class Facts:
    """What the clocks read off the conversation (epoch seconds)."""
    status: str
    started_at: int | None  # when human clocks start: bot handoff or creation; None while a bot holds it
    first_reply_at: int | None
    waiting_since: int | None
    resolved_at: int | None = None  # when it was resolved, if it is


@dataclass
class Outcome:
    misses: list[dict] = field(default_factory=list)  # new sla_events (no id yet)
    next_due: int | None = None
    due_type: str | None = None
    status: str = ACTIVE
    settled: bool = False


def _missed(state: dict, kind: str, waited_since: int | None = None) -> bool:
    return any(e["event_type"] == kind and (kind != NRT or (e.get("meta") or {}).get("waiting_since") == waited_since)
               for e in state.get("sla_events") or [])


def evaluate(state: dict, facts: Facts, hours: Hours | None, now: int, responded_at: int | None = None) -> Outcome:
    """The applied SLA `state` at `now`: the misses due and not yet recorded, the next
    deadline, the status. `hours`: the inbox's open hours when the policy counts only
    those. `responded_at`: the time of a response being followed (catches a late reply to a
    wait whose schedule has not fired yet)."""
    out = Outcome()
    if state.get("settled"):
        out.status, out.settled = state["sla_status"], True
        return out
    resolved = facts.status == "resolved"
    end = (facts.resolved_at or now) if resolved else now
    frt, nrt, rt = (state.get(f"sla_{name}_time_threshold") for name in ("first_response", "next_response",
                                                                         "resolution"))
    candidates: list[tuple[int, str]] = []
    start = facts.started_at

    def miss(kind: str, at: int, meta: dict | None = None) -> None:
        out.misses.append({"event_type": kind, "meta": meta or {}, "created_at": at})

    if frt and start is not None and not _missed(state, FRT):
        deadline = due(start, frt, hours)
        if facts.first_reply_at is not None:
            if facts.first_reply_at >= deadline:
                miss(FRT, deadline)
        elif end >= deadline:
            miss(FRT, deadline)
        elif not resolved:
            candidates.append((deadline, FRT))
    if nrt and facts.first_reply_at is not None and not resolved:
        waiting = facts.waiting_since
        if waiting is not None and waiting >= facts.first_reply_at and not _missed(state, NRT, waiting):
            deadline = due(waiting, nrt, hours)
            if now >= deadline:
                wait = state.get("nrt_wait") or {}
                meta = {"waiting_since": waiting}
                if wait.get("waiting_since") == waiting:
                    meta["message_id"] = wait.get("message_id")
                miss(NRT, deadline, meta)
            else:
                candidates.append((deadline, NRT))
        wait = state.get("nrt_wait") or {}
        answered = wait.get("waiting_since")
        if (responded_at is not None and answered is not None and answered != waiting
                and not _missed(state, NRT, answered) and responded_at >= due(answered, nrt, hours)):
            miss(NRT, due(answered, nrt, hours), {"waiting_since": answered, "message_id": wait.get("message_id")})
    if rt and start is not None and not _missed(state, RT):
        deadline = due(start, rt, hours)
        if end >= deadline:
            miss(RT, deadline)
        elif not resolved:
            candidates.append((deadline, RT))
    any_miss = bool(out.misses or state.get("sla_events"))
    if resolved:
        out.status, out.settled = (MISSED if any_miss else HIT), True
    else:
        out.status = ACTIVE_WITH_MISSES if any_miss else ACTIVE
        if candidates:
            out.next_due, out.due_type = min(candidates)
    return out


# ---------------------------------------------------------------- reading

def _epoch(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value else None


def get_for(conversation: Conversation) -> AccountObject | None:
    shown = conversation.applied_sla
    if not shown:
        return None
    try:
        return AccountObject.get(conversation.account_id, key_for(shown["created_at"], conversation.display_id),
                                 consistent_read=True)
    except AccountObject.DoesNotExist:
        return None


def _snapshot(item: AccountObject) -> dict:
    return {**rendered(item), "sla_events": sla_events(item)}


# ---------------------------------------------------------------- writing

def _facts(conversation: Conversation, data: dict, resolved_at: int | None) -> Facts:
    return Facts(status=conversation.status, started_at=data.get("started_at"),
                 first_reply_at=conversation.first_reply_created_at, waiting_since=conversation.waiting_since,
                 resolved_at=resolved_at)


def _hours(conversation: Conversation, data: dict) -> Hours | None:
    if not data.get("sla_only_during_business_hours"):
        return None
    try:
        inbox = Inbox.get(conversation.inbox_id)
    except Inbox.DoesNotExist:
        return None
    if not inbox.working_hours_enabled:
        return None  # an inbox without working hours is always open
    return Hours.of(working_hours(inbox), inbox.timezone)


def _started_at(conversation: Conversation, data: dict, now: int) -> int | None:
    if data.get("started_at") is not None:
        return data["started_at"]
    if conversation.status == "pending":
        return None  # a bot holds it: human clocks start at the handoff
    # Bot time is excluded (docs/reports.md): the handoff, stamped by the status write
    # (`bot_handoff_at`, services/reporting), else now for an SLA applied while a bot held it.
    handoff = getattr(conversation, "bot_handoff_at", None)
    if handoff:
        return int(handoff)
    if data.get("held_by_bot"):
        return now
    return _epoch(conversation.created_at) or now


def _audience(conversation: Conversation) -> dict:
    # Agents of the inbox only (private: never a contact's socket).
    return {"inbox_id": conversation.inbox_id, "conversation_id": conversation.display_id,
            "assignee_id": conversation.assignee_id, "private": True}


def _advanced(c: Conversation, before: dict, *, now: int, resolved_at: int | None, responded_at: int | None,
              wait: dict | None) -> tuple[dict, Outcome]:
    """The applied SLA's data as it is at `now` (its new misses, without ids, in the outcome)."""
    data = dict(before)
    data["started_at"] = _started_at(c, data, now)
    if wait and wait["waiting_since"] == c.waiting_since != (data.get("nrt_wait") or {}).get("waiting_since"):
        data["nrt_wait"] = wait  # the first message of this wait
    if c.status == "resolved" and data.get("resolved_at") is None:
        # The resolution's own time where the conversation keeps it (services/reporting).
        data["resolved_at"] = int(getattr(c, "resolved_at", None) or resolved_at or now)
    outcome = evaluate(data, _facts(c, data, data.get("resolved_at")), _hours(c, data), now, responded_at)
    data.update(sla_status=outcome.status, settled=outcome.settled, next_due_at=outcome.next_due,
                due_type=outcome.due_type)
    return data, outcome


def _settle(conversation: Conversation, *, now: int, resolved_at: int | None = None, responded_at: int | None = None,
            wait: dict | None = None, ensure: bool = False) -> tuple[AccountObject, Outcome]:
    """Evaluate the applied SLA; if that changes it, save it (with the conversation's copy
    and one sla.missed per new miss) in one transaction; keep its one schedule at the next
    deadline. The schedule is made before the write: a write that then fails leaves a spare
    schedule that finds nothing to do, never a deadline without one."""
    current = get_for(conversation)
    if current is None:
        raise NotFound("Applied SLA not found")
    moment = {"now": now, "resolved_at": resolved_at, "responded_at": responded_at, "wait": wait}
    data, outcome = _advanced(conversation, current.data, **moment)
    previous_due = current.data.get("next_due_at")
    if outcome.next_due is not None and (outcome.next_due != previous_due or ensure):
        # `ensure`: a schedule that fired has deleted itself; a call retried after a failure
        # may have saved the deadline without its schedule.
        _schedule(conversation, outcome.next_due, now)
    if not outcome.misses and data == current.data:
        return current, outcome
    result: dict = {}

    def change(c: Conversation) -> None:
        item = current if not result else get_for(c)  # a retry reads again: another evaluation may have saved
        if item is None:
            raise NotFound("Applied SLA not found")
        new, out = _advanced(c, item.data, **moment)
        recorded = list(new.get("sla_events") or [])
        added = [{"id": ids.next_id(ids.account_counter(c.account_id, "SlaEvent")), **miss}
                 for miss in out.misses[:max(0, MAX_EVENTS - len(recorded))]]
        new.update(sla_events=recorded + added, updated_at=now)
        item.data = new
        c.applied_sla = _snapshot(item)
        result.update(item=item, outcome=out, added=added)

    def also(tx: events.Outbox, c: Conversation) -> None:
        item = result["item"]
        tx.save(item)
        for event in result["added"]:
            tx.publish(MISSED_EVENT, c.account_id,
                       {**conversations.present([c])[0], "applied_sla": rendered(item), "sla_event": event},
                       audience=_audience(c))

    conversations.apply_change(conversation, change, also=also)
    item, final = result["item"], result["outcome"]
    if final.next_due is not None and final.next_due != outcome.next_due:
        _schedule(conversation, final.next_due, now)  # another evaluation moved it meanwhile
    for stale in {previous_due, outcome.next_due} - {final.next_due, None}:
        schedules.cancel(TASK, conversation.account_id, schedule_name_id(conversation.display_id, stale))
    return item, final


def schedule_name_id(display_id: int, deadline: int) -> str:
    # The deadline is in the name: moving it creates a new schedule, and the one firing
    # (which deletes itself after completion) is never updated under its feet.
    return f"{display_id}-{deadline}"


def _schedule(conversation: Conversation, deadline: int, now: int) -> None:
    account_id, display_id = conversation.account_id, conversation.display_id
    schedules.at(TASK, account_id, schedule_name_id(display_id, deadline), max(deadline, now + MIN_LEAD_SECONDS),
                 {"account_id": account_id, "conversation_id": display_id, "deadline": deadline})


def apply(conversation: Conversation, policy_id: int) -> Conversation:
    """Apply the account's SLA policy `policy_id` (by hand or by the add_sla automation
    action). The same policy again changes nothing; another one, or none, is refused as
    Chatwoot refuses it."""
    if conversation.sla_policy_id is not None:
        if conversation.sla_policy_id == policy_id:  # again (a retry, say): make sure its deadline is scheduled
            if conversation.applied_sla and conversation.applied_sla.get("sla_status") in (ACTIVE, ACTIVE_WITH_MISSES):
                _settle(conversation, now=_now(), ensure=True)
            return conversation
        raise Invalid("sla_policy: conversation already has a different sla", field="sla_policy_id")
    try:
        policy = policies.get(conversation.account_id, policy_id)
    except NotFound:
        raise Invalid(f"sla_policy_id: SLA policy {policy_id} does not exist", field="sla_policy_id") from None
    now = _now()
    p = policy.data
    data = {"sla_id": policy.id, "sla_name": p["name"], "sla_description": p.get("description") or "",
            "sla_first_response_time_threshold": p.get("first_response_time_threshold"),
            "sla_next_response_time_threshold": p.get("next_response_time_threshold"),
            "sla_resolution_time_threshold": p.get("resolution_time_threshold"),
            "sla_only_during_business_hours": bool(p.get("only_during_business_hours")),
            "conversation_id": conversation.display_id, "sla_status": ACTIVE, "sla_events": [],
            "created_at": now, "updated_at": now, "held_by_bot": conversation.status == "pending",
            "started_at": None, "next_due_at": None}
    item = AccountObject(conversation.account_id, key_for(now, conversation.display_id),
                         id=ids.next_id(ids.account_counter(conversation.account_id, "AppliedSla")), data=data)

    def claim(c: Conversation) -> None:
        if c.sla_policy_id is not None and c.sla_policy_id != policy_id:
            raise Invalid("sla_policy: conversation already has a different sla", field="sla_policy_id")
        c.sla_policy_id = policy_id
        c.applied_sla = _snapshot(item)

    def write_new(tx, c: Conversation) -> None:
        tx.save(item, condition=AccountObject.key.does_not_exist())

    conversations.apply_change(conversation, claim, lambda c: ("conversation.updated", {"sla_policy_id": [None, policy_id]}),
                               also=write_new)
    _settle(conversation, now=now)
    return conversation


def follow(detail: dict) -> str | None:
    """The domain events that start or stop a clock: a message (a customer's starts the
    next-response clock, a response stops it) and a status change (leaving a bot starts
    the clocks, resolution stops them all). Events about conversations without an SLA
    cost no read."""
    name, data, account_id = detail.get("event"), detail.get("data") or {}, detail.get("account_id")
    if name == "message.created":
        subject = data.get("conversation") or {}
    elif name == "conversation.status_changed":
        subject = data
    else:
        return None
    if not subject.get("sla_policy_id") or not isinstance(account_id, int) or not isinstance(subject.get("id"), int):
        return None
    try:
        conversation = conversations.get_conversation(account_id, subject["id"])
    except NotFound:
        return "missing"
    if not conversation.applied_sla:
        return "missing"
    if conversation.applied_sla.get("sla_status") in (HIT, MISSED):
        return conversation.applied_sla["sla_status"]  # settled: nothing runs any more
    now, wait, responded_at, resolved_at = _now(), None, None, None
    if name == "message.created":
        created = data.get("created_at") if isinstance(data.get("created_at"), int) else now
        if data.get("message_type") == 0 and isinstance(data.get("id"), int) and conversation.waiting_since:
            wait = {"waiting_since": conversation.waiting_since, "message_id": data["id"]}
        elif is_response(data):
            responded_at = created
    elif data.get("status") == "resolved":
        resolved_at = _occurred(detail) or now
    _, outcome = _settle(conversation, now=now, wait=wait, responded_at=responded_at, resolved_at=resolved_at)
    return outcome.status


def is_response(message: dict) -> bool:
    """A response (docs/reports.md): outgoing, not private, by a person, not automated."""
    return (message.get("message_type") == 1 and not message.get("private") and message.get("sender_type") == "User"
            and not (message.get("content_attributes") or {}).get("automation_rule_id"))


def _occurred(detail: dict) -> int | None:
    try:
        return int(datetime.fromisoformat(detail["occurred_at"]).timestamp())
    except (KeyError, TypeError, ValueError):
        return None


def fire(account_id: int, display_id: int, deadline: int) -> str:
    """The schedule's work: evaluate at its deadline (a stale or repeated one evaluates
    to no change). Returns the SLA's status."""
    try:
        conversation = conversations.get_conversation(account_id, display_id)
    except NotFound:
        return "missing"
    if not conversation.applied_sla:
        return "missing"
    _, outcome = _settle(conversation, now=_now(), ensure=True)
    return outcome.status
