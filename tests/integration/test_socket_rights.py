"""Sockets follow the rights of whoever opened them (issue 9, item 3).

Each test opens a socket, changes the user's rights through the API as an administrator,
a platform app or the user would, then publishes an event the user may no longer see:
the socket gets nothing, or it is told why (`connection.revoked`) and closed through the
management API's DeleteConnection. `resume` re-checks rights on every call and is
rate-limited per socket."""
from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import pytest

from tests.integration.test_realtime import Sockets, connect, send


class RecordingSockets(Sockets):
    """Also answers DeleteConnection (204) and records which sockets were closed."""

    def __init__(self):
        super().__init__()
        self.closed: list[str] = []
        self.client.meta.events.register("before-call.apigatewaymanagementapi.DeleteConnection", self._close)

    def _close(self, params, **_):
        return self.reply(params, self._closed)

    def _closed(self, connection_id: str, params: dict) -> int:
        self.closed.append(connection_id)
        self.gone.add(connection_id)  # a closed socket answers 410 from now on, as on AWS
        return 204

    def close(self):
        self.client.meta.events.unregister("before-call.apigatewaymanagementapi.DeleteConnection", self._close)
        super().close()


@pytest.fixture
def sockets(aws):
    recorder = RecordingSockets()
    yield recorder
    recorder.close()


@pytest.fixture
def presence(monkeypatch):
    """The presence frames published (live only: they never reach the log)."""
    from parley import events

    frames = []
    original = events.publish

    def publish(name, account_id, data, *args, **kwargs):
        if name == "presence.update":
            frames.append(data["users"])
        return original(name, account_id, data, *args, **kwargs)

    monkeypatch.setattr(events, "publish", publish)
    return frames


def publish_to_inbox(account_id: int, inbox_id: int, marker: str) -> dict:
    """A logged conversation event of one inbox, pushed by its publisher."""
    from parley import events

    return events.publish("conversation.updated", account_id, {"id": 1, "inbox_id": inbox_id, "marker": marker},
                          audience={"inbox_id": inbox_id})


def markers(frames) -> list[str]:
    return [f["data"]["marker"] for f in frames if f.get("event") == "conversation.updated"]


def assert_revoked(sockets, connection_id: str, reason: str) -> None:
    from parley.services.access import connections

    assert sockets.frames[connection_id][-1] == {"event": "connection.revoked", "reason": reason}
    assert connection_id in sockets.closed
    assert connections.get(connection_id) is None
    # The record is gone: a resume (or anything else) on it is refused, nothing replayed.
    before = len(sockets.frames[connection_id])
    assert send(connection_id, json.dumps({"action": "resume", "since": 1})) == 410
    assert len(sockets.frames[connection_id]) == before


def resumed_markers(sockets, connection_id: str) -> list[str]:
    before = len(sockets.frames[connection_id])
    assert send(connection_id, json.dumps({"action": "resume", "since": 1})) == 200
    frames = sockets.frames[connection_id][before:]
    assert frames[-1]["event"] == "resume.done"
    return markers(frames)


# ---------------------------------------------------------------- the six triggers

def test_agent_removed_from_the_account_is_cut_off(api, world, website, sockets, presence):
    publish_to_inbox(world.account_id, website.id, "before")
    assert connect("agent", token=world.agent.token) == 200
    assert api.delete(f"/api/v1/accounts/{world.account_id}/agents/{world.agent.id}", world.admin.token).status == 200
    assert_revoked(sockets, "agent", "removed_from_account")
    # $disconnect finds no record once revoked: the revocation itself announces offline.
    assert presence[-1] == {str(world.agent.id): "offline"}
    publish_to_inbox(world.account_id, website.id, "after")
    assert markers(sockets.frames["agent"]) == []


def _platform_admin_online(api, world) -> tuple[str, dict, dict]:
    """A platform app's new account and its administrator Pat, with socket "pat" open:
    (the app's token, the account, the user)."""
    from parley import tokens
    from parley.services.access import users

    app = world.platform_token
    account = api.post("/platform/api/v1/accounts", app, body={"name": "Initech"}).json
    user = api.post("/platform/api/v1/users", app, body={"name": "Pat", "email": "pat@initech.test"}).json
    assert api.post(f"/platform/api/v1/accounts/{account['id']}/account_users", app,
                    body={"user_id": user["id"], "role": "administrator"}).status == 200
    assert connect("pat", token=tokens.issue(users.owner(user["id"])), account_id=str(account["id"])) == 200
    return app, account, user


def test_platform_app_removing_an_account_user_cuts_it_off(api, world, sockets):
    app, account, user = _platform_admin_online(api, world)
    assert api.delete(f"/platform/api/v1/accounts/{account['id']}/account_users", app,
                      body={"user_id": user["id"]}).status == 200
    assert_revoked(sockets, "pat", "removed_from_account")


