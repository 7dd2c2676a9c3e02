"""One-off campaign sending (issue 16): messages a second through the sending job and the
deliver consumer, what each campaign message costs in AWS requests, and what AWS would
bill per 10,000 campaign messages (provider fees excluded).

The real handlers run in-process over moto (the test harness builds every table from
template.yaml), as bench/dynamo_ops.py does: the scheduled task fires the campaign, the
account-jobs handler runs the job's chunks, the deliver handler sends each message to a
scripted Twilio (an httpx MockTransport answering at once) and reports its outcome. The
inbox's campaign_send_rate is set to the maximum (1000/s), so the figure is Parley's own
ceiling, not a provider's pace (Twilio's long code is 1/s: 10,000 messages take 2.8 hours
whatever Parley does). Every AWS SDK call is counted at botocore; DynamoDB units are
estimated from the items' sizes (writes 1 WRU per KB, 2 in a transaction; reads 1 RRU per
4 KB strongly consistent, half that otherwise); Lambda time is the handlers' in-process
wall time over moto (DynamoDB's own latency is not in it), billed at the template's memory.
"""
from __future__ import annotations

import json
import math
import time
from collections import Counter

from bench.cost import (DYNAMODB_READ_PER_MILLION, DYNAMODB_WRITE_PER_MILLION, EVENTBRIDGE_EVENT_PER_MILLION,
                        LAMBDA_ARM_GB_SECOND, LAMBDA_REQUEST_PER_MILLION, PIPES_REQUEST_PER_MILLION,
                        SQS_STANDARD_PER_MILLION)
from bench.dynamo_ops import sdk_calls
from bench.report import print_table

CONTACTS = 300
PER_TEN_THOUSAND = 10_000


class Meter:
    def __init__(self):
        self.calls = Counter()
        self.wru = 0.0
        self.rru = 0.0
        self.events = 0

    def observe(self, client, operation, params, response, seconds):
        service = client.meta.service_model.service_name
        self.calls[f"{service}:{operation}"] += 1
        if service != "dynamodb":
            return
        if operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                body = next(iter(item.values()))
                self.wru += 2 * max(1, math.ceil(len(json.dumps(body.get("Item") or body.get("Key"))) / 1024))
                if "EventsTable" in body.get("TableName", "") and "Item" in body:
                    self.events += 1
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            body = params.get("Item") or params.get("Key") or {}
            self.wru += max(1, math.ceil(len(json.dumps(body)) / 1024))
            if operation == "PutItem" and "EventsTable" in params.get("TableName", ""):
                self.events += 1
        elif operation in ("GetItem", "Query", "BatchGetItem"):
            items = ([response.get("Item")] if operation == "GetItem" else response.get("Items")
                     or [i for rows in (response.get("Responses") or {}).values() for i in rows])
            size = sum(len(json.dumps(i)) for i in items if i)
            consistent = params.get("ConsistentRead", False)
            self.rru += max(1, math.ceil(size / 4096)) * (1 if consistent else 0.5)


