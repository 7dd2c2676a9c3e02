"""Event sources: EventBridge rule targets, SQS event-source mappings and EventBridge
Scheduler one-time schedules.

The bus (local/bus.py) puts each rule's matching events on a local delivery queue per
Lambda target (see cfn.build_stack); pollers take them, and the template's SQS event
sources, from the runner's queues (local/queues.py, in this process, no HTTP) and invoke
the functions with the events AWS would send. Each source has its own pollers
(`POLLERS_PER_SOURCE`), so consumers run side by side in their own containers instead
of waiting in line; a poller sleeps until anything is sent to a queue.
"""
from __future__ import annotations

import base64
import json
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .cfn import ACCOUNT, REGION, SqsSource, Stack, TargetPolicy
from .runtime import InvocationError

# A poller with nothing to do wakes at least this often (a message whose visibility
# timeout ran out is noticed by this, not by a send).
IDLE_POLL_SECONDS = 0.25
# Lambda starts several pollers per event-source mapping and scales them with the
# backlog; two per SQS source keep a burst moving without crowding out the HTTP API on
# the pool's containers (a FIFO group still goes one message at a time: the queue holds
# the group while one is in flight).
POLLERS_PER_SOURCE = 2
# One per rule target: each consumer still runs beside the others, but sees the bus's
# events in the order they were put (with two, a socket could get "busy" after "online";
# the browser tests caught the dashboard showing the older state).
POLLERS_PER_RULE_TARGET = 1
SCHEDULE_POLL_SECONDS = 1.0
# EventBridge retries a failed target for up to 24 hours (185 times by default); locally
# at most this many times, 1 s, 2 s, 4 s ... apart, then the rule's dead-letter queue.
MAX_LOCAL_RETRIES = 3


def _text(value: Any) -> dict:
    return {"DataType": "String", "StringValue": str(value)}


def sqs_record(message: dict, queue_arn: str) -> dict:
    """One record of the event Lambda's SQS poller sends."""
    attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        binary = value.get("BinaryValue")
        attributes[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(binary).decode() if binary is not None else None,
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": [base64.b64encode(b).decode() for b in value.get("BinaryListValues", [])],
            "dataType": value["DataType"],
        }
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


