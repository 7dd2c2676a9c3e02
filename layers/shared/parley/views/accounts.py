from __future__ import annotations

from ..models.account import Account
from .common import iso

VERSION = "4.10.0"  # the Chatwoot API version Parley answers as (clients branch on it)


def _set(**fields) -> dict:
    """Only the fields that have a value: the spec types them as strings and numbers, not null."""
    return {k: v for k, v in fields.items() if v is not None}


def account(item: Account) -> dict:
    settings = item.settings or {}
    return {
        "id": item.id,
        "name": item.name,
        "locale": item.locale,
        **_set(domain=item.domain, support_email=item.support_email),
        "status": item.status,
        "created_at": iso(item.created_at),
        "cache_keys": {},
        "features": list(item.features or []),
        "settings": {
            **_set(auto_resolve_after=settings.get("auto_resolve_after"),
                   auto_resolve_message=settings.get("auto_resolve_message")),
            "auto_resolve_ignore_waiting": bool(settings.get("auto_resolve_ignore_waiting")),
            "two_factor_required": bool(settings.get("two_factor_required")),
        },
        "custom_attributes": item.custom_attributes or {},
        "latest_chatwoot_version": VERSION,
        "subscribed_features": [],
    }


def platform_account(item: Account) -> dict:
    return {
        "id": item.id,
        "name": item.name,
        "locale": item.locale,
        "domain": item.domain,
        "support_email": item.support_email,
        "status": item.status,
        "limits": item.limits or {},
        "custom_attributes": item.custom_attributes or {},
        "created_at": iso(item.created_at),
    }


def canned_response(item) -> dict:
    return {"id": item.id, "account_id": item.account_id, "short_code": item.data["short_code"],
            "content": item.data["content"], "created_at": iso(item.created_at), "updated_at": iso(item.updated_at)}


def team(item, is_member: bool) -> dict:
    return {"id": item.id, "account_id": item.account_id, "name": item.data["name"],
            "description": item.data.get("description", ""), "allow_auto_assign": item.data.get("allow_auto_assign", True),
            "is_member": is_member}


def label(item) -> dict:
    return {"id": item.id, "title": item.data["title"], "description": item.data.get("description", ""),
            "color": item.data["color"], "show_on_sidebar": item.data.get("show_on_sidebar", False)}


def custom_attribute(item) -> dict:
    data = item.data
    return {
        "id": item.id,
        "attribute_display_name": data["attribute_display_name"],
        "attribute_display_type": data["attribute_display_type"],
        "attribute_description": data.get("attribute_description") or "",
        "attribute_key": data["attribute_key"],
        **_set(regex_pattern=data.get("regex_pattern"), regex_cue=data.get("regex_cue"),
               default_value=data.get("default_value")),
        "attribute_values": data.get("attribute_values") or [],
        "attribute_model": data["attribute_model"],
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
    }


def custom_filter(item) -> dict:
    return {"id": item.id, "name": item.data["name"], "type": item.data["type"], "query": item.data["query"],
            "created_at": iso(item.created_at), "updated_at": iso(item.updated_at)}
