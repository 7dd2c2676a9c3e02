"""The Platform API (/platform/api/v1): a platform app provisions accounts and users.

An app sees only what it created; anything else answers 404."""
from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import AccountFields, Body, body, path_id, platform_app
from parley.errors import NotFound
from parley.services.lifecycle import account_status
from parley.services.account import accounts
from parley.services.access import members, platform, users
from parley.views.accounts import platform_account
from parley.views.users import account_user, platform_user

router = Router()


class AccountPayload(AccountFields):
    status: Literal["active", "suspended"] | None = None
    limits: dict | None = None
    custom_attributes: dict | None = None


class AccountUserPayload(Body):
    user_id: int
    role: Literal["agent", "administrator"]


class AccountUserRemoval(Body):
    user_id: int


class UserPayload(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    display_name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=254)
    password: str | None = Field(default=None, max_length=256)
    custom_attributes: dict | None = None


def _owned_account(app_id: int, account_id: str):
    account = accounts.get_account(path_id(account_id))
    platform.ensure_owned(app_id, account)
    return account


def _owned_user(app_id: int, user_id: str):
    return platform.controlled_user(app_id, path_id(user_id))


# ---------------------------------------------------------------- accounts

@router.post("/platform/api/v1/accounts")
def create_account():
    app_id = platform_app(router)
    payload = body(router, AccountPayload)
    fields = payload.model_dump(exclude_none=True)
    if "name" not in fields:
        fields["name"] = ""  # the service answers "Name can't be blank"
    return platform_account(accounts.create_account(platform_app_id=app_id, **fields))


@router.get("/platform/api/v1/accounts/<account_id>")
def show_account(account_id: str):
    return platform_account(_owned_account(platform_app(router), account_id))


@router.patch("/platform/api/v1/accounts/<account_id>")
def update_account(account_id: str):
    account = _owned_account(platform_app(router), account_id)
    changes = body(router, AccountPayload).model_dump(exclude_unset=True, exclude_none=True)
    return platform_account(account_status.update_account(account, **changes))


@router.delete("/platform/api/v1/accounts/<account_id>")
def delete_account(account_id: str):
    account_status.delete_account(_owned_account(platform_app(router), account_id))
    return {}


# ---------------------------------------------------------------- account users

@router.get("/platform/api/v1/accounts/<account_id>/account_users")
def list_account_users(account_id: str):
    account = _owned_account(platform_app(router), account_id)
    return [account_user(member) for member, _ in accounts.members(account.id)]


@router.post("/platform/api/v1/accounts/<account_id>/account_users")
def add_account_user(account_id: str):
    app_id = platform_app(router)
    account = _owned_account(app_id, account_id)
    payload = body(router, AccountUserPayload)
    platform.controlled_user(app_id, payload.user_id)  # 404 unless the app may hand this user an account
    existing = accounts.membership(account.id, payload.user_id)
    if existing:
        return account_user(members.update_member(existing, role=payload.role))
    return account_user(members.add_member(account.id, payload.user_id, payload.role))


@router.delete("/platform/api/v1/accounts/<account_id>/account_users")
def remove_account_user(account_id: str):
    account = _owned_account(platform_app(router), account_id)
    payload = body(router, AccountUserRemoval)
    member = accounts.membership(account.id, payload.user_id)
    if member is None:
        raise NotFound("Account user not found")
    members.remove_member(member, keep_an_administrator=False)  # the platform owns the account
    return {}


# ---------------------------------------------------------------- users

@router.post("/platform/api/v1/users")
def create_user():
    app_id = platform_app(router)
    payload = body(router, UserPayload)
    user = users.create_user(email=payload.email or "", name=payload.name or "", password=payload.password,
                             display_name=payload.display_name, custom_attributes=payload.custom_attributes,
                             platform_app_id=app_id)
    return platform_user(user)


@router.get("/platform/api/v1/users/<user_id>")
def show_user(user_id: str):
    return platform_user(_owned_user(platform_app(router), user_id))


@router.patch("/platform/api/v1/users/<user_id>")
def update_user(user_id: str):
    user = _owned_user(platform_app(router), user_id)
    changes = body(router, UserPayload).model_dump(exclude_unset=True, exclude_none=True)
    return platform_user(users.update_user(user, by_platform=True, **changes))


@router.delete("/platform/api/v1/users/<user_id>")
def delete_user(user_id: str):
    users.delete_user(_owned_user(platform_app(router), user_id))
    return {}


@router.get("/platform/api/v1/users/<user_id>/login")
def sso_login(user_id: str):
    user = _owned_user(platform_app(router), user_id)
    token = platform.issue_sso_token(user)
    host = router.current_event.get_header_value("host") or "localhost"
    scheme = router.current_event.get_header_value("x-forwarded-proto") or "https"
    query = urlencode({"email": user.email, "sso_auth_token": token})
    return {"url": f"{scheme}://{host}/app/login?{query}"}
