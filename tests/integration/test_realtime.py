"""$connect / $default / $disconnect and the writers' push (realtime.broadcast after a
commit), invoked with API Gateway's event shapes.

Frames leave through the real boto3 management-API client; a botocore `before-call`
hook answers in place of API Gateway (200, or 410 GoneException for a dead socket) and
records what each socket was sent."""
from __future__ import annotations

import copy
import json
from collections import defaultdict
from typing import Callable
from datetime import timedelta

import pytest

from tests.conftest import EVENTS, LambdaContext, load_function


class Sockets:
    def __init__(self):
        from parley import realtime

        self.client = realtime._client()
        self.frames: dict[str, list[dict]] = defaultdict(list)
        self.gone: set[str] = set()
        self.client.meta.events.register("before-call.apigatewaymanagementapi.PostToConnection", self._answer)

    def reply(self, params: dict, done: Callable[[str, dict], int]):
        """API Gateway's answer to a call on one socket: 410 GoneException once it is gone,
        else the status `done(connection id, params)` returns after doing the call's work."""
        from botocore.awsrequest import AWSResponse

        connection_id = params["url_path"].rsplit("/", 1)[-1]
        if connection_id in self.gone:
            return AWSResponse("", 410, {}, None), {"Error": {"Code": "GoneException", "Message": "gone"},
                                                    "ResponseMetadata": {"HTTPStatusCode": 410}}
        status = done(connection_id, params)
        return AWSResponse("", status, {}, None), {"ResponseMetadata": {"HTTPStatusCode": status}}

    def _answer(self, params, **_):
        return self.reply(params, self._posted)

    def _posted(self, connection_id: str, params: dict) -> int:
        self.frames[connection_id].append(json.loads(params["body"]))
        return 200

    def close(self):
        self.client.meta.events.unregister("before-call.apigatewaymanagementapi.PostToConnection", self._answer)


@pytest.fixture
def sockets(aws):
    recorder = Sockets()
    yield recorder
    recorder.close()


def ws_event(name: str, connection_id: str, **changes) -> dict:
    event = copy.deepcopy(json.loads((EVENTS / f"{name}.json").read_text()))
    event["requestContext"]["connectionId"] = connection_id
    event.update(changes)
    return event


def connect(connection_id: str, **query) -> int:
    event = ws_event("ws_connect", connection_id, queryStringParameters=query or None)
    return load_function("ws_connect").lambda_handler(event, LambdaContext())["statusCode"]


def send(connection_id: str, body: str) -> int:
    return load_function("ws_message").lambda_handler(ws_event("ws_message", connection_id, body=body),
                                                      LambdaContext())["statusCode"]


def deliver(detail: dict) -> dict:
    """What a writer does once its change committed (events.push): the frame to every
    socket of the account that may see the event."""
    from parley import realtime

    return {"sent": realtime.broadcast(detail)}


def test_connect_needs_a_valid_token(world, sockets):
    from parley.services.access import connections

    assert connect("c-none") == 401
    assert connect("c-forged", token="forged") == 401
    assert connect("c-platform", token=world.platform_token) == 400
    assert connect("c-foreign", token=world.agent.token, account_id=str(world.other_account_id)) == 404
    assert connect("c-super", token=world.super_admin.token) == 404  # a member of no account
    for refused in ("c-none", "c-forged", "c-platform", "c-foreign", "c-super"):
        assert connections.get(refused) is None
    assert connect("c-agent", token=world.agent.token) == 200
    stored = connections.get("c-agent")
    assert stored.account_id == world.account_id and stored.user_id == world.agent.id and stored.kind == "user"


def test_disconnect_forgets_the_socket(world, sockets):
    from parley.services.access import connections

    assert connect("c1", token=world.agent.token) == 200
    event = ws_event("ws_disconnect", "c1")
    assert load_function("ws_connect").lambda_handler(event, LambdaContext())["statusCode"] == 200
    assert connections.get("c1") is None


def test_heartbeat_and_bad_frames(world, sockets):
    assert connect("c1", token=world.agent.token) == 200
    assert send("c1", json.dumps({"action": "heartbeat"})) == 200
    assert sockets.frames["c1"][-1] == {"event": "pong"}
    for bad in ("not json", "[]", '{"no": "action"}', '{"action": 5}', "x" * 40_000):
        assert send("c1", bad) == 400
        assert sockets.frames["c1"][-1]["event"] == "error"
    assert send("c1", json.dumps({"action": "launch_rockets"})) == 400
    assert send("never-connected", json.dumps({"action": "heartbeat"})) == 410
    assert "never-connected" not in sockets.frames


