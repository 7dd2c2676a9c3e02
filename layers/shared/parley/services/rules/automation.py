"""Automation rules: "when <event>, if <conditions>, do <actions>", run by the automation
consumer on the domain events the bus carries.

Rules are AccountObjects ("automation_rule#<id>"): an event reads its account's rules in
one Query. Conditions use Chatwoot's filter payload, compiled with the pieces the contact
and conversation filters share (services/account/filtering.py) over conversation, contact and
message attributes;
actions are the ones macros use (services/rules/actions.py).

Loops: everything an automation action publishes is marked performed_by the rule, and
events so marked are ignored, as Chatwoot does. Retries: each action of each matching
rule runs at most once per event (`once`, keyed on event id, rule id and action index)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from aws_lambda_powertools import Logger

from ... import events
from ...errors import Invalid, NotFound, ParleyError
from ...models.account_object import AccountObject
from ...models.contact import Contact
from ...models.conversation import STATUSES, Conversation
from ..account import account_objects, accounts, filtering, labels, teams
from . import actions
from ..contact import contacts
from ..conversation import conversations
from ..inbox import inboxes

logger = Logger(child=True)

KIND = "automation_rule"
EVENTS = ("conversation_created", "conversation_updated", "conversation_opened", "conversation_resolved",
          "message_created", "sla_missed", "csat_survey_response_created")
MAX_CONDITIONS = 20
MAX_RULES = 200  # read on every event of the account: keep that one Query small
AUTOMATION = "automation_rule"

TEXT = filtering.TEXT_OPERATORS
EQUALITY = ("equal_to", "not_equal_to")
PRESENCE = filtering.NO_VALUE_OPERATORS
MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
# Chatwoot's automation condition keys: key -> (where the value is, operators)
CONDITIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "status": ("conversation", EQUALITY),
    "priority": ("conversation", EQUALITY + PRESENCE),
    "assignee_id": ("conversation", EQUALITY + PRESENCE),
    "team_id": ("conversation", EQUALITY + PRESENCE),
    "inbox_id": ("conversation", EQUALITY),
    "labels": ("labels", EQUALITY + PRESENCE),
    "browser_language": ("additional", EQUALITY),
    "conversation_language": ("additional", EQUALITY),
    "referer": ("additional", TEXT),
    "mail_subject": ("additional", TEXT),
    "country_code": ("country", EQUALITY),
    "email": ("contact", TEXT),
    "phone_number": ("contact", TEXT + ("starts_with",)),
}
MESSAGE_CONDITIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "message_type": ("message", EQUALITY),
    "content": ("message", TEXT),
}
CUSTOM_TYPES = ("conversation_attribute", "contact_attribute")
CUSTOM_OPERATORS = filtering.CUSTOM_OPERATORS


@dataclass
class Subject:
    """What a rule's conditions look at."""
    conversation: Conversation
    contact: Contact | None
    message: dict | None


def _value(subject: Subject, source: str, key: str, custom_type: str | None):
    c = subject.conversation
    if custom_type == "conversation_attribute":
        return (c.custom_attributes or {}).get(key)
    if custom_type == "contact_attribute":
        return ((subject.contact.custom_attributes if subject.contact else None) or {}).get(key)
    if source == "conversation":
        return getattr(c, key)
    if source == "additional":
        return (c.additional_attributes or {}).get(key)
    if source == "country":
        own = (subject.contact.additional_attributes if subject.contact else None) or {}
        return own.get("country_code") or (c.additional_attributes or {}).get("country_code")
    if source == "contact":
        return getattr(subject.contact, key) if subject.contact else None
    message = subject.message or {}
    if key == "message_type":
        kind = message.get("message_type")
        return MESSAGE_TYPES.get(kind, kind)
    return message.get(key)


def _check_references(account_id: int, key: str, wanted: list[str], where: str) -> None:
    """Conditions that name labels, teams, agents or inboxes must name existing ones."""
    if key == "labels":
        known = {item.data["title"] for item in labels.all_of(account_id)}
        for title in wanted:
            if title not in known:
                raise Invalid(f"labels: label {title!r} does not exist", field=f"{where}.values")
        return
    for value in wanted:
        if not value.isdigit():
            raise Invalid(f"{key}: {value[:40]!r} is not an id", field=f"{where}.values")
        number = int(value)
        try:
            if key == "assignee_id" and accounts.membership(account_id, number) is None:
                raise NotFound()
            if key == "team_id":
                teams.get(account_id, number)
            if key == "inbox_id":
                inboxes.get_inbox(account_id, number)
        except NotFound:
            what = {"assignee_id": "agent", "team_id": "team", "inbox_id": "inbox"}[key]
            raise Invalid(f"{key}: {what} {number} does not exist", field=f"{where}.values") from None


