"""Chatwoot's conversation filter (POST /conversations/filter), served from the indexes.

The payload is compiled first (an unknown attribute or operator, a malformed date, a
word where an id belongs: 422 before anything is read). Each OR-group of conditions is
then served by the index partitions its equality conditions on status, assignee and
inbox allow, the cheapest by the count buckets (services/conversation/conversation_queries.py); the
union of the groups' partitions is read newest activity first and every condition is
applied in memory, until the page is full or FILTER_READ_LIMIT conversations were
examined. Agents who are not administrators only ever get their inboxes' conversations.
"""
from __future__ import annotations

from typing import Any, Callable

from ... import permissions
from ...errors import Invalid
from ...models.account import AccountUser
from ...models.contact import Contact
from ...models.conversation import STATUSES, Conversation
from . import conversation_queries as queries, conversations
from ..account import custom_attributes, filtering
from ..account.filtering import DATE_OPERATORS, NO_VALUE_OPERATORS, TEXT_OPERATORS

FILTER_READ_LIMIT = 2000  # conversations one filter request examines beyond its page
EQUALITY = ("equal_to", "not_equal_to")
ID_OPERATORS = EQUALITY + NO_VALUE_OPERATORS
PRIORITIES = ("urgent", "high", "medium", "low", "none")
# Chatwoot's conversation filter keys (its lib/filters/filter_keys.yml): key -> (kind, operators)
FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "status": ("status", EQUALITY),
    "assignee_id": ("id", ID_OPERATORS),
    "inbox_id": ("id", ID_OPERATORS),
    "team_id": ("id", ID_OPERATORS),
    "contact_id": ("id", EQUALITY),
    "priority": ("priority", EQUALITY),
    "display_id": ("display_id", TEXT_OPERATORS),
    "labels": ("labels", EQUALITY + NO_VALUE_OPERATORS),
    "browser_language": ("additional", EQUALITY),
    "conversation_language": ("additional", EQUALITY),
    "country_code": ("additional", EQUALITY),
    "referer": ("additional", TEXT_OPERATORS),
    "mail_subject": ("additional", TEXT_OPERATORS),
    "created_at": ("date", DATE_OPERATORS),
    "last_activity_at": ("date", DATE_OPERATORS),
}
CUSTOM_MODELS = ("conversation_attribute", "contact_attribute")


def _ids(where: str, key: str, wanted: list[str]) -> set[int]:
    """Integer ids; Chatwoot's dashboard sends "me"-less plain ids, and "0"/"none" for none."""
    result = set()
    for value in wanted:
        if value in ("none", "null", "nil"):
            result.add(0)
        elif value.isdigit() and len(value) <= 18:
            result.add(int(value))
        else:
            raise Invalid(f"{key} takes ids, not {value[:40]!r}", field=f"{where}.values")
    return result


class Condition:
    """One compiled condition: its test, plus what the planner may use (the exact set of
    statuses, assignees or inboxes it requires, if it is an equality on one of them)."""

    def __init__(self, test: Callable[[Any], bool], *, statuses: set[str] | None = None,
                 assignees: set[int] | None = None, inboxes: set[int] | None = None, contact: bool = False):
        self.test, self.statuses, self.assignees, self.inboxes, self.contact = test, statuses, assignees, inboxes, contact
        # Exactly a set of buckets: the count buckets alone can count its matches.
        self.exact = statuses is not None or assignees is not None or inboxes is not None

    def __call__(self, row) -> bool:
        return self.test(row)


