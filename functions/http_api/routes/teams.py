"""/api/v1/accounts/{account_id}/canned_responses, /teams and /teams/{id}/team_members."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, account_admin, account_member, admin_edits, admin_item, body, member_item, path_id, query
from parley.services.account import accounts, canned_responses, teams
from parley.views.accounts import canned_response, team
from parley.views.users import members

router = Router()


class CannedResponseFields(Body):
    short_code: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[\w\-.]+$")
    content: str | None = Field(default=None, min_length=1, max_length=10_000)


class CannedResponseCreate(CannedResponseFields):
    short_code: str = Field(min_length=1, max_length=64, pattern=r"^[\w\-.]+$")
    content: str = Field(min_length=1, max_length=10_000)


class Search(Body):
    search: str | None = Field(default=None, max_length=100)


class TeamFields(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    allow_auto_assign: bool | None = None


class TeamCreate(TeamFields):
    name: str = Field(min_length=1, max_length=255)


class TeamMembers(Body):
    user_ids: list[int] = Field(max_length=500)


# ---------------------------------------------------------------- canned responses

@router.get("/api/v1/accounts/<account_id>/canned_responses")
def list_canned(account_id: str):
    account_id, _ = account_member(router, account_id)
    return [canned_response(r) for r in canned_responses.search(account_id, query(router, Search).search)]


@router.post("/api/v1/accounts/<account_id>/canned_responses")
def create_canned(account_id: str):
    account_id = account_admin(router, account_id)
    payload = body(router, CannedResponseCreate, wrapper="canned_response")
    return canned_response(canned_responses.create(account_id, payload.short_code, payload.content))


admin_edits(router, "/api/v1/accounts/<account_id>/canned_responses/<item_id>", canned_responses, canned_response,
            CannedResponseFields, "canned_response")


# ---------------------------------------------------------------- teams

@router.get("/api/v1/accounts/<account_id>/teams")
def list_teams(account_id: str):
    account_id, member = account_member(router, account_id)
    return [team(t, member.user_id in teams.member_ids(t)) for t in teams.all_of(account_id)]


@router.get("/api/v1/accounts/<account_id>/teams/<team_id>")
def show_team(account_id: str, team_id: str):
    account_id, member = account_member(router, account_id)
    item = teams.get(account_id, path_id(team_id))
    return team(item, member.user_id in teams.member_ids(item))


@router.post("/api/v1/accounts/<account_id>/teams")
def create_team(account_id: str):
    account_id = account_admin(router, account_id)
    payload = body(router, TeamCreate, wrapper="team")
    item = teams.create(account_id, payload.name, payload.description or "",
                        True if payload.allow_auto_assign is None else payload.allow_auto_assign)
    return team(item, False)


admin_edits(router, "/api/v1/accounts/<account_id>/teams/<item_id>", teams, lambda item: team(item, False),
            TeamFields, "team")


@router.get("/api/v1/accounts/<account_id>/teams/<team_id>/team_members")
def list_team_members(account_id: str, team_id: str):
    item = member_item(router, account_id, team_id, teams.get)
    return members(accounts.members(item.account_id), teams.member_ids(item))


def _change_members(account_id: str, team_id: str, operation) -> list[dict]:
    item = admin_item(router, account_id, team_id, teams.get)
    return members(accounts.members(item.account_id), operation(item, body(router, TeamMembers).user_ids))


@router.post("/api/v1/accounts/<account_id>/teams/<team_id>/team_members")
def add_team_members(account_id: str, team_id: str):
    return _change_members(account_id, team_id, teams.add_members)


@router.patch("/api/v1/accounts/<account_id>/teams/<team_id>/team_members")
def set_team_members(account_id: str, team_id: str):
    return _change_members(account_id, team_id, teams.set_members)


@router.delete("/api/v1/accounts/<account_id>/teams/<team_id>/team_members")
def remove_team_members(account_id: str, team_id: str):
    return _change_members(account_id, team_id, teams.remove_members)
