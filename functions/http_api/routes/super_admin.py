"""/super_admin/api/v1: the super-admin console's API, for super admins only (an
administrator or agent gets 403): installation config, accounts, users, platform apps,
installation-wide agent bots, the installation's audit log and the instance status.

Every action here is audited by the services it calls (services/lifecycle/console.py):
on an account in that account's audit log, on a user in each of its accounts' logs, on
what belongs to no account in the installation's own log."""
from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field, StrictBool

from api import AccountFields, Body, base_url, body, path_id, query, super_admin
from parley import global_config
from parley.errors import Invalid
from parley.services.account import accounts
from parley.services.lifecycle import console
from parley.views.accounts import platform_account
from parley.views.common import iso
from parley.views.users import account_entry, platform_user

router = Router()

PREFIX = "/super_admin/api/v1"


class ConfigUpdate(Body):
    value: Any = None


class PlatformAppCreate(Body):
    name: str = Field(min_length=1, max_length=255)


Features = Field(default=None, max_length=100)
Limits = Field(default=None, max_length=20)


class AccountCreate(AccountFields):
    name: str = Field(min_length=1, max_length=255)
    limits: dict[str, int] | None = Limits
    features: list[str] | None = Features


class AccountChanges(AccountFields):
    status: Literal["active", "suspended"] | None = None
    limits: dict[str, int] | None = Limits
    features: list[str] | None = Features


class Listing(Body):
    q: str | None = Field(default=None, max_length=255)
    before: int | None = Field(default=None, ge=1)
    per_page: int = Field(default=25, ge=1, le=100)


class UserCreate(Body):
    name: str = Field(min_length=1, max_length=255)
    email: str = Field(min_length=3, max_length=254)
    display_name: str | None = Field(default=None, max_length=255)
    password: str | None = Field(default=None, max_length=256)
    super_admin: StrictBool = False


class UserChanges(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    display_name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, min_length=3, max_length=254)


class NewPassword(Body):
    password: str | None = Field(default=None, min_length=1, max_length=256)
    send_email: StrictBool = False


class SuperAdminFlag(Body):
    super_admin: StrictBool