def test_service_event_reaches_the_accounts_sockets_only(world, sockets, api):
    assert connect("acme-agent", token=world.agent.token) == 200
    assert connect("acme-admin", token=world.admin.token) == 200
    assert connect("globex-admin", token=world.other_admin.token) == 200
    # A service publishes (the availability change) and pushes it to the sockets itself.
    from parley import events

    published = []
    original = events.publish

    def capture(*args, **kwargs):
        published.append(original(*args, **kwargs))
        return published[-1]

    events.publish = capture
    try:
        api.post("/api/v1/profile/availability", world.agent.token,
                 body={"availability": "busy", "account_id": world.account_id})
    finally:
        events.publish = original
    assert [d["event"] for d in published] == ["presence.update"]
    for socket in ("acme-agent", "acme-admin"):
        frame = sockets.frames[socket][-1]
        assert frame["event"] == "presence.update"
        assert frame["data"]["users"] == {str(world.agent.id): "busy"}
    assert not [f for f in sockets.frames["globex-admin"] if f["data"].get("account_id") == world.account_id]


def test_gone_socket_is_deleted_and_others_still_get_the_frame(world, sockets):
    from parley import events
    from parley.services.access import connections

    connect("alive", token=world.admin.token)
    connect("dead", token=world.agent.token)
    dead = connections.get("dead")
    dead.update(actions=[type(dead).created_at.set(dead.created_at - timedelta(minutes=5))])
    sockets.gone.add("dead")
    detail = events.envelope("presence.update", world.account_id, {"account_id": world.account_id, "users": {}})
    assert deliver(detail) == {"sent": 1}
    assert connections.get("dead") is None and connections.get("alive") is not None


def test_a_socket_found_gone_gives_its_open_socket_slot_back_once(world, sockets, monkeypatch):
    """The broadcast that finds a socket gone deletes its record, so the $disconnect that
    follows finds none: the slot must come back with the delete, and only once."""
    from parley import events
    from parley.services.access import connections

    monkeypatch.setattr(connections, "MAX_AGENT_SOCKETS_PER_ACCOUNT", 2)
    assert connect("left", token=world.agent.token) == 200
    assert connect("stays", token=world.admin.token) == 200
    assert connect("refused", token=world.agent.token) == 429
    left = connections.get("left")
    left.update(actions=[type(left).created_at.set(left.created_at - timedelta(minutes=5))])
    sockets.gone.add("left")
    deliver(events.envelope("presence.update", world.account_id, {"account_id": world.account_id, "users": {}}))
    assert connections.get("left") is None
    assert connect("next", token=world.agent.token) == 200  # its slot came back
    load_function("ws_connect").lambda_handler(ws_event("ws_disconnect", "left"), LambdaContext())
    assert connect("one-more", token=world.agent.token) == 429  # and the $disconnect freed nothing twice


def test_a_first_frame_that_reads_a_stale_replica_still_finds_its_socket(world, sockets, monkeypatch):
    """DynamoDB's default reads are eventually consistent: the resume that follows $connect
    by milliseconds may read a replica without the record. It must not be taken for an
    unknown socket (410, no resume.done: the socket would be deaf)."""
    from parley.models.connection import Connection

    assert connect("fresh", token=world.agent.token) == 200
    real_get = Connection.get.__func__

    def stale_replica(cls, hash_key, *args, consistent_read=False, **kw):
        if not consistent_read:
            raise cls.DoesNotExist()
        return real_get(cls, hash_key, *args, consistent_read=consistent_read, **kw)

    monkeypatch.setattr(Connection, "get", classmethod(stale_replica))
    assert send("fresh", json.dumps({"action": "resume", "since": 0})) == 200
    assert sockets.frames["fresh"][-1]["event"] == "resume.done"


def test_a_socket_still_connecting_keeps_its_record_through_a_410(world, sockets):
    """API Gateway answers 410 until $connect returns, and $connect itself publishes the
    agent's "online": the broadcast of that must not forget the socket being opened."""
    from parley import events
    from parley.services.access import connections

    connect("opening", token=world.agent.token)
    sockets.gone.add("opening")  # its $connect has written the record and not yet returned
    detail = events.envelope("presence.update", world.account_id, {"account_id": world.account_id, "users": {}})
    assert deliver(detail) == {"sent": 0}
    assert connections.get("opening") is not None
    sockets.gone.discard("opening")  # $connect returned: the socket is open
    assert send("opening", json.dumps({"action": "resume", "since": 0})) == 200
    assert sockets.frames["opening"][-1]["event"] == "resume.done"
    assert deliver(detail) == {"sent": 1}


