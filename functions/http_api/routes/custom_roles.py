"""/api/v1/accounts/{account_id}/custom_roles: Chatwoot's custom roles, for administrators.

A role is a name, a description and some of Chatwoot's six permissions; administrators
assign it to agents (custom_role_id on /agents). What it allows is permissions.py's to
decide. Bad input is 422 (an unknown permission, a blank or taken name); another
account's role is 404; an agent is 403."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, account_admin, admin_delete, admin_item, body
from parley.services.access import custom_roles
from parley.views.users import custom_role

router = Router()

PATH = "/api/v1/accounts/<account_id>/custom_roles"


class RoleFields(Body):
    name: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    permissions: list[str] | None = Field(default=None, max_length=20)


class RoleCreate(RoleFields):
    name: str = Field(max_length=255)
    permissions: list[str] = Field(default_factory=list, max_length=20)


@router.get(PATH)
def index(account_id: str):
    return [custom_role(r) for r in custom_roles.all_of(account_admin(router, account_id))]


@router.post(PATH)
def create(account_id: str):
    account_id = account_admin(router, account_id)
    payload = body(router, RoleCreate, wrapper="custom_role")
    return custom_role(custom_roles.create(account_id, payload.name, payload.description or "", payload.permissions))


@router.get(f"{PATH}/<item_id>")
def show(account_id: str, item_id: str):
    return custom_role(admin_item(router, account_id, item_id, custom_roles.get))


@router.route(f"{PATH}/<item_id>", method=["PATCH", "PUT"])
def update(account_id: str, item_id: str):
    role = admin_item(router, account_id, item_id, custom_roles.get)
    changes = body(router, RoleFields, wrapper="custom_role").model_dump(exclude_unset=True)
    if changes.get("permissions", []) is None:
        changes["permissions"] = []
    return custom_role(custom_roles.update(role, changes))


admin_delete(router, f"{PATH}/<item_id>", custom_roles.get, custom_roles.delete)
