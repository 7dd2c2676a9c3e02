"""Recording a conversation's occurrences (services/reporting/timeline.py): each reporting
event with its rollup updates (services/reporting/rollups.py), and each count with its
rollup updates, in ONE transaction with the claim of its natural key (the account's
AccountObjects item `reporting#<key>`, put with attribute_not_exists: it goes with the
account when the account is deleted). A repeat fails the claim's condition and adds
nothing, so the live consumer, a replayed event and the rebuild can never count anything
twice.

The live consumer and the rebuild do the same thing: read the conversation and its
messages, compute every occurrence, read which claims exist (BatchGetItem) and record the
missing ones (the consumer, for a message that is no response, only that message's count).
So a lost or late event is repaired by the conversation's next response or status change."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from pynamodb.exceptions import TransactWriteError

from ... import dynamo, ids
from ...models.account_object import AccountObject
from ...models.conversation import Conversation, Message
from ...models.inbox import CHANNEL_TYPES, Inbox
from ...models.reporting import ReportingEvent
from ..account import business_hours
from . import rollups, timeline

# DynamoDB's 100 actions per transaction: the claim and the event, then the rollup items.
TRANSACTION_ITEMS = 100


@dataclass(frozen=True)
class Where:
    """The dimensions an occurrence is added to besides the account and its agent."""
    inbox_id: int
    channel: str | None
    team_id: int | None
    labels: tuple


CLAIM = "reporting"


def claim_key(key: str) -> str:
    """The AccountObjects key of an occurrence's claim, in its account's partition."""
    return f"{CLAIM}#{key}"


def facts_of(c: Conversation) -> timeline.Facts:
    return timeline.Facts(
        account_id=c.account_id, display_id=c.display_id, inbox_id=c.inbox_id,
        created_at=int(c.created_at.timestamp()), bot_handoff_at=c.bot_handoff_at, bot_held=bool(c.bot_held),
        marks=tuple((str(kind), int(at), assignee) for kind, at, assignee in (c.status_marks or [])),
        assignee_id=c.assignee_id)


FIELDS = ["id", "created_at", "message_type", "private", "sender_type", "sender_id", "content_attributes"]


def msg_of(m: Message) -> timeline.Msg:
    return timeline.Msg(id=m.id, at=int(m.created_at.timestamp()), message_type=m.message_type,
                        private=bool(m.private), sender_type=m.sender_type, sender_id=m.sender_id,
                        content_attributes=m.content_attributes or {})


def messages_of(c: Conversation) -> list[timeline.Msg]:
    """The conversation's messages (a paginated Query, only the fields reporting reads)."""
    return [msg_of(m) for m in Message.query(c.key, attributes_to_get=FIELDS, consistent_read=True)]


def where_of(c: Conversation, inbox: Inbox | None) -> Where:
    channel = CHANNEL_TYPES.get(inbox.channel_type, inbox.channel_type) if inbox is not None else None
    return Where(c.inbox_id, channel, c.team_id, tuple(sorted(set(c.labels or []))))


def open_seconds_of(inbox: Inbox | None):
    if inbox is None:
        return lambda start, end: float(max(0, end - start))
    return lambda start, end: business_hours.open_seconds(inbox, start, end)


def compute(c: Conversation, inbox: Inbox | None, messages: list[timeline.Msg] | None = None) -> list[timeline.Occurrence]:
    return timeline.occurrences(facts_of(c), messages_of(c) if messages is None else messages, open_seconds_of(inbox))


def missing(account_id: int, found: list[timeline.Occurrence]) -> list[timeline.Occurrence]:
    """Those whose claim does not exist yet (BatchGetItem, 100 keys a request)."""
    keys = [(account_id, claim_key(o.key)) for o in found]
    present = {claim.key for claim in AccountObject.batch_get(keys, attributes_to_get=["account_id", "key"])} \
        if keys else set()
    return [o for o in found if claim_key(o.key) not in present]


def _time(at: int) -> datetime:
    return datetime.fromtimestamp(at, timezone.utc)


