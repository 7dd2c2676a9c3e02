"""Macros and automation rules as Chatwoot shows them."""
from __future__ import annotations

from ..models.account_object import AccountObject
from ..models.user import User
from .common import epoch, iso
from .users import thumbnail


def _user(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "available_name": user.available_name, "email": user.email,
            "thumbnail": thumbnail(user)}


def macro(item: AccountObject, people: dict[int, User]) -> dict:
    data = item.data
    return {"id": item.id, "account_id": item.account_id, "name": data["name"], "visibility": data["visibility"],
            "actions": data["actions"], "created_by": _user(people.get(data.get("created_by_id"))),
            "updated_by": _user(people.get(data.get("updated_by_id"))), "files": [],
            "created_at": iso(item.created_at), "updated_at": iso(item.updated_at)}


def automation_rule(item: AccountObject) -> dict:
    data = item.data
    return {"id": item.id, "account_id": item.account_id, "name": data["name"],
            "description": data.get("description") or "", "event_name": data["event_name"],
            "conditions": data["conditions"], "actions": data["actions"], "created_on": epoch(item.created_at),
            "active": bool(data.get("active")), "files": []}