def test_demoted_administrator_sees_only_its_inboxes(api, world, website, sockets):
    base = f"/api/v1/accounts/{world.account_id}"
    other_inbox = api.post(f"{base}/inboxes", world.admin.token,
                           body={"name": "Billing", "channel": {"type": "api"}}).json["id"]
    assert api.patch(f"{base}/agents/{world.agent.id}", world.admin.token, body={"role": "administrator"}).status == 200
    assert connect("agent", token=world.agent.token) == 200
    publish_to_inbox(world.account_id, other_inbox, "while admin")
    assert markers(sockets.frames["agent"]) == ["while admin"]

    assert api.patch(f"{base}/agents/{world.agent.id}", world.admin.token, body={"role": "agent"}).status == 200
    publish_to_inbox(world.account_id, other_inbox, "billing after demotion")
    publish_to_inbox(world.account_id, website.id, "website after demotion")
    # Still an agent of the website inbox: that socket stays open, with an agent's scope.
    assert markers(sockets.frames["agent"]) == ["while admin", "website after demotion"]
    assert "agent" not in sockets.closed
    assert resumed_markers(sockets, "agent") == ["website after demotion"]


def test_agent_removed_from_an_inbox_stops_getting_it(api, world, website, sockets):
    assert connect("agent", token=world.agent.token) == 200
    publish_to_inbox(world.account_id, website.id, "member")
    reply = api.delete(f"/api/v1/accounts/{world.account_id}/inbox_members", world.admin.token,
                       body={"inbox_id": website.id, "user_ids": [world.agent.id]})
    assert reply.status == 200
    publish_to_inbox(world.account_id, website.id, "no longer a member")
    assert markers(sockets.frames["agent"]) == ["member"]
    assert resumed_markers(sockets, "agent") == []


def test_inbox_members_replaced_with_patch_follow_too(api, world, website, sockets):
    assert connect("agent", token=world.agent.token) == 200
    reply = api.patch(f"/api/v1/accounts/{world.account_id}/inbox_members", world.admin.token,
                      body={"inbox_id": website.id, "user_ids": [world.admin.id]})
    assert reply.status == 200
    publish_to_inbox(world.account_id, website.id, "after")
    assert markers(sockets.frames["agent"]) == []


def test_deleted_user_is_cut_off(api, world, sockets):
    app, account, user = _platform_admin_online(api, world)
    assert api.delete(f"/platform/api/v1/users/{user['id']}", app).status == 200
    assert_revoked(sockets, "pat", "user_deleted")
    publish_to_inbox(account["id"], 1, "after")
    assert markers(sockets.frames["pat"]) == []


def test_password_change_closes_every_socket_of_the_user(api, world, website, sockets):
    from parley import tokens
    from parley.services.access import users

    second_device = tokens.issue(users.owner(world.agent.id))
    assert connect("laptop", token=world.agent.token) == 200
    assert connect("phone", token=second_device) == 200
    assert connect("admin", token=world.admin.token) == 200
    reply = api.put("/api/v1/profile", world.agent.token, body={
        "current_password": world.agent.password, "password": "N3w-secret!!", "password_confirmation": "N3w-secret!!"})
    assert reply.status == 200
    for socket in ("laptop", "phone"):
        assert_revoked(sockets, socket, "password_changed")
    assert "admin" not in sockets.closed
    # The fresh token the profile answered with opens a socket with the agent's rights.
    assert connect("laptop-again", token=reply.json["access_token"]) == 200
    publish_to_inbox(world.account_id, website.id, "after")
    assert markers(sockets.frames["laptop-again"]) == ["after"]
    assert markers(sockets.frames["laptop"]) == markers(sockets.frames["phone"]) == []


def test_sign_out_closes_the_sockets_opened_with_that_token_only(api, world, website, sockets, presence):
    from parley import tokens
    from parley.services.access import users

    second_device = tokens.issue(users.owner(world.agent.id))
    assert connect("laptop", token=world.agent.token) == 200
    assert connect("phone", token=second_device) == 200
    announced = len(presence)
    assert api.delete("/auth/sign_out", world.agent.token).status == 200
    assert_revoked(sockets, "laptop", "token_revoked")
    assert len(presence) == announced  # the phone is still online
    publish_to_inbox(world.account_id, website.id, "after")
    assert markers(sockets.frames["phone"]) == ["after"]
    assert markers(sockets.frames["laptop"]) == []


# ---------------------------------------------------------------- resume

def test_resume_rechecks_rights_even_when_nothing_told_the_socket(world, website, sockets, refusals):
    """Rights that changed behind the services' back (a race with $connect, a write made
    elsewhere) are still enforced by the next resume."""
    from parley.models.account import AccountUser
    from parley.models.inbox import InboxMember
    from parley.models.user import AccessToken
    from parley import tokens

    assert connect("agent", token=world.agent.token) == 200
    publish_to_inbox(world.account_id, website.id, "member")
    InboxMember(website.id, world.agent.id).delete()
    publish_to_inbox(world.account_id, website.id, "not a member")
    assert resumed_markers(sockets, "agent") == []
    # The stored scope was corrected too, so live frames follow.
    publish_to_inbox(world.account_id, website.id, "live")
    assert "live" not in markers(sockets.frames["agent"])

    assert connect("admin", token=world.admin.token) == 200
    AccessToken(tokens.digest(world.admin.token)).delete()
    assert send("admin", json.dumps({"action": "resume", "since": 1})) == 410
    assert_revoked(sockets, "admin", "token_revoked")

    assert connect("agent-2", token=world.agent.token) == 200
    AccountUser(world.account_id, world.agent.id).delete()
    assert send("agent-2", json.dumps({"action": "resume", "since": 1})) == 410
    assert_revoked(sockets, "agent-2", "removed_from_account")
    assert [kind for kind, _ in refusals].count("socket_rights_lost") == 2


