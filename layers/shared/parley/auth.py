"""Who is calling: the `api_access_token` header resolved to a user or a platform app.

Below the domain: it reads tokens and the stored user or bot, and imports no service."""
from __future__ import annotations

from dataclasses import dataclass

from . import tokens
from .errors import Unauthorized
from .models.account_object import AGENT_BOT, AccountObject
from .models.user import User


@dataclass(frozen=True)
class Principal:
    token: str
    user: User | None = None
    platform_app_id: int | None = None
    agent_bot: object | None = None  # an agent bot's AccountObject (services/account/agent_bots.py)


def authenticate(token: str | None) -> Principal:
    if not token:
        raise Unauthorized("You need to sign in or sign up before continuing.")
    owner = tokens.owner_of(token)
    if owner is None:
        raise Unauthorized("Invalid Access Token")
    kind, _, raw_id = owner.partition("#")
    if kind == "User":
        try:
            return Principal(token, user=User.get(int(raw_id)))
        except User.DoesNotExist:
            raise Unauthorized("Invalid Access Token") from None
    if kind == "PlatformApp":
        return Principal(token, platform_app_id=int(raw_id))
    if kind == "AgentBot":
        bot = _agent_bot(raw_id)
        if bot is not None:
            return Principal(token, agent_bot=bot)
    raise Unauthorized("Invalid Access Token")


def _agent_bot(raw: str) -> AccountObject | None:
    """The bot a token's owner ("<account>/<id>", services/account/agent_bots.owner) names, if it
    still exists."""
    account, _, bot_id = raw.partition("/")
    if not account.isdigit() or not bot_id.isdigit():
        return None
    try:
        return AccountObject.get(int(account), AccountObject.key_for(AGENT_BOT, int(bot_id)))
    except AccountObject.DoesNotExist:
        return None