class BotPayload(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    outgoing_url: str | None = Field(default=None, max_length=2048)
    avatar_url: str | None = Field(default=None, max_length=2048)
    bot_config: dict | None = Field(default=None, max_length=50)


def _page(items: list[dict], cursor: int | None) -> dict:
    """A listing's page: the items and `meta.next_before`, the cursor of the next page
    (null at the end); a search may answer fewer items than per_page with a cursor (it
    reads a bounded number of ids per request)."""
    return {"payload": items, "meta": {"next_before": cursor, "count": len(items)}}


# ---------------------------------------------------------------- installation config

@router.get(f"{PREFIX}/installation_configs")
def list_configs():
    super_admin(router)
    return {"payload": global_config.listing()}


@router.route(f"{PREFIX}/installation_configs/<name>", method=["PATCH", "PUT"])
def update_config(name: str):
    super_admin(router)
    payload = body(router, ConfigUpdate)
    return global_config.view(global_config.update(name, payload.value))


# ---------------------------------------------------------------- accounts
# The super admin manages every account, suspended ones included: these routes never pass
# through membership, so a suspension cannot lock out the one who lifts it.

def _account(item, with_counts: bool = False) -> dict:
    shown = {**platform_account(item), "features": list(item.features or []), "platform_app_id": item.platform_app_id}
    if with_counts:
        shown["counts"] = console.counts(item)
    return shown


@router.get(f"{PREFIX}/accounts")
def list_accounts():
    super_admin(router)
    params = query(router, Listing)
    found, cursor = console.list_accounts(params.q, params.before, params.per_page)
    return _page([_account(a, with_counts=True) for a in found], cursor)


@router.post(f"{PREFIX}/accounts")
def create_account():
    super_admin(router)
    payload = body(router, AccountCreate, wrapper="account")
    return _account(console.create_account(**payload.model_dump(exclude_none=True)), with_counts=True)


@router.get(f"{PREFIX}/accounts/features")
def list_features():
    super_admin(router)
    return {"payload": list(console.FEATURES)}


@router.get(f"{PREFIX}/accounts/<account_id>")
def show_account(account_id: str):
    super_admin(router)
    return _account(accounts.get_account(path_id(account_id)), with_counts=True)


@router.patch(f"{PREFIX}/accounts/<account_id>")
def update_account(account_id: str):
    super_admin(router)
    account = accounts.get_account(path_id(account_id))
    changes = body(router, AccountChanges, wrapper="account").model_dump(exclude_unset=True, exclude_none=True)
    return _account(console.update_account(account, **changes))


@router.post(f"{PREFIX}/accounts/<account_id>/suspend")
def suspend_account(account_id: str):
    super_admin(router)
    return _account(console.set_status(accounts.get_account(path_id(account_id)), "suspended"))


@router.post(f"{PREFIX}/accounts/<account_id>/reactivate")
def reactivate_account(account_id: str):
    super_admin(router)
    return _account(console.set_status(accounts.get_account(path_id(account_id)), "active"))


@router.delete(f"{PREFIX}/accounts/<account_id>")
def delete_account(account_id: str):
    super_admin(router)
    # A deletion under way may be asked for again (it re-queues the job).
    return _account(console.delete_account(accounts.get_account(path_id(account_id), deleting=True)))


@router.get(f"{PREFIX}/accounts/<account_id>/account_users")
def account_members(account_id: str):
    super_admin(router)
    account = accounts.get_account(path_id(account_id))
    return {"payload": [{**platform_user(user), "role": member.role} for member, user in accounts.members(account.id)]}


class AccountMember(Body):
    user_id: int | None = Field(default=None, ge=1)
    email: str | None = Field(default=None, min_length=3, max_length=254)
    role: Literal["agent", "administrator"] = "agent"


@router.post(f"{PREFIX}/accounts/<account_id>/account_users")
def add_account_member(account_id: str):
    """Add a user (by id or e-mail) to the account with a role, or change its role there."""
    super_admin(router)
    account = accounts.get_account(path_id(account_id))
    payload = body(router, AccountMember)
    member = console.add_member(account, user_id=payload.user_id, email=payload.email, role=payload.role)
    return {"account_id": member.account_id, "user_id": member.user_id, "role": member.role}


@router.delete(f"{PREFIX}/accounts/<account_id>/account_users/<user_id>")
def remove_account_member(account_id: str, user_id: str):
    super_admin(router)
    account = accounts.get_account(path_id(account_id))
    console.remove_member(account, path_id(user_id))
    return {}


# ---------------------------------------------------------------- users

def _user(item) -> dict:
    return {**platform_user(item), "created_at": iso(item.created_at)}


def _target_user(user_id: str):
    from parley.services.access import users

    return users.get_user(path_id(user_id))


@router.get(f"{PREFIX}/users")
def list_users():
    super_admin(router)
    params = query(router, Listing)
    found, cursor = console.list_users(params.q, params.before, params.per_page)
    return _page([_user(u) for u in found], cursor)


@router.post(f"{PREFIX}/users")
def create_user():
    super_admin(router)
    payload = body(router, UserCreate, wrapper="user")
    return _user(console.create_user(email=payload.email, name=payload.name, password=payload.password,
                                     display_name=payload.display_name, super_admin=payload.super_admin))


@router.get(f"{PREFIX}/users/<user_id>")
def show_user(user_id: str):
    super_admin(router)
    user = _target_user(user_id)
    return {**_user(user), "accounts": [account_entry(m, a) for m, a in console.accounts_of(user)]}


@router.patch(f"{PREFIX}/users/<user_id>")
def update_user(user_id: str):
    super_admin(router)
    user = _target_user(user_id)
    changes = body(router, UserChanges, wrapper="user").model_dump(exclude_unset=True, exclude_none=True)
    return _user(console.update_user(user, **changes))


@router.delete(f"{PREFIX}/users/<user_id>")
def delete_user(user_id: str):
    caller = super_admin(router).user
    console.delete_user(_target_user(user_id), caller)
    return {}


@router.get(f"{PREFIX}/users/<user_id>/accounts")
def user_accounts(user_id: str):
    super_admin(router)
    return {"payload": [account_entry(m, a) for m, a in console.accounts_of(_target_user(user_id))]}


@router.post(f"{PREFIX}/users/<user_id>/confirm")
def confirm_user(user_id: str):
    super_admin(router)
    return _user(console.confirm_user(_target_user(user_id)))


@router.post(f"{PREFIX}/users/<user_id>/reset_password")
def reset_password(user_id: str):
    """Mail a reset link (`send_email: true`) or set the password (`password`; every session ends).

    The link is password_resets' own (an hour, single use). One of the two, else 422."""
    super_admin(router)
    user = _target_user(user_id)
    payload = body(router, NewPassword)
    if (payload.password is None) == (not payload.send_email):
        raise Invalid("Give either a password or send_email: true", field="password")
    if payload.password is not None:
        console.set_password(user, payload.password)
        return {"password_set": True, "email_sent": False}
    console.send_password_reset(user, base_url(router))
    return {"password_set": False, "email_sent": True}


@router.post(f"{PREFIX}/users/<user_id>/revoke_tokens")
def revoke_tokens(user_id: str):
    super_admin(router)
    return {"revoked": console.revoke_tokens(_target_user(user_id))}


@router.put(f"{PREFIX}/users/<user_id>/super_admin")
def set_super_admin(user_id: str):
    caller = super_admin(router).user
    flag = body(router, SuperAdminFlag).super_admin
    return _user(console.set_super_admin(_target_user(user_id), flag, caller))


# ---------------------------------------------------------------- platform apps

def _app(item, token: str | None = None) -> dict:
    shown = {"id": item.id, "name": item.name, "created_at": iso(item.created_at)}
    if token:
        shown["access_token"] = token  # the only time it is shown
    return shown


@router.get(f"{PREFIX}/platform_apps")
def list_platform_apps():
    super_admin(router)
    return {"payload": [_app(app) for app in console.list_platform_apps()]}


@router.post(f"{PREFIX}/platform_apps")
def create_platform_app():
    super_admin(router)
    app, token = console.create_platform_app(body(router, PlatformAppCreate, wrapper="platform_app").name)
    return _app(app, token)


@router.delete(f"{PREFIX}/platform_apps/<app_id>")
def revoke_platform_app(app_id: str):
    super_admin(router)
    revoked = console.revoke_platform_app(console.get_platform_app(path_id(app_id)))
    return {"revoked_tokens": revoked}


# ---------------------------------------------------------------- installation-wide agent bots

def _bot(item, token: str | None = None) -> dict:
    from parley.views.agent_bots import agent_bot

    return {**agent_bot(item, access_token=token), "platform_app_id": item.data.get("platform_app_id")}


@router.get(f"{PREFIX}/agent_bots")
def list_bots():
    super_admin(router)
    return {"payload": [_bot(bot) for bot in console.list_installation_bots()]}


@router.post(f"{PREFIX}/agent_bots")
def create_bot():
    super_admin(router)
    payload = body(router, BotPayload, wrapper="agent_bot")
    bot, token = console.create_installation_bot(**payload.model_dump(exclude_unset=True))
    return _bot(bot, token)


@router.get(f"{PREFIX}/agent_bots/<bot_id>")
def show_bot(bot_id: str):
    super_admin(router)
    return _bot(console.installation_bot(path_id(bot_id)))


@router.patch(f"{PREFIX}/agent_bots/<bot_id>")
def update_bot(bot_id: str):
    super_admin(router)
    bot = console.installation_bot(path_id(bot_id))
    payload = body(router, BotPayload, wrapper="agent_bot")
    return _bot(console.update_installation_bot(bot, **payload.model_dump(exclude_unset=True)))


@router.delete(f"{PREFIX}/agent_bots/<bot_id>")
def delete_bot(bot_id: str):
    super_admin(router)
    console.delete_installation_bot(console.installation_bot(path_id(bot_id)))
    return {}


# ---------------------------------------------------------------- the installation's audit log, status

class LogPage(Body):
    before: int | None = Field(default=None, ge=1)
    per_page: int = Field(default=25, ge=1, le=100)


@router.get(f"{PREFIX}/audit_logs")
def installation_log():
    """The installation's own audit log: platform apps, installation-wide bots, users of no account."""
    super_admin(router)
    params = query(router, LogPage)
    entries = console.installation_log(params.before, params.per_page)
    return _page([{"id": e.id, "auditable_type": e.auditable_type, "auditable_id": e.auditable_id, "action": e.action,
                   "audited_changes": e.audited_changes or {}, "user_id": e.user_id, "user_type": e.user_type,
                   "username": e.username, "remote_address": e.remote_address, "request_uuid": e.request_uuid,
                   "comment": e.comment, "created_at": iso(e.created_at)} for e in entries],
                 entries[-1].id if len(entries) == params.per_page else None)


@router.get(f"{PREFIX}/instance_status")
def instance_status():
    super_admin(router)
    from parley.services.lifecycle import instance

    return instance.status()


# ---------------------------------------------------------------- two-factor reset

@router.post("/super_admin/api/v1/users/<user_id>/reset_mfa")
def reset_mfa(user_id: str):
    """Turn a user's two-factor sign-in off (a lost device, no recovery code left); audited
    in each of the user's accounts. The user enrols again from their profile."""
    from parley.services.access import mfa

    super_admin(router)
    user = mfa.reset(path_id(user_id))
    return {"id": user.id, "email": user.email, **mfa.status(user)}
