"""DynamoDB requests and items per user action, counted (not guessed).

The real handlers run in-process over moto (the test harness in tests/conftest.py builds
every table from template.yaml); every DynamoDB call that botocore makes is counted with
the number of items it reads or writes. Reads and writes are what on-demand billing and
latency follow, so each row is a cost per action.
"""
from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager
from typing import Callable, Iterator

from botocore.client import BaseClient

from bench.report import print_table

READS = {"GetItem", "Query", "BatchGetItem", "Scan"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


class Tally:
    def __init__(self):
        self.calls = Counter()
        self.items = Counter()

    def record(self, operation: str, params: dict, response: dict) -> None:
        kind = "read" if operation in READS else "write" if operation in WRITES else None
        if kind is None:
            return
        self.calls[kind] += 1
        if operation == "Query" or operation == "Scan":
            items = response.get("Count", 0) if params.get("Select") != "COUNT" else response.get("ScannedCount", 0)
        elif operation == "BatchGetItem":
            items = sum(len(v["Keys"]) for v in params["RequestItems"].values())
        elif operation == "BatchWriteItem":
            items = sum(len(v) for v in params["RequestItems"].values())
        elif operation == "TransactWriteItems":
            items = len(params["TransactItems"])
        else:
            items = 1
        self.items[kind] += items


@contextmanager
def sdk_calls(observe: Callable[[BaseClient, str, dict, dict, float], None]) -> Iterator[None]:
    """Every AWS SDK call made in the block, seen once it has answered or failed:
    observe(client, operation, params, response ({} for a refused one), seconds)."""
    original = BaseClient._make_api_call

    def observed(self, operation, params):
        response, began = {}, time.perf_counter()
        try:
            response = original(self, operation, params)
            return response
        finally:
            observe(self, operation, params, response, time.perf_counter() - began)

    BaseClient._make_api_call = observed
    try:
        yield
    finally:
        BaseClient._make_api_call = original


@contextmanager
def counting():
    tally = Tally()

    def counted(client, operation, params, response, seconds):
        # A refused request (a lost condition, a cancelled transaction) is billed too.
        if client.meta.service_model.service_name == "dynamodb":
            tally.record(operation, params, response)

    with sdk_calls(counted):
        yield tally


def run() -> None:
    from moto import mock_aws

    from tests import conftest
    from tests.integration.test_realtime import connect, deliver, send

    rows = []

    def row(name: str, tally: Tally, note: str = "") -> None:
        rows.append([name, str(tally.calls["read"]), str(tally.items["read"]), str(tally.calls["write"]),
                     str(tally.items["write"]), note])

    with mock_aws():
        conftest.build_stack(conftest._session, prefix="test", parameters=conftest.PARAMETERS)
        api = conftest.Api()
        world = conftest.world.__wrapped__(None)
        website = conftest.website.__wrapped__(api, world)
        visitor = website.widget.start()
        conversation = website.widget.say(visitor, "first").json["conversation_id"]
        for n in range(30):  # a list with more than one page of conversations
            website.widget.say(website.widget.start(), f"chat {n}")
        base = f"/api/v1/accounts/{world.account_id}/conversations"
        connect("agent-socket", token=world.agent.token)
        connect("admin-socket", token=world.admin.token)
        connect("visitor-socket", pubsub_token=visitor.pubsub_token)
        api.post(f"{base}/{conversation}/messages", world.agent.token, body={"content": "warm up"})

        # The dashboard and the widget send an echo_id with every message (and keep it on a retry).
        reply = {"content": "Hi, how can I help?", "echo_id": "bench-agent-1"}
        with counting() as tally:
            api.post(f"{base}/{conversation}/messages", world.agent.token, body=reply)
        row("agent sends a reply (POST messages)", tally, "auth, membership, inbox check, write + event, push")

        with counting() as tally:
            api.post(f"{base}/{conversation}/messages", world.agent.token, body=reply)
        row("the same reply retried (same echo_id)", tally, "auth, membership, the stored message; no event")

        with counting() as tally:
            website.widget.say(visitor, "Thanks!", echo_id="bench-visitor-1")
        row("visitor sends a message (widget)", tally, "token -> contact inbox -> conversation, write + event, push")

        from parley.models.event_log import LoggedEvent

        [last] = LoggedEvent.query(world.account_id, scan_index_forward=False, limit=1)
        with counting() as tally:
            deliver(last.detail)
        row("the writer's push of one message to 3 sockets", tally,
            "part of each write above: account's sockets, one push each (no reads)")

        with counting() as tally:
            send("agent-socket", '{"action": "heartbeat"}')
        row("socket heartbeat (every 20 s)", tally, "the socket's record; last_seen_at and its frame budget")

        with counting() as tally:
            send("visitor-socket", '{"action": "resume", "since": 0}')
        row("socket resume (after a connect)", tally, "record; frame + resume budgets; rights; event log")

        with counting() as tally:
            send("visitor-socket", '{"action": "junk"}')
        row("socket frame the server ignores", tally, "record; its frame budget")

        with counting() as tally:
            reply = api.get(base, world.agent.token, query={"assignee_type": "all", "status": "open"})
        assert len(reply.json["data"]["payload"]) == 25
        row("conversation list, first page (25 of 31)", tally, "page query + 3 counts + BatchGets for contacts/inboxes")

        with counting() as tally:
            api.get(f"{base}/{conversation}/messages", world.agent.token)
        row("open a conversation's messages (20)", tally, "")

        with counting() as tally:
            website.widget.start(visitor.token)
        row("widget opens for a returning visitor", tally, "")

        anonymous = {"query": {"website_token": website.website_token}}
        with counting() as tally:
            api.call("POST", "/api/v1/widget/config", **anonymous)
        row("widget opens for a new visitor (no token)", tally, "writes nothing: no contact until it speaks")

        with counting() as tally:
            api.call("POST", "/api/v1/widget/messages", body={"message": {"content": "hi"}}, **anonymous)
        row("a new visitor's first message", tally, "creates the contact, its contact inbox and the conversation")
    print_table("DynamoDB per action (requests / items)",
                ["action", "read req", "read items", "write req", "write items", "what"], rows,
                ["items: GetItem/PutItem 1, Query the items returned (COUNT queries: items scanned), batches and "
                 "transactions their items", "the handlers' first call on a container (cold caches) is excluded"])
