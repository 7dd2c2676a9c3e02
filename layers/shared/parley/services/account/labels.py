"""An account's labels: the titles agents tag conversations and contacts with, and how the
dashboard shows them (colour, sidebar)."""
from __future__ import annotations

from ...models.account_object import AccountObject
from . import account_objects

KIND, UNIQUE = "label", "title"
DEFAULT_COLOR = "#1f93ff"  # Chatwoot's column default


def create(account_id: int, title: str, description: str = "", color: str = DEFAULT_COLOR,
           show_on_sidebar: bool = False) -> AccountObject:
    # Chatwoot lower-cases titles: "VIP" and "vip" are one label, and conversations store the title.
    return account_objects.create(account_id, KIND, {"title": title.lower(), "description": description,
                                                     "color": color, "show_on_sidebar": show_on_sidebar}, UNIQUE)


def get(account_id: int, label_id: int) -> AccountObject:
    return account_objects.get(account_id, KIND, label_id, "Label")


def all_of(account_id: int) -> list[AccountObject]:
    return sorted(account_objects.all_of(account_id, KIND), key=lambda item: item.data["title"])


def update(label: AccountObject, changes: dict) -> AccountObject:
    if "title" in changes:
        changes = {**changes, "title": changes["title"].lower()}
    return account_objects.update(label, KIND, changes, UNIQUE)


def delete(label: AccountObject) -> None:
    account_objects.delete(label, KIND, UNIQUE)
