"""Conversation actions, as macros and automation rules name them (Chatwoot's
{action_name, action_params}): checked once when a macro or rule is saved, checked again
and applied, one service call each, when it runs.

A reference that was valid at save time may be gone at run time (a label, team or agent
deleted since): that action is skipped and logged, the others still run. Each action is
one service call, so none is ever half-applied."""
from __future__ import annotations

from typing import Callable

from aws_lambda_powertools import Logger

from ...errors import Invalid, NotFound, ParleyError
from ...models.conversation import STATUSES, Conversation
from ...models.user import User
from ..account import accounts, labels, teams
from ..conversation import conversations
from ..messaging import messages
from ..sla import applied as applied_slas, policies as sla_policies

logger = Logger(child=True)

MAX_ACTIONS = 20
MAX_LABELS = 20

# What Chatwoot offers but Parley cannot do yet: refused at save time, by name.
UNSUPPORTED = {
    "send_email_transcript": "sending email transcripts is not supported yet",
    "send_attachment": "attachments are not supported yet",
    "send_webhook_event": "webhook actions are not supported yet",
    "send_email_to_team": "emailing a team is not supported yet",
}
COMMON = ("assign_agent", "assign_team", "add_label", "remove_label", "send_message", "add_private_note",
          "change_status", "snooze_conversation", "resolve_conversation", "change_priority", "mute_conversation",
          "send_email_transcript", "send_attachment")
MACRO_ACTIONS = COMMON + ("remove_assigned_team",)
AUTOMATION_ACTIONS = COMMON + ("send_webhook_event", "send_email_to_team", "add_sla")
NONE_VALUES = ("nil", "none", "0", 0, None)


def _where(index: int) -> str:
    return f"actions.{index}.action_params"


def _one(name: str, params: list, index: int):
    if len(params) != 1:
        raise Invalid(f"{name} takes exactly one value", field=_where(index))
    return params[0]


def _id(name: str, value, index: int) -> int:
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise Invalid(f"{name}: {str(value)[:40]!r} is not an id", field=_where(index))
    number = int(value)
    if number <= 0 or number > 2**53:
        raise Invalid(f"{name}: {number} is not an id", field=_where(index))
    return number


def _text(name: str, params: list, index: int) -> str:
    value = _one(name, params, index)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{name} needs the message text", field=_where(index))
    if len(value) > conversations.MAX_CONTENT:
        raise Invalid(f"{name}: the message is longer than {conversations.MAX_CONTENT} characters", field=_where(index))
    return value


def _label_titles(account_id: int, name: str, params: list, index: int) -> list[str]:
    if not params or len(params) > MAX_LABELS:
        raise Invalid(f"{name} takes 1 to {MAX_LABELS} labels", field=_where(index))
    if not all(isinstance(p, str) and p.strip() for p in params):
        raise Invalid(f"{name} takes label names", field=_where(index))
    wanted = [p.strip().lower() for p in params]
    known = {item.data["title"] for item in labels.all_of(account_id)}
    missing = [title for title in wanted if title not in known]
    if missing:
        raise Invalid(f"{name}: label {missing[0]!r} does not exist", field=_where(index))
    return list(dict.fromkeys(wanted))


def check(account_id: int, action: dict, index: int, allowed: tuple[str, ...], *, macro: bool = False):
    """Validate one action against the account as it is now; returns its parameters in the
    form `apply` uses. Raises Invalid (naming the bad reference) or NotFound."""
    name = action.get("action_name")
    params = action.get("action_params") or []
    if name not in allowed:
        raise Invalid(f"Unknown action {str(name)[:40]!r}; use one of: {', '.join(allowed)}",
                      field=f"actions.{index}.action_name")
    if name in UNSUPPORTED:
        raise Invalid(f"{name}: {UNSUPPORTED[name]}", field=f"actions.{index}.action_name")
    if name == "assign_agent":
        value = _one(name, params, index)
        if value in NONE_VALUES:
            return None
        if macro and value == "self":
            return "self"
        user_id = _id(name, value, index)
        if accounts.membership(account_id, user_id) is None:
            raise Invalid(f"{name}: agent {user_id} is not an agent of this account", field=_where(index))
        return user_id
    if name == "assign_team":
        value = _one(name, params, index)
        if value in NONE_VALUES:
            return None
        team_id = _id(name, value, index)
        try:
            teams.get(account_id, team_id)
        except NotFound:
            raise Invalid(f"{name}: team {team_id} does not exist", field=_where(index)) from None
        return team_id
    if name in ("add_label", "remove_label"):
        return _label_titles(account_id, name, params, index)
    if name == "add_sla":
        policy_id = _id(name, _one(name, params, index), index)
        try:
            sla_policies.get(account_id, policy_id)
        except NotFound:
            raise Invalid(f"{name}: SLA policy {policy_id} does not exist", field=_where(index)) from None
        return policy_id
    if name in ("send_message", "add_private_note"):
        return _text(name, params, index)
    if name == "change_status":
        status = _one(name, params, index)
        if status not in STATUSES:
            raise Invalid(f"{name} takes one of: {', '.join(STATUSES)}", field=_where(index))
        return status
    if name == "change_priority":
        priority = _one(name, params, index)
        if priority in NONE_VALUES:
            return None
        if priority not in conversations.PRIORITIES:
            raise Invalid(f"{name} takes one of: {', '.join(conversations.PRIORITIES)}, none", field=_where(index))
        return priority
    return None  # snooze, resolve, mute, remove_assigned_team: no parameters


