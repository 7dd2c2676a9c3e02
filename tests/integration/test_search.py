"""GET /search (and /search/conversations, /contacts, /messages): Chatwoot's global search,
served by keys and term indexes, within the caller's inboxes."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.dynamodb_local


def search(api, world, token, q, kind=None, account=None):
    path = f"/api/v1/accounts/{account or world.account_id}/search" + (f"/{kind}" if kind else "")
    return api.get(path, token, query={"q": q})


def test_finds_conversations_contacts_and_messages(api, world, website):
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    visitor = website.widget.start()
    website.widget.call("PATCH", "contact", visitor, body={"name": "Marie Curie", "email": "marie@radium.test"})
    conversation = website.widget.say(visitor, "My refund for the Polonium order?").json["conversation_id"]
    api.post(f"{base}/{conversation}/messages", world.agent.token, body={"content": "Refunded today, sorry!"})
    other = website.widget.say(website.widget.start(), "Something else entirely").json["conversation_id"]

    everything = search(api, world, world.admin.token, "refund")
    assert everything.status == 200, everything.json
    found = everything.json["payload"]
    assert set(found) == {"conversations", "contacts", "messages"}
    assert [m["content"] for m in found["messages"]] == ["Refunded today, sorry!", "My refund for the Polonium order?"]
    assert found["messages"][0]["conversation_id"] == conversation and found["messages"][0]["inbox"]["id"] == website.id
    # every word of the query must start a word of the message
    messages = search(api, world, world.admin.token, "refund polo", "messages").json["payload"]["messages"]
    assert [m["content"] for m in messages] == ["My refund for the Polonium order?"]
    assert search(api, world, world.admin.token, "REFUNDS", "messages").json["payload"]["messages"] == []

    contacts = search(api, world, world.admin.token, "marie", "contacts").json["payload"]["contacts"]
    assert [c["email"] for c in contacts] == ["marie@radium.test"]
    by_contact = search(api, world, world.admin.token, "curie", "conversations").json["payload"]["conversations"]
    assert [c["id"] for c in by_contact] == [conversation]
    assert by_contact[0]["contact"]["name"] == "Marie Curie" and by_contact[0]["inbox"]["id"] == website.id
    by_id = search(api, world, world.admin.token, f"#{other}", "conversations").json["payload"]["conversations"]
    assert [c["id"] for c in by_id] == [other]


def test_deleted_messages_are_not_found(api, world, website):
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    conversation = website.widget.say(website.widget.start(), "Hello there").json["conversation_id"]
    sent = api.post(f"{base}/{conversation}/messages", world.agent.token, body={"content": "Xylophone discount code"})
    assert len(search(api, world, world.admin.token, "xylo", "messages").json["payload"]["messages"]) == 1
    assert api.delete(f"{base}/{conversation}/messages/{sent.json['id']}", world.agent.token).status == 200
    assert search(api, world, world.admin.token, "xylo", "messages").json["payload"]["messages"] == []


def test_agents_search_only_their_inboxes_and_accounts_are_isolated(api, world, website):
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    conversation = website.widget.say(website.widget.start(), "Hello").json["conversation_id"]
    note = api.post(f"{base}/{conversation}/messages", world.admin.token,
                    body={"content": "Quarantine this customer", "private": True})
    assert note.status == 200
    # an agent of the inbox sees its private notes, as in the conversation itself
    assert len(search(api, world, world.agent.token, "quarantine", "messages").json["payload"]["messages"]) == 1
    api.delete(f"/api/v1/accounts/{world.account_id}/inbox_members", world.admin.token,
               body={"inbox_id": website.id, "user_ids": [world.agent.id]})
    outside = search(api, world, world.agent.token, "quarantine").json["payload"]
    assert outside["messages"] == [] and outside["conversations"] == []
    assert search(api, world, world.agent.token, str(conversation), "conversations").json["payload"] == {
        "conversations": []}
    assert len(search(api, world, world.admin.token, "quarantine", "messages").json["payload"]["messages"]) == 1
    # another account: its own ids are 404 for Globex; Globex's own search holds nothing of Acme's
    assert search(api, world, world.other_admin.token, "quarantine").status == 404
    theirs = search(api, world, world.other_admin.token, "quarantine", account=world.other_account_id)
    assert theirs.status == 200 and theirs.json["payload"] == {"conversations": [], "contacts": [], "messages": []}


def test_bad_queries_are_422(api, world, website):
    for q in ("", "   ", "x" * 201):
        assert search(api, world, world.admin.token, q).status == 422, q
    assert search(api, world, world.admin.token, "a", "messages").json["payload"] == {"messages": []}
    assert api.get(f"/api/v1/accounts/{world.account_id}/search", world.admin.token,
                   query={"q": "hi", "page": "0"}).status == 422


def test_message_search_fetches_only_the_messages_its_page_needs(api, world, website, monkeypatch):
    from parley.models.conversation import Message

    base = f"/api/v1/accounts/{world.account_id}/conversations"
    conversation = website.widget.say(website.widget.start(), "Refund the Polonium order").json["conversation_id"]
    for n in range(19):
        api.post(f"{base}/{conversation}/messages", world.agent.token, body={"content": f"Refund step {n}"})
    original, fetched = Message.batch_get, []

    def batch_get(keys, *args, **kwargs):
        keys = list(keys)
        fetched.append(len(keys))
        return original(keys, *args, **kwargs)

    monkeypatch.setattr(Message, "batch_get", batch_get)
    first = search(api, world, world.admin.token, "refund", "messages").json["payload"]["messages"]
    assert [m["content"] for m in first] == [f"Refund step {n}" for n in range(18, 3, -1)]
    assert fetched == [15]  # the page, not every candidate
    fetched.clear()
    second = api.get(f"/api/v1/accounts/{world.account_id}/search/messages", world.admin.token,
                     query={"q": "refund", "page": "2"}).json["payload"]["messages"]
    assert [m["content"] for m in second] == [f"Refund step {n}" for n in range(3, -1, -1)] + [
        "Refund the Polonium order"]
    fetched.clear()
    # a second word turns candidates away: the batches grow until the page is found
    sparse = search(api, world, world.admin.token, "refund polo", "messages").json["payload"]["messages"]
    assert [m["content"] for m in sparse] == ["Refund the Polonium order"]
    assert fetched == [15, 5]
