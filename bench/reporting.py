"""The reporting consumer's cost per conversation and the rebuild's per 10,000 stored
conversations: DynamoDB requests, items and estimated request units, counted (not guessed)
over moto with the real code (bench/dynamo_ops.py's counter).

- Consumer: one typical conversation through the real path (widget message, agent reply,
  customer, agent, resolve: 5 events reporting reads, plus the conversation's creation),
  its events drained from the ReportingQueue into functions/reporting, as Lambda would.
- Rebuild: REBUILT conversations stored as they are (the same shape, written to the tables
  directly, as months of history would be), then the rebuild's runs
  (services/reporting/rebuild.run, 50 conversations each) to the end; per 10,000
  conversations is that times 10,000 / REBUILT (every conversation is independent work).

Request units are estimated by DynamoDB's rules from the items' sizes: a write 1 WRU per
started KB (2 inside a transaction), a read 0.5 RRU per started 4 KB (1 when consistent),
a Query by the size of what it returned. The rebuild's time is estimated from its
requests (each a round trip of about REQUEST_MS from Lambda, one after another): moto's
in-process wall time says nothing about DynamoDB's. The conversations all have the same
shape, so REBUILT of them give the per-conversation figures exactly.
"""
from __future__ import annotations

import json
import math
import time
from datetime import datetime, timezone

from bench.dynamo_ops import sdk_calls
from bench.report import print_table

REBUILT = 20  # moto's transactions copy its tables: more costs minutes and gigabytes, the same figures
REQUEST_MS = 5  # a DynamoDB request's round trip from Lambda, for the time estimate
WRITE_PRICE, READ_PRICE = 0.625, 0.125  # $ per million WRU / RRU, on-demand us-east-1 (bench/cost.py)


class Units:
    def __init__(self):
        self.reads = self.writes = self.read_items = self.write_items = 0
        self.rru = self.wru = 0.0

    def record(self, operation: str, params: dict, response: dict) -> None:
        size = lambda item: len(json.dumps(item))  # noqa: E731 (a close estimate of DynamoDB's item size)
        if operation in ("GetItem", "Query", "BatchGetItem"):
            self.reads += 1
            consistent = 1.0 if params.get("ConsistentRead") else 0.5
            if operation == "GetItem":
                self.read_items += 1
                self.rru += consistent * max(1, math.ceil(size(response.get("Item") or {}) / 4096))
            elif operation == "Query":
                items = response.get("Items", [])
                self.read_items += len(items)
                self.rru += consistent * max(1, math.ceil(sum(size(i) for i in items) / 4096))
            else:
                for table, request in params["RequestItems"].items():
                    found = response.get("Responses", {}).get(table, [])
                    self.read_items += len(request["Keys"])
                    self.rru += 0.5 * (len(request["Keys"]) - len(found)) + sum(
                        0.5 * math.ceil(size(i) / 4096) for i in found)
        elif operation in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"):
            self.writes += 1
            if operation == "TransactWriteItems":
                for action in params["TransactItems"]:
                    body = next(iter(action.values()))
                    self.write_items += 1
                    self.wru += 2 * max(1, math.ceil(size(body.get("Item") or body.get("Key") or {}) / 1024))
            elif operation == "BatchWriteItem":
                for requests in params["RequestItems"].values():
                    self.write_items += len(requests)
                    self.wru += sum(max(1, math.ceil(size(r) / 1024)) for r in requests)
            else:
                self.write_items += 1
                self.wru += max(1, math.ceil(size(params.get("Item") or params.get("Key") or {}) / 1024))

    def row(self, name: str, per: float, note: str) -> list[str]:
        cost = (self.wru * WRITE_PRICE + self.rru * READ_PRICE) / 1_000_000 * per
        return [name, f"{self.reads * per:,.0f}", f"{self.read_items * per:,.0f}", f"{self.rru * per:,.1f}",
                f"{self.writes * per:,.0f}", f"{self.write_items * per:,.0f}", f"{self.wru * per:,.1f}",
                f"${cost:.4f}", note]


def counted(units: Units):
    def observe(client, operation, params, response, seconds):
        if client.meta.service_model.service_name == "dynamodb":
            units.record(operation, params, response)
    return sdk_calls(observe)