def run() -> None:
    from moto import mock_aws

    from tests import conftest, event_pipe  # first: its sys.path and environment
    from parley import global_config
    from tests.integration import channel_support as channels_support
    from tests.integration import test_campaign_sending as sending

    with mock_aws():
        conftest.build_stack(conftest._session, prefix="test", parameters=conftest.PARAMETERS)
        event_pipe.start(conftest._session, conftest._stack, None)  # the outbox's pipe, as the tests run it
        conftest._seed_installation_config()
        global_config.invalidate()
        api = conftest.Api()
        world = conftest.world.__wrapped__(None)

        class Patch:  # a monkeypatch for the test helpers, kept for the whole run
            def setattr(self, target, name, value):
                setattr(target, name, value)

        patch = Patch()
        vip = sending.label(api, world, "vip")
        for n in range(CONTACTS):
            sending.contact(api, world, f"Bench {n}", f"+1415{n:07d}", ["vip"])
        inbox = sending.sms_inbox(api, world, patch, rate=1000)
        campaign = api.post(sending.url(world), world.admin.token, body=sending.one_off(inbox, [vip])).json
        provider = sending.sms_provider(patch)
        channels_support.drain("DeliverQueue", "deliver", rounds=50)  # the setup's own events
        meter, lambda_ms, invocations = Meter(), Counter(), Counter()
        with sdk_calls(meter.observe):
            started = time.perf_counter()
            began = time.perf_counter()
            sending.fire(world, campaign["id"])
            lambda_ms["scheduled"] += (time.perf_counter() - began) * 1000
            invocations["scheduled"] += 1
            while True:
                began = time.perf_counter()
                ran = channels_support.drain("AccountJobsQueue", "account_jobs")
                if not ran:
                    break
                lambda_ms["account_jobs"] += (time.perf_counter() - began) * 1000
                invocations["account_jobs"] += 1
            job_seconds = time.perf_counter() - started
            delivering = time.perf_counter()
            while True:
                began = time.perf_counter()
                ran = channels_support.drain("DeliverQueue", "deliver")
                if not ran:
                    break
                lambda_ms["deliver"] += (time.perf_counter() - began) * 1000
                invocations["deliver"] += 1
            deliver_seconds = time.perf_counter() - delivering
        shown = api.get(sending.url(world, str(campaign["id"])), world.admin.token).json
        sent = shown["progress"]["sent"]
        assert sent == CONTACTS == len(provider.requests), (shown["progress"], len(provider.requests))

    per = lambda value: value / sent  # noqa: E731
    dynamodb_reads = sum(v for k, v in meter.calls.items() if k.split(":")[1] in ("GetItem", "Query", "BatchGetItem"))
    dynamodb_writes = sum(v for k, v in meter.calls.items() if k.startswith("dynamodb:")) - dynamodb_reads
    sqs = sum(v for k, v in meter.calls.items() if k.startswith("sqs:"))
    print_table(f"One-off campaign: {sent} SMS messages, in-process over moto (rate set to 1000/s)",
                ["stage", "seconds", "messages/s"],
                [["job: contacts claimed, conversations and messages written", f"{job_seconds:.2f}",
                  f"{sent / job_seconds:.0f}"],
                 ["deliver: sent to the provider, outcome recorded", f"{deliver_seconds:.2f}",
                  f"{sent / deliver_seconds:.0f}"],
                 ["both, one after the other", f"{job_seconds + deliver_seconds:.2f}",
                  f"{sent / (job_seconds + deliver_seconds):.0f}"]],
                ["A provider's own pace is the real limit: Twilio long code 1/s, WhatsApp Cloud 80/s by default."])
    print_table("Per campaign message", ["what", "count"], [
        ["DynamoDB read requests", f"{per(dynamodb_reads):.1f}"],
        ["DynamoDB write requests", f"{per(dynamodb_writes):.1f}"],
        ["DynamoDB read units (estimated)", f"{per(meter.rru):.1f}"],
        ["DynamoDB write units (estimated)", f"{per(meter.wru):.1f}"],
        ["events published (outbox -> pipe -> bus)", f"{per(meter.events):.1f}"],
        ["SQS requests by the functions", f"{per(sqs):.2f}"],
        ["Lambda ms (job + deliver, in-process)", f"{per(lambda_ms['account_jobs'] + lambda_ms['deliver']):.1f}"],
    ])
    scale = PER_TEN_THOUSAND / sent
    gb_seconds = (lambda_ms["account_jobs"] + lambda_ms["deliver"] + lambda_ms["scheduled"]) / 1000 * 0.5 * scale
    # The deliver queue's pollers receive (and batch-delete) once per batch of up to 10.
    sqs_requests = (sqs + 2 * math.ceil(sent / 10) + 2 * invocations["account_jobs"]) * scale
    lines = [
        ("DynamoDB write units", meter.wru * scale, meter.wru * scale * DYNAMODB_WRITE_PER_MILLION / 1e6),
        ("DynamoDB read units", meter.rru * scale, meter.rru * scale * DYNAMODB_READ_PER_MILLION / 1e6),
        ("Lambda GB-seconds (512 MB)", gb_seconds, gb_seconds * LAMBDA_ARM_GB_SECOND),
        ("Lambda requests", (sum(invocations.values()) + math.ceil(sent / 10)) * scale,
         (sum(invocations.values()) + math.ceil(sent / 10)) * scale * LAMBDA_REQUEST_PER_MILLION / 1e6),
        ("SQS requests", sqs_requests, sqs_requests * SQS_STANDARD_PER_MILLION / 1e6),
        ("EventBridge events", meter.events * scale, meter.events * scale * EVENTBRIDGE_EVENT_PER_MILLION / 1e6),
        ("EventBridge Pipes requests", meter.events * scale, meter.events * scale * PIPES_REQUEST_PER_MILLION / 1e6),
    ]
    total = sum(dollars for _, _, dollars in lines)
    print_table("What AWS would bill per 10,000 campaign messages (provider fees excluded)",
                ["item", "quantity", "USD"],
                [[what, f"{quantity:,.0f}", f"{dollars:.4f}"] for what, quantity, dollars in lines]
                + [["total", "", f"{total:.4f}"]])
