"""Users as Chatwoot shows them: profile / sign-in data, agents, account users."""
from __future__ import annotations

from typing import Iterable

from ..models.account import Account, AccountUser
from ..models.user import User
from .common import iso


def thumbnail(user: User) -> str:
    return user.avatar_url or ""


def sender(user: User) -> dict:
    """A user as a message's sender, an assignee or a notification's user."""
    return {"id": user.id, "name": user.name, "available_name": user.available_name,
            "avatar_url": user.avatar_url or "", "thumbnail": user.avatar_url or "", "type": "user"}


def custom_role(role) -> dict:
    """A custom role as Chatwoot renders it (GET .../custom_roles)."""
    return {"id": role.id, "account_id": role.account_id, "name": role.data.get("name", ""),
            "description": role.data.get("description") or "", "permissions": list(role.data.get("permissions") or []),
            "created_at": iso(role.created_at), "updated_at": iso(role.updated_at)}


def _role_summary(member: AccountUser) -> dict | None:
    """The member's custom role as Chatwoot puts it in an account user (id, name,
    description, permissions), when it was read (member.custom_role_item)."""
    role = member.custom_role_item if member.custom_role_id else None
    if role is None:
        return None
    return {"id": role.id, "name": role.data.get("name", ""), "description": role.data.get("description") or "",
            "permissions": list(role.data.get("permissions") or [])}


def _permissions(member: AccountUser, role: dict | None) -> list[str]:
    """Chatwoot's account user permissions: ["administrator"] or ["agent"], or for an
    agent with a custom role its permissions and "custom_role" (the dashboard reads these)."""
    if member.role == "administrator" or role is None:
        return [member.role]
    return role["permissions"] + ["custom_role"]


def account_entry(member: AccountUser, account: Account) -> dict:
    role = _role_summary(member)
    return {
        "id": account.id,
        "name": account.name,
        "status": account.status,
        "active_at": iso(member.active_at),
        "role": member.role,
        "permissions": _permissions(member, role),
        "availability": member.availability,
        "availability_status": member.availability,
        "auto_offline": member.auto_offline,
        "custom_role_id": role["id"] if role else None,
        "custom_role": role,
    }


def profile(user: User, memberships: list[tuple[AccountUser, Account]], access_token: str | None) -> dict:
    """GET /api/v1/profile and POST /auth/sign_in's data."""
    first = memberships[0] if memberships else None
    return {
        "id": user.id,
        "provider": "email",
        "uid": user.email,
        "name": user.name,
        "display_name": user.display_name,
        "available_name": user.available_name,
        "email": user.email,
        "account_id": first[1].id if first else None,
        "role": first[0].role if first else None,
        "accounts": [account_entry(m, a) for m, a in memberships],
        "access_token": access_token,
        # Two-factor sign-in (services/access/mfa.py): on, and whether an account of theirs
        # requires it while it is off (the dashboard then shows the enrolment first).
        "mfa_enabled": bool(user.otp_required_for_login),
        "mfa_enrollment_required": not user.otp_required_for_login
        and any((a.settings or {}).get("two_factor_required") for _, a in memberships),
        "pubsub_token": user.pubsub_token,
        "avatar_url": user.avatar_url or "",
        "thumbnail": thumbnail(user),
        "confirmed": user.confirmed,
        "message_signature": user.message_signature,
        "ui_settings": user.ui_settings or {},
        "custom_attributes": user.custom_attributes or {},
        "hmac_identifier": "",
        "inviter_id": first[0].inviter_id if first else None,
        "type": "SuperAdmin" if user.is_super_admin else None,
    }


def platform_user(user: User) -> dict:
    """A user as the Platform API shows it (no tokens: the app sets passwords itself)."""
    return {
        "id": user.id,
        "name": user.name,
        "display_name": user.display_name,
        "available_name": user.available_name,
        "email": user.email,
        "uid": user.email,
        "provider": "email",
        "avatar_url": user.avatar_url or "",
        "confirmed": user.confirmed,
        "custom_attributes": user.custom_attributes or {},
        "type": "SuperAdmin" if user.is_super_admin else None,
    }


def agent(member: AccountUser, user: User, online: bool = True) -> dict:
    """`online`: whether the agent has a live socket; an agent who is not connected shows
    as offline whatever they chose, as in Chatwoot."""
    role = _role_summary(member)
    shown = {
        "id": user.id,
        "account_id": member.account_id,
        # Chatwoot's server says online | busy | offline (its spec's "available" is refused
        # by published SDKs; docs/api-coverage.md, "Where the spec and the server differ").
        "availability_status": member.availability if online else "offline",
        "auto_offline": member.auto_offline,
        "confirmed": user.confirmed,
        "email": user.email,
        "available_name": user.available_name,
        "name": user.name,
        "role": member.role,
        "thumbnail": thumbnail(user),
    }
    if role is not None:  # the spec types custom_role_id as an integer: absent, not null, without one
        shown.update(custom_role_id=role["id"], custom_role=role)
    return shown


def account_user(member: AccountUser) -> dict:
    return {"account_id": member.account_id, "user_id": member.user_id, "role": member.role}


def members(people: Iterable[tuple[AccountUser, User]], user_ids: Iterable[int]) -> list[dict]:
    """The agents among `people` (an account's members) whose ids are `user_ids`, in that
    order: an inbox's, a team's or a conversation's participants. An id that is no longer
    a member of the account is left out."""
    by_id = {user.id: (member, user) for member, user in people}
    return [agent(*by_id[user_id]) for user_id in user_ids if user_id in by_id]
