"""The Client API (/public/api/v1/inboxes/{inbox_identifier}/...) for an API-channel inbox,
validated against the reference spec."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from tests.spec import assert_matches

P = "/public/api/v1/inboxes/{inbox_identifier}"
C = P + "/contacts/{contact_identifier}/conversations/{conversation_id}"


@pytest.fixture
def channel(api, world):
    reply = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                     body={"name": "App", "channel": {"type": "api", "webhook_url": "https://hooks.acme.test/x"}})
    assert reply.status == 200, reply.json
    return reply.json


def _base(channel) -> str:
    return f"/public/api/v1/inboxes/{channel['inbox_identifier']}"


def test_contact_conversation_and_messages_round_trip(api, world, channel):
    base = _base(channel)
    inbox = api.get(base)
    assert inbox.status == 200
    assert_matches(inbox.json, "get", P)
    assert inbox.json["identifier"] == channel["inbox_identifier"] and inbox.json["identity_validation_enabled"] is False

    created = api.post(f"{base}/contacts", body={"name": "Cleo", "email": "cleo@example.test",
                                                 "custom_attributes": {"plan": "pro"}})
    assert created.status == 200, created.json
    assert_matches(created.json, "post", P + "/contacts")
    source_id = created.json["source_id"]
    assert created.json["pubsub_token"] and created.json["email"] == "cleo@example.test"

    shown = api.get(f"{base}/contacts/{source_id}")
    assert_matches(shown.json, "get", P + "/contacts/{contact_identifier}")
    assert shown.json["id"] == created.json["id"]
    updated = api.patch(f"{base}/contacts/{source_id}", body={"name": "Cleo P."})
    assert updated.status == 200 and updated.json["name"] == "Cleo P."
    assert_matches(updated.json, "patch", P + "/contacts/{contact_identifier}")

    conversation = api.post(f"{base}/contacts/{source_id}/conversations", body={})
    assert conversation.status == 200, conversation.json
    assert_matches(conversation.json, "post", P + "/contacts/{contact_identifier}/conversations")
    cid = conversation.json["id"]
    assert conversation.json["status"] == "open"

    sent = api.post(f"{base}/contacts/{source_id}/conversations/{cid}/messages",
                    body={"content": "Where is my order?", "echo_id": "e-1"})
    assert sent.status == 200, sent.json
    assert_matches(sent.json, "post", C + "/messages")
    assert sent.json["content"] == "Where is my order?" and sent.json["message_type"] == "0"

    # An agent answers in the dashboard; the contact sees it, but never a private note.
    account = f"/api/v1/accounts/{world.account_id}/conversations/{cid}"
    assert api.post(f"{account}/messages", world.admin.token, body={"content": "On its way"}).status == 200
    assert api.post(f"{account}/messages", world.admin.token, body={"content": "psst", "private": True}).status == 200
    listed = api.get(f"{base}/contacts/{source_id}/conversations/{cid}/messages")
    assert_matches(listed.json, "get", C + "/messages")
    assert [m["content"] for m in listed.json] == ["Where is my order?", "On its way"]

    convs = api.get(f"{base}/contacts/{source_id}/conversations")
    assert_matches(convs.json, "get", P + "/contacts/{contact_identifier}/conversations")
    assert [c["id"] for c in convs.json] == [cid]
    one = api.get(f"{base}/contacts/{source_id}/conversations/{cid}")
    assert_matches(one.json, "get", C)
    assert [m["content"] for m in one.json["messages"]] == ["Where is my order?", "On its way"]

    assert api.post(f"{base}/contacts/{source_id}/conversations/{cid}/toggle_typing",
                    body={"typing_status": "on"}).status == 200
    assert api.post(f"{base}/contacts/{source_id}/conversations/{cid}/toggle_typing",
                    body={"typing_status": "maybe"}).status == 422
    assert api.post(f"{base}/contacts/{source_id}/conversations/{cid}/update_last_seen").status == 200
    assert api.get(account, world.admin.token).json["contact_last_seen_at"] > 0

    resolved = api.post(f"{base}/contacts/{source_id}/conversations/{cid}/toggle_status")
    assert resolved.status == 200
    assert_matches(resolved.json, "post", C + "/toggle_status")
    assert api.get(account, world.admin.token).json["status"] == "resolved"


def test_contact_answers_an_interactive_message(api, world, channel):
    base = _base(channel)
    source_id = api.post(f"{base}/contacts", body={"name": "Dee"}).json["source_id"]
    cid = api.post(f"{base}/contacts/{source_id}/conversations", body={}).json["id"]
    options = api.post(f"/api/v1/accounts/{world.account_id}/conversations/{cid}/messages", world.admin.token,
                       body={"content": "Pick one", "content_type": "input_select",
                             "content_attributes": {"items": [{"title": "A", "value": "a"}]}}).json
    answered = api.patch(f"{base}/contacts/{source_id}/conversations/{cid}/messages/{options['id']}",
                         body={"submitted_values": [{"title": "A", "value": "a"}]})
    assert answered.status == 200, answered.json
    assert_matches(answered.json, "patch", C + "/messages/{message_id}")
    shown = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{cid}/messages", world.admin.token).json
    assert shown["payload"][-1]["content_attributes"]["submitted_values"] == [{"title": "A", "value": "a"}]


def test_hmac_mandatory_requires_a_valid_identifier_hash(api, world, channel):
    inbox_path = f"/api/v1/accounts/{world.account_id}/inboxes/{channel['id']}"
    assert api.patch(inbox_path, world.admin.token, body={"channel": {"hmac_mandatory": True}}).status == 200
    secret = channel["hmac_token"]
    base = _base(channel)
    good = hmac.new(secret.encode(), b"user-42", hashlib.sha256).hexdigest()

    assert api.get(base).json["identity_validation_enabled"] is True
    assert api.post(f"{base}/contacts", body={"name": "No id"}).status == 401
    assert api.post(f"{base}/contacts", body={"identifier": "user-42"}).status == 401
    assert api.post(f"{base}/contacts", body={"identifier": "user-42", "identifier_hash": "0" * 64}).status == 401
    from parley.models.contact import Contact

    assert not [c for c in Contact.account_index.query(world.account_id)]  # nothing was written

    created = api.post(f"{base}/contacts", body={"identifier": "user-42", "identifier_hash": good, "name": "Ann"})
    assert created.status == 200, created.json
    source_id = created.json["source_id"]
    # Updates need the hash too; with it they apply.
    assert api.patch(f"{base}/contacts/{source_id}", body={"name": "Mallory"}).status == 401
    ok = api.patch(f"{base}/contacts/{source_id}", body={"identifier": "user-42", "identifier_hash": good,
                                                         "name": "Ann B."})
    assert ok.status == 200 and ok.json["name"] == "Ann B."
    # The same identified person from another device joins the same contact.
    again = api.post(f"{base}/contacts", body={"identifier": "user-42", "identifier_hash": good})
    assert again.status == 200 and again.json["id"] == created.json["id"]
    assert again.json["source_id"] != source_id


def test_identifier_of_another_contact_needs_the_hash_even_when_optional(api, world, channel):
    base = _base(channel)
    first = api.post(f"{base}/contacts", body={"identifier": "vip-1", "name": "Vip"})
    assert first.status == 200
    assert api.post(f"{base}/contacts", body={"identifier": "vip-1"}).status == 401


def test_isolation_and_hostile_input(api, world, channel, website):
    base = _base(channel)
    a = api.post(f"{base}/contacts", body={"name": "A"}).json["source_id"]
    b = api.post(f"{base}/contacts", body={"name": "B"}).json["source_id"]
    cid = api.post(f"{base}/contacts/{a}/conversations", body={}).json["id"]
    # Another contact cannot read or write A's conversation.
    assert api.get(f"{base}/contacts/{b}/conversations/{cid}").status == 404
    assert api.post(f"{base}/contacts/{b}/conversations/{cid}/messages", body={"content": "hi"}).status == 404
    assert api.post(f"{base}/contacts/{b}/conversations/{cid}/toggle_status").status == 404
    # Unknown inbox, unknown contact, a widget inbox's token: not found.
    assert api.get("/public/api/v1/inboxes/nope").status == 404
    assert api.get(f"/public/api/v1/inboxes/{website.website_token}").status == 404
    assert api.get(f"{base}/contacts/not-a-contact").status == 404
    assert api.get(f"{base}/contacts/{a}/conversations/abc").status == 404
    # Bad bodies: clear 4xx, nothing written.
    assert api.post(f"{base}/contacts/{a}/conversations/{cid}/messages", body={"content": ""}).status == 422
    assert api.post(f"{base}/contacts/{a}/conversations/{cid}/messages", body={"content": "x", "private": True}).status == 422
    assert api.post(f"{base}/contacts", body="[1,2]").status == 400
    assert api.post(f"{base}/contacts", body={"name": "x", "admin": True}).status == 422
    assert api.get(f"{base}/contacts/{a}/conversations/{cid}/messages").json == []


def _sign(channel, identifier: str) -> str:
    return hmac.new(channel["hmac_token"].encode(), identifier.encode(), hashlib.sha256).hexdigest()


def test_an_unverified_claimant_reads_nothing_of_the_verified_contact(api, world, channel):
    base = _base(channel)
    # Mallory creates a contact with Jane's identifier and no hash (the inbox allows it).
    claimant = api.post(f"{base}/contacts", body={"identifier": "user-42", "name": "Mallory"}).json
    mallory = claimant["source_id"]
    mallory_chat = api.post(f"{base}/contacts/{mallory}/conversations", body={}).json["id"]
    # Jane proves the identifier and talks to support.
    jane = api.post(f"{base}/contacts", body={"identifier": "user-42", "identifier_hash": _sign(channel, "user-42"),
                                              "email": "jane@acme.test"})
    assert jane.status == 200, jane.json
    jane_source = jane.json["source_id"]
    jane_chat = api.post(f"{base}/contacts/{jane_source}/conversations", body={}).json["id"]
    api.post(f"{base}/contacts/{jane_source}/conversations/{jane_chat}/messages", body={"content": "card 4242"})
    # Mallory's contact identifier shows her own conversation only, and not Jane's details.
    listed = api.get(f"{base}/contacts/{mallory}/conversations").json
    assert [c["id"] for c in listed] == [mallory_chat]
    assert api.get(f"{base}/contacts/{mallory}/conversations/{jane_chat}/messages").status == 404
    assert "jane@acme.test" not in str(api.get(f"{base}/contacts/{mallory}").json)
    # The identifier went to Jane; Mallory's contact no longer holds it.
    contacts = f"/api/v1/accounts/{world.account_id}/contacts"
    assert api.get(f"{contacts}/{jane.json['id']}", world.admin.token).json["payload"]["identifier"] == "user-42"
    assert "identifier" not in api.get(f"{contacts}/{claimant['id']}", world.admin.token).json["payload"]


def test_a_contact_identifier_reads_only_its_own_source_ids_conversations(api, world, channel):
    base = _base(channel)
    proof = {"identifier": "user-7", "identifier_hash": _sign(channel, "user-7")}
    phone = api.post(f"{base}/contacts", body=proof).json
    tablet = api.post(f"{base}/contacts", body=proof).json
    assert phone["id"] == tablet["id"] and phone["source_id"] != tablet["source_id"]
    on_phone = api.post(f"{base}/contacts/{phone['source_id']}/conversations", body={}).json["id"]
    assert [c["id"] for c in api.get(f"{base}/contacts/{phone['source_id']}/conversations").json] == [on_phone]
    assert api.get(f"{base}/contacts/{tablet['source_id']}/conversations").json == []
    assert api.get(f"{base}/contacts/{tablet['source_id']}/conversations/{on_phone}").status == 404
