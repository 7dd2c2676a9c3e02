"""Captain's scenarios (issue 14, item 1) in Chatwoot's shape:
/api/v1/accounts/{id}/captain/assistants/{assistant_id}/scenarios. Tools derived from the
instruction's tool:// links, unknown tools refused, Chatwoot's enabled-only index, tenant
and assistant isolation, bad input changing nothing, the audit entry of every change, and
the scenarios going with their assistant."""
from __future__ import annotations

import pytest

from parley.models.account_object import AccountObject
from parley.models.audit_log import AuditLog
from tests.integration.test_captain_config_api import base, make_assistant

SCENARIO_KEYS = {"id", "title", "description", "instruction", "tools", "enabled", "assistant_id", "account_id",
                 "created_at", "updated_at", "assistant"}
REFUND = ("When the customer wants a refund, [Add Private Note](tool://add_private_note) with the order number, "
          "then [Handoff](tool://handoff).")


def scenarios_path(world, assistant_id, account_id=None) -> str:
    return f"{base(world, account_id)}/assistants/{assistant_id}/scenarios"


def make_scenario(api, world, assistant_id, **fields):
    body = {"title": "Refunds", "description": "The customer asks for a refund", "instruction": REFUND, **fields}
    reply = api.post(scenarios_path(world, assistant_id), world.admin.token, body={"scenario": body})
    assert reply.status == 200, reply.json
    return reply.json


def stored(account_id) -> list[AccountObject]:
    return list(AccountObject.query(account_id, AccountObject.key.startswith("captain_scenario#")))


@pytest.mark.dynamodb_local
def test_scenario_crud_in_chatwoots_shape_with_tools_from_the_instruction(api, world):
    assistant = make_assistant(api, world)
    made = make_scenario(api, world, assistant["id"], tools=["resolve"])  # given tools are ignored, as Chatwoot
    assert set(made) == SCENARIO_KEYS
    assert made["tools"] == ["add_private_note", "handoff"] and made["enabled"] is True
    assert made["assistant"] == {"id": assistant["id"], "name": assistant["name"]}
    assert made["account_id"] == world.account_id and made["assistant_id"] == assistant["id"]
    assert made["created_at"].endswith("Z")  # Chatwoot's scenario view: ISO 8601 strings

    path = f"{scenarios_path(world, assistant['id'])}/{made['id']}"
    shown = api.get(path, world.admin.token)
    assert shown.status == 200 and shown.json["title"] == "Refunds"

    changed = api.patch(path, world.admin.token, body={"instruction": "Apologise, then answer.", "enabled": False})
    assert changed.status == 200, changed.json
    assert changed.json["tools"] is None and changed.json["enabled"] is False

    # Chatwoot's index lists the enabled scenarios only; the dashboard asks for all of them.
    listed = api.get(scenarios_path(world, assistant["id"]), world.admin.token)
    assert listed.json == {"payload": [], "meta": {"total_count": 0, "page": 1}}
    everything = api.get(scenarios_path(world, assistant["id"]), world.admin.token, query={"include_disabled": "true"})
    assert [s["id"] for s in everything.json["payload"]] == [made["id"]]

    assert api.delete(path, world.admin.token).status == 200
    assert api.get(path, world.admin.token).status == 404
    actions = [e.action for e in AuditLog.query(world.account_id) if e.auditable_type == "Captain::Scenario"]
    assert actions == ["create", "update", "destroy"]


BAD_SCENARIOS = [
    ({"description": "d", "instruction": "i"}, "title"),
    ({"title": "t", "instruction": "i"}, "description"),
    ({"title": "t", "description": "d", "instruction": "Use [Wire money](tool://wire_money)"}, "instruction"),
    ({"title": "t", "description": "d", "instruction": "i", "enabled": "yes"}, "enabled"),
    ({"title": "t", "description": "d", "instruction": "x" * 10_001}, "instruction"),
    ({"title": "t", "description": "d", "instruction": "i", "shell": "rm -rf"}, "shell"),
]


def test_bad_scenarios_are_422_and_change_nothing(api, world):
    """Every bad scenario in turn, on one stack: none is stored."""
    assistant = make_assistant(api, world)
    for body, field in BAD_SCENARIOS:
        reply = api.post(scenarios_path(world, assistant["id"]), world.admin.token, body=body)
        assert reply.status == 422, (body, reply.json)
        assert field in str(reply.json), body
        assert stored(world.account_id) == [], body


def test_scenarios_of_another_assistant_or_account_are_not_found(api, world):
    mine = make_assistant(api, world, name="Mine")
    other = make_assistant(api, world, name="Other")
    scenario = make_scenario(api, world, mine["id"])
    # Under another assistant of the same account: 404, and nothing changes.
    wrong = f"{scenarios_path(world, other['id'])}/{scenario['id']}"
    assert api.get(wrong, world.admin.token).status == 404
    assert api.patch(wrong, world.admin.token, body={"title": "Stolen"}).status == 404
    assert api.delete(wrong, world.admin.token).status == 404
    # Another account's administrator, with the ids of this one: 404.
    foreign = f"{scenarios_path(world, mine['id'], world.other_account_id)}/{scenario['id']}"
    assert api.get(foreign, world.other_admin.token).status == 404
    own_path = scenarios_path(world, mine["id"])
    assert api.get(own_path, world.other_admin.token).status in (401, 403, 404)
    assert stored(world.account_id)[0].data["title"] == "Refunds"


def test_an_assistant_takes_its_scenarios_with_it(api, world):
    kept = make_assistant(api, world, name="Kept")
    doomed = make_assistant(api, world, name="Doomed")
    make_scenario(api, world, kept["id"])
    make_scenario(api, world, doomed["id"], title="Gone")
    assert api.delete(f"{base(world)}/assistants/{doomed['id']}", world.admin.token).status == 200
    assert [item.data["title"] for item in stored(world.account_id)] == ["Refunds"]


def test_an_assistant_has_at_most_fifty_scenarios(api, world, monkeypatch):
    from parley.services.captain import scenarios
    monkeypatch.setattr(scenarios, "MAX_PER_ASSISTANT", 2)
    assistant = make_assistant(api, world)
    make_scenario(api, world, assistant["id"])
    make_scenario(api, world, assistant["id"])
    reply = api.post(scenarios_path(world, assistant["id"]), world.admin.token,
                     body={"title": "Third", "description": "d", "instruction": "i"})
    assert reply.status == 422 and len(stored(world.account_id)) == 2
