"""Team assignment, mute, mark unread and bulk actions."""
from __future__ import annotations

from tests.integration.test_conversations import start_chat


def test_team_assignment(api, world, website):
    _, conversation_id = start_chat(website)
    team = api.post(f"/api/v1/accounts/{world.account_id}/teams", world.admin.token, body={"name": "Billing"}).json
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}"
    assigned = api.post(f"{base}/assignments", world.agent.token, body={"team_id": team["id"]})
    assert assigned.status == 200 and assigned.json == {"team_id": team["id"]}
    assert api.get(base, world.agent.token).json["team_id"] == team["id"]
    assert api.post(f"{base}/assignments", world.agent.token, body={"team_id": 999}).status == 404
    # Team ids count per account: Globex's second team has an id no Acme team has.
    for name in ("Theirs", "Also theirs"):
        other_team = api.post(f"/api/v1/accounts/{world.other_account_id}/teams", world.other_admin.token,
                              body={"name": name}).json
    assert other_team["id"] == 2
    assert api.post(f"{base}/assignments", world.agent.token, body={"team_id": other_team["id"]}).status == 404
    assert api.get(base, world.agent.token).json["team_id"] == team["id"]


def test_muted_conversations_stay_resolved(api, world, website):
    visitor, conversation_id = start_chat(website)
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}"
    api.post(f"{base}/mute", world.agent.token)
    api.post(f"{base}/toggle_status", world.agent.token, body={"status": "resolved"})
    website.widget.say(visitor, "spam spam spam")
    shown = api.get(base, world.agent.token).json
    assert shown["muted"] is True and shown["status"] == "resolved"
    api.post(f"{base}/unmute", world.agent.token)
    website.widget.say(visitor, "a real question")
    assert api.get(base, world.agent.token).json["status"] == "open"


def test_mark_unread(api, world, website):
    _, conversation_id = start_chat(website)
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}"
    api.post(f"{base}/update_last_seen", world.agent.token)
    assert api.get(base, world.agent.token).json["unread_count"] == 0
    assert api.post(f"{base}/unread", world.agent.token).json["unread_count"] == 1
    assert api.get(base, world.agent.token).json["unread_count"] == 1


def test_bulk_actions_apply_everything_or_nothing(api, world, website):
    ids = [start_chat(website, f"chat {n}")[1] for n in range(3)]
    url = f"/api/v1/accounts/{world.account_id}/bulk_actions"
    done = api.post(url, world.agent.token, body={"type": "Conversation", "ids": ids[:2],
                                                  "fields": {"status": "resolved", "assignee_id": world.agent.id},
                                                  "labels": {"add": ["bulk", "vip"]}})
    assert done.status == 200, done.json
    for conversation_id in ids[:2]:
        shown = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}", world.agent.token).json
        assert shown["status"] == "resolved" and shown["meta"]["assignee"]["id"] == world.agent.id
        assert shown["labels"] == ["bulk", "vip"]
    removed = api.post(url, world.agent.token, body={"type": "Conversation", "ids": ids[:1],
                                                     "labels": {"remove": ["vip"]}})
    assert removed.status == 200
    assert api.get(f"/api/v1/accounts/{world.account_id}/conversations/{ids[0]}",
                   world.agent.token).json["labels"] == ["bulk"]
    # One unknown id, a foreign assignee or a bad status: nothing at all changes.
    before = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{ids[2]}", world.agent.token).json
    for bad in ({"type": "Conversation", "ids": [ids[2], 9999], "fields": {"status": "resolved"}},
                {"type": "Conversation", "ids": [ids[2]], "fields": {"assignee_id": world.other_admin.id}},
                {"type": "Conversation", "ids": [ids[2]], "fields": {"status": "sleeping"}},
                {"type": "Contact", "ids": [ids[2]]},
                {"type": "Conversation", "ids": []},
                {"type": "Conversation", "ids": list(range(1, 102))}):
        assert 400 <= api.post(url, world.agent.token, body=bad).status < 500, bad
    after = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{ids[2]}", world.agent.token).json
    assert after["status"] == before["status"] == "open" and "assignee" not in after["meta"]
    # Another account's conversations are not found.
    assert api.post(f"/api/v1/accounts/{world.other_account_id}/bulk_actions", world.other_admin.token,
                    body={"type": "Conversation", "ids": ids[:1], "fields": {"status": "open"}}).status == 404


def test_delete_message_keeps_its_place(api, world, website):
    visitor, conversation_id = start_chat(website)
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages"
    mine = api.post(base, world.agent.token, body={"content": "wrong customer, sorry"}).json
    theirs = api.get(base, world.agent.token).json["payload"][0]
    assert api.delete(f"{base}/{theirs['id']}", world.agent.token).status == 403  # the visitor's message
    deleted = api.delete(f"{base}/{mine['id']}", world.agent.token)
    assert deleted.status == 200 and deleted.json["content_attributes"]["deleted"] is True
    widget = website.widget.call("GET", "messages", visitor).json["payload"]
    assert [m["content"] for m in widget] == ["Hello, I need help", "This message was deleted"]
    assert api.delete(f"{base}/{theirs['id']}", world.admin.token).status == 200
    assert api.delete(f"{base}/999999", world.admin.token).status == 404
    assert api.delete(f"/api/v1/accounts/{world.other_account_id}/conversations/{conversation_id}/messages/{mine['id']}",
                      world.other_admin.token).status == 404
