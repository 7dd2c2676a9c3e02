"""Chatwoot's webhook JSON."""
from __future__ import annotations

from ..models.account_object import AccountObject


def webhook(item: AccountObject, *, with_secret: bool = False) -> dict:
    """`with_secret`: only in the answer to the request that created it (shown once)."""
    body = {"id": item.id, "url": item.data["url"], "name": item.data.get("name", ""),
            "subscriptions": list(item.data.get("subscriptions", [])), "account_id": item.account_id}
    if with_secret:
        body["secret"] = item.data["secret"]
    return body