def validate(account_id: int, actions: list[dict], allowed: tuple[str, ...], *, macro: bool = False) -> list[dict]:
    """The actions as they will be stored: checked, label names lower-cased (as stored on
    conversations); raises on the first bad one."""
    if not actions:
        raise Invalid("actions must hold at least one action", field="actions")
    if len(actions) > MAX_ACTIONS:
        raise Invalid(f"at most {MAX_ACTIONS} actions", field="actions")
    stored = []
    for index, action in enumerate(actions):
        value = check(account_id, action, index, allowed, macro=macro)
        params = list(action.get("action_params") or [])
        if action["action_name"] in ("add_label", "remove_label"):
            params = value
        stored.append({"action_name": action["action_name"], "action_params": params})
    return stored


def _apply(conversation: Conversation, name: str, value, actor: User | None, rule_id: int | None) -> None:
    if name == "assign_agent":
        conversations.assign(conversation, actor.id if value == "self" and actor else value)
    elif name == "assign_team":
        conversations.assign_team(conversation, value)
    elif name == "remove_assigned_team":
        conversations.assign_team(conversation, None)
    elif name == "add_label":
        conversations.set_labels(conversation, sorted(set(conversation.labels or []) | set(value)))
    elif name == "remove_label":
        conversations.set_labels(conversation, sorted(set(conversation.labels or []) - set(value)))
    elif name in ("send_message", "add_private_note"):
        attributes = {"automation_rule_id": rule_id} if rule_id is not None else None
        messages.post_message(conversation, content=value, message_type=conversations.OUTGOING,
                              sender_type="User" if actor else None, sender=actor,
                              private=name == "add_private_note", content_attributes=attributes)
    elif name == "change_status":
        conversations.toggle_status(conversation, value)
    elif name == "snooze_conversation":
        conversations.toggle_status(conversation, "snoozed")  # until the contact writes again
    elif name == "resolve_conversation":
        conversations.toggle_status(conversation, "resolved")
    elif name == "change_priority":
        conversations.set_priority(conversation, value)
    elif name == "mute_conversation":
        conversations.set_muted(conversation, True)
    elif name == "add_sla":
        applied_slas.apply(conversation, value)  # a conversation that has another SLA: skipped (Invalid)
    else:  # check() let through a name this function does not know: a bug, not input
        raise RuntimeError(f"no implementation for action {name}")


def run(conversation: Conversation, actions: list[dict], allowed: tuple[str, ...], *, actor: User | None = None,
        rule_id: int | None = None, macro: bool = False,
        once: Callable[[int, Callable[[], None]], None] | None = None) -> list[dict]:
    """Apply each action to the conversation, in order. Returns the skipped ones (with the
    reason). `once(index, work)` wraps each action (automation makes it idempotent per
    event); `actor` is the agent a macro runs as."""
    skipped = []
    for index, action in enumerate(actions):
        name = action.get("action_name")

        def work(index=index, action=action, name=name) -> None:
            value = check(conversation.account_id, action, index, allowed, macro=macro)
            conversation.refresh(consistent_read=True)  # an earlier action or rule may have changed it
            _apply(conversation, name, value, actor, rule_id)

        try:
            (once or (lambda _i, fn: fn()))(index, work)
        except ParleyError as exc:
            logger.warning(f"skipped action {name} on conversation {conversation.display_id}: {exc.message}",
                           extra={"account_id": conversation.account_id, "conversation_id": conversation.display_id,
                                  "action_name": name, "rule_id": rule_id, "reason": exc.message})
            skipped.append({"conversation_id": conversation.display_id, "action_name": name, "reason": exc.message})
    return skipped
