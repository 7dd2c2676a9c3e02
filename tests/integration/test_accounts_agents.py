"""Accounts and agents through the Application API, validated against the reference spec."""
from __future__ import annotations

import pytest

from tests.spec import assert_matches

# The tests below that write with transactions or conditions, or read through GSIs,
# also run on DynamoDB Local (tests/dynamodb_local.py).
real_engine = pytest.mark.dynamodb_local


def test_account_show_matches_spec(api, world):
    reply = api.get(f"/api/v1/accounts/{world.account_id}", world.agent.token)
    assert reply.status == 200 and reply.json["name"] == "Acme"
    assert_matches(reply.json, "get", "/api/v1/accounts/{id}")


def test_admin_updates_account_settings_and_custom_attributes(api, world):
    reply = api.patch(f"/api/v1/accounts/{world.account_id}", world.admin.token,
                      body={"name": "Acme Inc", "auto_resolve_after": 1440, "timezone": "Europe/Paris", "locale": "fr"})
    assert reply.status == 200, reply.json
    assert_matches(reply.json, "patch", "/api/v1/accounts/{id}")
    assert reply.json["settings"]["auto_resolve_after"] == 1440
    assert reply.json["custom_attributes"]["timezone"] == "Europe/Paris"
    assert api.get(f"/api/v1/accounts/{world.account_id}", world.agent.token).json["name"] == "Acme Inc"


def test_account_update_rejects_bad_values_and_writes_nothing(api, world):
    for body in ({"auto_resolve_after": 5}, {"name": ""}, {"unknown": 1}, {"locale": "not a locale"},
                 {"name": 7}):
        reply = api.patch(f"/api/v1/accounts/{world.account_id}", world.admin.token, body=body)
        assert reply.status == 422, (body, reply.json)
        assert reply.json["errors"] and reply.json["error"]
    assert api.get(f"/api/v1/accounts/{world.account_id}", world.admin.token).json["name"] == "Acme"


def test_agents_list_create_update_delete(api, world):
    base = f"/api/v1/accounts/{world.account_id}/agents"
    listed = api.get(base, world.agent.token)
    assert listed.status == 200 and {a["email"] for a in listed.json} == {"admin@acme.test", "agent@acme.test"}
    assert_matches(listed.json, "get", "/api/v1/accounts/{account_id}/agents")

    created = api.post(base, world.admin.token, body={"name": "Nina New", "email": "nina@acme.test", "role": "agent",
                                                      "availability_status": "busy"})
    assert created.status == 200, created.json
    assert_matches(created.json, "post", "/api/v1/accounts/{account_id}/agents")
    assert created.json["availability_status"] == "busy" and created.json["account_id"] == world.account_id

    nina = created.json["id"]
    updated = api.patch(f"{base}/{nina}", world.admin.token, body={"role": "administrator"})
    assert updated.status == 200 and updated.json["role"] == "administrator"
    assert_matches(updated.json, "patch", "/api/v1/accounts/{account_id}/agents/{id}")

    assert api.delete(f"{base}/{nina}", world.admin.token).status == 200
    assert nina not in {a["id"] for a in api.get(base, world.admin.token).json}


@real_engine
def test_adding_an_existing_user_joins_them_and_duplicates_conflict(api, world):
    base = f"/api/v1/accounts/{world.other_account_id}/agents"
    joined = api.post(base, world.other_admin.token, body={"name": "x", "email": "agent@acme.test", "role": "agent"})
    assert joined.status == 200 and joined.json["id"] == world.agent.id
    again = api.post(base, world.other_admin.token, body={"name": "x", "email": "agent@acme.test", "role": "agent"})
    assert again.status == 409
    # The agent now sees both accounts in its profile.
    accounts = api.get("/api/v1/profile", world.agent.token).json["accounts"]
    assert {a["id"] for a in accounts} == {world.account_id, world.other_account_id}


@real_engine
def test_last_administrator_cannot_be_removed_or_demoted(api, world):
    base = f"/api/v1/accounts/{world.other_account_id}/agents/{world.other_admin.id}"
    assert api.delete(base, world.other_admin.token).status == 422
    assert api.patch(base, world.other_admin.token, body={"role": "agent"}).status == 422


def test_agent_payload_validation(api, world):
    base = f"/api/v1/accounts/{world.account_id}/agents"
    for body in ({"name": "x", "email": "bad", "role": "agent"}, {"name": "x", "email": "a@b.co", "role": "owner"},
                 {"email": "a@b.co", "role": "agent"}, {"name": "x", "email": "a@b.co", "role": "agent", "admin": True}):
        assert api.post(base, world.admin.token, body=body).status == 422, body
    assert api.patch(f"{base}/{world.agent.id}", world.admin.token, body={}).status == 422
    assert api.patch(f"{base}/999999", world.admin.token, body={"role": "agent"}).status == 404
    assert api.patch(f"{base}/abc", world.admin.token, body={"role": "agent"}).status == 404


def test_availability_publishes_presence(api, world):
    reply = api.post("/api/v1/profile/availability", world.agent.token,
                     body={"profile": {"availability": "busy", "account_id": world.account_id}})
    assert reply.status == 200 and reply.json["accounts"][0]["availability_status"] == "busy"
    listed = api.get(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token).json
    # Not connected, so shown offline whatever they chose (presence: test_realtime.py).
    assert next(a for a in listed if a["id"] == world.agent.id)["availability_status"] == "offline"
    foreign = api.post("/api/v1/profile/availability", world.agent.token,
                       body={"availability": "busy", "account_id": world.other_account_id})
    assert foreign.status == 404
