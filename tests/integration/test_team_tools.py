"""Canned responses, teams and team members, conversation labels (issue 4, first part)."""
from __future__ import annotations

from tests.integration.test_conversations import start_chat
from tests.spec import assert_matches


def test_canned_responses(api, world):
    base = f"/api/v1/accounts/{world.account_id}/canned_responses"
    created = api.post(base, world.admin.token, body={"short_code": "hello", "content": "Hello! How can I help?"})
    assert created.status == 200, created.json
    assert_matches(created.json, "post", "/api/v1/accounts/{account_id}/canned_responses")
    api.post(base, world.admin.token, body={"canned_response": {"short_code": "refund", "content": "Refunds take 5 days"}})
    listed = api.get(base, world.agent.token)
    assert_matches(listed.json, "get", "/api/v1/accounts/{account_id}/canned_responses")
    assert [r["short_code"] for r in listed.json] == ["hello", "refund"]
    # The "/" picker: short-code matches first, then content matches.
    assert [r["short_code"] for r in api.get(base, world.agent.token, query={"search": "re"}).json] == ["refund"]
    assert [r["short_code"] for r in api.get(base, world.agent.token, query={"search": "help"}).json] == ["hello"]
    rid = created.json["id"]
    updated = api.patch(f"{base}/{rid}", world.admin.token, body={"content": "Hi there!"})
    assert updated.status == 200 and updated.json["content"] == "Hi there!" and updated.json["short_code"] == "hello"
    assert api.delete(f"{base}/{rid}", world.admin.token).status == 200
    assert [r["short_code"] for r in api.get(base, world.agent.token).json] == ["refund"]


def test_canned_short_codes_are_unique_per_account(api, world):
    base = f"/api/v1/accounts/{world.account_id}/canned_responses"
    first = api.post(base, world.admin.token, body={"short_code": "hi", "content": "a"}).json
    assert api.post(base, world.admin.token, body={"short_code": "HI", "content": "b"}).status == 409
    other = api.post(base, world.admin.token, body={"short_code": "bye", "content": "c"}).json
    assert api.patch(f"{base}/{other['id']}", world.admin.token, body={"short_code": "hi"}).status == 409
    assert api.get(f"{base}", world.admin.token).json[1]["short_code"] == "bye"
    # Renaming frees the old code; deleting frees the new one.
    assert api.patch(f"{base}/{first['id']}", world.admin.token, body={"short_code": "hello"}).status == 200
    assert api.post(base, world.admin.token, body={"short_code": "hi", "content": "d"}).status == 200
    api.delete(f"{base}/{first['id']}", world.admin.token)
    assert api.post(base, world.admin.token, body={"short_code": "hello", "content": "e"}).status == 200
    # Another account may use the same code.
    assert api.post(f"/api/v1/accounts/{world.other_account_id}/canned_responses", world.other_admin.token,
                    body={"short_code": "hi", "content": "x"}).status == 200


def test_canned_responses_permissions_and_validation(api, world):
    base = f"/api/v1/accounts/{world.account_id}/canned_responses"
    assert api.post(base, world.agent.token, body={"short_code": "x", "content": "y"}).status == 403
    for bad in ({"short_code": "has space", "content": "x"}, {"short_code": "x"}, {"content": "x"},
                {"short_code": "x", "content": ""}, {"short_code": "x", "content": "y", "extra": 1}):
        assert api.post(base, world.admin.token, body=bad).status == 422, bad
    item = api.post(base, world.admin.token, body={"short_code": "x", "content": "y"}).json
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/canned_responses", world.other_admin.token).json == []
    assert api.patch(f"/api/v1/accounts/{world.other_account_id}/canned_responses/{item['id']}",
                     world.other_admin.token, body={"content": "mine"}).status == 404
    assert api.get(base, world.other_admin.token).status == 404


def test_teams_and_members(api, world):
    base = f"/api/v1/accounts/{world.account_id}/teams"
    created = api.post(base, world.admin.token, body={"name": "Billing", "description": "Money things"})
    assert created.status == 200, created.json
    assert_matches(created.json, "post", "/api/v1/accounts/{account_id}/teams")
    team_id = created.json["id"]
    assert api.post(base, world.admin.token, body={"name": "billing"}).status == 409
    members = api.post(f"{base}/{team_id}/team_members", world.admin.token, body={"user_ids": [world.agent.id]})
    assert members.status == 200
    assert_matches(members.json, "post", "/api/v1/accounts/{account_id}/teams/{team_id}/team_members")
    assert [m["id"] for m in members.json] == [world.agent.id]
    listed = api.get(base, world.agent.token)
    assert_matches(listed.json, "get", "/api/v1/accounts/{account_id}/teams")
    assert listed.json[0]["is_member"] is True
    assert api.get(base, world.admin.token).json[0]["is_member"] is False
    both = api.patch(f"{base}/{team_id}/team_members", world.admin.token,
                     body={"user_ids": [world.agent.id, world.admin.id]})
    assert {m["id"] for m in both.json} == {world.agent.id, world.admin.id}
    assert api.post(f"{base}/{team_id}/team_members", world.admin.token,
                    body={"user_ids": [world.other_admin.id]}).status == 422
    left = api.delete(f"{base}/{team_id}/team_members", world.admin.token, body={"user_ids": [world.agent.id]})
    assert [m["id"] for m in left.json] == [world.admin.id]
    renamed = api.patch(f"{base}/{team_id}", world.admin.token, body={"name": "Finance", "allow_auto_assign": False})
    assert renamed.json["name"] == "Finance" and renamed.json["allow_auto_assign"] is False
    assert_matches(api.get(f"{base}/{team_id}", world.agent.token).json, "get",
                   "/api/v1/accounts/{account_id}/teams/{team_id}")
    assert api.delete(f"{base}/{team_id}", world.admin.token).status == 200
    assert api.get(f"{base}/{team_id}", world.admin.token).status == 404
    assert api.post(base, world.admin.token, body={"name": "Finance"}).status == 200  # the name is free again


