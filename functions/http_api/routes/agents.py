"""/api/v1/accounts/{account_id}/agents: the account's people."""
from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, account_member, admin_delete, admin_item, admin_membership, base_url, body
from parley.errors import NotFound
from parley.services.account import accounts
from parley.services.access import connections, members, users
from parley.views.users import agent as agent_view

router = Router()

Role = Literal["agent", "administrator"]
# Both words on input: the spec says "available", Chatwoot's server and clients say "online".
Availability = Literal["available", "online", "busy", "offline"]


class AgentCreate(Body):
    name: str = Field(min_length=1, max_length=255)
    email: str = Field(max_length=254)
    role: Role
    availability_status: Availability | None = None
    auto_offline: bool | None = None
    custom_role_id: int | None = Field(default=None, ge=1)  # one of the account's custom roles


class AgentUpdate(Body):
    role: Role
    availability_status: Availability | None = None
    auto_offline: bool | None = None
    custom_role_id: int | None = Field(default=None, ge=1)  # null takes the agent's custom role away


def _member_of(account_id: int, user_id: int):
    member = accounts.membership(account_id, user_id)
    if member is None:
        raise NotFound("Agent not found")
    return member


def _with_role(member):
    accounts.attach_custom_roles([member])  # the view shows the role (one GetItem, if any)
    return member


@router.get("/api/v1/accounts/<account_id>/agents")
def index(account_id: str):
    account_id, _ = account_member(router, account_id)
    online = connections.online_user_ids(account_id)
    return [agent_view(member, user, online=user.id in online) for member, user in accounts.members(account_id)]


@router.post("/api/v1/accounts/<account_id>/agents")
def create(account_id: str):
    admin = admin_membership(router, account_id)
    account_id = admin.account_id
    payload = body(router, AgentCreate)
    member, user = members.add_agent(account_id, name=payload.name, email=payload.email, role=payload.role,
                                      availability=payload.availability_status, auto_offline=payload.auto_offline,
                                      inviter_id=admin.user_id, base_url=base_url(router),
                                      custom_role_id=payload.custom_role_id)
    return agent_view(_with_role(member), user)


@router.route("/api/v1/accounts/<account_id>/agents/<user_id>", method=["PATCH", "PUT"])
def update(account_id: str, user_id: str):
    member = admin_item(router, account_id, user_id, _member_of)
    payload = body(router, AgentUpdate)
    given = payload.model_dump(exclude_unset=True)
    members.update_member(member, role=payload.role, availability=payload.availability_status,
                           auto_offline=payload.auto_offline,
                           custom_role_id=given.get("custom_role_id", members.UNCHANGED))
    return agent_view(_with_role(member), users.get_user(member.user_id))


admin_delete(router, "/api/v1/accounts/<account_id>/agents/<item_id>", _member_of, members.remove_member)