def _compiler(account_id: int, event_name: str, check_references: bool):
    keys = {**CONDITIONS, **(MESSAGE_CONDITIONS if event_name == "message_created" else {})}

    def condition(index: int, item: dict) -> Callable[[Subject], bool]:
        where = f"conditions.{index}"
        key, operator = item.get("attribute_key"), item.get("filter_operator")
        custom_type = item.get("custom_attribute_type") or None
        if custom_type is not None and custom_type not in CUSTOM_TYPES:
            raise Invalid(f"custom_attribute_type must be one of: {', '.join(CUSTOM_TYPES)}",
                          field=f"{where}.custom_attribute_type")
        if custom_type:
            source, operators = "custom", CUSTOM_OPERATORS
        elif key in keys:
            source, operators = keys[key]
        else:
            hint = " (message conditions need the message_created event)" if key in MESSAGE_CONDITIONS else ""
            raise Invalid(f"Invalid attribute key - [{str(key)[:40]}]{hint}", field=f"{where}.attribute_key")
        if operator not in operators:
            raise Invalid(f"Invalid filter operator for {key} - [{str(operator)[:40]}]; use one of: "
                          f"{', '.join(operators)}", field=f"{where}.filter_operator")
        wanted = filtering.wanted_values(where, key, operator, item.get("values") or [])
        if operator in PRESENCE:
            present = operator == "is_present"
            if source == "labels":
                return lambda s: bool(s.conversation.labels) == present
            return lambda s: (filtering.text(_value(s, source, key, custom_type)) != "") == present
        allowed = {"status": STATUSES, "priority": conversations.PRIORITIES,
                   "message_type": tuple(MESSAGE_TYPES.values())}.get(key)
        if allowed and not custom_type:
            bad = [w for w in wanted if w not in allowed]
            if bad:
                raise Invalid(f"{key}: {bad[0][:40]!r} is not one of: {', '.join(allowed)}", field=f"{where}.values")
        if check_references and not custom_type and key in ("labels", "assignee_id", "team_id", "inbox_id"):
            _check_references(account_id, key, wanted, where)
        if source == "labels":
            chosen = set(wanted)
            has = lambda s: bool(chosen & {label.lower() for label in s.conversation.labels or []})  # noqa: E731
            return has if operator == "equal_to" else (lambda s: not has(s))
        if custom_type:
            return filtering.custom_test(where, key, operator, wanted, lambda s: _value(s, source, key, custom_type))
        if key == "phone_number" and operator in ("equal_to", "not_equal_to", "starts_with"):
            wanted = [w if w.startswith("+") else f"+{w}" for w in wanted]  # as Chatwoot does
        test = filtering.text_test(operator, wanted)
        return lambda s: test(filtering.text(_value(s, source, key, custom_type)))

    return condition


def compile_conditions(account_id: int, event_name: str, conditions: list[dict], *,
                       check_references: bool = True) -> Callable[[Subject], bool]:
    if len(conditions) > MAX_CONDITIONS:
        raise Invalid(f"at most {MAX_CONDITIONS} conditions", field="conditions")
    if not conditions:
        raise Invalid("conditions must hold at least one condition", field="conditions")
    return filtering.matcher(filtering.groups(conditions, _compiler(account_id, event_name, check_references)))


# ---------------------------------------------------------------- rules

def _checked(account_id: int, data: dict) -> dict:
    if data["event_name"] not in EVENTS:
        raise Invalid(f"event_name must be one of: {', '.join(EVENTS)}", field="event_name")
    compile_conditions(account_id, data["event_name"], data["conditions"])
    return {**data, "actions": actions.validate(account_id, data["actions"], actions.AUTOMATION_ACTIONS)}


def create(account_id: int, *, name: str, description: str, event_name: str, conditions: list[dict],
           action_list: list[dict], active: bool = True) -> AccountObject:
    data = _checked(account_id, {"name": name, "description": description, "event_name": event_name,
                                 "conditions": conditions, "actions": action_list, "active": active})
    if len(account_objects.all_of(account_id, KIND)) >= MAX_RULES:
        raise Invalid(f"Limit reached: an account may hold at most {MAX_RULES} automation rules")
    return account_objects.create(account_id, KIND, data)


