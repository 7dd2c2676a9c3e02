"""Contact notes as Chatwoot shows them."""
from __future__ import annotations

from ..models.account_object import AccountObject
from ..models.user import User
from .common import epoch


def note(item: AccountObject, author: User | None) -> dict:
    user = None
    if author is not None:
        user = {"id": author.id, "name": author.name, "available_name": author.available_name,
                "email": author.email, "avatar_url": author.avatar_url or "", "thumbnail": author.avatar_url or "",
                "type": "user"}
    return {"id": item.id, "content": item.data.get("content", ""), "account_id": item.account_id,
            "contact_id": item.data.get("contact_id"), "user": user,
            "created_at": epoch(item.created_at), "updated_at": epoch(item.updated_at)}
