"""/api/v1/accounts/{account_id}/campaigns: administrators only, as in Chatwoot. Stored and
validated here (services/rules/campaigns.py); a one-off campaign's audience size, progress
and recipients come from services/rules/campaign_sending.py (docs/campaigns.md)."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, account_admin, admin_delete, admin_item, body, query
from parley.models.inbox import Inbox
from parley.models.user import User
from parley.services.rules import campaign_sending, campaigns
from parley.views.campaigns import campaign

router = Router()
PATH = "/api/v1/accounts/<account_id>/campaigns"


class CampaignFields(Body):
    # The checks that name the field and need the account (inbox, labels, sender, URL glob,
    # time_on_page, scheduled_at) are services/rules/campaigns.py's.
    title: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    message: str | None = Field(default=None, min_length=1, max_length=4096)
    inbox_id: Any = None
    sender_id: Any = None
    enabled: bool | None = None
    trigger_only_during_business_hours: bool | None = None
    trigger_rules: Any = None
    scheduled_at: Any = None
    audience: Any = None
    campaign_type: str | None = Field(default=None, max_length=20)
    template_params: Any = None


class RecipientsQuery(Body):
    status: str | None = Field(default=None, max_length=20)
    page: int = Field(default=1, ge=1, le=10_000)


class AudienceFields(Body):
    inbox_id: Any = None
    audience: Any = None


def _fields(given: CampaignFields) -> dict:
    """The fields given; a null flag is as if not given (it neither clears nor flips it)."""
    fields = given.model_dump(exclude_unset=True)
    for flag in ("enabled", "trigger_only_during_business_hours"):
        if fields.get(flag, False) is None:
            del fields[flag]
    return fields


def _render(item) -> dict:
    """The campaign with its inbox and sender (null when deleted since), in one BatchGet each."""
    inboxes = list(Inbox.batch_get([item.data["inbox_id"]]))
    senders = list(User.batch_get([item.data["sender_id"]])) if item.data.get("sender_id") else []
    return campaign(item, inboxes[0] if inboxes else None, senders[0] if senders else None,
                    campaign_sending.progress_of([item]).get(item.id))


@router.get(PATH)
def list_campaigns(account_id: str):
    account_id = account_admin(router, account_id)
    items = campaigns.all_of(account_id)
    inbox_ids = {i.data["inbox_id"] for i in items}
    user_ids = {i.data["sender_id"] for i in items if i.data.get("sender_id")}
    found_inboxes = {i.id: i for i in Inbox.batch_get(inbox_ids)} if inbox_ids else {}
    found_users = {u.id: u for u in User.batch_get(user_ids)} if user_ids else {}
    progress = campaign_sending.progress_of(items)
    return [campaign(i, found_inboxes.get(i.data["inbox_id"]), found_users.get(i.data.get("sender_id")),
                     progress.get(i.id)) for i in items]


@router.post(f"{PATH}/audience")
def audience_size(account_id: str):
    """How many contacts a one-off campaign with this audience would message on this inbox now."""
    account_id = account_admin(router, account_id)
    given = body(router, AudienceFields).model_dump()
    size, complete = campaign_sending.checked_audience_size(account_id, given["inbox_id"], given["audience"])
    return {"audience_size": size, "complete": complete}


@router.get(f"{PATH}/<item_id>/recipients")
def list_recipients(account_id: str, item_id: str):
    """A one-off campaign's recipients, 25 a page in contact-id order (Parley's addition)."""
    item = admin_item(router, account_id, item_id, campaigns.get)
    given = query(router, RecipientsQuery)
    payload, count = campaign_sending.recipients(item, given.status or None, given.page)
    return {"payload": payload, "meta": {"count": count, "current_page": given.page}}


@router.get(f"{PATH}/<item_id>")
def show_campaign(account_id: str, item_id: str):
    return _render(admin_item(router, account_id, item_id, campaigns.get))


@router.post(PATH)
def create_campaign(account_id: str):
    account_id = account_admin(router, account_id)
    return _render(campaigns.create(account_id, _fields(body(router, CampaignFields, wrapper="campaign"))))


@router.route(f"{PATH}/<item_id>", method=["PATCH", "PUT"])
def update_campaign(account_id: str, item_id: str):
    item = admin_item(router, account_id, item_id, campaigns.get)
    return _render(campaigns.update(item, _fields(body(router, CampaignFields, wrapper="campaign"))))


admin_delete(router, f"{PATH}/<item_id>", campaigns.get, campaigns.delete)
