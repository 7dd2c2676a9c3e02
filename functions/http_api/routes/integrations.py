"""/api/v1/accounts/{account_id}/dashboard_apps, /integrations/apps and /integrations/hooks.

Dashboard apps: every member lists and reads them (the dashboard shows them beside each
conversation); administrators create, change and delete them. Integrations: every member
lists them (settings and set-up links for administrators only, as in Chatwoot); hooks are
for administrators."""
from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import (Body, account_admin, account_member, admin_item, admin_membership, body, member_item, parse, path_id,
                 principal)
from parley import outbound, permissions
from parley.errors import Forbidden
from parley.services.account import dashboard_apps
from parley.services.rules import integrations
from parley.views.integrations import app as render_app, dashboard_app, webhook_hook
# The webhook app's settings are its webhook's fields, validated as the webhooks routes do.
from routes.webhooks import WebhookCreate, WebhookFields

router = Router()

Url = Field(min_length=1, max_length=outbound.MAX_URL_LENGTH)


# ---------------------------------------------------------------- dashboard apps

class Frame(Body):
    type: Literal["frame"]
    url: str = Url


class DashboardAppFields(Body):
    title: str | None = Field(default=None, min_length=1, max_length=255)
    content: list[Frame] | None = Field(default=None, min_length=1, max_length=1)


class DashboardAppCreate(DashboardAppFields):
    title: str = Field(min_length=1, max_length=255)
    content: list[Frame] = Field(min_length=1, max_length=1)


APPS = "/api/v1/accounts/<account_id>/dashboard_apps"


@router.get(APPS)
def list_dashboard_apps(account_id: str):
    account_id, _ = account_member(router, account_id)
    return [dashboard_app(item) for item in dashboard_apps.all_of(account_id)]


@router.get(f"{APPS}/<item_id>")
def show_dashboard_app(account_id: str, item_id: str):
    return dashboard_app(member_item(router, account_id, item_id, dashboard_apps.get))


@router.post(APPS)
def create_dashboard_app(account_id: str):
    member = admin_membership(router, account_id)
    fields = body(router, DashboardAppCreate, wrapper="dashboard_app")
    item = dashboard_apps.create(member.account_id, fields.title, [f.model_dump() for f in fields.content],
                                 member.user_id)
    return dashboard_app(item)


@router.route(f"{APPS}/<item_id>", method=["PATCH", "PUT"])
def update_dashboard_app(account_id: str, item_id: str):
    item = admin_item(router, account_id, item_id, dashboard_apps.get)
    fields = body(router, DashboardAppFields, wrapper="dashboard_app")
    return dashboard_app(dashboard_apps.update(item, fields.model_dump(exclude_none=True)))


@router.delete(f"{APPS}/<item_id>")
def delete_dashboard_app(account_id: str, item_id: str):
    dashboard_apps.delete(admin_item(router, account_id, item_id, dashboard_apps.get))
    return Response(status_code=204, body="")  # Chatwoot: head :no_content


# ---------------------------------------------------------------- integration apps

def _administrator(account_id: int) -> bool:
    """Whether the caller administers the account: permissions decides, as for any route."""
    try:
        permissions.account_admin(principal(router), account_id)
    except Forbidden:
        return False
    return True


@router.get("/api/v1/accounts/<account_id>/integrations/apps")
def list_apps(account_id: str):
    account_id, _ = account_member(router, account_id)
    found = integrations.listing(account_id)
    return {"payload": [render_app(a, account_id, enabled=a.id in found.enabled, hooks=found.hooks.get(a.id, []),
                                   administrator=_administrator(account_id)) for a in integrations.APPS]}


@router.get("/api/v1/accounts/<account_id>/integrations/apps/<app_id>")
def show_app(account_id: str, app_id: str):
    account_id, _ = account_member(router, account_id)
    found_app = integrations.find(app_id)
    found = integrations.listing(account_id, only=found_app)
    return render_app(found_app, account_id, enabled=found_app.id in found.enabled,
                      hooks=found.hooks.get(found_app.id, []), administrator=_administrator(account_id))


# ---------------------------------------------------------------- hooks

Status = int | bool | Literal["enabled", "disabled"] | None


class HookCreate(Body):
    app_id: str = Field(min_length=1, max_length=64)
    inbox_id: int | None = None
    status: Status = None
    settings: dict = Field(default_factory=dict)


class HookUpdate(Body):
    status: Status = None
    settings: dict | None = None


HOOKS = "/api/v1/accounts/<account_id>/integrations/hooks"


@router.post(HOOKS)
def create_hook(account_id: str):
    account_id = account_admin(router, account_id)
    fields = body(router, HookCreate, wrapper="hook")
    integrations.hook_app(fields.app_id)  # 422 for an app that takes no hooks, before its settings
    settings = parse(WebhookCreate, fields.settings)
    item = integrations.create_hook(account_id, fields.app_id, fields.inbox_id, fields.status,
                                    settings.model_dump(exclude_none=True))
    return webhook_hook(item, administrator=True)


@router.patch(f"{HOOKS}/<hook_id>")
def update_hook(account_id: str, hook_id: str):
    account = account_admin(router, account_id)
    item = integrations.get_hook(account, path_id(hook_id))
    fields = body(router, HookUpdate, wrapper="hook")
    settings = parse(WebhookFields, fields.settings) if fields.settings is not None else None
    item = integrations.update_hook(item, fields.status, settings.model_dump(exclude_none=True) if settings else None)
    return webhook_hook(item, administrator=True)


@router.delete(f"{HOOKS}/<hook_id>")
def delete_hook(account_id: str, hook_id: str):
    account = account_admin(router, account_id)
    integrations.delete_hook(integrations.get_hook(account, path_id(hook_id)))
    return {}
