"""Captain's provider settings as the API renders them: every field but the key, which is
write-only (`api_key_set` says whether one will be used). Render only."""
from __future__ import annotations

from ..models.account_object import AccountObject

FIELDS = ("provider", "base_url", "chat_model", "embedding_model", "allow_private_address")


def provider_settings(account_id: int, settings: dict, source: str, item: AccountObject | None, *,
                      assistant_id: int | None = None, key_set: bool = False, limits: dict | None = None,
                      private_addresses_allowed: bool = False) -> dict:
    """`source`: where the settings come from ("assistant", "account" or "installation").
    `limits` (the account's budget and rate limit) are rendered on the account's settings;
    `private_addresses_allowed`: whether this installation lets `allow_private_address` be set."""
    rendered = {
        "account_id": account_id,
        "assistant_id": assistant_id,
        "source": source,
        "provider": settings.get("provider"),
        "base_url": settings.get("base_url"),
        "chat_model": settings.get("chat_model"),
        "embedding_model": settings.get("embedding_model"),
        "allow_private_address": bool(settings.get("allow_private_address")),
        "api_key_set": key_set,
        "private_addresses_allowed": private_addresses_allowed,
        "updated_at": int(item.updated_at.timestamp()) if item is not None and item.updated_at else None,
    }
    if limits is not None:
        rendered["monthly_budget_usd"] = limits.get("monthly_budget_usd")
        rendered["rate_limit_per_minute"] = limits.get("rate_limit_per_minute")
    return rendered
