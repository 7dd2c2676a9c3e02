"""$connect / $default / $disconnect and broadcast, invoked with API Gateway's event shapes.

Frames leave through the real boto3 management-API client; a botocore `before-call`
hook answers in place of API Gateway (200, or 410 GoneException for a dead socket) and
records what each socket was sent."""
from __future__ import annotations

import copy
import json
from collections import defaultdict

import pytest

from tests.conftest import EVENTS, LambdaContext, load_function


class Sockets:
    def __init__(self):
        from parley import realtime

        self.client = realtime._client()
        self.frames: dict[str, list[dict]] = defaultdict(list)
        self.gone: set[str] = set()
        self.client.meta.events.register("before-call.apigatewaymanagementapi.PostToConnection", self._answer)

    def _answer(self, params, **_):
        from botocore.awsrequest import AWSResponse

        connection_id = params["url_path"].rsplit("/", 1)[-1]
        if connection_id in self.gone:
            return AWSResponse("", 410, {}, None), {"Error": {"Code": "GoneException", "Message": "gone"},
                                                    "ResponseMetadata": {"HTTPStatusCode": 410}}
        self.frames[connection_id].append(json.loads(params["body"]))
        return AWSResponse("", 200, {}, None), {"ResponseMetadata": {"HTTPStatusCode": 200}}

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
    event = json.loads((EVENTS / "eventbridge_domain_event.json").read_text())
    event.update({"detail-type": detail["event"], "detail": detail})
    return load_function("broadcast").lambda_handler(event, LambdaContext())


def test_connect_needs_a_valid_token(world, sockets):
    from parley.services import connections

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
    from parley.services import connections

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
    # A service publishes (the availability change); EventBridge hands the detail to broadcast.
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
    assert deliver(published[0]) == {"sent": 2}
    for socket in ("acme-agent", "acme-admin"):
        frame = sockets.frames[socket][-1]
        assert frame["event"] == "presence.update"
        assert frame["data"]["users"] == {str(world.agent.id): "busy"}
    assert "globex-admin" not in sockets.frames


def test_gone_socket_is_deleted_and_others_still_get_the_frame(world, sockets):
    from parley import events
    from parley.services import connections

    connect("alive", token=world.admin.token)
    connect("dead", token=world.agent.token)
    sockets.gone.add("dead")
    detail = events.envelope("presence.update", world.account_id, {"account_id": world.account_id, "users": {}})
    assert deliver(detail) == {"sent": 1}
    assert connections.get("dead") is None and connections.get("alive") is not None


def test_inbox_scoped_events_reach_only_members_and_admins(world, sockets):
    from parley import events
    from parley.services import connections

    connect("agent", token=world.agent.token)
    connect("admin", token=world.admin.token)
    detail = events.envelope("conversation.created", world.account_id, {"id": 1, "inbox_id": 7})
    deliver(detail)
    assert "agent" not in sockets.frames and sockets.frames["admin"][-1]["event"] == "conversation.created"
    agent = connections.get("agent")
    agent.scope = {"inbox_ids": [7]}
    agent.save()
    deliver(detail)
    assert sockets.frames["agent"][-1]["event"] == "conversation.created"


def test_broadcast_ignores_malformed_events(world, sockets):
    handler = load_function("broadcast").lambda_handler
    assert handler({"detail-type": "x", "detail": "nonsense"}, LambdaContext()) == {"sent": 0}
    assert handler({}, LambdaContext()) == {"sent": 0}
