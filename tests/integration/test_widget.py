"""The widget API: sessions, messages, identity validation, hostile input."""
from __future__ import annotations

import hashlib
import hmac
import time

from parley import jwt
from tests.test_support import table_snapshot


def test_opening_the_widget_creates_nobody_until_the_visitor_speaks(api, world, website):
    from parley.models.contact import Contact

    website.widget.call("POST", "config")  # the installation's config defaults are seeded on first read
    before = table_snapshot()
    reply = website.widget.call("POST", "config")
    assert reply.status == 200
    config = reply.json["website_channel_config"]
    assert config["welcome_title"] == "Hi there" and config["widget_color"] == "#0f766e"
    assert reply.json["global_config"]["WEBSOCKET_URL"]
    assert "hmac_token" not in str(reply.json)
    assert reply.json["auth_token"] is None and reply.json["contact"] == {}
    # A stale or forged token opens the widget the same way, and writes nothing either.
    assert website.widget.call("POST", "config", headers={"X-Auth-Token": "a.b.c"}).json["auth_token"] is None
    assert table_snapshot() == before  # no contact, no contact inbox, no logged event
    assert not list(Contact.account_index.query(world.account_id))
    # The first message creates the visitor and hands over its token.
    sent = website.widget.call("POST", "messages", body={"message": {"content": "Hello"}})
    assert sent.status == 200, sent.json
    visitor = website.widget.start(sent.json["widget_auth_token"])  # the same visitor comes back
    assert _contents(website.widget.call("GET", "messages", visitor)) == ["Hello"]
    assert [c.id for c in Contact.account_index.query(world.account_id)] == [visitor.contact_id]
    again = website.widget.say(visitor, "Still there?")
    assert again.status == 200 and "widget_auth_token" not in again.json
    # So does a first setUser; bad input on a first message creates nobody.
    assert website.widget.call("POST", "messages", body={"message": {"content": "x" * 150_001}}).status == 422
    user = website.widget.call("POST", "contact/set_user", body={"identifier": "user-9", "name": "Nine"})
    assert user.status == 200 and user.json["identifier"] == "user-9" and user.json["widget_auth_token"]
    assert website.widget.start(user.json["widget_auth_token"]).contact_id == user.json["id"]
    assert len(list(Contact.account_index.query(world.account_id))) == 2
    # Other calls still need a token.
    assert website.widget.call("GET", "messages").status == 401
    assert website.widget.call("PATCH", "contact", body={"name": "x"}).status == 401


def test_unknown_website_token_is_404(api, world):
    for token in ("nope", "x" * 65, ""):
        assert api.post("/api/v1/widget/config", query={"website_token": token}).status in (404, 422)
    assert api.post("/api/v1/widget/config").status == 422


def test_messages_round_trip_without_private_notes(api, world, website):
    visitor = website.widget.start()
    sent = website.widget.say(visitor, "Hello", echo_id="tmp-1")
    assert sent.status == 200 and sent.json["echo_id"] == "tmp-1" and sent.json["message_type"] == 0
    conversation = sent.json["conversation_id"]
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation}/messages"
    api.post(base, world.agent.token, body={"content": "Secret note", "private": True})
    api.post(base, world.agent.token, body={"content": "Hi, how can I help?"})
    listed = website.widget.call("GET", "messages", visitor)
    assert [m["content"] for m in listed.json["payload"]] == ["Hello", "Hi, how can I help?"]
    assert "Secret note" not in str(listed.json)
    convs = website.widget.call("GET", "conversations", visitor).json
    assert [c["id"] for c in convs] == [conversation]


def test_visitors_cannot_see_each_other(api, world, website):
    alice, bob = website.widget.start(), website.widget.start()
    website.widget.say(alice, "alice's secret")
    assert website.widget.call("GET", "messages", bob).json["payload"] == []
    # A token for one inbox does not open another.
    other = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                     body={"name": "Other site", "channel": {"type": "web_widget"}}).json
    call = api.get("/api/v1/widget/messages", headers={"X-Auth-Token": alice.token},
                   query={"website_token": other["website_token"]})
    assert call.status == 401


