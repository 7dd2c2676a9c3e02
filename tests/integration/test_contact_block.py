"""Blocking a contact, as Chatwoot does: a blocked contact's conversations start resolved
and their messages never reopen one, so nothing of theirs reaches the open lists; the
messages are still kept. Unblocking restores the usual behaviour."""
from __future__ import annotations


def open_ids(api, world) -> list[int]:
    reply = api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.agent.token,
                    query={"assignee_type": "all", "status": "open"})
    assert reply.status == 200, reply.json
    return [row["id"] for row in reply.json["data"]["payload"]]


def block(api, world, contact_id: int, blocked: bool = True) -> None:
    reply = api.patch(f"/api/v1/accounts/{world.account_id}/contacts/{contact_id}", world.agent.token,
                      body={"blocked": blocked})
    assert reply.status == 200 and reply.json["payload"]["blocked"] is blocked, reply.json


def conversation(api, world, conversation_id: int) -> dict:
    return api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}", world.admin.token).json


def test_a_blocked_visitors_new_conversation_starts_resolved(api, world, website):
    visitor = website.widget.start()
    block(api, world, visitor.contact_id)
    said = website.widget.say(visitor, "let me in")
    assert said.status == 200, said.json  # the visitor is not told (as in Chatwoot)
    conversation_id = said.json["conversation_id"]
    assert conversation(api, world, conversation_id)["status"] == "resolved"
    assert conversation_id not in open_ids(api, world)
    messages = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                       world.admin.token).json["payload"]
    assert [m["content"] for m in messages] == ["let me in"]  # kept, for the record


def test_a_blocked_contact_does_not_reopen_a_resolved_conversation(api, world, website):
    visitor = website.widget.start()
    conversation_id = website.widget.say(visitor, "hello").json["conversation_id"]
    toggled = api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/toggle_status",
                       world.agent.token, body={"status": "resolved"})
    assert toggled.status == 200, toggled.json
    block(api, world, visitor.contact_id)
    assert website.widget.say(visitor, "spam spam").status == 200
    assert conversation(api, world, conversation_id)["status"] == "resolved"
    assert conversation_id not in open_ids(api, world)

    block(api, world, visitor.contact_id, blocked=False)
    assert website.widget.say(visitor, "sorry, a real question").status == 200
    assert conversation(api, world, conversation_id)["status"] == "open"
    assert conversation_id in open_ids(api, world)
