"""/api/v1/accounts/{account_id}/webhooks: an account's webhooks (administrators only)."""
from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field, field_validator

from api import Body, account_admin, admin_edits, body
from parley import outbound
from parley.services.rules import webhooks
from parley.views.webhooks import webhook

router = Router()

Event = Literal[webhooks.EVENTS]


class WebhookFields(Body):
    url: str | None = Field(default=None, min_length=1, max_length=outbound.MAX_URL_LENGTH)
    name: str | None = Field(default=None, max_length=255)
    subscriptions: list[Event] | None = Field(default=None, min_length=1, max_length=len(webhooks.EVENTS))

    @field_validator("subscriptions")
    @classmethod
    def _unique(cls, value):
        return list(dict.fromkeys(value)) if value is not None else value


class WebhookCreate(WebhookFields):
    url: str = Field(min_length=1, max_length=outbound.MAX_URL_LENGTH)


@router.get("/api/v1/accounts/<account_id>/webhooks")
def list_webhooks(account_id: str):
    account_id = account_admin(router, account_id)
    # The reference spec's shapes: a bare array here, the webhook object below.
    return [webhook(item) for item in webhooks.all_of(account_id)]


@router.post("/api/v1/accounts/<account_id>/webhooks")
def create_webhook(account_id: str):
    account_id = account_admin(router, account_id)
    fields = body(router, WebhookCreate, wrapper="webhook")
    item = webhooks.create(account_id, fields.url, fields.name, fields.subscriptions)
    return webhook(item, with_secret=True)


admin_edits(router, "/api/v1/accounts/<account_id>/webhooks/<item_id>", webhooks, webhook, WebhookFields, "webhook")