def test_forged_expired_and_foreign_tokens_are_refused(api, world, website):
    visitor = website.widget.start()
    header, claims, signature = visitor.token.split(".")
    forged = f"{header}.{claims}.{'A' * len(signature)}"
    none_alg = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + claims + "."
    expired = jwt.encode({"source_id": "x", "inbox_id": website.id, "exp": int(time.time()) - 1},
                         __import__("os").environ["WIDGET_TOKEN_SECRET"])
    wrong_secret = jwt.encode({"source_id": "x", "inbox_id": website.id, "exp": int(time.time()) + 60}, "guess")
    for token in (forged, none_alg, expired, wrong_secret, "garbage", "a.b.c"):
        reply = api.get("/api/v1/widget/messages", headers={"X-Auth-Token": token},
                        query={"website_token": website.website_token})
        assert reply.status == 401, token
        assert website.widget.call("POST", "messages", None, headers={"X-Auth-Token": token},
                                   body={"message": {"content": "hi"}}).status == 401


def test_over_long_and_malformed_messages(api, world, website):
    visitor = website.widget.start()
    assert website.widget.say(visitor, "x" * 150_001).status == 422
    assert website.widget.call("POST", "messages", visitor, body={"content": "not wrapped"}).status == 422
    assert website.widget.call("POST", "messages", visitor, body="{broken").status == 400
    assert website.widget.call("GET", "messages", visitor).json["payload"] == []


def sign(website, identifier: str) -> str:
    return hmac.new(website.hmac_token.encode(), identifier.encode(), hashlib.sha256).hexdigest()


def test_set_user_with_a_valid_hash(api, world, website):
    visitor = website.widget.start()
    reply = website.widget.call("POST", "contact/set_user", visitor, body={
        "identifier": "user-42", "identifier_hash": sign(website, "user-42"), "name": "Jane", "email": "jane@x.test",
        "custom_attributes": {"plan": "pro"}})
    assert reply.status == 200, reply.json
    assert reply.json["name"] == "Jane" and reply.json["custom_attributes"] == {"plan": "pro"}
    assert "widget_auth_token" not in reply.json  # the same contact, now identified


def test_wrong_hash_is_401_and_changes_nothing(api, world, website):
    visitor = website.widget.start()
    reply = website.widget.call("POST", "contact/set_user", visitor, body={
        "identifier": "user-42", "identifier_hash": sign(website, "user-43"), "name": "Mallory"})
    assert reply.status == 401
    contact = website.widget.call("PATCH", "contact", visitor, body={}).json
    assert contact["name"] == "" and contact["identifier"] is None


def test_hmac_mandatory_refuses_unverified_identity(api, world, website):
    api.patch(f"/api/v1/accounts/{world.account_id}/inboxes/{website.id}", world.admin.token,
              body={"channel": {"hmac_mandatory": True}})
    visitor = website.widget.start()
    assert website.widget.call("POST", "contact/set_user", visitor,
                               body={"identifier": "user-42", "name": "x"}).status == 401
    ok = website.widget.call("POST", "contact/set_user", visitor,
                             body={"identifier": "user-42", "identifier_hash": sign(website, "user-42")})
    assert ok.status == 200


def test_nobody_can_become_an_existing_contact_without_the_hash(api, world, website):
    # Jane identifies herself properly and talks to support.
    jane = website.widget.start()
    website.widget.call("POST", "contact/set_user", jane, body={
        "identifier": "user-42", "identifier_hash": sign(website, "user-42"), "name": "Jane"})
    website.widget.say(jane, "my order number is 1234")
    # Mallory claims Jane's identifier without the hash: refused, and she sees nothing of Jane's.
    mallory = website.widget.start()
    refused = website.widget.call("POST", "contact/set_user", mallory, body={"identifier": "user-42"})
    assert refused.status == 401
    assert website.widget.call("GET", "messages", mallory).json["payload"] == []
    # Jane on a second device, with the hash, gets her own conversation back.
    laptop = website.widget.start()
    switched = website.widget.call("POST", "contact/set_user", laptop, body={
        "identifier": "user-42", "identifier_hash": sign(website, "user-42")})
    assert switched.status == 200 and switched.json["id"] == jane.contact_id
    token = switched.json["widget_auth_token"]
    history = api.get("/api/v1/widget/messages", headers={"X-Auth-Token": token},
                      query={"website_token": website.website_token})
    assert [m["content"] for m in history.json["payload"]] == ["my order number is 1234"]


