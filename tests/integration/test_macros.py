"""Macros: saved action lists, visibility, and running them on conversations."""
from __future__ import annotations

from tests.integration.test_conversations import start_chat


def url(world, rest: str = "") -> str:
    return f"/api/v1/accounts/{world.account_id}/macros" + (f"/{rest}" if rest else "")


def label(api, world, title: str) -> dict:
    reply = api.post(f"/api/v1/accounts/{world.account_id}/labels", world.admin.token, body={"title": title})
    assert reply.status == 200, reply.json
    return reply.json


def conversation(api, world, conversation_id: int) -> dict:
    return api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}", world.admin.token).json


def messages(api, world, conversation_id: int) -> list[dict]:
    return api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                   world.admin.token).json["payload"]


def test_macro_runs_every_action_as_the_agent(api, world, website):
    label(api, world, "billing")
    team = api.post(f"/api/v1/accounts/{world.account_id}/teams", world.admin.token, body={"name": "Billing"}).json
    _, first = start_chat(website, "my invoice is wrong")
    _, second = start_chat(website, "also the invoice")
    created = api.post(url(world), world.agent.token, body={"name": "Billing triage", "visibility": "personal", "actions": [
        {"action_name": "add_label", "action_params": ["Billing"]},
        {"action_name": "assign_team", "action_params": [team["id"]]},
        {"action_name": "assign_agent", "action_params": ["self"]},
        {"action_name": "change_priority", "action_params": ["high"]},
        {"action_name": "send_message", "action_params": ["We are on it."]},
        {"action_name": "add_private_note", "action_params": ["Checked by the macro"]},
        {"action_name": "resolve_conversation", "action_params": []},
    ]})
    assert created.status == 200, created.json
    macro = created.json["payload"]
    assert macro["visibility"] == "personal" and macro["created_by"]["id"] == world.agent.id
    assert macro["actions"][0] == {"action_name": "add_label", "action_params": ["billing"]}  # stored as labels are

    ran = api.post(url(world, f"{macro['id']}/execute"), world.agent.token, body={"conversation_ids": [first, second]})
    assert ran.status == 200 and ran.json["payload"]["skipped"] == []
    for conversation_id in (first, second):
        shown = conversation(api, world, conversation_id)
        assert shown["labels"] == ["billing"] and shown["team_id"] == team["id"]
        assert shown["meta"]["assignee"]["id"] == world.agent.id
        assert shown["priority"] == "high" and shown["status"] == "resolved"
        sent = [m for m in messages(api, world, conversation_id) if m["message_type"] == 1]
        assert [(m["content"], m["private"], m["sender"]["id"]) for m in sent] == [
            ("We are on it.", False, world.agent.id), ("Checked by the macro", True, world.agent.id)]


def test_personal_macros_are_their_creators_alone(api, world):
    mine = api.post(url(world), world.agent.token, body={
        "name": "Mine", "visibility": "personal", "actions": [{"action_name": "resolve_conversation"}]}).json["payload"]
    # An agent's "global" macro is saved as personal, as Chatwoot does.
    downgraded = api.post(url(world), world.agent.token, body={
        "name": "Tried global", "visibility": "global", "actions": [{"action_name": "mute_conversation"}]}).json["payload"]
    assert downgraded["visibility"] == "personal"
    shared = api.post(url(world), world.admin.token, body={
        "name": "Shared", "visibility": "global", "actions": [{"action_name": "snooze_conversation"}]}).json["payload"]
    assert shared["visibility"] == "global"

    assert {m["name"] for m in api.get(url(world), world.agent.token).json["payload"]} == {"Mine", "Tried global", "Shared"}
    assert {m["name"] for m in api.get(url(world), world.admin.token).json["payload"]} == {"Shared"}
    assert api.get(url(world, str(mine["id"])), world.admin.token).status == 404
    assert api.patch(url(world, str(mine["id"])), world.admin.token, body={"name": "x"}).status == 404
    assert api.post(url(world, f"{mine['id']}/execute"), world.admin.token, body={"conversation_ids": [1]}).status == 404
    # A global macro: everyone runs it, only its author or an administrator changes it.
    assert api.patch(url(world, str(shared["id"])), world.agent.token, body={"name": "Mine now"}).status == 403
    assert api.delete(url(world, str(shared["id"])), world.agent.token).status == 403
    renamed = api.patch(url(world, str(mine["id"])), world.agent.token, body={"name": "Renamed"})
    assert renamed.status == 200 and renamed.json["payload"]["name"] == "Renamed"
    assert api.get(url(world, str(shared["id"])), world.agent.token).json["payload"]["name"] == "Shared"
    assert api.delete(url(world, str(mine["id"])), world.agent.token).status == 200
    assert api.get(url(world, str(mine["id"])), world.agent.token).status == 404
    # Another account's macros are not found.
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/macros/{shared['id']}", world.other_admin.token).status == 404


