"""Captain's copilot threads and messages as Chatwoot's API renders them (integer
timestamps). Render only."""
from __future__ import annotations

from ..models.account_object import AccountObject


def _ts(value) -> int | None:
    return int(value.timestamp()) if value is not None else None


def _assistant_short(item: AccountObject | None) -> dict | None:
    return {"id": item.id, "name": item.data.get("name") or ""} if item is not None else None


def thread(item: AccountObject, user: dict, owner: AccountObject | None) -> dict:
    """Chatwoot's copilot thread: id, title, uuid, created_at, user, assistant, account_id.
    `user` is the thread's user as a sender (views.users.sender); `owner` its assistant
    (None once deleted)."""
    data = item.data
    return {"id": item.id, "title": data.get("title") or "", "uuid": data.get("uuid"),
            "created_at": _ts(item.created_at), "user": user, "assistant": _assistant_short(owner),
            "account_id": item.account_id}


def threads(items: list[AccountObject], user: dict, owners: dict[int, AccountObject]) -> dict:
    return {"payload": [thread(item, user, owners.get(item.data.get("assistant_id"))) for item in items]}


def message(item: AccountObject, thread: AccountObject) -> dict:
    """Chatwoot's copilot message: id, message ({content, ...}), message_type (user |
    assistant), created_at, copilot_thread ({id, title, created_at}), account_id."""
    return {"id": item.id, "message": dict(item.data.get("message") or {}),
            "message_type": item.data.get("message_type"), "created_at": _ts(item.created_at),
            "copilot_thread": {"id": thread.id, "title": thread.data.get("title") or "",
                               "created_at": _ts(thread.created_at)},
            "account_id": item.account_id}


def messages(items: list[AccountObject], thread: AccountObject) -> dict:
    return {"payload": [message(item, thread) for item in items]}
