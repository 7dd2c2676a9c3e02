"""/api/v1/accounts/{account_id}/macros and /automation_rules."""
from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, account_admin, account_member, body, path_id
from parley.services.rules import automation, macros
from parley.views.automation import automation_rule, macro

router = Router()

Param = str | int | None


class Action(Body):
    action_name: str = Field(max_length=64)
    action_params: list[Param] = Field(default_factory=list, max_length=25)


class Condition(Body):
    attribute_key: str = Field(max_length=255)
    filter_operator: str = Field(max_length=64)
    values: list[str | int | float | bool | None] = Field(default_factory=list, max_length=50)
    query_operator: str | None = Field(default=None, max_length=8)
    custom_attribute_type: str | None = Field(default=None, max_length=64)


class MacroFields(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    visibility: Literal["personal", "global"] | None = None
    actions: list[Action] | None = Field(default=None, max_length=50)


class MacroCreate(MacroFields):
    name: str = Field(min_length=1, max_length=255)
    actions: list[Action] = Field(max_length=50)


class Execute(Body):
    conversation_ids: list[int] = Field(min_length=1, max_length=macros.EXECUTE_LIMIT)


class RuleFields(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    event_name: str | None = Field(default=None, max_length=64)
    conditions: list[Condition] | None = Field(default=None, max_length=50)
    actions: list[Action] | None = Field(default=None, max_length=50)
    active: bool | None = None


class RuleCreate(RuleFields):
    name: str = Field(min_length=1, max_length=255)
    event_name: str = Field(max_length=64)
    conditions: list[Condition] = Field(max_length=50)
    actions: list[Action] = Field(max_length=50)


def _dump(items) -> list[dict]:
    return [item.model_dump(exclude_none=True) for item in items]


def _macro(item) -> dict:
    return macro(item, macros.authors([item]))


# ---------------------------------------------------------------- macros

@router.get("/api/v1/accounts/<account_id>/macros")
def list_macros(account_id: str):
    account_id, member = account_member(router, account_id)
    items = macros.visible(account_id, member)
    people = macros.authors(items)
    return {"payload": [macro(item, people) for item in items]}


@router.post("/api/v1/accounts/<account_id>/macros")
def create_macro(account_id: str):
    account_id, member = account_member(router, account_id)
    payload = body(router, MacroCreate, wrapper="macro")
    return {"payload": _macro(macros.create(account_id, member, name=payload.name, visibility=payload.visibility,
                                            action_list=_dump(payload.actions)))}


@router.get("/api/v1/accounts/<account_id>/macros/<macro_id>")
def show_macro(account_id: str, macro_id: str):
    account_id, member = account_member(router, account_id)
    return {"payload": _macro(macros.get(account_id, member, path_id(macro_id)))}


@router.route("/api/v1/accounts/<account_id>/macros/<macro_id>", method=["PATCH", "PUT"])
def update_macro(account_id: str, macro_id: str):
    account_id, member = account_member(router, account_id)
    item = macros.get(account_id, member, path_id(macro_id))
    payload = body(router, MacroFields, wrapper="macro")
    return {"payload": _macro(macros.update(item, member, name=payload.name, visibility=payload.visibility,
                                            action_list=_dump(payload.actions) if payload.actions is not None
                                            else None))}


@router.delete("/api/v1/accounts/<account_id>/macros/<macro_id>")
def delete_macro(account_id: str, macro_id: str):
    account_id, member = account_member(router, account_id)
    macros.delete(macros.get(account_id, member, path_id(macro_id)), member)
    return {}


@router.post("/api/v1/accounts/<account_id>/macros/<macro_id>/execute")
def execute_macro(account_id: str, macro_id: str):
    account_id, member = account_member(router, account_id)
    item = macros.get(account_id, member, path_id(macro_id))
    payload = body(router, Execute)
    # Chatwoot answers an empty 200; the skipped actions are Parley's extra, for the dashboard.
    return {"payload": {"skipped": macros.execute(item, member, payload.conversation_ids)}}


# ---------------------------------------------------------------- automation rules

@router.get("/api/v1/accounts/<account_id>/automation_rules")
def list_rules(account_id: str):
    account_id = account_admin(router, account_id)
    return {"payload": [automation_rule(item) for item in automation.all_of(account_id)]}


@router.post("/api/v1/accounts/<account_id>/automation_rules")
def create_rule(account_id: str):
    account_id = account_admin(router, account_id)
    payload = body(router, RuleCreate, wrapper="automation_rule")
    item = automation.create(account_id, name=payload.name, description=payload.description or "",
                             event_name=payload.event_name, conditions=_dump(payload.conditions),
                             action_list=_dump(payload.actions), active=payload.active is not False)
    return {"payload": automation_rule(item)}


@router.get("/api/v1/accounts/<account_id>/automation_rules/<rule_id>")
def show_rule(account_id: str, rule_id: str):
    account_id = account_admin(router, account_id)
    return {"payload": automation_rule(automation.get(account_id, path_id(rule_id)))}


@router.route("/api/v1/accounts/<account_id>/automation_rules/<rule_id>", method=["PATCH", "PUT"])
def update_rule(account_id: str, rule_id: str):
    account_id = account_admin(router, account_id)
    item = automation.get(account_id, path_id(rule_id))
    payload = body(router, RuleFields, wrapper="automation_rule")
    changes = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    return {"payload": automation_rule(automation.update(item, changes))}


@router.delete("/api/v1/accounts/<account_id>/automation_rules/<rule_id>")
def delete_rule(account_id: str, rule_id: str):
    account_id = account_admin(router, account_id)
    automation.delete(automation.get(account_id, path_id(rule_id)))
    return {}
