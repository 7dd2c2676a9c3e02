"""Conversations and messages for agents, each response validated against the spec."""
from __future__ import annotations

import pytest

from tests.spec import assert_matches

# The tests below that write with transactions or conditions, or read through GSIs,
# also run on DynamoDB Local (tests/dynamodb_local.py).
real_engine = pytest.mark.dynamodb_local

XSS = "<img src=x onerror=alert(1)>"


def start_chat(website, text="Hello, I need help"):
    visitor = website.widget.start()
    reply = website.widget.say(visitor, text)
    assert reply.status == 200, reply.json
    return visitor, reply.json["conversation_id"]


@real_engine
def test_visitor_message_appears_in_the_agents_list(api, world, website):
    _, conversation_id = start_chat(website)
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    listed = api.get(base, world.agent.token, query={"assignee_type": "all", "status": "open"})
    assert listed.status == 200, listed.json
    assert_matches(listed.json, "get", "/api/v1/accounts/{account_id}/conversations")
    row = listed.json["data"]["payload"][0]
    assert row["id"] == conversation_id and row["unread_count"] == 1
    assert row["messages"][0]["content"] == "Hello, I need help"
    assert row["meta"]["channel"] == "Channel::WebWidget" and row["meta"]["sender"]["type"] == "contact"
    assert listed.json["data"]["meta"] == {"mine_count": 0, "unassigned_count": 1, "assigned_count": 0, "all_count": 1}


@real_engine
def test_meta_tabs_and_status_filter(api, world, website):
    ids = [start_chat(website, f"chat {n}")[1] for n in range(3)]
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    api.post(f"{base}/{ids[0]}/assignments", world.agent.token, body={"assignee_id": world.agent.id})
    api.post(f"{base}/{ids[1]}/toggle_status", world.agent.token, body={"status": "resolved"})
    meta = api.get(f"{base}/meta", world.agent.token)
    assert_matches(meta.json, "get", "/api/v1/accounts/{account_id}/conversations/meta")
    assert meta.json["meta"] == {"mine_count": 1, "unassigned_count": 1, "assigned_count": 1, "all_count": 2}
    mine = api.get(base, world.agent.token, query={"assignee_type": "me"}).json["data"]["payload"]
    assert [c["id"] for c in mine] == [ids[0]]
    resolved = api.get(base, world.agent.token, query={"status": "resolved"}).json["data"]["payload"]
    assert [c["id"] for c in resolved] == [ids[1]]
    everything = api.get(base, world.agent.token, query={"status": "all"}).json["data"]
    assert [c["id"] for c in everything["payload"]] == ids[::-1]  # newest activity first
    assert everything["meta"]["all_count"] == 3


@real_engine
def test_list_pages_of_25(api, world, website):
    for n in range(27):
        start_chat(website, f"chat {n}")
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    first = api.get(base, world.admin.token, query={"page": 1}).json["data"]["payload"]
    second = api.get(base, world.admin.token, query={"page": 2}).json["data"]["payload"]
    assert len(first) == 25 and len(second) == 2
    assert not {c["id"] for c in first} & {c["id"] for c in second}


