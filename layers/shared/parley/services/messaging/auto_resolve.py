"""Auto-resolve: an open conversation idle for the account's `auto_resolve_after` minutes
is resolved, with the account's `auto_resolve_message` if set.

One EventBridge Scheduler schedule per conversation, at last activity + duration. New
activity does not touch the Scheduler: the pending schedule fires, sees that activity
moved on and schedules the new deadline instead (so a busy conversation costs one
schedule per idle period, not one per message). The conversation keeps the deadline it
was scheduled for (`auto_resolve_at`); a schedule for any other deadline is stale and
does nothing, so firing early, late or twice is harmless. Nothing sweeps conversations.
"""
from __future__ import annotations

import time

from ... import schedules
from ...errors import NotFound
from ...models.account import Account
from ...models.conversation import Conversation
from ..conversation import conversations

TASK = "auto_resolve"
# Scheduler retries a failed invocation for up to an hour (schedules.at): a deadline
# further in the past than this never ran, so the next activity schedules afresh.
LOST_AFTER_SECONDS = 3600 + 600
MIN_LEAD_SECONDS = 60  # a one-time schedule is never created in the past


def _settings(account_id: int) -> dict:
    try:
        return Account.get(account_id).settings or {}
    except Account.DoesNotExist:
        return {}


def schedule_name_id(conversation: Conversation, deadline: int) -> str:
    # The deadline is part of the name: moving a deadline creates a new schedule instead of
    # updating the one that is firing (which deletes itself after completion).
    return f"{conversation.display_id}-{deadline}"


def _schedule(conversation: Conversation, deadline: int) -> None:
    previous = conversation.auto_resolve_at
    when = max(deadline, int(time.time()) + MIN_LEAD_SECONDS)
    schedules.at(TASK, conversation.account_id, schedule_name_id(conversation, deadline), when,
                 {"account_id": conversation.account_id, "conversation_id": conversation.display_id,
                  "deadline": deadline})
    conversations.apply_change(conversation, lambda c: setattr(c, "auto_resolve_at", deadline))
    if previous and previous != deadline:
        schedules.cancel(TASK, conversation.account_id, schedule_name_id(conversation, previous))


def _clear(conversation: Conversation) -> None:
    if conversation.auto_resolve_at is not None:
        conversations.apply_change(conversation, lambda c: setattr(c, "auto_resolve_at", None))


def _deadline(conversation: Conversation, minutes: int) -> int:
    return conversation.last_activity_at // 1000 + minutes * 60


def track(conversation: Conversation) -> None:
    """After activity on the conversation: make sure a schedule is pending if the account
    auto-resolves. Calls the Scheduler only when none is (or the pending one would fire
    too late because the duration was shortened)."""
    if conversation.status != "open":
        return
    minutes = _settings(conversation.account_id).get("auto_resolve_after")
    if not minutes:
        return
    deadline = _deadline(conversation, int(minutes))
    pending = conversation.auto_resolve_at
    if pending and pending <= deadline and pending > time.time() - LOST_AFTER_SECONDS:
        return  # it fires first and moves itself to `deadline`
    _schedule(conversation, deadline)


def fire(account_id: int, display_id: int, deadline: int) -> str:
    """The schedule's work. Returns what happened (for the log and tests)."""
    try:
        conversation = conversations.get_conversation(account_id, display_id)
    except NotFound:
        return "missing"
    if conversation.auto_resolve_at != deadline:
        return "stale"  # replaced by a schedule for another deadline
    settings = _settings(account_id)
    minutes = settings.get("auto_resolve_after")
    if conversation.status != "open" or not minutes:
        _clear(conversation)
        return "not_open" if minutes else "disabled"
    due = _deadline(conversation, int(minutes))
    if due > time.time():
        _schedule(conversation, due)  # activity since it was scheduled
        return "rescheduled"
    if settings.get("auto_resolve_ignore_waiting") and conversation.waiting_since:
        _clear(conversation)  # the contact waits on an agent; the agent's reply schedules again
        return "waiting"
    message = (settings.get("auto_resolve_message") or "").strip()
    if message:
        # a template message: nothing follows it (auto_messages.after_message)
        conversations.write_message(conversation, content=message, message_type=conversations.TEMPLATE)
    conversations.toggle_status(conversation, "resolved")
    _clear(conversation)
    return "resolved"