def all_of(account_id: int) -> list[AccountObject]:
    return account_objects.all_of(account_id, KIND)


def get(account_id: int, rule_id: int) -> AccountObject:
    return account_objects.get(account_id, KIND, rule_id, "Automation rule")


def update(item: AccountObject, changes: dict) -> AccountObject:
    """`changes` may rename, toggle or replace the event, conditions and actions; the rule
    as it would be is checked as a whole before anything is saved."""
    merged = {**item.data, **changes}
    if {"event_name", "conditions", "actions"} & set(changes):
        merged = _checked(item.account_id, merged)
    return account_objects.update(item, KIND, {k: merged[k] for k in changes})


def delete(item: AccountObject) -> None:
    account_objects.delete(item, KIND)


# ---------------------------------------------------------------- running

def events_for(detail: dict) -> list[str]:
    """The automation events a domain event stands for."""
    name, data = detail.get("event"), detail.get("data") or {}
    if name == "conversation.created":
        return ["conversation_created"]
    if name in ("conversation.updated", "assignee.changed", "team.changed"):
        return ["conversation_updated"]
    if name == "conversation.status_changed":
        change = (detail.get("changed_attributes") or {}).get("status") or [None, data.get("status")]
        extra = {"open": ["conversation_opened"], "resolved": ["conversation_resolved"]}.get(change[-1], [])
        return ["conversation_updated"] + extra
    if name == "message.created":
        return ["message_created"]
    if name == "sla.missed":  # services/sla/applied.py: a deadline of the conversation's SLA passed
        return ["sla_missed"]
    if name == "csat_survey_response.created":  # services/csat: a customer rated the conversation
        return ["csat_survey_response_created"]
    return []


Once = Callable[[str, Callable[[], None]], None]


def handle(detail: dict, once: Once | None = None) -> dict:
    """Apply the account's matching active rules to the conversation the event is about.
    `once(key, work)` runs `work` unless it already ran for that key."""
    performer = detail.get("performed_by") or {}
    if performer.get("type") == AUTOMATION:
        return {"ignored": "performed by automation"}
    names = events_for(detail)
    account_id, data = detail.get("account_id"), detail.get("data") or {}
    if not names or not isinstance(account_id, int):
        return {"ignored": "not an automation event"}
    message = data if detail.get("event") == "message.created" else None
    if message is not None and (message.get("message_type") == 2
                                or (message.get("content_attributes") or {}).get("automation_rule_id")):
        return {"ignored": "activity or automation message"}
    rules = [r for r in all_of(account_id) if r.data.get("active") and r.data.get("event_name") in names]
    if not rules:
        return {"matched": []}
    conversation_id = (data.get("conversation") or {}).get("id") if message is not None else data.get("id")
    if detail.get("event") == "csat_survey_response.created":
        conversation_id = data.get("conversation_id")
    try:
        conversation = conversations.get_conversation(account_id, int(conversation_id))
    except (NotFound, TypeError, ValueError):
        logger.warning("automation event without a conversation", extra={"event": detail.get("event")})
        return {"matched": []}
    try:
        contact = contacts.get_contact(account_id, conversation.contact_id)
    except NotFound:
        contact = None
    subject = Subject(conversation, contact, message)
    matched, skipped = [], []
    for rule in rules:
        try:
            test = compile_conditions(account_id, rule.data["event_name"], rule.data["conditions"],
                                      check_references=False)
        except ParleyError as exc:  # saved before a rule of the checker changed: skip it, loudly
            logger.warning(f"skipped automation rule {rule.id}: {exc.message}", extra={"rule_id": rule.id})
            continue
        if not test(subject):
            continue
        matched.append(rule.id)
        event_id = detail.get("id")

        def step(index: int, work: Callable[[], None], rule_id: int = rule.id) -> None:
            if once is None:
                work()
            else:
                once(f"{event_id}#{rule_id}#{index}", work)

        with events.performed_by({"type": AUTOMATION, "id": rule.id}):
            skipped += actions.run(conversation, rule.data["actions"], actions.AUTOMATION_ACTIONS, rule_id=rule.id,
                                   once=step)
    return {"matched": matched, "skipped": skipped}