def test_teams_are_isolated_and_admin_only(api, world):
    base = f"/api/v1/accounts/{world.account_id}/teams"
    team = api.post(base, world.admin.token, body={"name": "Support"}).json
    assert api.post(base, world.agent.token, body={"name": "Mine"}).status == 403
    assert api.patch(f"{base}/{team['id']}", world.agent.token, body={"name": "x"}).status == 403
    other = f"/api/v1/accounts/{world.other_account_id}/teams/{team['id']}"
    assert api.get(other, world.other_admin.token).status == 404
    assert api.delete(other, world.other_admin.token).status == 404
    assert api.get(f"{base}/{team['id']}", world.admin.token).status == 200


def test_conversation_labels(api, world, website):
    _, conversation_id = start_chat(website)
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/labels"
    added = api.post(base, world.agent.token, body={"labels": ["billing", "vip", "billing"]})
    assert added.status == 200
    assert_matches(added.json, "post", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/labels")
    assert added.json == {"payload": ["billing", "vip"]}
    listed = api.get(base, world.agent.token)
    assert_matches(listed.json, "get", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/labels")
    assert api.post(base, world.agent.token, body={"labels": ["vip"]}).json == {"payload": ["vip"]}
    assert api.post(base, world.agent.token, body={"labels": ["<b>"]}).status == 422
    assert api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}",
                   world.agent.token).json["labels"] == ["vip"]
    assert api.post(f"/api/v1/accounts/{world.other_account_id}/conversations/{conversation_id}/labels",
                    world.other_admin.token, body={"labels": ["x"]}).status == 404


def test_priority_and_custom_attributes(api, world, website):
    _, conversation_id = start_chat(website)
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}"
    assert api.post(f"{base}/toggle_priority", world.agent.token, body={"priority": "urgent"}).status == 200
    assert api.get(base, world.agent.token).json["priority"] == "urgent"
    patched = api.patch(base, world.agent.token, body={"priority": "low"})
    assert patched.status == 200 and patched.json["priority"] == "low"
    api.post(f"{base}/toggle_priority", world.agent.token, body={"priority": "none"})
    assert "priority" not in api.get(base, world.agent.token).json
    assert api.post(f"{base}/toggle_priority", world.agent.token, body={"priority": "critical"}).status == 422
    attrs = api.post(f"{base}/custom_attributes", world.agent.token, body={"custom_attributes": {"order_id": "12345"}})
    assert_matches(attrs.json, "post",
                   "/api/v1/accounts/{account_id}/conversations/{conversation_id}/custom_attributes")
    assert api.get(base, world.agent.token).json["custom_attributes"] == {"order_id": "12345"}
    assert api.post(f"{base}/custom_attributes", world.agent.token,
                    body={"custom_attributes": {"nested": {"no": 1}}}).status == 422
    assert api.post(f"/api/v1/accounts/{world.other_account_id}/conversations/{conversation_id}/toggle_priority",
                    world.other_admin.token, body={"priority": "high"}).status == 404


def test_team_members_say_online_as_chatwoots_server_does(api, world):
    """A published Chatwoot SDK refuses availability_status "available" (the spec's word);
    Chatwoot's server says online | busy | offline. Both words are accepted on input."""
    from tests.integration.test_realtime import Sockets, connect

    base = f"/api/v1/accounts/{world.account_id}"
    team_id = api.post(f"{base}/teams", world.admin.token, body={"name": "Presence"}).json["id"]
    api.post(f"{base}/teams/{team_id}/team_members", world.admin.token, body={"user_ids": [world.agent.id]})
    recorder = Sockets()
    try:
        assert connect("online-agent", token=world.agent.token) == 200
        members = api.get(f"{base}/teams/{team_id}/team_members", world.admin.token)
        assert [m["availability_status"] for m in members.json] == ["online"]
        assert_matches(members.json, "get", "/api/v1/accounts/{account_id}/teams/{team_id}/team_members")
        for word, shown in (("busy", "busy"), ("available", "online"), ("online", "online")):
            updated = api.patch(f"{base}/agents/{world.agent.id}", world.admin.token, body={"role": "agent", "availability_status": word})
            assert updated.status == 200, updated.json
            assert updated.json["availability_status"] == shown
            assert_matches(updated.json, "patch", "/api/v1/accounts/{account_id}/agents/{id}")
        assert api.patch(f"{base}/agents/{world.agent.id}", world.admin.token,
                         body={"role": "agent", "availability_status": "away"}).status == 422
    finally:
        recorder.close()
