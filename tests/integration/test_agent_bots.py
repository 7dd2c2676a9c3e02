"""Agent bots: account and platform CRUD, an inbox's bot, the bot's token on the
Application API, pending conversations and handoff, and signed bot event deliveries."""
from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest

from tests.spec import assert_matches

BOTS = "/api/v1/accounts/{account_id}/agent_bots"


@pytest.fixture
def channel(api, world):
    reply = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                     body={"name": "App", "channel": {"type": "api"}})
    assert reply.status == 200, reply.json
    return reply.json


def _bot(api, world, **fields):
    reply = api.post(f"/api/v1/accounts/{world.account_id}/agent_bots", world.admin.token,
                     body={"name": "Helper", "outgoing_url": "https://bot.example.com/hook", **fields})
    assert reply.status == 200, reply.json
    return reply.json


def _events(account_id: int, name: str) -> list[dict]:
    from parley.models.event_log import LoggedEvent

    return [e.detail for e in LoggedEvent.query(account_id) if e.detail["event"] == name]


def test_account_bot_crud_matches_spec_and_shows_the_token_once(api, world):
    base = f"/api/v1/accounts/{world.account_id}/agent_bots"
    bot = _bot(api, world, description="Answers FAQs")
    assert_matches(bot, "post", BOTS)
    assert bot["access_token"] and bot["account_id"] == world.account_id and bot["system_bot"] is False
    listed = api.get(base, world.admin.token)
    assert_matches(listed.json, "get", BOTS)
    assert [b["id"] for b in listed.json] == [bot["id"]] and "access_token" not in listed.json[0]
    shown = api.get(f"{base}/{bot['id']}", world.admin.token)
    assert_matches(shown.json, "get", BOTS + "/{id}")
    updated = api.patch(f"{base}/{bot['id']}", world.admin.token, body={"name": "Helper 2"})
    assert updated.status == 200 and updated.json["name"] == "Helper 2"
    assert_matches(updated.json, "patch", BOTS + "/{id}")
    # Agents and other accounts can't see or touch it; bad input changes nothing.
    assert api.get(base, world.agent.token).status == 403
    assert api.post(base, world.agent.token, body={"name": "x"}).status == 403
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/agent_bots/{bot['id']}", world.other_admin.token).status == 404
    for bad in ({"name": ""}, {"outgoing_url": "ftp://x"}, {"outgoing_url": "http://169.254.169.254/latest"},
                {"outgoing_url": "http://127.0.0.1:8080/"}, {"name": "x", "admin": True}):
        assert api.patch(f"{base}/{bot['id']}", world.admin.token, body=bad).status == 422, bad
    assert api.get(f"{base}/{bot['id']}", world.admin.token).json["name"] == "Helper 2"
    # Each committed change has its one event in the log (the refused ones none).
    assert [e["data"]["id"] for e in _events(world.account_id, "agent_bot.created")] == [bot["id"]]
    assert [e["data"]["name"] for e in _events(world.account_id, "agent_bot.updated")] == ["Helper 2"]
    # A new token replaces the old one.
    reset = api.post(f"{base}/{bot['id']}/reset_access_token", world.admin.token).json["access_token"]
    assert reset != bot["access_token"]
    assert api.delete(f"{base}/{bot['id']}", world.admin.token).status == 200
    assert api.get(f"{base}/{bot['id']}", world.admin.token).status == 404
    assert api.get(f"/api/v1/accounts/{world.account_id}/conversations/1", reset).status == 401


def test_platform_bots_belong_to_their_app(api, world):
    from parley.services.access import platform

    token = world.platform_token
    made = api.post("/platform/api/v1/agent_bots", token, body={"name": "Global", "outgoing_url": "https://g.example.com"})
    assert made.status == 200, made.json
    assert_matches(made.json, "post", "/platform/api/v1/agent_bots")
    assert made.json["system_bot"] is True and made.json["access_token"]
    bot_id = made.json["id"]
    assert_matches(api.get("/platform/api/v1/agent_bots", token).json, "get", "/platform/api/v1/agent_bots")
    assert [b["id"] for b in api.get("/platform/api/v1/agent_bots", token).json] == [bot_id]
    shown = api.get(f"/platform/api/v1/agent_bots/{bot_id}", token)
    assert_matches(shown.json, "get", "/platform/api/v1/agent_bots/{id}")
    assert api.patch(f"/platform/api/v1/agent_bots/{bot_id}", token, body={"name": "G2"}).json["name"] == "G2"
    # A system bot is listed in every account, but only its app may change it.
    acme_bots = api.get(f"/api/v1/accounts/{world.account_id}/agent_bots", world.admin.token).json
    assert [b["id"] for b in acme_bots] == [bot_id]
    assert api.patch(f"/api/v1/accounts/{world.account_id}/agent_bots/{bot_id}", world.admin.token,
                     body={"name": "mine"}).status == 403
    # Another app, users and an account the app didn't make: not found.
    _, other = platform.create_platform_app("Other")
    assert api.get(f"/platform/api/v1/agent_bots/{bot_id}", other).status == 404
    assert api.delete(f"/platform/api/v1/agent_bots/{bot_id}", other).status == 404
    assert api.get("/platform/api/v1/agent_bots", other).json == []
    assert api.get("/platform/api/v1/agent_bots", world.admin.token).status == 401
    assert api.post("/platform/api/v1/agent_bots", token, body={"name": "x", "account_id": world.account_id}).status == 404
    account_bot = api.post(f"/api/v1/accounts/{world.account_id}/agent_bots", world.admin.token, body={"name": "A"}).json
    assert api.get(f"/platform/api/v1/agent_bots/{account_bot['id']}", token).status == 404
    assert api.delete(f"/platform/api/v1/agent_bots/{bot_id}", token).status == 200
    assert api.get(f"/platform/api/v1/agent_bots/{bot_id}", token).status == 404