def _compile(account_id: int, index: int, item: dict) -> Condition:
    where = f"payload.{index}"
    key, operator = str(item.get("attribute_key") or ""), str(item.get("filter_operator") or "")
    values = item.get("values")
    values = values if isinstance(values, list) else [] if values is None else [values]
    model = item.get("custom_attribute_type") or item.get("attribute_model") or ""
    if key in FILTERS and model not in CUSTOM_MODELS:
        kind, operators = FILTERS[key]
    elif model in CUSTOM_MODELS or key not in FILTERS:
        kind, operators = "custom", filtering.CUSTOM_OPERATORS
        model = model if model in CUSTOM_MODELS else "conversation_attribute"
        defined = {d.data["attribute_key"] for d in custom_attributes.all_of(account_id, model)}
        if key not in defined:
            raise Invalid(f"Invalid attribute key - [{key}]", field=f"{where}.attribute_key")
    if operator not in operators:
        raise Invalid(f"Invalid filter operator for {key} - [{operator}]; use one of: {', '.join(operators)}",
                      field=f"{where}.filter_operator")
    wanted = filtering.wanted_values(where, key, operator, values)
    negate = operator == "not_equal_to"

    if kind == "status":
        unknown = [w for w in wanted if w not in STATUSES + ("all",)]
        if unknown:
            raise Invalid(f"status takes {', '.join(STATUSES)}, not {unknown[0][:40]!r}", field=f"{where}.values")
        statuses = set(STATUSES) if "all" in wanted else set(wanted)
        if negate:
            return Condition(lambda c: c.status not in statuses)
        return Condition(lambda c: c.status in statuses, statuses=statuses)
    if kind == "id":
        attribute = key
        if operator in NO_VALUE_OPERATORS:
            present = operator == "is_present"
            return Condition(lambda c: bool(getattr(c, attribute)) == present,
                             assignees={0} if key == "assignee_id" and not present else None)
        ids = _ids(where, key, wanted)
        if negate:
            return Condition(lambda c: (getattr(c, attribute) or 0) not in ids)
        return Condition(lambda c: (getattr(c, attribute) or 0) in ids,
                         assignees=ids if key == "assignee_id" else None,
                         inboxes=ids if key == "inbox_id" else None)
    if kind == "priority":
        unknown = [w for w in wanted if w not in PRIORITIES]
        if unknown:
            raise Invalid(f"priority takes {', '.join(PRIORITIES)}, not {unknown[0][:40]!r}", field=f"{where}.values")
        test = filtering.text_test(operator, wanted)
        return Condition(lambda c: test(c.priority or "none"))
    if kind == "display_id":
        test = filtering.text_test(operator, wanted)
        return Condition(lambda c: test(str(c.display_id)))
    if kind == "labels":
        if operator in NO_VALUE_OPERATORS:
            present = operator == "is_present"
            return Condition(lambda c: bool(c.labels) == present)
        labels = set(wanted)
        has: Callable[[Conversation], bool] = lambda c: bool(labels & {x.lower() for x in c.labels or []})  # noqa: E731
        return Condition(has if not negate else (lambda c: not has(c)))
    if kind == "additional":
        test = filtering.text_test(operator, wanted)
        return Condition(lambda c: test(filtering.text((c.additional_attributes or {}).get(key))))
    if kind == "date":
        def moment_of(c: Conversation) -> float | None:
            if key == "created_at":
                return c.created_at.timestamp() if c.created_at else None
            return c.last_activity_at / 1000 if c.last_activity_at is not None else None
        return Condition(filtering.date_test(where, key, operator, wanted, moment_of))
    if model == "contact_attribute":  # read from the conversation's contact, fetched for the candidates
        return Condition(filtering.custom_test(where, key, operator, wanted,
                                               lambda row: (row[1].custom_attributes or {}).get(key) if row[1] else None),
                         contact=True)
    return Condition(filtering.custom_test(where, key, operator, wanted,
                                           lambda c: (c.custom_attributes or {}).get(key)))