def _store_history(account_id: int, inbox_id: int, count: int) -> None:
    """`count` conversations of the typical shape, as stored before reporting existed."""
    from parley.models.conversation import Conversation, Message

    start = int(time.time()) - 60 * 86400
    with Conversation.batch_write() as conversations, Message.batch_write() as messages:
        for n in range(1, count + 1):
            at = start + n * 3000
            stored = Conversation(
                account_id, 10_000 + n, uuid=f"bench-{n}", inbox_id=inbox_id, contact_id=1, source_id="s",
                status="resolved", assignee_id=1, last_activity_at=at * 1000, resolved_at=at + 3600,
                status_marks=[["resolved", at + 3600, 1]], created_at=datetime.fromtimestamp(at, timezone.utc))
            stored.sync_keys()
            conversations.save(stored)
            for i, (kind, sender, later) in enumerate(((0, "Contact", 0), (1, "User", 300), (0, "Contact", 900),
                                                      (1, "User", 1200))):
                messages.save(Message(f"{account_id}#{10_000 + n}", n * 10 + i, account_id=account_id,
                                      inbox_id=inbox_id, conversation_id=10_000 + n, message_type=kind,
                                      sender_type=sender, sender_id=1, content="x",
                                      created_at=datetime.fromtimestamp(at + later, timezone.utc)))


def run() -> None:
    from moto import mock_aws

    from tests import conftest, event_pipe
    from tests.integration.channel_support import drain

    rows = []
    with mock_aws():
        conftest.build_stack(conftest._session, prefix="test", parameters=conftest.PARAMETERS)
        event_pipe.start(conftest._session, conftest._stack, None)  # the outbox's pipe, as the tests run it
        from parley.services.reporting import rollups
        rollups.forget()
        api = conftest.Api()
        world = conftest.world.__wrapped__(None)
        website = conftest.website.__wrapped__(api, world)
        base = f"/api/v1/accounts/{world.account_id}/conversations"

        def conversation() -> None:
            visitor = website.widget.start()
            number = website.widget.say(visitor, "Hello").json["conversation_id"]
            api.post(f"{base}/{number}/messages", world.admin.token, body={"content": "Hi, how can I help?"})
            website.widget.say(visitor, "My order is late")
            api.post(f"{base}/{number}/messages", world.admin.token, body={"content": "It ships today."})
            api.post(f"{base}/{number}/toggle_status", world.admin.token, body={"status": "resolved"})

        conversation()  # warm: the container's first event reads what later ones have cached
        drain("ReportingQueue", "reporting", rounds=5)
        conversation()
        units = Units()
        with counted(units):
            drain("ReportingQueue", "reporting", rounds=5)
        rows.append(units.row("reporting consumer, per conversation", 1,
                              "6 events (created, 2 customer + 2 agent messages, resolved): 8 occurrences, 3 of them events"))

        from parley.services.reporting import rebuild

        _store_history(world.account_id, website.id, REBUILT)
        rebuild.start(world.account_id)
        units = Units()
        with counted(units):
            while not rebuild.run(world.account_id):
                pass
        per = 10_000 / REBUILT
        minutes = (units.reads + units.writes) * per * REQUEST_MS / 60_000
        rows.append(units.row("rebuild, per 10,000 stored conversations", per,
                              f"{10_000 // rebuild.CHUNK} runs of {rebuild.CHUNK}; ~{minutes:,.0f} min of function "
                              f"time at {REQUEST_MS} ms a request"))
    print_table("Reporting: consumer and rebuild (DynamoDB requests, items, estimated units, cost)",
                ["what", "read req", "read items", "RRU", "write req", "write items", "WRU", "DynamoDB $", "note"],
                rows, ["RRU/WRU estimated from item sizes by DynamoDB's rules; prices: bench/cost.py (on-demand, "
                       "us-east-1); Lambda, SQS and EventBridge are not included",
                       "each occurrence is one TransactWriteItems: its claim, its event (if any), its rollup items "
                       "(account, inbox, channel, agent, team, labels x 3 granularities + phases)"])