def test_inbox_scoped_events_reach_only_members_and_admins(world, sockets):
    from parley import events
    from parley.services.access import connections

    connect("agent", token=world.agent.token)
    connect("admin", token=world.admin.token)
    detail = events.envelope("conversation.created", world.account_id, {"id": 1, "inbox_id": 7},
                             audience={"inbox_id": 7})
    deliver(detail)
    assert "conversation.created" not in [f["event"] for f in sockets.frames["agent"]]
    assert sockets.frames["admin"][-1]["event"] == "conversation.created"
    agent = connections.get("agent")
    agent.scope = {"inbox_ids": [7]}
    agent.save()
    deliver(detail)
    assert sockets.frames["agent"][-1]["event"] == "conversation.created"


def contents(frames, event="message.created"):
    return [f["data"]["content"] for f in frames if f.get("event") == event]


def test_private_notes_never_reach_the_contact_socket(api, world, website, sockets):
    visitor = website.widget.start()
    conversation = website.widget.say(visitor, "hello").json["conversation_id"]
    assert connect("visitor", pubsub_token=visitor.pubsub_token) == 200
    assert connect("agent", token=world.agent.token) == 200
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation}"
    api.post(f"{base}/messages", world.agent.token, body={"content": "internal: refund?", "private": True})
    api.post(f"{base}/messages", world.agent.token, body={"content": "Happy to help"})
    api.post(f"{base}/toggle_typing", world.agent.token, body={"typing_status": "on", "is_private": True})
    assert contents(sockets.frames["visitor"]) == ["Happy to help"]
    assert "internal: refund?" not in json.dumps(sockets.frames["visitor"])
    assert not [f for f in sockets.frames["visitor"] if f["event"] == "conversation.typing_on"]
    assert contents(sockets.frames["agent"]) == ["internal: refund?", "Happy to help"]
    assert sockets.frames["agent"][-1]["event"] == "conversation.typing_on"
    # Resuming from the start also leaves the note out.
    send("visitor", json.dumps({"action": "resume", "since": 0}))
    assert "internal: refund?" not in json.dumps(sockets.frames["visitor"])


def test_contact_socket_sees_only_its_own_conversation(api, world, website, sockets):
    alice, bob = website.widget.start(), website.widget.start()
    website.widget.say(alice, "alice here")
    connect("bob", pubsub_token=bob.pubsub_token)
    website.widget.say(alice, "alice again")
    assert "bob" not in sockets.frames or contents(sockets.frames["bob"]) == []
    assert connect("forged", pubsub_token="not-a-token") == 401


def test_dropped_sockets_resume_and_get_each_message_once_in_order(api, world, website, sockets):
    visitor = website.widget.start()
    conversation = website.widget.say(visitor, "hi").json["conversation_id"]
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation}"
    connect("agent-1", token=world.agent.token)
    connect("visitor-1", pubsub_token=visitor.pubsub_token)
    api.post(f"{base}/messages", world.agent.token, body={"content": "before the drop"})
    last_seq = {name: max(f["seq"] for f in sockets.frames[name] if "seq" in f) for name in ("agent-1", "visitor-1")}

    # Both sockets drop: API Gateway answers 410 for them from now on.
    sockets.gone.update({"agent-1", "visitor-1"})
    for n in range(3):
        api.post(f"{base}/messages", world.agent.token, body={"content": f"missed {n}"})

    # They reconnect and resume from the last seq each applied.
    connect("agent-2", token=world.agent.token)
    connect("visitor-2", pubsub_token=visitor.pubsub_token)
    for new, old in (("agent-2", "agent-1"), ("visitor-2", "visitor-1")):
        assert send(new, json.dumps({"action": "resume", "since": last_seq[old]})) == 200
        assert sockets.frames[new][-1]["event"] == "resume.done"

    for name in ("agent-2", "visitor-2"):
        # A client applies each event once by its id (the resume overlaps a little on purpose).
        seen, applied = set(), []
        for frame in sockets.frames[name]:
            if frame.get("event") == "message.created" and frame["id"] not in seen:
                seen.add(frame["id"])
                applied.append(frame["data"]["content"])
        assert applied[-3:] == ["missed 0", "missed 1", "missed 2"]
        assert applied.count("missed 0") == 1 and "before the drop" not in applied[-3:]
        seqs = [f["seq"] for f in sockets.frames[name] if "seq" in f]
        assert seqs == sorted(seqs)