def test_identity_hash_compare_is_constant_time():
    import inspect

    from parley.services.contact import widget

    assert "compare_digest" in inspect.getsource(widget.verify_identity)


def test_custom_attributes_labels_and_typing(api, world, website):
    visitor = website.widget.start()
    assert website.widget.call("POST", "labels", visitor, body={"label": "vip"}).status == 404  # no conversation yet
    website.widget.say(visitor, "hi")
    assert website.widget.call("POST", "labels", visitor, body={"label": "vip"}).json["labels"] == ["vip"]
    assert website.widget.call("POST", "labels", visitor, body={"label": "<b>"}).status == 422
    assert website.widget.call("DELETE", "labels/vip", visitor).json["labels"] == []
    attrs = website.widget.call("POST", "conversations/set_custom_attributes", visitor,
                                body={"custom_attributes": {"order": 1234}})
    assert attrs.json["custom_attributes"] == {"order": 1234}
    gone = website.widget.call("POST", "conversations/destroy_custom_attributes", visitor,
                               body={"custom_attributes": ["order"]})
    assert gone.json["custom_attributes"] == {}
    contact = website.widget.call("PATCH", "contact", visitor, body={"custom_attributes": {"a": 1, "b": 2}})
    assert contact.json["custom_attributes"] == {"a": 1, "b": 2}
    trimmed = website.widget.call("POST", "contact/destroy_custom_attributes", visitor,
                                  body={"custom_attributes": ["a"]})
    assert trimmed.json["custom_attributes"] == {"b": 2}
    assert website.widget.call("POST", "conversations/toggle_typing", visitor, body={"typing_status": "on"}).status == 200
    assert website.widget.call("POST", "conversations/toggle_typing", visitor, body={"typing_status": "maybe"}).status == 422
    assert website.widget.call("POST", "conversations/update_last_seen", visitor).status == 200


def test_visitor_answers_an_interactive_message(api, world, website):
    visitor = website.widget.start()
    conversation = website.widget.say(visitor, "hi").json["conversation_id"]
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation}/messages"
    ask = api.post(base, world.agent.token, body={"content": "Your email?", "content_type": "input_email"}).json
    note = api.post(base, world.agent.token, body={"content": "internal", "private": True}).json
    answered = website.widget.call("PATCH", f"messages/{ask['id']}", visitor, body={
        "message": {"submitted_email": "v@x.test"}, "contact": {"email": "v@x.test"}})
    assert answered.status == 200, answered.json
    assert answered.json["content_attributes"]["submitted_email"] == "v@x.test"
    assert website.widget.call("PATCH", "contact", visitor, body={}).json["email"] == "v@x.test"
    assert website.widget.call("PATCH", f"messages/{note['id']}", visitor,
                               body={"message": {"submitted_email": "x@y.z"}}).status == 404
    other = website.widget.start()
    assert website.widget.call("PATCH", f"messages/{ask['id']}", other,
                               body={"message": {"submitted_email": "x@y.z"}}).status == 404


def _members_area(api, world):
    """A second website inbox of the same account that makes identity validation mandatory."""
    from tests.conftest import WebsiteInbox, Widget

    inbox = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token, body={
        "name": "Members area", "channel": {"type": "web_widget", "website_url": "https://members.acme.test"}}).json
    assert api.patch(f"/api/v1/accounts/{world.account_id}/inboxes/{inbox['id']}", world.admin.token,
                     body={"channel": {"hmac_mandatory": True}}).status == 200
    return WebsiteInbox(inbox["id"], inbox["website_token"], inbox["hmac_token"], Widget(api, inbox["website_token"]))


def _as(visitor, reply):
    """The visitor after set_user: a new token if it became another contact inbox."""
    from tests.conftest import Visitor

    assert reply.status == 200, reply.json
    return Visitor(reply.json.get("widget_auth_token") or visitor.token, reply.json["id"], reply.json["pubsub_token"])


