"""Custom filters: saved views of conversations, contacts or reports. Each belongs to the
user who saved it, and only that user sees it (as in Chatwoot)."""
from __future__ import annotations

from ...errors import Invalid, NotFound
from ...models.account_object import AccountObject
from . import account_objects

KIND = "custom_filter"
TYPES = ("conversation", "contact", "report")
MAX_PER_USER = 50  # Chatwoot's limit


def create(account_id: int, user_id: int, name: str, filter_type: str, query: dict) -> AccountObject:
    rows = account_objects.all_of(account_id, KIND)
    if sum(row.data["user_id"] == user_id for row in rows) >= MAX_PER_USER:
        raise Invalid(f"Limit reached: a user may save at most {MAX_PER_USER} custom filters in an account")
    # Lists read at most PAGE_LIMIT filters of the account: past that, some would silently vanish.
    if len(rows) >= account_objects.PAGE_LIMIT:
        raise Invalid(f"Limit reached: an account may hold at most {account_objects.PAGE_LIMIT} custom filters")
    return account_objects.create(account_id, KIND, {"user_id": user_id, "name": name, "type": filter_type,
                                                     "query": query})


def get(account_id: int, user_id: int, filter_id: int) -> AccountObject:
    """The caller's own filter; another user's answers 404, like a missing one."""
    item = account_objects.get(account_id, KIND, filter_id, "Custom filter")
    if item.data["user_id"] != user_id:
        raise NotFound("Custom filter not found")
    return item


def mine(account_id: int, user_id: int, filter_type: str) -> list[AccountObject]:
    return [row for row in account_objects.all_of(account_id, KIND)
            if row.data["user_id"] == user_id and row.data["type"] == filter_type]


def update(item: AccountObject, changes: dict) -> AccountObject:
    return account_objects.update(item, KIND, changes)


def delete(item: AccountObject) -> None:
    account_objects.delete(item, KIND)
