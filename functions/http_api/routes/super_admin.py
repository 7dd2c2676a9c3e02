"""/super_admin/api/v1: installation config, platform apps and accounts, for super admins only."""
from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, body, path_id, super_admin
from parley import global_config
from parley.services.lifecycle import account_status
from parley.services.account import accounts
from parley.services.access import platform
from parley.views.accounts import platform_account

router = Router()


class ConfigUpdate(Body):
    value: Any = None


class PlatformAppCreate(Body):
    name: str = Field(min_length=1, max_length=255)


class AccountChanges(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    status: Literal["active", "suspended"] | None = None
    limits: dict | None = None


@router.get("/super_admin/api/v1/installation_configs")
def list_configs():
    super_admin(router)
    return {"payload": global_config.listing()}


@router.route("/super_admin/api/v1/installation_configs/<name>", method=["PATCH", "PUT"])
def update_config(name: str):
    super_admin(router)
    payload = body(router, ConfigUpdate)
    return global_config.view(global_config.update(name, payload.value))


@router.post("/super_admin/api/v1/platform_apps")
def create_platform_app():
    super_admin(router)
    app, token = platform.create_platform_app(body(router, PlatformAppCreate).name)
    return {"id": app.id, "name": app.name, "access_token": token}


# ---------------------------------------------------------------- accounts
# The super admin manages every account, suspended ones included: these routes never pass
# through membership, so a suspension cannot lock out the one who lifts it.

@router.get("/super_admin/api/v1/accounts/<account_id>")
def show_account(account_id: str):
    super_admin(router)
    return platform_account(accounts.get_account(path_id(account_id)))


@router.patch("/super_admin/api/v1/accounts/<account_id>")
def update_account(account_id: str):
    super_admin(router)
    account = accounts.get_account(path_id(account_id))
    changes = body(router, AccountChanges).model_dump(exclude_unset=True, exclude_none=True)
    return platform_account(account_status.update_account(account, **changes))


@router.delete("/super_admin/api/v1/accounts/<account_id>")
def delete_account(account_id: str):
    super_admin(router)
    return platform_account(account_status.delete_account(accounts.get_account(path_id(account_id))))


# ---------------------------------------------------------------- two-factor reset

@router.post("/super_admin/api/v1/users/<user_id>/reset_mfa")
def reset_mfa(user_id: str):
    """Turn a user's two-factor sign-in off (a lost device, no recovery code left); audited
    in each of the user's accounts. The user enrols again from their profile."""
    from parley.services.access import mfa

    super_admin(router)
    user = mfa.reset(path_id(user_id))
    return {"id": user.id, "email": user.email, **mfa.status(user)}
