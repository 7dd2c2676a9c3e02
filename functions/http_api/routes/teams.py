"""/api/v1/accounts/{account_id}/canned_responses, /teams and /teams/{id}/team_members."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, account_admin, account_member, body, path_id, query
from parley.services import accounts, canned_responses, teams
from parley.views.accounts import canned_response, team
from parley.views.users import agent

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


@router.route("/api/v1/accounts/<account_id>/canned_responses/<response_id>", method=["PATCH", "PUT"])
def update_canned(account_id: str, response_id: str):
    account_id = account_admin(router, account_id)
    item = canned_responses.get(account_id, path_id(response_id))
    changes = body(router, CannedResponseFields, wrapper="canned_response").model_dump(exclude_none=True)
    return canned_response(canned_responses.update(item, changes))


@router.delete("/api/v1/accounts/<account_id>/canned_responses/<response_id>")
def delete_canned(account_id: str, response_id: str):
    account_id = account_admin(router, account_id)
    canned_responses.delete(canned_responses.get(account_id, path_id(response_id)))
    return {}


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


@router.route("/api/v1/accounts/<account_id>/teams/<team_id>", method=["PATCH", "PUT"])
def update_team(account_id: str, team_id: str):
    account_id = account_admin(router, account_id)
    item = teams.get(account_id, path_id(team_id))
    changes = body(router, TeamFields, wrapper="team").model_dump(exclude_none=True)
    return team(teams.update(item, changes), False)


@router.delete("/api/v1/accounts/<account_id>/teams/<team_id>")
def delete_team(account_id: str, team_id: str):
    account_id = account_admin(router, account_id)
    teams.delete(teams.get(account_id, path_id(team_id)))
    return {}


def _agents(account_id: int, user_ids: list[int]) -> list[dict]:
    people = {user.id: (member, user) for member, user in accounts.members(account_id)}
    return [agent(*people[u]) for u in user_ids if u in people]


@router.get("/api/v1/accounts/<account_id>/teams/<team_id>/team_members")
def list_team_members(account_id: str, team_id: str):
    account_id, _ = account_member(router, account_id)
    return _agents(account_id, teams.member_ids(teams.get(account_id, path_id(team_id))))


def _change_members(account_id: str, team_id: str, operation) -> list[dict]:
    account_id = account_admin(router, account_id)
    item = teams.get(account_id, path_id(team_id))
    return _agents(account_id, operation(item, body(router, TeamMembers).user_ids))


@router.post("/api/v1/accounts/<account_id>/teams/<team_id>/team_members")
def add_team_members(account_id: str, team_id: str):
    return _change_members(account_id, team_id, teams.add_members)


@router.patch("/api/v1/accounts/<account_id>/teams/<team_id>/team_members")
def set_team_members(account_id: str, team_id: str):
    return _change_members(account_id, team_id, teams.set_members)


@router.delete("/api/v1/accounts/<account_id>/teams/<team_id>/team_members")
def remove_team_members(account_id: str, team_id: str):
    return _change_members(account_id, team_id, teams.remove_members)