def dimensions_of(account_id: int, o: timeline.Occurrence, where: Where) -> list[tuple[str, object]]:
    """The occurrence's dimensions besides the account: inbox, channel, team, its agent and
    the conversation's labels — as many labels (alphabetically) as keep the transaction
    within DynamoDB's 100 items (9 with four local-day phases; docs/reports.md)."""
    dimensions: list[tuple[str, object]] = [("inbox", where.inbox_id), ("channel", where.channel),
                                            ("team", where.team_id), ("agent", o.user_id)]
    dimensions = [d for d in dimensions if d[1] is not None]
    granularities = 3 + len([p for p in rollups.written_phases(account_id) if p])
    room = (TRANSACTION_ITEMS - 2) // granularities - 1 - len(dimensions)  # -1: the account series
    return dimensions + [("label", label) for label in where.labels[:max(0, room)]]


def record(account_id: int, o: timeline.Occurrence, where: Where, conversation_id: int) -> bool:
    """Record one occurrence (its event, if it has one, its claim and its rollups: one
    transaction); False if it was recorded already."""
    try:
        with dynamo.transaction() as tx:
            target = "rollup"
            if o.name is not None:
                event = ReportingEvent(account_id, ids.next_id(ids.account_counter(account_id, "ReportingEvent")),
                                       name=o.name, value=o.value, value_in_business_hours=o.value_bh,
                                       created_at=_time(o.at),
                                       event_start_time=_time(o.start), event_end_time=_time(o.at),
                                       inbox_id=where.inbox_id, user_id=o.user_id, conversation_id=conversation_id,
                                       conversation_key=f"{account_id}#{conversation_id}", key=o.key)
                tx.save(event)
                target = f"ReportingEvent#{event.id}"
            tx.save(AccountObject(account_id, claim_key(o.key), id=0, data={"target": target}),
                    condition=AccountObject.key.does_not_exist())
            rollups.add(tx, account_id, o.metric, o.at, dimensions_of(account_id, o, where),
                        value=o.value, value_bh=o.value_bh)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" not in dynamo.cancellation_codes(exc):
            raise
        return False
    return True


def record_conversation(c: Conversation, inbox: Inbox | None = None,
                        messages: list[timeline.Msg] | None = None, only: set[str] | None = None) -> int:
    """Record every occurrence of the conversation not recorded yet (of the keys `only`,
    when given); how many were."""
    if inbox is None:
        try:
            inbox = Inbox.get(c.inbox_id)
        except Inbox.DoesNotExist:
            inbox = None
    where = where_of(c, inbox)
    todo = missing(c.account_id, [o for o in compute(c, inbox, messages) if only is None or o.key in only])
    return sum(record(c.account_id, o, where, c.display_id) for o in todo)


def count_key(detail: dict) -> tuple[int, int] | None:
    """(account, message id) of a message.created event: how a batch's counts recorded
    together are recognised again by the per-event handler."""
    message_id = (detail.get("data") or {}).get("id")
    if detail.get("event") != "message.created" or not isinstance(message_id, int) or isinstance(message_id, bool):
        return None
    return detail["account_id"], message_id


