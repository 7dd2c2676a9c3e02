"""Agent bots as Chatwoot shows them."""
from __future__ import annotations

from ..models.account_object import AccountObject

GLOBAL = 0  # the AccountObjects partition of bots that belong to no account


def agent_bot(item: AccountObject, *, access_token: str | None = None) -> dict:
    """The token is shown once, when it is made (only its hash is kept)."""
    data = item.data
    body = {
        "id": item.id,
        "name": data.get("name", ""),
        "description": data.get("description") or "",
        "thumbnail": data.get("avatar_url") or "",
        "outgoing_url": data.get("outgoing_url") or "",
        "bot_type": "webhook",
        "bot_config": data.get("bot_config") or {},
        "system_bot": item.account_id == GLOBAL,
    }
    if item.account_id != GLOBAL:  # the spec types account_id as a number, not null
        body["account_id"] = item.account_id
    if access_token:
        body["access_token"] = access_token
    return body


def sender(item: AccountObject) -> dict:
    """The short form stored with a bot's messages."""
    avatar = item.data.get("avatar_url") or ""
    return {"id": item.id, "name": item.data.get("name", ""), "avatar_url": avatar, "thumbnail": avatar,
            "type": "agent_bot"}