def _group_partitions(account_id: int, counted: dict, group: list[tuple[dict, Condition]],
                      allowed: set[int] | None) -> list[tuple[object, str]]:
    """The partitions that hold every conversation the group can match: its equality
    conditions narrow statuses, assignees and inboxes (several narrow by intersection)."""
    statuses, assignees, inboxes = set(STATUSES), None, allowed
    for _, condition in group:
        if condition.statuses is not None:
            statuses &= condition.statuses
        if condition.assignees is not None:
            assignees = condition.assignees if assignees is None else assignees & condition.assignees
        if condition.inboxes is not None:
            inboxes = condition.inboxes if inboxes is None else inboxes & condition.inboxes
    if not statuses or assignees == set() or inboxes == set():
        return []
    ordered = [s for s in STATUSES if s in statuses]
    return queries.plan(account_id, counted, ordered, inboxes=inboxes, assignees=assignees)


def filter_conversations(account_id: int, member: AccountUser, conditions: list[dict], *,
                         page: int = 1) -> tuple[dict, list[Conversation], bool]:
    """One page (25, newest activity first) of the conversations the caller may see that
    match Chatwoot's filter payload, with meta counts of the matches found (exact unless
    the read stopped at FILTER_READ_LIMIT: the third value says it did)."""
    if page < 1 or page > 1000:
        raise Invalid("page must be between 1 and 1000", field="page")
    grouped = filtering.groups(conditions, lambda index, item: _compile(account_id, index, item))
    allowed = conversations.visible_inboxes(account_id, member)
    scope = permissions.conversation_scope(member)  # a custom role's mode narrows the matches
    empty = {"mine_count": 0, "unassigned_count": 0, "assigned_count": 0, "all_count": 0}
    if allowed == set():
        return empty, [], False
    counted = queries.buckets(account_id, STATUSES)
    partitions = list(dict.fromkeys(p for group in grouped
                                    for p in _group_partitions(account_id, counted, group, allowed)))
    needs_contact = any(condition.contact for group in grouped for _, condition in group)
    contacts: dict[int, Contact | None] = {}

    def matches(c: Conversation) -> bool:
        if allowed is not None and c.inbox_id not in allowed:
            return False
        if not scope.everything and not scope.admits(c):
            return False
        if needs_contact and c.contact_id not in contacts:
            try:
                contacts[c.contact_id] = Contact.get(c.contact_id)
            except Contact.DoesNotExist:
                contacts[c.contact_id] = None
        return any(all(condition((c, contacts.get(c.contact_id)) if condition.contact else c)
                       for _, condition in group) for group in grouped)

    wanted = page * conversations.PAGE_SIZE
    # Reading one page past this one gives the counts a little more than the page; the
    # read never passes FILTER_READ_LIMIT items, so its cost is the same at any size.
    rows, truncated = queries.read(partitions, matches, wanted + conversations.PAGE_SIZE, wanted + FILTER_READ_LIMIT,
                                   page_size=200)
    if scope.everything and all(condition.exact for group in grouped for _, condition in group):
        return _bucket_counts(counted, grouped, member, allowed), rows[(page - 1) * conversations.PAGE_SIZE:wanted], False
    meta = dict(empty)
    for c in rows:
        meta["all_count"] += 1
        if not c.assignee_id:
            meta["unassigned_count"] += 1
        elif c.assignee_id == member.user_id:
            meta["mine_count"] += 1
    meta["assigned_count"] = meta["all_count"] - meta["unassigned_count"]
    return meta, rows[(page - 1) * conversations.PAGE_SIZE:wanted], truncated


def _bucket_counts(counted: dict, grouped: list, member: AccountUser, allowed: set[int] | None) -> dict:
    """Exact counts when every condition is an equality on status, assignee or inbox."""
    def in_group(bucket, group) -> bool:
        status, inbox_id, assignee_id = bucket
        return all((c.statuses is None or status in c.statuses) and (c.assignees is None or assignee_id in c.assignees)
                   and (c.inboxes is None or inbox_id in c.inboxes) for _, c in group)

    chosen = {bucket: n for bucket, n in counted.items() if any(in_group(bucket, group) for group in grouped)}
    return queries.summary(chosen, member, allowed)
