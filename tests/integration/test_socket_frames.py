"""One socket cannot spend the stage's frame budget (issue 9, item 8).

Every frame a socket sends spends from its own budget (a burst, then one per interval),
in the write a heartbeat already makes. A socket past its budget gets an error frame with
`retry_after`; one that keeps sending past a hard bound is told why and closed. A client
that heartbeats every 20 s and resumes after each reconnect never meets the limit."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.integration.test_realtime import connect, send
from tests.integration.test_socket_rights import sockets  # noqa: F401 (fixture; refusals is in tests/conftest.py)


@pytest.fixture
def clock(monkeypatch):
    from parley.services.access import connections

    now = [1_900_000_000.0]
    monkeypatch.setattr(connections, "time", SimpleNamespace(time=lambda: now[0]))
    return now


@pytest.fixture
def dynamo_calls(monkeypatch):
    from botocore.client import BaseClient

    calls = []
    make_api_call = BaseClient._make_api_call

    def counted(client, operation, params):
        if client.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return make_api_call(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counted)
    return calls


def errors(sockets, connection_id: str) -> list[dict]:
    return [f for f in sockets.frames[connection_id] if f["event"] == "error"]


@pytest.mark.parametrize("frame", [
    {"action": "heartbeat"},
    {"action": "no-such-action"},
    "not json",
])
def test_a_flooding_socket_is_throttled_then_closed(api, world, website, sockets, refusals, clock, dynamo_calls,
                                                   frame):
    from parley.services.access import connections

    visitor = website.widget.start()
    assert connect("visitor", pubsub_token=visitor.pubsub_token) == 200
    body = frame if isinstance(frame, str) else json.dumps(frame)

    dynamo_calls.clear()
    replies = []
    for _ in range(100):
        replies.append(send("visitor", body))
        if "visitor" in sockets.closed:
            break
    # The burst passes; past it, frames are refused with a retry_after; past the hard
    # bound the socket is told why and closed.
    burst = connections.FRAME_BURST
    assert all(reply != 429 for reply in replies[:burst])
    refused = errors(sockets, "visitor")[-(len(replies) - burst - 1):]
    assert replies[burst:-1] == [429] * (len(replies) - burst - 1)
    assert all(e["retry_after"] > 0 for e in refused)
    assert len(replies) <= burst + connections.FLOOD_FRAMES + 1
    assert sockets.frames["visitor"][-1] == {"event": "connection.revoked", "reason": "flooding"}
    assert connections.get("visitor") is None
    assert [kind for kind, _ in refusals].count("socket_flooding") == 1
    # Each frame cost its record's read and one write at most (the close: a few more).
    assert len(dynamo_calls) <= 2 * len(replies) + 3

    # What still arrives before API Gateway drops the socket costs one read and is refused.
    dynamo_calls.clear()
    for _ in range(100 - len(replies)):
        assert send("visitor", body) == 410
    assert dynamo_calls == ["GetItem"] * (100 - len(replies))


def test_a_throttled_socket_that_waits_is_served_again(api, world, website, sockets, refusals, clock):
    from parley.services.access import connections

    visitor = website.widget.start()
    assert connect("visitor", pubsub_token=visitor.pubsub_token) == 200
    heartbeat = json.dumps({"action": "heartbeat"})
    replies = [send("visitor", heartbeat) for _ in range(connections.FRAME_BURST + 1)]
    assert replies[-1] == 429
    retry_after = errors(sockets, "visitor")[-1]["retry_after"]
    assert [kind for kind, _ in refusals].count("socket_frames_throttled") == 1
    clock[0] += retry_after
    assert send("visitor", heartbeat) == 200
    assert sockets.frames["visitor"][-1] == {"event": "pong"}


def test_a_well_behaved_client_is_never_refused(api, world, website, sockets, refusals, clock):
    """Heartbeats every 20 s for an hour, a resume after the connect and a
    few more later (a flaky network), bursts of typing-free chatter: never a 429."""
    visitor = website.widget.start()
    assert connect("visitor", pubsub_token=visitor.pubsub_token) == 200
    assert connect("agent", token=world.agent.token) == 200
    replies = []
    for connection_id in ("visitor", "agent"):
        replies.append(send(connection_id, json.dumps({"action": "resume", "since": 0})))
        replies.append(send(connection_id, json.dumps({"action": "heartbeat"})))
    for tick in range(1, 60 * 3):  # an hour
        clock[0] += 20
        for connection_id in ("visitor", "agent"):
            replies.append(send(connection_id, json.dumps({"action": "heartbeat"})))
            if tick % 45 == 0:  # a reconnect-like resume every 15 minutes
                replies.append(send(connection_id, json.dumps({"action": "resume", "since": 1})))
    assert set(replies) == {200}
    assert refusals == []


def test_a_heartbeat_costs_one_read_and_one_write(api, world, website, sockets, clock, dynamo_calls):
    """The frame budget rides on the write a heartbeat already made (last_seen_at)."""
    assert connect("agent", token=world.agent.token) == 200
    dynamo_calls.clear()
    assert send("agent", json.dumps({"action": "heartbeat"})) == 200
    assert dynamo_calls == ["GetItem", "UpdateItem"]