def test_visitor_resume_rechecks_its_contact_inbox(api, world, website, sockets):
    from parley.models.contact import ContactInbox

    visitor = website.widget.start()
    website.widget.say(visitor, "hello")
    assert connect("visitor", pubsub_token=visitor.pubsub_token) == 200
    contact_inbox = next(iter(ContactInbox.pubsub_index.query(visitor.pubsub_token)))
    contact_inbox.delete()
    assert send("visitor", json.dumps({"action": "resume", "since": 1})) == 410
    assert_revoked(sockets, "visitor", "token_revoked")


def test_a_visitor_looping_resume_is_rate_limited(api, world, website, sockets, refusals, monkeypatch):
    from botocore.client import BaseClient

    from parley.services.access import connections

    visitor = website.widget.start()
    website.widget.say(visitor, "hello")
    assert connect("visitor", pubsub_token=visitor.pubsub_token) == 200

    now = [1_900_000_000.0]
    monkeypatch.setattr(connections, "time", SimpleNamespace(time=lambda: now[0]))
    # Room in the frame budget for the 40 frames (it closes a looping socket first:
    # tests/integration/test_socket_frames.py); what is measured here is the resume budget.
    monkeypatch.setattr(connections, "FRAMES", dataclasses.replace(connections.FRAMES, burst=100))
    calls = []
    make_api_call = BaseClient._make_api_call

    def counted(client, operation, params):
        if client.meta.service_model.service_name == "dynamodb":
            calls.append((operation, params.get("TableName", "")))
        return make_api_call(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counted)

    replies = [send("visitor", json.dumps({"action": "resume", "since": 1})) for _ in range(30)]
    log_reads = [c for c in calls if c[0] == "Query" and "events" in c[1].lower()]
    assert replies.count(200) == connections.RESUME_BURST and len(log_reads) == connections.RESUME_BURST
    assert replies == [200] * connections.RESUME_BURST + [429] * (30 - connections.RESUME_BURST)
    errors = [f for f in sockets.frames["visitor"] if f["event"] == "error"]
    assert len(errors) == 30 - connections.RESUME_BURST
    assert all(e["retry_after"] > 0 and "resume" in e["message"].lower() for e in errors)
    assert [kind for kind, _ in refusals].count("socket_resume_throttled") == 30 - connections.RESUME_BURST

    # A refused resume costs what every frame costs (the socket's record, and the write
    # that spends its frame), no log read.
    calls.clear()
    for _ in range(10):
        assert send("visitor", json.dumps({"action": "resume", "since": 1})) == 429
    assert [operation for operation, _ in calls] == ["GetItem", "UpdateItem"] * 10

    # One more resume once a refill interval has passed, not before.
    now[0] += connections.RESUME_INTERVAL_SECONDS
    assert send("visitor", json.dumps({"action": "resume", "since": 1})) == 200
    assert send("visitor", json.dumps({"action": "resume", "since": 1})) == 429


def test_suspending_or_deleting_an_account_closes_every_socket_of_it(api, world, website, sockets):
    """Sockets opened before a suspension would keep streaming the account's events: the
    suspension closes agents' and visitors' sockets alike, and so does a deletion."""
    visitor = website.widget.start()
    assert connect("agent-s", token=world.agent.token) == 200
    assert connect("visitor-s", pubsub_token=visitor.pubsub_token) == 200
    assert connect("other-s", token=world.other_admin.token) == 200
    status = api.patch(f"/super_admin/api/v1/accounts/{world.account_id}", world.super_admin.token,
                       body={"status": "suspended"})
    assert status.status == 200, status.json
    assert sorted(sockets.closed) == ["agent-s", "visitor-s"]
    assert sockets.frames["visitor-s"][-1] == {"event": "connection.revoked", "reason": "account_suspended"}
    assert send("agent-s", json.dumps({"action": "heartbeat"})) == 410

    api.patch(f"/super_admin/api/v1/accounts/{world.account_id}", world.super_admin.token, body={"status": "active"})
    assert connect("agent-t", token=world.agent.token) == 200
    assert api.delete(f"/super_admin/api/v1/accounts/{world.account_id}", world.super_admin.token).status in (200, 204)
    assert "agent-t" in sockets.closed and "other-s" not in sockets.closed
    assert sockets.frames["agent-t"][-1] == {"event": "connection.revoked", "reason": "account_deleted"}
