"""Captain's configuration as Chatwoot's API renders it: assistants, FAQs (assistant
responses) and documents. Timestamps are integers (seconds), as Chatwoot's jbuilder views give them.

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


SENDER_TYPE = "Captain::Assistant"  # a message's sender_type when Captain wrote it (as Chatwoot stores it)


def sender(item: AccountObject) -> dict:
    """The short form stored with the assistant's messages: the dashboard and the widget
    show it as the bot (`type` "captain_assistant"; an assistant has no avatar)."""
    return {"id": item.id, "name": item.data.get("name") or "Captain", "avatar_url": "", "thumbnail": "",
            "type": "captain_assistant"}


def assistants(items: list[AccountObject]) -> dict:
    """Chatwoot's index: {payload, meta: {total_count, page: 1}} (not paginated)."""
    return {"payload": [assistant(item) for item in items], "meta": {"total_count": len(items), "page": 1}}


def response(item: AccountObject, owner: AccountObject | None, document: AccountObject | None = None) -> dict:
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
        # The document it came from, as Chatwoot renders it (null once that document is deleted).
        "document": ({"id": document.id, "external_link": document.data.get("external_link"),
                      "name": document.data.get("name")} if document is not None else None),
    }


def responses(items: list[AccountObject], owners: dict[int, AccountObject], total: int, page: int,
              sources: dict[int, AccountObject] | None = None) -> dict:
    sources = sources or {}
    return {"payload": [response(item, owners.get(item.data.get("assistant_id")), sources.get(item.data.get("document_id")))
                        for item in items],
            "meta": {"total_count": total, "page": page}}


def document(item: AccountObject, owner: AccountObject | None, state: tuple[str, str | None]) -> dict:
    """Chatwoot's document (account_id, assistant, content, created_at, external_link, id,
    name, status, updated_at) plus Parley's assistant_id, error (why it failed), source and
    metadata (what was read). `state` is the (status, error) shown (services decide it)."""
    data = item.data
    status, error = state
    return {
        "account_id": item.account_id,
        "assistant": assistant(owner) if owner is not None else None,
        "assistant_id": data.get("assistant_id"),
        "content": data.get("content"),
        "created_at": _ts(item.created_at),
        "error": error,
        "external_link": data.get("external_link"),
        "id": item.id,
        "metadata": {"source": data.get("source"), "pages": data.get("pages") or 0,
                     "chunk_count": data.get("chunk_count") or 0, "content_length": data.get("content_length") or 0,
                     "truncated": bool(data.get("truncated"))},
        "name": data.get("name") or "",
        "source": data.get("source"),
        "status": status,
        "updated_at": _ts(item.updated_at),
    }


def documents(items: list[AccountObject], owners: dict[int, AccountObject], states: list[tuple[str, str | None]],
              total: int, page: int) -> dict:
    return {"payload": [document(item, owners.get(item.data.get("assistant_id")), state) for item, state in zip(items, states)],
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