@real_engine
def test_agent_reply_note_and_history_paging(api, world, website):
    _, conversation_id = start_chat(website)
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}"
    reply = api.post(f"{base}/messages", world.agent.token, body={"content": "Hi! How can I help?", "echo_id": "e1"})
    assert reply.status == 200, reply.json
    assert_matches(reply.json, "post", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages")
    assert reply.json["message_type"] == 1 and reply.json["echo_id"] == "e1" and reply.json["sender_type"] == "agent"
    note = api.post(f"{base}/messages", world.agent.token, body={"content": "VIP customer", "private": True})
    assert note.json["private"] is True
    for n in range(25):
        api.post(f"{base}/messages", world.agent.token, body={"content": f"m{n}"})
    page = api.get(f"{base}/messages", world.agent.token)
    assert_matches(page.json, "get", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages")
    newest = page.json["payload"]
    assert len(newest) == 20 and newest[-1]["content"] == "m24"
    assert [m["id"] for m in newest] == sorted(m["id"] for m in newest)
    older = api.get(f"{base}/messages", world.agent.token, query={"before": newest[0]["id"]}).json["payload"]
    assert [m["content"] for m in older][:3] == ["Hello, I need help", "Hi! How can I help?", "VIP customer"]
    # The list row shows the last public message, never the note.
    row = api.get(base, world.agent.token).json
    assert row["messages"][0]["content"] == "m24"


@real_engine
def test_status_toggle_assign_and_read(api, world, website):
    _, conversation_id = start_chat(website)
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}"
    toggled = api.post(f"{base}/toggle_status", world.agent.token, body={"status": "resolved"})
    assert_matches(toggled.json, "post", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_status")
    assert toggled.json["payload"]["current_status"] == "resolved"
    assert api.post(f"{base}/toggle_status", world.agent.token, body={}).json["payload"]["current_status"] == "open"
    pending = api.post(f"{base}/toggle_status", world.agent.token, body={"status": "pending"})
    assert pending.json["payload"]["current_status"] == "pending"

    assigned = api.post(f"{base}/assignments", world.admin.token, body={"assignee_id": world.agent.id})
    assert assigned.status == 200 and assigned.json["id"] == world.agent.id
    assert_matches(assigned.json, "post", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/assignments")
    shown = api.get(base, world.agent.token).json
    assert shown["meta"]["assignee"]["id"] == world.agent.id and shown["unread_count"] == 1
    assert api.post(f"{base}/assignments", world.admin.token, body={"assignee_id": world.other_admin.id}).status == 422
    assert api.post(f"{base}/assignments", world.admin.token, body={"assignee_id": None}).status == 200
    assert "assignee" not in api.get(base, world.agent.token).json["meta"]

    read = api.post(f"{base}/update_last_seen", world.agent.token)
    assert read.status == 200 and read.json["unread_count"] == 0
    assert api.get(base, world.agent.token).json["unread_count"] == 0


def test_contact_reply_reopens_a_resolved_conversation(api, world, website):
    visitor, conversation_id = start_chat(website)
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}"
    api.post(f"{base}/toggle_status", world.agent.token, body={"status": "resolved"})
    website.widget.say(visitor, "One more thing")
    assert api.get(base, world.agent.token).json["status"] == "open"


def test_agents_outside_the_inbox_and_other_accounts_get_404(api, world, website):
    _, conversation_id = start_chat(website)
    api.delete(f"/api/v1/accounts/{world.account_id}/inbox_members", world.admin.token,
               body={"inbox_id": website.id, "user_ids": [world.agent.id]})
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    assert api.get(f"{base}/{conversation_id}", world.agent.token).status == 404
    assert api.get(base, world.agent.token).json["data"]["payload"] == []
    assert api.get(f"{base}/{conversation_id}", world.admin.token).status == 200
    other = f"/api/v1/accounts/{world.other_account_id}/conversations/{conversation_id}"
    assert api.get(other, world.other_admin.token).status == 404
    assert api.post(f"{other}/messages", world.other_admin.token, body={"content": "hi"}).status == 404
    assert api.get(f"{base}/{conversation_id}", world.other_admin.token).status == 404


def test_message_limits_and_bad_input(api, world, website):
    _, conversation_id = start_chat(website)
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages"
    assert api.post(base, world.agent.token, body={"content": "x" * 150_000}).status == 200
    assert api.post(base, world.agent.token, body={"content": "x" * 150_001}).status == 422
    assert api.post(base, world.agent.token, body={"content": "   "}).status == 422
    assert api.post(base, world.agent.token, body={"content": "hi", "message_type": "sideways"}).status == 422
    assert api.get(base, world.agent.token, query={"before": "abc"}).status == 422
    assert api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.agent.token,
                   query={"status": "sleeping"}).status == 422


def test_html_is_stored_and_returned_as_text(api, world, website):
    visitor, conversation_id = start_chat(website, XSS)
    listed = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                     world.agent.token).json["payload"]
    assert listed[-1]["content"] == XSS  # the clients render it as text; the API never rewrites it


def test_create_conversation_for_a_contact(api, world, website):
    visitor = website.widget.start()
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    created = api.post(base, world.agent.token, body={"inbox_id": website.id, "contact_id": visitor.contact_id,
                                                      "message": {"content": "Following up"}})
    assert created.status == 200, created.json
    messages = api.get(f"{base}/{created.json['id']}/messages", world.agent.token).json["payload"]
    assert [m["content"] for m in messages] == ["Following up"]
    assert api.post(base, world.agent.token, body={"inbox_id": website.id}).status == 422


@real_engine
def test_an_assignee_from_another_account_creates_nothing(api, world, website):
    visitor = website.widget.start()
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    before = api.get(f"{base}/meta", world.admin.token).json
    refused = api.post(base, world.admin.token, body={"inbox_id": website.id, "contact_id": visitor.contact_id,
                                                      "assignee_id": world.other_admin.id})
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "assignee_id"
    assert api.get(f"{base}/meta", world.admin.token).json == before
