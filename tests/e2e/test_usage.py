"""Metering (local/usage.py): what AWS would bill, counted where the local stack does the
work. The DynamoDB units are checked against DynamoDB's billing rule (writes: 1 unit per
KB of the item; reads: 0.5 per 4 KB eventually consistent, 1 consistent; transactions
double), on DynamoDB Local, in-process and from a real container of the toy template."""
from __future__ import annotations

import asyncio
import json
import time

import boto3
import httpx
import pytest
import websockets
from botocore import handlers

from local import usage
from local.engines import Engines
from local.gateway import USAGE_PATH, Gateway

from .conftest import TOY_TEMPLATE, serve


@pytest.fixture(scope="module")
def engines():
    engines = Engines(None, template_path=TOY_TEMPLATE, prefix="toy")
    engines.start()
    yield engines
    engines.stop()


@pytest.fixture
def meter():
    """The container's hook, installed in this process for the test only."""
    before = list(handlers.BUILTIN_HANDLERS)
    yield usage.meter_dynamodb()
    handlers.BUILTIN_HANDLERS[:] = before


def test_dynamodb_units_follow_dynamodbs_billing_rule(engines, meter):
    client = boto3.Session().client("dynamodb", endpoint_url=engines.dynamodb.endpoint, region_name="us-east-1",
                                    aws_access_key_id="testing", aws_secret_access_key="testing")  # DynamoDB Local keeps tables per key
    table = engines.stack.names["ThingsTable"]
    big = {"id": {"S": "big"}, "data": {"S": "x" * 2500}}  # 2,509 bytes: 3 write units
    assert usage.item_bytes(big) == 2509
    client.put_item(TableName=table, Item=big)
    assert meter.take() == {"requests": 1, "write_units": 3.0}
    client.get_item(TableName=table, Key={"id": {"S": "big"}})  # up to 4 KB, eventually consistent
    client.get_item(TableName=table, Key={"id": {"S": "big"}}, ConsistentRead=True)
    assert meter.take() == {"requests": 2, "read_units": 1.5}
    # Three small Puts in a transaction: 2 units each (DynamoDB Local itself reports 2 in all).
    client.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": {"id": {"S": f"t{n}"}}}}
                                               for n in range(3)])
    assert meter.take() == {"requests": 1, "write_units": 6.0}
    # A write refused by its condition is billed all the same.
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(TableName=table, Item={"id": {"S": "big"}}, ConditionExpression="attribute_not_exists(id)")
    assert meter.take() == {"requests": 1, "write_units": 1.0, "failed_writes": 1}
    # A caller that chose its own ReturnConsumedCapacity keeps it, and is still counted.
    answer = client.get_item(TableName=table, Key={"id": {"S": "t0"}}, ReturnConsumedCapacity="INDEXES")
    assert "Table" in answer["ConsumedCapacity"] and meter.take() == {"requests": 1, "read_units": 0.5}
    client.describe_table(TableName=table)  # not a billed request
    assert meter.take() == {}


def test_an_invocations_usage_reaches_the_runner(engines):
    table = engines.stack.names["ThingsTable"]
    query = {"table": table, "size": "1500"}  # 2 write units; 0.5 read (eventual) + 1 (consistent, via pynamodb)
    before = engines.runtime.usage().get("WebFunction", {})
    engines.runtime.invoke("WebFunction", {"rawPath": "/things", "queryStringParameters": query})
    after = engines.runtime.usage()["WebFunction"]
    spent = {key: after[key] - before.get(key, 0) for key in after if key != "memory_mb"}
    assert spent["invocations"] == 1 and spent["billed_ms"] >= 1
    assert (spent["requests"], spent["write_units"], spent["read_units"]) == (3, 2.0, 1.5)
    assert after["memory_mb"] == engines.stack.functions["WebFunction"].memory_size
    totals = usage.collect(engines)
    assert totals["lambda"]["WebFunction"] == after
    assert totals["dynamodb"]["write_units"] >= 2.0


def test_sqs_and_eventbridge_are_counted_as_aws_bills_them(engines):
    before = usage.collect(engines)
    engines.client("events").put_events(Entries=[
        {"EventBusName": "toy-bus", "Source": "toy", "DetailType": "t", "Detail": json.dumps({"n": n})} for n in range(3)])
    sqs = engines.client("sqs")
    url = sqs.get_queue_url(QueueName=engines.stack.names["WorkQueue"])["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 70_000)  # HTTP: one call (SQS bills 2 chunks)
    queue = engines.queues.name_of(url)
    engines.queues.send(queue, "y" * 70_000)  # direct: 2 chunks of 64 KB
    assert engines.queues.receive(queue, max_messages=10)
    after = usage.collect(engines)
    assert after["events"]["entries"] - before["events"].get("entries", 0) == 3
    assert after["sqs"]["http"]["SendMessage"] - before["sqs"]["http"].get("SendMessage", 0) == 1
    pollers = {k: after["sqs"]["pollers"].get(k, 0) - before["sqs"]["pollers"].get(k, 0) for k in after["sqs"]["pollers"]}
    assert pollers["SendMessage"] == 2 and pollers["ReceiveMessage"] == 3  # 140 KB received: 3 chunks
    # The three events went to the rule's stand-in delivery queue (a Lambda target on AWS,
    # no SQS there): never counted as SQS.
    stand_in = engines.queues.name_of(engines.stack.rule_targets[0][2])
    assert any(k.endswith(f":{stand_in}") for k in engines.queues.direct_calls.snapshot())


def test_the_gateway_meters_api_gateway_and_serves_the_totals(engines):
    gateway = Gateway(engines.stack, engines.runtime.invoke, usage=lambda: usage.collect(engines))
    with serve(gateway.app) as base_url:
        assert httpx.get(f"{base_url}/bare").status_code == 200
        assert httpx.get(f"{base_url}/bare").status_code == 200

        async def talk():
            async with websockets.connect(f"{base_url.replace('http', 'ws')}/ws?token=good") as socket:
                await socket.send(json.dumps({"action": "echo", "n": 1}))
                await socket.recv()  # the route response: a message out
                await socket.send("x" * 40_000)  # $default: two 32 KB increments
                await asyncio.sleep(0.2)

        asyncio.run(talk())
        deadline = time.monotonic() + 5
        while gateway.sockets and time.monotonic() < deadline:  # the disconnect is handled
            time.sleep(0.05)
        totals = httpx.get(f"{base_url}{USAGE_PATH}").json()
    metered = totals["apigateway"]
    assert metered["http_requests"] == 2  # the usage page itself is not an API call
    assert (metered["ws_connections"], metered["ws_messages"]) == (1, 4)
    assert 0 < metered["ws_connection_minutes"] < 1
    assert totals["lambda"]["WebFunction"]["invocations"] >= 2 and "dynamodb" in totals
