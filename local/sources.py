"""Event sources: EventBridge rule targets, SQS event-source mappings and EventBridge
Scheduler one-time schedules.

moto delivers each rule's matching events to a local delivery queue (see cfn.build_stack);
one thread polls those queues and the template's SQS event sources, and invokes the
functions with the events AWS would send. It polls again as soon as any invocation
finishes (that is when a handler may have published), and a few times a second
otherwise, so the delay from put_events to the consumer is a few milliseconds.
"""
from __future__ import annotations

import base64
import json
import sys
import threading
from datetime import datetime, timezone
from typing import Any

from .cfn import ACCOUNT, REGION, SqsSource, Stack, TargetPolicy

IDLE_POLL_SECONDS = 0.25
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
    """`runtime` provides `invoke(function_id, event)`, `lock`, `invocations` and
    `wait_for_invocation(seen, timeout)` (local.runtime.Runtime)."""

    def __init__(self, session: Any, stack: Stack, runtime: Any):
        self.stack = stack
        self.runtime = runtime
        self.sqs = session.client("sqs", region_name=REGION)
        self.scheduler = session.client("scheduler", region_name=REGION)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-sources", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            seen = self.runtime.invocations
            try:
                busy = self.poll_once()
            except Exception as exc:  # a poller that dies silently would look like lost events
                print(f"event sources: {exc!r}", file=sys.stderr, flush=True)
                busy = False
            if not busy:
                self.runtime.wait_for_invocation(seen, IDLE_POLL_SECONDS)

    def poll_once(self) -> bool:
        """Deliver what is waiting on every source; True if anything was."""
        busy = False
        for rule_id, function_id, url in self.stack.rule_targets:
            busy |= self._deliver_events(rule_id, function_id, url)
        for source in self.stack.sqs_sources:
            busy |= self._deliver_batch(source)
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
            with self.runtime.lock:
                names = [s["Name"] for s in self.scheduler.list_schedules(GroupName=group)["Schedules"]]
            for name in names:
                with self.runtime.lock:
                    schedule = self.scheduler.get_schedule(Name=name, GroupName=group)
                expression = schedule["ScheduleExpression"]
                if not (expression.startswith("at(") and datetime.fromisoformat(expression[3:-1]) <= now):
                    continue
                function_id = self.stack.function_for_arn(schedule["Target"]["Arn"])
                with self.runtime.lock:
                    self.scheduler.delete_schedule(Name=name, GroupName=group)
                if function_id is None:
                    print(f"schedule {name}: target {schedule['Target']['Arn']} is not a function of this stack",
                          file=sys.stderr, flush=True)
                    continue
                try:
                    self.runtime.invoke(function_id, json.loads(schedule["Target"].get("Input") or "{}"))
                except Exception:  # printed by the runtime; AWS would retry, then its DLQ
                    pass
                fired = True
        return fired

    def _receive(self, url: str, count: int) -> list[dict]:
        with self.runtime.lock:
            return self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=count, WaitTimeSeconds=0,
                                            AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])

    # ------------------------------------------------------------ EventBridge

    def _deliver_events(self, rule_id: str, function_id: str, url: str) -> bool:
        messages = self._receive(url, 10)
        for message in messages:
            event = json.loads(message["Body"])
            event.setdefault("account", ACCOUNT)  # moto leaves it out; EventBridge always sends it
            try:
                self.runtime.invoke(function_id, event)
            except Exception as exc:
                self._retry_later(rule_id, function_id, url, message, exc)
            else:
                with self.runtime.lock:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bool(messages)

    def _retry_later(self, rule_id: str, function_id: str, url: str, message: dict, error: Exception) -> None:
        policy = self.stack.target_policies.get(url, TargetPolicy())
        attempts = int(message["Attributes"]["ApproximateReceiveCount"])
        with self.runtime.lock:
            if attempts <= min(policy.max_retries, MAX_LOCAL_RETRIES):
                self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                                   VisibilityTimeout=2 ** (attempts - 1))
                return
            if policy.dead_letter_url:
                # The attributes EventBridge puts on the messages it dead-letters.
                name = self.stack.names.get(function_id, function_id)
                self.sqs.send_message(QueueUrl=policy.dead_letter_url, MessageBody=message["Body"], MessageAttributes={
                    "ERROR_CODE": _text("LocalInvocationFailed"),
                    "ERROR_MESSAGE": _text(f"{type(error).__name__}: {error}"[:1000]),
                    "RULE_ARN": _text(f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule_id}"),
                    "TARGET_ARN": _text(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"),
                    "RETRY_ATTEMPTS": _text(attempts - 1),
                })
            print(f"[{function_id}] gave up on an event from {rule_id} after {attempts} attempts"
                  + (" (sent to the dead-letter queue)" if policy.dead_letter_url else " (dropped: no dead-letter queue)"),
                  file=sys.stderr, flush=True)
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    # ------------------------------------------------------------ SQS

    def _deliver_batch(self, source: SqsSource) -> bool:
        messages = self._receive(source.queue_url, min(source.batch_size, 10))
        if not messages:
            return False
        try:
            result = self.runtime.invoke(source.function_id, {"Records": [sqs_record(m, source.queue_arn) for m in messages]})
        except Exception:
            return True  # the whole batch comes back after the visibility timeout
        failed: set[str] = set()
        if source.report_batch_item_failures and isinstance(result, dict):
            failed = {str(f.get("itemIdentifier")) for f in result.get("batchItemFailures") or []}
            if failed - {m["MessageId"] for m in messages}:
                failed = {m["MessageId"] for m in messages}  # Lambda treats a bad identifier as a failed batch
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            with self.runtime.lock:
                self.sqs.delete_message_batch(QueueUrl=source.queue_url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        # Failed records stay in flight; after the visibility timeout they come back, and
        # the queue's RedrivePolicy moves them to its dead-letter queue after maxReceiveCount.
        return True
