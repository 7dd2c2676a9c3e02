"""Captain's configuration as Chatwoot's API renders it: assistants and FAQs (assistant
responses). Timestamps are integers (seconds), as Chatwoot's jbuilder views give them.

Render only: the routes hand over the items and what was read with them."""
from __future__ import annotations

from ..models.account_object import AccountObject


def _ts(value) -> int | None:
    return int(value.timestamp()) if value is not None else None


def assistant(item: AccountObject) -> dict:
    data = item.data
    return {
        "account_id": item.account_id,
        "config": dict(data.get("config") or {}),
        "created_at": _ts(item.created_at),
        "description": data.get("description") or "",
        "guardrails": list(data.get("guardrails") or []),
        "id": item.id,
        "name": data.get("name") or "",
        "response_guidelines": list(data.get("response_guidelines") or []),
        "updated_at": _ts(item.updated_at),
    }


def assistants(items: list[AccountObject]) -> dict:
    """Chatwoot's index: {payload, meta: {total_count, page: 1}} (not paginated)."""
    return {"payload": [assistant(item) for item in items], "meta": {"total_count": len(items), "page": 1}}


def response(item: AccountObject, owner: AccountObject | None) -> dict:
    data = item.data
    return {
        "account_id": item.account_id,
        "answer": data.get("answer") or "",
        "assistant_id": data.get("assistant_id"),
        "created_at": _ts(item.created_at),
        "document_id": data.get("document_id"),
        "id": item.id,
        "question": data.get("question") or "",
        "status": data.get("status") or "approved",
        "updated_at": _ts(item.updated_at),
        "assistant": assistant(owner) if owner is not None else None,
        "document": None,  # documents are still to come
    }


def responses(items: list[AccountObject], owners: dict[int, AccountObject], total: int, page: int) -> dict:
    return {"payload": [response(item, owners.get(item.data.get("assistant_id"))) for item in items],
            "meta": {"total_count": total, "page": page}}


# ---------------------------------------------------------------- copilot

def _assistant_short(item: AccountObject | None) -> dict | None:
    return {"id": item.id, "name": item.data.get("name") or ""} if item is not None else None


def copilot_thread(item: AccountObject, user: dict, owner: AccountObject | None) -> dict:
    """Chatwoot's copilot thread: id, title, uuid, created_at, user, assistant, account_id.
    `user` is the thread's user as a sender (views.users.sender); `owner` its assistant
    (None once deleted)."""
    data = item.data
    return {"id": item.id, "title": data.get("title") or "", "uuid": data.get("uuid"),
            "created_at": _ts(item.created_at), "user": user, "assistant": _assistant_short(owner),
            "account_id": item.account_id}


def copilot_threads(items: list[AccountObject], user: dict, owners: dict[int, AccountObject]) -> dict:
    return {"payload": [copilot_thread(item, user, owners.get(item.data.get("assistant_id"))) for item in items]}


def copilot_message(item: AccountObject, thread: AccountObject) -> dict:
    """Chatwoot's copilot message: id, message ({content, ...}), message_type (user |
    assistant), created_at, copilot_thread ({id, title, created_at}), account_id."""
    return {"id": item.id, "message": dict(item.data.get("message") or {}),
            "message_type": item.data.get("message_type"), "created_at": _ts(item.created_at),
            "copilot_thread": {"id": thread.id, "title": thread.data.get("title") or "",
                               "created_at": _ts(thread.created_at)},
            "account_id": item.account_id}


def copilot_messages(items: list[AccountObject], thread: AccountObject) -> dict:
    return {"payload": [copilot_message(item, thread) for item in items]}