def test_bad_macros_are_refused_naming_the_problem(api, world):
    label(api, world, "vip")
    cases = [
        ({"name": "x", "actions": [{"action_name": "explode"}]}, "actions.0.action_name", "explode"),
        ({"name": "x", "actions": [{"action_name": "add_label", "action_params": ["vip", "nope"]}]},
         "actions.0.action_params", "'nope' does not exist"),
        ({"name": "x", "actions": [{"action_name": "assign_team", "action_params": [42]}]},
         "actions.0.action_params", "team 42 does not exist"),
        ({"name": "x", "actions": [{"action_name": "assign_agent", "action_params": [world.other_admin.id]}]},
         "actions.0.action_params", "not an agent of this account"),
        ({"name": "x", "actions": [{"action_name": "change_status", "action_params": ["closed"]}]},
         "actions.0.action_params", "open"),
        ({"name": "x", "actions": [{"action_name": "send_message", "action_params": ["  "]}]},
         "actions.0.action_params", "message text"),
        ({"name": "x", "actions": [{"action_name": "send_attachment", "action_params": [1]}]},
         "actions.0.action_name", "not supported"),
        ({"name": "x", "actions": [{"action_name": "send_email_transcript", "action_params": ["a@b.c"]}]},
         "actions.0.action_name", "not supported"),
        ({"name": "x", "actions": []}, "actions", "at least one"),
        ({"name": "x", "visibility": "team", "actions": [{"action_name": "mute_conversation"}]}, "visibility", ""),
        ({"name": "x", "actions": [{"action_name": "mute_conversation", "action_params": [{"a": 1}]}]}, "actions.0", ""),
    ]
    for payload, field, words in cases:
        reply = api.post(url(world), world.agent.token, body=payload)
        assert reply.status == 422, (payload, reply.json)
        assert reply.json["errors"][0]["field"].startswith(field) and words in reply.json["error"], reply.json
    assert api.get(url(world), world.agent.token).json["payload"] == []


def test_execute_checks_every_conversation_first(api, world, website):
    _, conversation_id = start_chat(website)
    macro = api.post(url(world), world.admin.token, body={
        "name": "Resolve", "visibility": "global", "actions": [{"action_name": "resolve_conversation"}]}).json["payload"]
    run = url(world, f"{macro['id']}/execute")
    assert api.post(run, world.agent.token, body={"conversation_ids": [conversation_id, 999]}).status == 404
    assert conversation(api, world, conversation_id)["status"] == "open"
    assert api.post(run, world.agent.token, body={"conversation_ids": []}).status == 422
    assert api.post(run, world.agent.token, body={"conversation_ids": ["one"]}).status == 422
    # Globex cannot run Acme's macro on anything.
    assert api.post(f"/api/v1/accounts/{world.other_account_id}/macros/{macro['id']}/execute", world.other_admin.token,
                    body={"conversation_ids": [conversation_id]}).status == 404
    assert conversation(api, world, conversation_id)["status"] == "open"


def test_a_label_deleted_since_is_a_logged_skip(api, world, website, caplog):
    doomed = label(api, world, "doomed")
    _, conversation_id = start_chat(website)
    macro = api.post(url(world), world.agent.token, body={"name": "Tag and resolve", "actions": [
        {"action_name": "add_label", "action_params": ["doomed"]},
        {"action_name": "resolve_conversation"}]}).json["payload"]
    assert api.delete(f"/api/v1/accounts/{world.account_id}/labels/{doomed['id']}", world.admin.token).status == 200
    ran = api.post(url(world, f"{macro['id']}/execute"), world.agent.token, body={"conversation_ids": [conversation_id]})
    assert ran.status == 200
    assert ran.json["payload"]["skipped"] == [{"conversation_id": conversation_id, "action_name": "add_label",
                                               "reason": "add_label: label 'doomed' does not exist"}]
    shown = conversation(api, world, conversation_id)
    assert shown["labels"] == [] and shown["status"] == "resolved"
    assert any("skipped action add_label" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
