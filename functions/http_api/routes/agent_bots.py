"""Agent bots: the account's (/api/v1/accounts/{id}/agent_bots, administrators), a platform
app's (/platform/api/v1/agent_bots) and an inbox's (agent_bot, set_agent_bot)."""
from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, account_admin, admin_delete, admin_item, body, path_id, platform_app
from parley.services.account import accounts, agent_bots
from parley.services.inbox import inboxes
from parley.services.access import platform
from parley.views.agent_bots import agent_bot

router = Router()
Url = Field(default=None, max_length=2048)


class BotPayload(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    outgoing_url: str | None = Url
    avatar_url: str | None = Url
    bot_type: int | str | None = None  # Chatwoot has one type, webhook (0)
    bot_config: dict | None = Field(default=None, max_length=50)


class PlatformBotPayload(BotPayload):
    account_id: int | None = None


class InboxBot(Body):
    agent_bot: int | None


def _fields(payload: BotPayload) -> dict:
    return payload.model_dump(exclude_unset=True, exclude={"bot_type", "account_id"})


def _no_content() -> Response:
    return Response(status_code=204, body="")


# ---------------------------------------------------------------- account bots

@router.get("/api/v1/accounts/<account_id>/agent_bots")
def index(account_id: str):
    account_id = account_admin(router, account_id)
    return [agent_bot(bot) for bot in agent_bots.list_for_account(account_id)]


@router.post("/api/v1/accounts/<account_id>/agent_bots")
def create(account_id: str):
    account_id = account_admin(router, account_id)
    payload = body(router, BotPayload, wrapper="agent_bot")
    bot, token = agent_bots.create_bot(account_id, **_fields(payload))
    return agent_bot(bot, access_token=token)


@router.get("/api/v1/accounts/<account_id>/agent_bots/<bot_id>")
def show(account_id: str, bot_id: str):
    return agent_bot(admin_item(router, account_id, bot_id, agent_bots.for_account))


@router.patch("/api/v1/accounts/<account_id>/agent_bots/<bot_id>")
def update(account_id: str, bot_id: str):
    bot = admin_item(router, account_id, bot_id, agent_bots.own_for_account)
    payload = body(router, BotPayload, wrapper="agent_bot")
    return agent_bot(agent_bots.update_bot(bot, **_fields(payload)))


admin_delete(router, "/api/v1/accounts/<account_id>/agent_bots/<item_id>", agent_bots.own_for_account,
             agent_bots.delete_bot)


@router.post("/api/v1/accounts/<account_id>/agent_bots/<bot_id>/reset_access_token")
def reset_access_token(account_id: str, bot_id: str):
    bot = admin_item(router, account_id, bot_id, agent_bots.own_for_account)
    return agent_bot(bot, access_token=agent_bots.reset_token(bot))


# ---------------------------------------------------------------- an inbox's bot

@router.get("/api/v1/accounts/<account_id>/inboxes/<inbox_id>/agent_bot")
def inbox_bot(account_id: str, inbox_id: str):
    inbox = admin_item(router, account_id, inbox_id, inboxes.get_inbox)
    bot = agent_bots.for_inbox(inbox)
    return {"agent_bot": agent_bot(bot) if bot else None}


@router.post("/api/v1/accounts/<account_id>/inboxes/<inbox_id>/set_agent_bot")
def set_inbox_bot(account_id: str, inbox_id: str):
    inbox = admin_item(router, account_id, inbox_id, inboxes.get_inbox)
    agent_bots.set_for_inbox(inbox, body(router, InboxBot).agent_bot)
    return _no_content()


# ---------------------------------------------------------------- platform app bots

@router.get("/platform/api/v1/agent_bots")
def platform_index():
    return [agent_bot(bot) for bot in agent_bots.list_for_platform_app(platform_app(router))]


@router.post("/platform/api/v1/agent_bots")
def platform_create():
    app_id = platform_app(router)
    payload = body(router, PlatformBotPayload, wrapper="agent_bot")
    if payload.account_id is not None:
        platform.ensure_owned(app_id, accounts.get_account(payload.account_id))  # only into its own accounts
    bot, token = agent_bots.create_bot(payload.account_id, platform_app_id=app_id, **_fields(payload))
    return agent_bot(bot, access_token=token)


@router.get("/platform/api/v1/agent_bots/<bot_id>")
def platform_show(bot_id: str):
    return agent_bot(agent_bots.for_platform_app(platform_app(router), path_id(bot_id)))


@router.patch("/platform/api/v1/agent_bots/<bot_id>")
def platform_update(bot_id: str):
    bot = agent_bots.for_platform_app(platform_app(router), path_id(bot_id))
    payload = body(router, BotPayload, wrapper="agent_bot")
    return agent_bot(agent_bots.update_bot(bot, **_fields(payload)))


@router.delete("/platform/api/v1/agent_bots/<bot_id>")
def platform_delete(bot_id: str):
    agent_bots.delete_bot(agent_bots.for_platform_app(platform_app(router), path_id(bot_id)))
    return {}