def _contents(reply) -> list[str]:
    return [m["content"] for m in reply.json["payload"]]


def test_an_unverified_claim_gives_the_claimant_nothing_of_the_verified_user(api, world, website):
    # Mallory chats anonymously, then claims Jane's identifier without a hash (this inbox allows that).
    mallory = website.widget.start()
    mallory_chat = website.widget.say(mallory, "mallory's own question").json["conversation_id"]
    assert website.widget.call("POST", "contact/set_user", mallory, body={"identifier": "user-42"}).status == 200
    # Jane, the real user, identifies with a valid hash on the same site and on the members area.
    jane = website.widget.start()
    jane = _as(jane, website.widget.call("POST", "contact/set_user", jane, body={
        "identifier": "user-42", "identifier_hash": sign(website, "user-42"), "email": "jane@acme.test",
        "phone_number": "+15550100"}))
    jane_chat = website.widget.say(jane, "my card ends 4242").json["conversation_id"]
    api.post(f"/api/v1/accounts/{world.account_id}/conversations/{jane_chat}/messages", world.agent.token,
             body={"content": "Your refund is on its way"})
    members = _members_area(api, world)
    jane_there = members.widget.start()
    jane_there = _as(jane_there, members.widget.call("POST", "contact/set_user", jane_there, body={
        "identifier": "user-42", "identifier_hash": sign(members, "user-42")}))
    members.widget.say(jane_there, "members area question")

    # Mallory's old token reads her own anonymous history and nothing of Jane's.
    assert _contents(website.widget.call("GET", "messages", mallory)) == ["mallory's own question"]
    assert [c["id"] for c in website.widget.call("GET", "conversations", mallory).json] == [mallory_chat]
    config = website.widget.call("POST", "config", mallory)
    assert config.status == 200
    assert config.json["contact"].get("identifier") != "user-42"
    for secret in ("jane@acme.test", "+15550100", "4242", "refund"):
        assert secret not in str(config.json)
    # Jane reads hers, on both sites.
    assert _contents(website.widget.call("GET", "messages", jane)) == ["my card ends 4242", "Your refund is on its way"]
    assert _contents(members.widget.call("GET", "messages", jane_there)) == ["members area question"]
    shown = website.widget.call("PATCH", "contact", jane, body={}).json
    assert shown["identifier"] == "user-42" and shown["email"] == "jane@acme.test"


def test_a_verified_user_never_lands_in_a_contact_inbox_an_unverified_claimant_holds(api, world, website,
                                                                                     monkeypatch):
    from parley import security_log

    logged = []
    monkeypatch.setattr(security_log, "refused", lambda kind, reason, **ids: logged.append((kind, ids)))
    members = _members_area(api, world)
    mallory = website.widget.start()
    assert website.widget.call("POST", "contact/set_user", mallory, body={"identifier": "user-42"}).status == 200
    # Jane identifies on the mandatory inbox only, then on the open site from a fresh browser.
    jane = members.widget.start()
    jane = _as(jane, members.widget.call("POST", "contact/set_user", jane, body={
        "identifier": "user-42", "identifier_hash": sign(members, "user-42"), "email": "jane@acme.test"}))
    members.widget.say(jane, "members area secret")
    laptop = website.widget.start()
    laptop = _as(laptop, website.widget.call("POST", "contact/set_user", laptop, body={
        "identifier": "user-42", "identifier_hash": sign(website, "user-42")}))
    website.widget.say(laptop, "laptop secret")
    assert laptop.token != mallory.token and laptop.pubsub_token != mallory.pubsub_token
    assert _contents(website.widget.call("GET", "messages", mallory)) == []
    config = website.widget.call("POST", "config", mallory).json
    assert "jane@acme.test" not in str(config) and config["contact"].get("identifier") != "user-42"
    # An unverified claimant cannot take the identifier back now that it is proven.
    assert website.widget.call("POST", "contact/set_user", mallory, body={"identifier": "user-42"}).status == 401
    # The operator sees the claim that was taken back.
    assert [ids["claimant_contact_id"] for kind, ids in logged if "claimant_contact_id" in ids] == [mallory.contact_id]
