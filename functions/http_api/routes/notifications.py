"""/api/v1/accounts/{account_id}/notifications and /notification_settings: the caller's own only."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, account_member, body, json_body, parse, path_id, principal, query
from parley.services.account import notification_settings
from parley.services.conversation import notifications
from parley.views.notifications import notification as notification_view, settings as settings_view

router = Router()


class PageQuery(Body):
    page: int = Field(default=1, ge=1, le=1000)


class ReadAll(Body):
    # Chatwoot's dashboard marks one conversation's notifications read this way.
    primary_actor_type: str | None = Field(default=None, pattern=r"^Conversation$")
    primary_actor_id: int | None = Field(default=None, ge=1)


class SettingsChange(Body):
    # Flag names are checked by the service (422 naming the unknown ones).
    selected_email_flags: list[str] | None = Field(default=None, max_length=20)
    selected_push_flags: list[str] | None = Field(default=None, max_length=20)


def _caller(account_id: str) -> tuple[int, object]:
    account_id, _ = account_member(router, account_id)
    return account_id, principal(router).user


def _own(account_id: str, notification_id: str):
    account_id, user = _caller(account_id)
    return notifications.get(account_id, user.id, path_id(notification_id)), user


@router.get("/api/v1/accounts/<account_id>/notifications")
def index(account_id: str):
    account_id, user = _caller(account_id)
    meta, rows = notifications.page(account_id, user.id, query(router, PageQuery).page)
    return {"data": {"meta": meta, "payload": [notification_view(n, user) for n in rows]}}


@router.get("/api/v1/accounts/<account_id>/notifications/unread_count")
def unread_count(account_id: str):
    account_id, user = _caller(account_id)
    return notifications.unread_count(account_id, user.id)


@router.post("/api/v1/accounts/<account_id>/notifications/read_all")
def read_all(account_id: str):
    account_id, user = _caller(account_id)
    payload = parse(ReadAll, json_body(router))
    notifications.read_all(account_id, user.id, payload.primary_actor_id)
    return {}


@router.route("/api/v1/accounts/<account_id>/notifications/<notification_id>", method=["PATCH", "PUT"])
def mark_read(account_id: str, notification_id: str):
    item, user = _own(account_id, notification_id)
    return notification_view(notifications.mark_read(item), user)


@router.post("/api/v1/accounts/<account_id>/notifications/<notification_id>/unread")
def mark_unread(account_id: str, notification_id: str):
    item, user = _own(account_id, notification_id)
    return notification_view(notifications.mark_unread(item), user)


@router.delete("/api/v1/accounts/<account_id>/notifications/<notification_id>")
def delete(account_id: str, notification_id: str):
    item, _ = _own(account_id, notification_id)
    notifications.delete(item)
    return {}


# Chatwoot's per-account notification preferences. Parley sends no email or push yet: the
# flags only decide which in-app notifications are made (either flag of a type turns it on).
@router.get("/api/v1/accounts/<account_id>/notification_settings")
def show_settings(account_id: str):
    account_id, user = _caller(account_id)
    return settings_view(notification_settings.get(account_id, user.id))


@router.route("/api/v1/accounts/<account_id>/notification_settings", method=["PATCH", "PUT"])
def update_settings(account_id: str):
    account_id, user = _caller(account_id)
    change = body(router, SettingsChange, wrapper="notification_settings")
    return settings_view(notification_settings.update(
        account_id, user.id, email=change.selected_email_flags, push=change.selected_push_flags))
