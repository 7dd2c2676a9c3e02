"""Canned responses: text an agent inserts by typing "/" and its short code."""
from __future__ import annotations

from ...models.account_object import AccountObject
from . import account_objects

KIND, UNIQUE = "canned_response", "short_code"


def create(account_id: int, short_code: str, content: str) -> AccountObject:
    return account_objects.create(account_id, KIND, {"short_code": short_code, "content": content}, UNIQUE)


def get(account_id: int, response_id: int) -> AccountObject:
    return account_objects.get(account_id, KIND, response_id, "Canned response")


def search(account_id: int, text: str | None = None) -> list[AccountObject]:
    """All of the account's responses; with `text`, those whose short code or content
    contains it, short-code matches first (what the "/" picker shows)."""
    rows = account_objects.all_of(account_id, KIND)
    if not text:
        return rows
    needle = text.lower()
    by_code = [r for r in rows if needle in r.data["short_code"].lower()]
    by_content = [r for r in rows if r not in by_code and needle in r.data["content"].lower()]
    return by_code + by_content


def update(item: AccountObject, changes: dict) -> AccountObject:
    return account_objects.update(item, KIND, changes, UNIQUE)


def delete(item: AccountObject) -> None:
    account_objects.delete(item, KIND, UNIQUE)