def test_resume_rejects_bad_since(world, sockets):
    connect("c", token=world.agent.token)
    for bad in ({"action": "resume"}, {"action": "resume", "since": -1}, {"action": "resume", "since": "5"},
                {"action": "resume", "since": True}):
        assert send("c", json.dumps(bad)) == 400


def test_presence_follows_sockets_and_heartbeats(api, world, sockets):
    from parley.models.connection import Connection

    def status_of(user_id):
        agents = api.get(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token).json
        return next(a["availability_status"] for a in agents if a["id"] == user_id)

    connect("admin", token=world.admin.token)
    assert status_of(world.agent.id) == "offline"
    assert connect("agent", token=world.agent.token) == 200
    assert status_of(world.agent.id) == "online"
    assert sockets.frames["admin"][-1] == {**sockets.frames["admin"][-1], "event": "presence.update",
                                           "data": {"account_id": world.account_id,
                                                    "users": {str(world.agent.id): "online"}, "contacts": {}}}
    api.post("/api/v1/profile/availability", world.agent.token,
             body={"availability": "busy", "account_id": world.account_id})
    assert status_of(world.agent.id) == "busy"
    # A socket that stops sending heartbeats stops counting.
    Connection("agent").update(actions=[Connection.last_seen_at.set(0)])
    assert status_of(world.agent.id) == "offline"
    send("agent", json.dumps({"action": "heartbeat"}))
    assert status_of(world.agent.id) == "busy"
    # Closing the last socket announces offline.
    load_function("ws_connect").lambda_handler(ws_event("ws_disconnect", "agent"), LambdaContext())
    assert sockets.frames["admin"][-1]["data"]["users"] == {str(world.agent.id): "offline"}
    assert status_of(world.agent.id) == "offline"


def test_first_resume_gets_recent_events_not_the_whole_log(api, world, website, sockets):
    visitor = website.widget.start()
    conversation = website.widget.say(visitor, "hi").json["conversation_id"]
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation}/messages"
    for n in range(40):
        api.post(base, world.agent.token, body={"content": f"old {n}"})
    connect("fresh", token=world.agent.token)
    send("fresh", json.dumps({"action": "resume", "since": 0}))
    replayed = contents(sockets.frames["fresh"])
    assert 0 < len(replayed) <= 20 and replayed[-1] == "old 39"
    done = sockets.frames["fresh"][-1]
    assert done["event"] == "resume.done" and done["seq"] >= 41


def test_an_unverified_claimants_socket_gets_nothing_of_the_verified_user(api, world, website, sockets):
    import hashlib
    import hmac

    from tests.integration.test_widget import _as, _members_area

    members = _members_area(api, world)
    mallory = website.widget.start()
    assert website.widget.call("POST", "contact/set_user", mallory, body={"identifier": "user-42"}).status == 200
    assert connect("mallory", pubsub_token=mallory.pubsub_token) == 200
    # Jane proves the identifier on the members area and chats there.
    jane = members.widget.start()
    proof = hmac.new(members.hmac_token.encode(), b"user-42", hashlib.sha256).hexdigest()
    jane = _as(jane, members.widget.call("POST", "contact/set_user", jane,
                                         body={"identifier": "user-42", "identifier_hash": proof}))
    assert connect("jane", pubsub_token=jane.pubsub_token) == 200
    chat = members.widget.say(jane, "jane's secret").json["conversation_id"]
    api.post(f"/api/v1/accounts/{world.account_id}/conversations/{chat}/messages", world.admin.token,
             body={"content": "answer for jane"})
    assert contents(sockets.frames["jane"]) == ["jane's secret", "answer for jane"]
    send("mallory", json.dumps({"action": "resume", "since": 1}))
    leaked = json.dumps(sockets.frames["mallory"])
    assert "jane's secret" not in leaked and "answer for jane" not in leaked


def test_a_visitor_socket_sees_only_its_own_contact_inbox(api, world, website, sockets):
    from parley.services.contact import contacts

    phone, laptop = website.widget.start(), website.widget.start()
    # An agent merges the two visitors: one contact, two contact inboxes (two browsers).
    merged = api.post(f"/api/v1/accounts/{world.account_id}/actions/contact_merge", world.admin.token,
                      body={"base_contact_id": phone.contact_id, "mergee_contact_id": laptop.contact_id})
    assert merged.status == 200, merged.json
    assert contacts.by_pubsub_token(laptop.pubsub_token).contact_id == phone.contact_id
    connect("laptop", pubsub_token=laptop.pubsub_token)
    website.widget.say(phone, "typed on the phone")
    assert contents(sockets.frames["laptop"]) == []