def record_counts(details: list[dict]) -> set[tuple[int, int]]:
    """Record together the plain message counts of a batch of events (a message that is
    no response adds only its incoming_messages / outgoing_messages count): per account,
    as few transactions as DynamoDB's 100 items allow, each holding its occurrences'
    claims and every rollup item ONCE with the occurrences' amounts summed. A transaction
    bills each item twice, so ten messages of one inbox in one quarter hour cost ten
    claims and one set of buckets instead of ten sets (docs/reports.md, "Cost").

    Returns the count keys whose counts are now recorded (here, or before: their claim
    existed). Anything else (a response, a transaction that met an existing claim or a
    conflict) is left to the per-event handler, which records one occurrence at a time
    and sees the claims written here, so nothing is counted twice either way."""
    found: dict[int, list[tuple[tuple[int, int], Where, timeline.Occurrence]]] = {}
    conversations: dict[tuple[int, int], Conversation | None] = {}
    inboxes: dict[int, Inbox | None] = {}
    for detail in details:
        key = count_key(detail)
        display_id = conversation_id_of(detail)
        if key is None or display_id is None or not concerns(detail):
            continue
        account_id = detail["account_id"]
        if (account_id, display_id) not in conversations:
            try:
                conversations[(account_id, display_id)] = Conversation.get(account_id, display_id, consistent_read=True)
            except Conversation.DoesNotExist:
                conversations[(account_id, display_id)] = None
        conversation = conversations[(account_id, display_id)]
        if conversation is None:
            continue
        try:
            stored = msg_of(Message.get(conversation.key, key[1], consistent_read=True, attributes_to_get=FIELDS))
        except Message.DoesNotExist:
            continue
        if timeline.is_response(stored):
            continue  # a response's clocks need the whole conversation: the handler's
        if conversation.inbox_id not in inboxes:
            try:
                inboxes[conversation.inbox_id] = Inbox.get(conversation.inbox_id)
            except Inbox.DoesNotExist:
                inboxes[conversation.inbox_id] = None
        inbox = inboxes[conversation.inbox_id]
        for o in compute(conversation, inbox, [stored]):
            if o.key == f"message#{stored.id}" and o.name is None:
                found.setdefault(account_id, []).append((key, where_of(conversation, inbox), o))
    done: set[tuple[int, int]] = set()
    for account_id, rows in found.items():
        todo = {o.key for o in missing(account_id, [o for _, _, o in rows])}
        done.update(key for key, _, o in rows if o.key not in todo)
        group: list[tuple[tuple[int, int], timeline.Occurrence]] = []
        merged: dict[rollups.Key, dict[str, float]] = {}
        phases = rollups.written_phases(account_id)
        for key, where, o in rows:
            if o.key not in todo:
                continue
            todo.discard(o.key)  # the same message twice in one batch: once
            adds = rollups.increments(account_id, o.metric, o.at, dimensions_of(account_id, o, where),
                                      o.value, o.value_bh, phases=phases)
            if len(group) + 1 + len(merged.keys() | adds.keys()) > TRANSACTION_ITEMS:
                done.update(_write_counts(account_id, group, merged))
                group, merged = [], {}
            group.append((key, o))
            for item, amounts in adds.items():
                into = merged.setdefault(item, {})
                for name, amount in amounts.items():
                    into[name] = into.get(name, 0) + amount
        if group:
            done.update(_write_counts(account_id, group, merged))
    return done


def _write_counts(account_id: int, group: list, merged: dict) -> list[tuple[int, int]]:
    """One transaction: the group's claims and the merged rollup items; the group's keys,
    or none when a claim existed meanwhile or the transaction met a concurrent one."""
    try:
        with dynamo.transaction() as tx:
            for _, o in group:
                tx.save(AccountObject(account_id, claim_key(o.key), id=0, data={"target": "rollup"}),
                        condition=AccountObject.key.does_not_exist())
            rollups.write(tx, merged)
    except TransactWriteError:
        return []
    return [key for key, _ in group]


# The domain events that may add occurrences (anything else changes nothing reporting counts).
EVENTS = ("conversation.created", "message.created", "conversation.status_changed", "conversation.bot_handoff")


def concerns(detail: dict) -> bool:
    """Whether the event can add an occurrence (without any read): activity lines and private
    notes never do."""
    name, data = detail.get("event"), detail.get("data") or {}
    if name not in EVENTS:
        return False
    if name == "message.created":
        return not data.get("private") and data.get("message_type") in (timeline.INCOMING, timeline.OUTGOING)
    if name == "conversation.status_changed":
        before, after = ((detail.get("changed_attributes") or {}).get("status") or [None, None])[:2]
        return "resolved" in (before, after)
    return True


def conversation_id_of(detail: dict) -> int | None:
    data = detail.get("data") or {}
    if detail.get("event") == "message.created":
        value = data.get("conversation_id")
    else:
        value = data.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def handle(detail: dict) -> str:
    """The consumer's work for one domain event (functions/reporting/app.py). A message
    that is not a response adds only its own count (its stored item, one GetItem: no
    clock starts or stops at it that a later response or status change would not read
    again); anything else reads the whole conversation and records what is missing."""
    if not concerns(detail):
        return "ignored"
    display_id = conversation_id_of(detail)
    if display_id is None:
        return "ignored"
    try:
        conversation = Conversation.get(detail["account_id"], display_id, consistent_read=True)
    except Conversation.DoesNotExist:
        return "missing"  # deleted since
    if detail["event"] == "message.created":
        message_id = detail["data"].get("id")
        try:
            stored = msg_of(Message.get(conversation.key, message_id, consistent_read=True,
                                        attributes_to_get=FIELDS))
        except (Message.DoesNotExist, TypeError, ValueError):
            return "missing"
        if not timeline.is_response(stored):
            return f"recorded {record_conversation(conversation, messages=[stored], only={f'message#{stored.id}'})}"
    return f"recorded {record_conversation(conversation)}"
