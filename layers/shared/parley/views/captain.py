"""Captain's configuration as Chatwoot's API renders it: assistants and FAQs (assistant
responses). Timestamps are integers (seconds), as Chatwoot's jbuilder views give them.

Render only: the routes hand over the items and what was read with them."""
from __future__ import annotations

from ..models.account_object import AccountObject
from .common import iso


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


def scenario(item: AccountObject, owner: AccountObject | None) -> dict:
    """As Chatwoot's scenario view, whose timestamps are ISO 8601 strings (not integers)."""
    data = item.data
    return {
        "id": item.id,
        "title": data.get("title") or "",
        "description": data.get("description") or "",
        "instruction": data.get("instruction") or "",
        "tools": list(data.get("tools") or []) or None,  # Chatwoot stores null when none is named
        "enabled": bool(data.get("enabled")),
        "assistant_id": data.get("assistant_id"),
        "account_id": item.account_id,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        **({"assistant": {"id": owner.id, "name": owner.data.get("name") or ""}} if owner is not None else {}),
    }


def scenarios(items: list[AccountObject], owner: AccountObject) -> dict:
    return {"payload": [scenario(item, owner) for item in items], "meta": {"total_count": len(items), "page": 1}}
