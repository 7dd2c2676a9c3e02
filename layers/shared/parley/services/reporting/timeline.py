"""The reporting metrics, defined once (docs/reports.md): pure functions from a
conversation's facts and its messages to its occurrences — Chatwoot's reporting events
(first_response, reply_time, conversation_resolved, conversation_opened,
conversation_bot_handoff, conversation_bot_resolved) and the counted things
(conversations, incoming and outgoing messages).

The live consumer (services/reporting/recorder.py, on the bus) and the rebuild
(services/reporting/rebuild.py, from stored conversations) both read the conversation and
its messages and call `occurrences`, so the two can never disagree. Every occurrence has a
natural key; recording it twice is impossible (the recorder's claim)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

INCOMING, OUTGOING, ACTIVITY, TEMPLATE = 0, 1, 2, 3

# Reporting event name -> its rollup metric (services/reporting/rollups.py). Counts have no
# reporting event, only a metric.
FIRST_RESPONSE, REPLY_TIME = "first_response", "reply_time"
RESOLVED, OPENED = "conversation_resolved", "conversation_opened"
BOT_HANDOFF, BOT_RESOLVED = "conversation_bot_handoff", "conversation_bot_resolved"
EVENT_NAMES = (FIRST_RESPONSE, REPLY_TIME, RESOLVED, OPENED, BOT_HANDOFF, BOT_RESOLVED)
METRIC_OF = {FIRST_RESPONSE: "first_response", REPLY_TIME: "reply_time", RESOLVED: "resolution",
             OPENED: "opened", BOT_HANDOFF: "bot_handoff", BOT_RESOLVED: "bot_resolution"}
CONVERSATIONS, INCOMING_MESSAGES, OUTGOING_MESSAGES = "conversations", "incoming_messages", "outgoing_messages"

# Status marks kept on the conversation (Conversation.status_marks): [kind, epoch second, assignee].
MARK_RESOLVED, MARK_REOPENED = "resolved", "reopened"


@dataclass(frozen=True)
class Facts:
    """What reporting needs of a conversation (recorder.facts_of builds it from the item)."""
    account_id: int
    display_id: int
    inbox_id: int
    created_at: int  # epoch seconds
    bot_handoff_at: int | None = None  # when the inbox's bot (or Captain) handed it to the humans
    bot_held: bool = False  # it began pending: a bot talked first
    marks: tuple = ()  # ((kind, at, assignee_id), ...) oldest first
    assignee_id: int | None = None


@dataclass(frozen=True)
class Msg:
    id: int
    at: int  # epoch seconds
    message_type: int
    private: bool = False
    sender_type: str | None = None
    sender_id: int | None = None
    content_attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Occurrence:
    """One thing that happened, for the reporting events table and the rollups. `name` is
    the reporting event's (None for a count), `metric` the rollup's; `at` is when it counts
    (its end); `start` is where its clock started (= `at` for a count)."""
    key: str
    metric: str
    name: str | None
    start: int
    at: int
    value: int | None = None
    value_bh: int | None = None
    user_id: int | None = None


def is_response(m: Msg) -> bool:
    """A person's reply to the customer: outgoing, public, sent by a user, not automated
    (an automation rule's or a campaign's message is the rule's, not the agent's). Bot and
    Captain messages, activity lines, private notes and auto-replies (greeting, out of
    office, CSAT: template messages) never are."""
    attributes = m.content_attributes or {}
    return (m.message_type == OUTGOING and not m.private and m.sender_type == "User"
            and not attributes.get("automation_rule_id") and not attributes.get("campaign_id"))


def is_customer_message(m: Msg) -> bool:
    return m.message_type == INCOMING and not m.private


def human_start(facts: Facts) -> int:
    """Where the humans' clocks start: the bot's handoff for a conversation a bot held,
    else its creation."""
    return facts.bot_handoff_at if facts.bot_handoff_at is not None else facts.created_at


Hours = Callable[[int, int], float]  # open seconds of the inbox between two epoch seconds


def occurrences(facts: Facts, messages: Iterable[Msg], open_seconds: Hours) -> list[Occurrence]:
    """Every occurrence of the conversation, oldest first (ties: counts before events)."""
    d = facts.display_id
    out = [Occurrence(f"conversation#{d}", CONVERSATIONS, None, facts.created_at, facts.created_at,
                      user_id=facts.assignee_id)]

    def timed(key: str, name: str, start: int, end: int, user_id: int | None) -> Occurrence:
        start = min(start, end)
        return Occurrence(key, METRIC_OF[name], name, start, end, end - start,
                          int(round(open_seconds(start, end))), user_id)

    first_done, waiting = False, None
    for m in sorted(messages, key=lambda m: m.id):
        if m.message_type == INCOMING and not m.private:
            out.append(Occurrence(f"message#{m.id}", INCOMING_MESSAGES, None, m.at, m.at, user_id=facts.assignee_id))
            if waiting is None:
                waiting = m.at
        elif m.message_type == OUTGOING and not m.private:
            sender = m.sender_id if m.sender_type == "User" else None
            out.append(Occurrence(f"message#{m.id}", OUTGOING_MESSAGES, None, m.at, m.at, user_id=sender))
        if not is_response(m):
            continue
        if not first_done:
            start = facts.bot_handoff_at if facts.bot_handoff_at is not None and facts.bot_handoff_at <= m.at \
                else facts.created_at
            out.append(timed(f"first_response#{d}", FIRST_RESPONSE, start, m.at, m.sender_id))
            first_done = True
        elif waiting is not None:
            out.append(timed(f"reply_time#{m.id}", REPLY_TIME, waiting, m.at, m.sender_id))
        waiting = None

    if facts.bot_handoff_at is not None:
        out.append(timed(f"bot_handoff#{d}#{facts.bot_handoff_at}", BOT_HANDOFF, facts.created_at,
                         facts.bot_handoff_at, None))
    period_start, last_resolved, reopened = human_start(facts), None, False
    for kind, at, assignee in facts.marks:
        if kind == MARK_RESOLVED:
            if facts.bot_held and not reopened and (facts.bot_handoff_at is None or facts.bot_handoff_at > at):
                out.append(timed(f"bot_resolved#{d}#{at}", BOT_RESOLVED, facts.created_at, at, None))
            else:
                out.append(timed(f"conversation_resolved#{d}#{at}", RESOLVED, period_start, at, assignee))
            last_resolved = at
        elif kind == MARK_REOPENED:
            if last_resolved is not None:  # (a conversation resolved before reporting existed has no mark)
                out.append(timed(f"conversation_opened#{d}#{at}", OPENED, last_resolved, at, assignee))
            period_start, last_resolved, reopened = at, None, True
    return sorted(out, key=lambda o: (o.at, o.name is not None))
