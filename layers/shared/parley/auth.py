"""Who is calling: the `api_access_token` header resolved to a user or a platform app."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import Unauthorized
from .models.user import User
from .services import tokens


@dataclass(frozen=True)
class Principal:
    token: str
    user: User | None = None
    platform_app_id: int | None = None
    agent_bot: object | None = None  # an agent bot's AccountObject (services/agent_bots.py)


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
        from .services import agent_bots  # only bot tokens pay for this import

        bot = agent_bots.from_owner(raw_id)
        if bot is not None:
            return Principal(token, agent_bot=bot)
    raise Unauthorized("Invalid Access Token")