class EventSources:
    """`runtime` provides `invoke(function_id, event)` (local.runtime.Runtime); `queues` is
    the runner's SQS engine (local.queues.Queues); `scheduler` a boto3 Scheduler client."""

    def __init__(self, stack: Stack, runtime: Any, queues: Any, scheduler: Any):
        self.stack = stack
        self.runtime = runtime
        self.queues = queues
        self.scheduler = scheduler
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        loops: list[tuple[str, Callable[[], bool]]] = []
        for rule_id, function_id, url in self.stack.rule_targets:
            loops += [(f"{rule_id}->{function_id}", lambda r=rule_id, f=function_id, u=url: self._deliver_events(r, f, u))
                      ] * POLLERS_PER_RULE_TARGET
        for source in self.stack.sqs_sources:
            loops += [(f"{source.queue_url.rsplit('/', 1)[-1]}->{source.function_id}",
                       lambda s=source: self._deliver_batch(s))] * POLLERS_PER_SOURCE
        for name, poll in loops:
            self._threads.append(threading.Thread(target=self._run, args=(poll, IDLE_POLL_SECONDS), name=name, daemon=True))
        if self.stack.schedule_groups:
            self._threads.append(threading.Thread(target=self._run, args=(self._fire_due_schedules, SCHEDULE_POLL_SECONDS),
                                                  name="schedules", daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.queues.wake()
        for thread in self._threads:
            thread.join(timeout=10)

    def _run(self, poll: Callable[[], bool], idle_seconds: float) -> None:
        while not self._stop.is_set():
            seen = self.queues.changes
            try:
                busy = poll()
            except Exception as exc:  # a poller that dies silently would look like lost events
                print(f"event sources ({threading.current_thread().name}): {exc!r}", file=sys.stderr, flush=True)
                busy = False
            if not busy:
                self.queues.wait(seen, idle_seconds)

    def poll_once(self) -> bool:
        """Deliver what is waiting on every source, in this thread; True if anything was."""
        busy = False
        for rule_id, function_id, url in self.stack.rule_targets:
            busy |= self._deliver_events(rule_id, function_id, url)
        for source in self.stack.sqs_sources:
            busy |= self._deliver_batch(source, window=False)
        busy |= self._fire_due_schedules()
        return busy

    # ------------------------------------------------------------ EventBridge Scheduler

    def _fire_due_schedules(self) -> bool:
        """moto keeps schedules but never runs them: run each one-time `at(...)` schedule
        whose time has come, once, with its Input as the event, then delete it (the
        template's schedules are created with ActionAfterCompletion DELETE)."""
        fired = False
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        for group in self.stack.schedule_groups:
            for name in [s["Name"] for s in self.scheduler.list_schedules(GroupName=group)["Schedules"]]:
                schedule = self.scheduler.get_schedule(Name=name, GroupName=group)
                expression = schedule["ScheduleExpression"]
                if not (expression.startswith("at(") and datetime.fromisoformat(expression[3:-1]) <= now):
                    continue
                function_id = self.stack.function_for_arn(schedule["Target"]["Arn"])
                self.scheduler.delete_schedule(Name=name, GroupName=group)
                if function_id is None:
                    print(f"schedule {name}: target {schedule['Target']['Arn']} is not a function of this stack",
                          file=sys.stderr, flush=True)
                    continue
                try:
                    self.runtime.invoke(function_id, json.loads(schedule["Target"].get("Input") or "{}"))
                except InvocationError:  # printed by the container; AWS would retry, then its DLQ
                    pass
                fired = True
        return fired

    def _receive(self, url: str, count: int) -> list[dict]:
        return self.queues.receive(self.queues.name_of(url), max_messages=count)

    # ------------------------------------------------------------ EventBridge

    def _deliver_events(self, rule_id: str, function_id: str, url: str) -> bool:
        messages = self._receive(url, 1)
        for message in messages:
            event = json.loads(message["Body"])
            try:
                self.runtime.invoke(function_id, event)
            except InvocationError as exc:
                self._retry_later(rule_id, function_id, url, message, exc)
            else:
                self.queues.delete(self.queues.name_of(url), message["ReceiptHandle"])
        return bool(messages)

    def _retry_later(self, rule_id: str, function_id: str, url: str, message: dict, error: Exception) -> None:
        policy = self.stack.target_policies.get(url, TargetPolicy())
        attempts = int(message["Attributes"]["ApproximateReceiveCount"])
        queue = self.queues.name_of(url)
        if attempts <= min(policy.max_retries, MAX_LOCAL_RETRIES):
            self.queues.change_visibility(queue, message["ReceiptHandle"], 2 ** (attempts - 1))
            return
        if policy.dead_letter_url:
            # The attributes EventBridge puts on the messages it dead-letters.
            name = self.stack.names.get(function_id, function_id)
            self.queues.send(self.queues.name_of(policy.dead_letter_url), message["Body"], message_attributes={
                "ERROR_CODE": _text("LocalInvocationFailed"),
                "ERROR_MESSAGE": _text(f"{type(error).__name__}: {error}"[:1000]),
                "RULE_ARN": _text(f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule_id}"),
                "TARGET_ARN": _text(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"),
                "RETRY_ATTEMPTS": _text(attempts - 1),
            })
        print(f"[{function_id}] gave up on an event from {rule_id} after {attempts} attempts"
              + (" (sent to the dead-letter queue)" if policy.dead_letter_url else " (dropped: no dead-letter queue)"),
              file=sys.stderr, flush=True)
        self.queues.delete(queue, message["ReceiptHandle"])

    # ------------------------------------------------------------ SQS

    def _deliver_batch(self, source: SqsSource, *, window: bool = True) -> bool:
        """One batch to the function, as Lambda's poller hands it: with a batching window
        (MaximumBatchingWindowInSeconds) it gathers records until the batch is full or the
        window has passed since the first one. `window=False` (poll_once: tests driving the
        sources by hand) hands over what is there at once."""
        messages = self._receive(source.queue_url, min(source.batch_size, 10))
        if not messages:
            return False
        if window and source.batching_window > 0:
            closes = time.monotonic() + source.batching_window
            while len(messages) < source.batch_size and not self._stop.is_set():
                seen = self.queues.changes
                more = self._receive(source.queue_url, min(source.batch_size - len(messages), 10))
                messages += more
                left = closes - time.monotonic()
                if left <= 0:
                    break
                if not more:
                    self.queues.wait(seen, min(left, IDLE_POLL_SECONDS))
        try:
            result = self.runtime.invoke(source.function_id, {"Records": [sqs_record(m, source.queue_arn) for m in messages]})
        except InvocationError:
            return True  # the whole batch comes back after the visibility timeout
        failed: set[str] = set()
        if source.report_batch_item_failures and isinstance(result, dict):
            failed = {str(f.get("itemIdentifier")) for f in result.get("batchItemFailures") or []}
            if failed - {m["MessageId"] for m in messages}:
                failed = {m["MessageId"] for m in messages}  # Lambda treats a bad identifier as a failed batch
        queue = self.queues.name_of(source.queue_url)
        for message in messages:
            if message["MessageId"] not in failed:
                self.queues.delete(queue, message["ReceiptHandle"])
        # Failed records stay in flight; after the visibility timeout they come back, and
        # the queue's RedrivePolicy moves them to its dead-letter queue after maxReceiveCount.
        return True