def test_bot_inbox_pending_reply_handoff_and_signed_events(api, world, channel, monkeypatch):
    from parley import outbound
    from parley.services.rules import webhooks

    account = f"/api/v1/accounts/{world.account_id}"
    bot = _bot(api, world)
    inbox_path = f"{account}/inboxes/{channel['id']}"
    assert api.get(f"{inbox_path}/agent_bot", world.admin.token).json == {"agent_bot": None}
    assert api.post(f"{inbox_path}/set_agent_bot", world.agent.token, body={"agent_bot": bot["id"]}).status == 403
    assert api.post(f"{inbox_path}/set_agent_bot", world.admin.token, body={"agent_bot": 999999}).status == 404
    assert api.post(f"{inbox_path}/set_agent_bot", world.admin.token, body={"agent_bot": bot["id"]}).status == 204
    assert api.get(f"{inbox_path}/agent_bot", world.admin.token).json["agent_bot"]["id"] == bot["id"]

    # A contact writes through the Client API: the conversation starts pending (no auto-assignment).
    base = f"/public/api/v1/inboxes/{channel['inbox_identifier']}"
    source_id = api.post(f"{base}/contacts", body={"name": "Cleo"}).json["source_id"]
    cid = api.post(f"{base}/contacts/{source_id}/conversations", body={}).json["id"]
    api.post(f"{base}/contacts/{source_id}/conversations/{cid}/messages", body={"content": "refund please"})
    conv = api.get(f"{account}/conversations/{cid}", world.admin.token).json
    assert conv["status"] == "pending" and conv["assignee_id"] is None

    # The bot answers with its own token, as an agent bot.
    token = bot["access_token"]
    reply = api.post(f"{account}/conversations/{cid}/messages", token, body={"content": "Let me check"})
    assert reply.status == 200, reply.json
    assert reply.json["sender_type"] == "agent_bot" and reply.json["sender"]["name"] == "Helper"
    assert api.get(f"{account}/conversations/{cid}/messages", token).status == 200
    # Nothing else: other routes, other inboxes' conversations, other accounts.
    assert api.get(f"{account}/conversations", token).status == 401
    assert api.post(f"{account}/conversations/{cid}/assignments", token, body={"assignee_id": world.agent.id}).status == 401
    other = api.post(f"{account}/inboxes", world.admin.token, body={"name": "W", "channel": {"type": "web_widget"}}).json
    widget_conv = api.post(f"{account}/conversations", world.admin.token,
                           body={"inbox_id": other["id"], "contact_id": _contact_id(api, world)}).json
    assert api.post(f"{account}/conversations/{widget_conv['id']}/messages", token, body={"content": "x"}).status == 404
    assert api.post(f"/api/v1/accounts/{world.other_account_id}/conversations/{cid}/messages", token,
                    body={"content": "x"}).status == 404

    # Handoff: open, and Chatwoot's bot_handoff event.
    handed = api.post(f"{account}/conversations/{cid}/toggle_status", token, body={"status": "open"})
    assert handed.status == 200 and handed.json["payload"]["current_status"] == "open"
    assert [e["data"]["id"] for e in _events(world.account_id, "conversation.bot_handoff")] == [cid]

    # The bot's events: signed with its secret, through the webhooks consumer's client.
    seen = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    http = outbound.client(outbound.Guard(resolver=lambda host, port: ["93.184.216.34"]), httpx.MockTransport(receive))
    names = []
    for name in ("conversation.created", "message.created", "conversation.status_changed"):
        for detail in _events(world.account_id, name):
            for delivery in webhooks.fan_out(detail):
                if "agent_bot_id" in delivery:
                    names.append(delivery["event"])
                    assert webhooks.deliver(delivery, http) == "delivered"
    assert names.count("conversation_created") == 1 and names.count("message_created") == 2
    assert "conversation_opened" in names
    from parley.services.account import agent_bots

    secret = agent_bots.secret(agent_bots.for_account(world.account_id, bot["id"]))
    for request in seen:
        assert str(request.url).endswith("/hook")
        stamp, body = request.headers["X-Chatwoot-Timestamp"], request.content
        expected = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        assert request.headers["X-Chatwoot-Signature"] == expected
    assert json.loads(seen[0].content)["event"] == "conversation_created"

    # Disconnected: new conversations start open, the bot's token no longer reaches them.
    assert api.post(f"{inbox_path}/set_agent_bot", world.admin.token, body={"agent_bot": None}).status == 204
    assert api.post(f"{account}/conversations/{cid}/messages", token, body={"content": "x"}).status == 404
    cid2 = api.post(f"{base}/contacts/{source_id}/conversations", body={}).json["id"]
    assert api.get(f"{account}/conversations/{cid2}", world.admin.token).json["status"] == "open"


def _contact_id(api, world) -> int:
    reply = api.post(f"/api/v1/accounts/{world.account_id}/contacts", world.admin.token, body={"name": "Zed"})
    assert reply.status == 200, reply.json
    return reply.json["payload"]["contact"]["id"] if "payload" in reply.json else reply.json["id"]
