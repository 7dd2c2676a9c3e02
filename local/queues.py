"""SQS for the local stack: the runner's own queue engine, in memory and durable on disk.

moto's SQS scans every message of a queue on each receive (12–37 ms with a few hundred
queued) and keeps them in memory only. Here each queue keeps its visible messages in a
deque (FIFO: one deque per message group) and the delayed or in-flight ones in a heap keyed
by the moment they become visible, so a receive costs O(1) per message returned plus
O(log n) per message whose visibility changed.

Two ways in, one lock: `handle(operation, request)` answers SQS's JSON protocol for
`local/aws.py` (X-Amz-Target "AmazonSQS.<Op>"), and a direct API (`send`, `receive`,
`delete`, `change_visibility`, `wait`) serves the runner's pollers without HTTP.

Durability: every accepted message is written to `journal_dir/queues.journal` before the
lock is released and fsync'ed before `send`/SendMessage returns (concurrent senders share
one fsync). Deletes are written too but not waited for: a lost delete is a redelivery, a
lost send a lost customer message. On start the journal is replayed (live = sent minus
deleted; every live message visible again, receive count reset) and rewritten with only
the live messages; it is rewritten again when it grows well past what is live. Queue
definitions are not journaled: `build_stack` creates them on every start, and a queue that
exists again gets its messages back.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import itertools
import json
import os
import re
import secrets
import struct
import sys
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.cfn import ACCOUNT, REGION
from local.usage import Tally, sqs_requests

JOURNAL_NAME = "queues.journal"
MAX_MESSAGE_BYTES = 262_144
MAX_DELAY = 900
MAX_VISIBILITY = 43_200
MAX_WAIT = 20
DEDUP_SECONDS = 300
COMPACT_AFTER_BYTES = 8 * 1024 * 1024  # and the journal is 4x what is live
SENDER_ID = ACCOUNT

DELAYED, READY, INFLIGHT = 0, 1, 2

DEFAULT_ATTRIBUTES = {
    "VisibilityTimeout": "30",
    "DelaySeconds": "0",
    "MessageRetentionPeriod": "345600",
    "MaximumMessageSize": str(MAX_MESSAGE_BYTES),
    "ReceiveMessageWaitTimeSeconds": "0",
}
# Attributes a queue may be given (CreateQueue/SetQueueAttributes); the rest are computed.
SETTABLE = {"VisibilityTimeout", "DelaySeconds", "MessageRetentionPeriod", "MaximumMessageSize",
            "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "RedriveAllowPolicy", "Policy", "FifoQueue",
            "ContentBasedDeduplication", "SqsManagedSseEnabled", "KmsMasterKeyId",
            "KmsDataKeyReusePeriodSeconds", "DeduplicationScope", "FifoThroughputLimit"}
COMPUTED = {"QueueArn", "CreatedTimestamp", "LastModifiedTimestamp", "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"}
NUMERIC_RANGES = {"VisibilityTimeout": (0, MAX_VISIBILITY), "DelaySeconds": (0, MAX_DELAY),
                  "MessageRetentionPeriod": (60, 1_209_600), "MaximumMessageSize": (1024, MAX_MESSAGE_BYTES),
                  "ReceiveMessageWaitTimeSeconds": (0, MAX_WAIT)}
SYSTEM_ATTRIBUTES = {"All", "SenderId", "SentTimestamp", "ApproximateReceiveCount",
                     "ApproximateFirstReceiveTimestamp", "SequenceNumber", "MessageDeduplicationId",
                     "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn"}

# The SQS error shapes and the query-protocol codes botocore maps back to them
# (x-amzn-query-error); unmodeled errors (InvalidParameterValue, MissingParameter) keep their name.
QUERY_CODES = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "QueueNameExists": "QueueAlreadyExists",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
}
QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}\.fifo$")
BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
# Characters SQS accepts in a body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF
INVALID_CHARACTERS = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class SqsError(Exception):
    def __init__(self, shape: str, message: str):
        super().__init__(f"{shape}: {message}")
        self.shape = shape
        self.message = message

    def answer(self) -> tuple[int, dict, list[tuple[str, str]]]:
        query_code = QUERY_CODES.get(self.shape, self.shape)
        return (400, {"__type": f"com.amazonaws.sqs#{self.shape}", "message": self.message},
                [("x-amzn-query-error", f"{query_code};Sender")])


class JournalError(Exception):
    """The journal cannot be read back; nothing was changed."""


def invalid(message: str) -> SqsError:
    return SqsError("InvalidParameterValue", message)


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def md5_of_attributes(attributes: dict[str, dict]) -> str:
    """SQS's digest: per attribute, sorted by name: name, type, transport byte, value, each
    (but the transport byte) preceded by its length as 4 bytes big-endian."""
    digest = hashlib.md5()

    def part(data: bytes) -> None:
        digest.update(struct.pack("!I", len(data)))
        digest.update(data)

    for name in sorted(attributes):
        value = attributes[name]
        part(name.encode("utf-8"))
        part(value["DataType"].encode("utf-8"))
        if "StringValue" in value:
            digest.update(b"\x01")
            part(value["StringValue"].encode("utf-8"))
        else:
            digest.update(b"\x02")
            part(base64.b64decode(value["BinaryValue"]))
    return digest.hexdigest()


def _int(value: Any, name: str, low: int, high: int, reason: str | None = None) -> int:
    try:
        number = int(value)
        if str(value).strip() != str(number) and not isinstance(value, int):
            raise ValueError
    except (TypeError, ValueError):
        raise invalid(f"Value {value} for parameter {name} is invalid. Reason: must be an integer.") from None
    if not low <= number <= high:
        raise invalid(f"Value {value} for parameter {name} is invalid. "
                      f"Reason: {reason or f'Must be between {low} and {high}, if provided.'}")
    return number


class Message:
    __slots__ = ("id", "body", "attributes", "md5_body", "md5_attributes", "sent_ms", "group", "dedup", "seq",
                 "trace", "dlq_source", "visible_at", "state", "gen", "receives", "first_receive_ms", "size",
                 "gone")

    def __init__(self, id: str, body: str, attributes: dict | None, sent_ms: int, visible_at: float,
                 group: str | None = None, dedup: str | None = None, seq: str | None = None,
                 trace: str | None = None, dlq_source: str | None = None):
        self.id, self.body, self.attributes = id, body, attributes or None
        self.md5_body = md5_of_body(body)
        self.md5_attributes = md5_of_attributes(attributes) if attributes else None
        self.sent_ms, self.visible_at = sent_ms, visible_at
        self.group, self.dedup, self.seq, self.trace, self.dlq_source = group, dedup, seq, trace, dlq_source
        self.state, self.gen, self.receives, self.first_receive_ms = READY, 0, 0, None
        self.size = len(body) + 200  # about its journal record: what compaction weighs
        self.gone = False

    def record(self, queue: str) -> dict:
        # In flight is not remembered: after a restart the message is visible again.
        visible_at = self.sent_ms / 1000 if self.state == INFLIGHT else self.visible_at
        record = {"o": "s", "q": queue, "i": self.id, "b": self.body, "t": self.sent_ms, "v": visible_at}
        for key, value in (("a", self.attributes), ("g", self.group), ("d", self.dedup), ("n", self.seq),
                           ("x", self.trace), ("r", self.dlq_source)):
            if value is not None:
                record[key] = value
        return record

    @classmethod
    def from_record(cls, record: dict) -> Message:
        return cls(record["i"], record["b"], record.get("a"), record["t"], record["v"], record.get("g"),
                   record.get("d"), record.get("n"), record.get("x"), record.get("r"))


class Queue:
    def __init__(self, name: str, attributes: dict[str, str], lock: threading.Lock, now: float):
        self.name = name
        self.arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        self.fifo = name.endswith(".fifo")
        self.attributes = {**DEFAULT_ATTRIBUTES, **attributes}
        if self.fifo:
            self.attributes.setdefault("FifoQueue", "true")
            self.attributes.setdefault("ContentBasedDeduplication", "false")
        self.created = self.modified = int(now)
        self.arrived = threading.Condition(lock)  # long polls of this queue wait here
        self.messages: dict[str, Message] = {}
        self.counts = [0, 0, 0]  # by state: DELAYED, READY, INFLIGHT
        self.timers: list[tuple[float, int, Message, int]] = []  # (visible_at, tiebreak, message, gen)
        self.ready: deque[Message] = deque()  # standard queues
        self.groups: dict[str, deque[Message]] = {}  # FIFO: group -> its messages in order
        self.group_inflight: dict[str, int] = {}
        self.ready_groups: OrderedDict[str, None] = OrderedDict()  # FIFO groups none of whose messages is in flight
        self.dedup: OrderedDict[tuple[str, str], tuple[float, str, str | None]] = OrderedDict()
        self.configure()

    def configure(self) -> None:
        a = self.attributes
        self.visibility = int(a["VisibilityTimeout"])
        self.delay = int(a["DelaySeconds"])
        self.retention = int(a["MessageRetentionPeriod"])
        self.max_size = int(a["MaximumMessageSize"])
        self.wait = int(a["ReceiveMessageWaitTimeSeconds"])
        self.content_dedup = a.get("ContentBasedDeduplication") == "true"
        self.dedup_by_group = a.get("DeduplicationScope") == "messageGroup"
        redrive = json.loads(a["RedrivePolicy"]) if a.get("RedrivePolicy") else None
        self.dlq = redrive["deadLetterTargetArn"].rsplit(":", 1)[-1] if redrive else None
        self.max_receives = int(redrive["maxReceiveCount"]) if redrive else None

    def next_visible_at(self) -> float | None:
        return self.timers[0][0] if self.timers else None


class Journal:
    """Append-only JSON lines; `write` under the queues' lock, `sync` outside it (group commit)."""

    def __init__(self, path: Path):
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.size = os.fstat(self._fd).st_size
        self._done = threading.Condition()
        self._written = self._synced = 0  # byte counts since this process opened it
        self._syncing = False
        self.fsyncs = 0

    def write(self, records: list[dict]) -> int:
        data = b"".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
                        for r in records)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        with self._done:
            self._written += len(data)
            self.size += len(data)
            return self._written

    def sync(self, upto: int) -> None:
        """Return once every byte up to `upto` is on disk; one fsync serves all waiting writers."""
        with self._done:
            while self._synced < upto:
                if self._syncing:
                    self._done.wait()
                    continue
                self._syncing, target = True, self._written
                self._done.release()
                try:
                    os.fdatasync(self._fd)
                finally:
                    self._done.acquire()
                    self._syncing = False
                    self._done.notify_all()
                self._synced = max(self._synced, target)
                self.fsyncs += 1

    @property
    def written(self) -> int:
        with self._done:
            return self._written

    def replace(self, records: list[dict]) -> None:
        """Atomically swap the file for one holding only `records` (under the queues' lock)."""
        tmp = self.path.with_suffix(".compacting")
        data = b"".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
                        for r in records)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with self._done:
            while self._syncing:  # never close the descriptor under a running fsync
                self._done.wait()
            os.replace(tmp, self.path)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
            os.close(self._fd)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            self.size = len(data)
            self._synced = self._written  # all that was written is in the new, synced file
            self._done.notify_all()

    def close(self) -> None:
        with self._done:
            os.close(self._fd)


def read_journal(path: Path, log: Callable[[str], None]) -> tuple[dict[str, dict[str, dict]], int]:
    """Replay: {queue: {message id: send record}} of the live messages, in sent order, and the
    number of bytes of a torn last record (a write cut by a crash; its sender got no answer)."""
    live: dict[str, dict[str, dict]] = {}
    data = path.read_bytes()
    lines = data.split(b"\n")
    torn = 0
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
            op, queue = record["o"], record["q"]
            if op == "s":
                record["i"], record["b"], record["t"], record["v"]  # noqa: B018  (all present)
                live.setdefault(queue, {})[record["i"]] = record
            elif op == "d":
                live.get(queue, {}).pop(record["i"], None)
            elif op == "p":
                live.pop(queue, None)
            else:
                raise KeyError(op)
        except (ValueError, KeyError, TypeError) as error:
            if number == len(lines):
                torn = len(line)
                log(f"{path}: the last record ({torn} bytes) is incomplete, a write cut short by a crash; "
                    "it was never acknowledged and is dropped")
                break
            raise JournalError(f"{path}: record {number} of {len(lines)} cannot be read ({error!r}); the journal "
                               "is damaged beyond a torn last write. Nothing was changed: move the file away "
                               "to start without its messages, or repair that line.") from None
    return live, torn


def stderr_log(message: str) -> None:
    print(f"queues: {message}", file=sys.stderr, flush=True)


class Queues:
    def __init__(self, journal_dir: Path | None, endpoint: str = f"https://sqs.{REGION}.amazonaws.com",
                 log: Callable[[str], None] | None = None):
        self.endpoint = endpoint.rstrip("/")  # queue URLs start with it; any host is accepted back
        self._log = log or stderr_log
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # direct-API pollers wait here
        self.changes = 0
        self._queues: dict[str, Queue] = {}
        self._tiebreak = itertools.count()
        self._seq = 0
        self._live_bytes = 0
        self._compact_base = 0  # journal size after the last compaction
        # Messages replayed for queues build_stack has not (re)created yet.
        self._pending: dict[str, dict[str, dict]] = {}
        self.journal: Journal | None = None
        # The direct API's calls as SQS bills them ("ReceiveMessage:<queue>" -> requests
        # of 64 KB): on AWS these are Lambda's pollers' calls, billed to the account.
        self.direct_calls = Tally()
        if journal_dir is not None:
            journal_dir = Path(journal_dir)
            journal_dir.mkdir(parents=True, exist_ok=True)
            path = journal_dir / JOURNAL_NAME
            if path.exists():
                self._pending, _ = read_journal(path, self._log)
            records = [r for messages in self._pending.values() for r in messages.values()]
            self._seq = max((int(r["n"]) for r in records if "n" in r), default=0)
            self.journal = Journal(path)
            self.journal.replace(records)  # compact now: only the live messages remain
            self._compact_base = self.journal.size
            self._live_bytes = self.journal.size

    # ---- the direct API (the runner's pollers) -------------------------------------------

    def url(self, queue_name: str) -> str:
        return f"{self.endpoint}/{ACCOUNT}/{queue_name}"

    @staticmethod
    def name_of(url: str) -> str:
        return url.rstrip("/").rsplit("/", 1)[-1]

    def send(self, queue_name: str, body: str, message_attributes: dict | None = None, group_id: str | None = None,
             dedup_id: str | None = None, delay: int = 0, *, sync: bool = True) -> str:
        """Accept one message (durable on return unless sync=False: call `sync()` then); its id.
        `message_attributes` as boto3 takes them (BinaryValue as bytes). Raises SqsError."""
        attributes = _encode_binary(message_attributes) if message_attributes else None
        with self._lock:
            queue = self._queue(queue_name)
            answer = self._send(queue, body, attributes, group_id, dedup_id, delay, None)
        self.direct_calls.add(f"SendMessage:{queue_name}", sqs_requests(len(body.encode())))
        if sync:
            self.sync()
        return answer["MessageId"]

    def sync(self) -> None:
        """Every message accepted so far is on disk when this returns."""
        if self.journal is not None:
            self.journal.sync(self.journal.written)

    def receive(self, queue_name: str, max_messages: int = 10, visibility_timeout: int | None = None) -> list[dict]:
        """Up to `max_messages` visible messages, each as boto3 returns it in "Messages" (all
        Attributes and MessageAttributes; BinaryValue as bytes). Never waits."""
        with self._lock:
            queue = self._queue(queue_name)
            messages = self._receive(queue, max_messages, visibility_timeout, {"All"}, ["All"], time.time())
        if messages:
            self.direct_calls.add(f"ReceiveMessage:{queue_name}",
                                  sqs_requests(sum(len(m["Body"].encode()) for m in messages)))
        else:  # Lambda long-polls an idle queue (20 s): not comparable, counted apart
            self.direct_calls.add(f"ReceiveMessage(empty):{queue_name}")
        for message in messages:
            for value in message.get("MessageAttributes", {}).values():
                if "BinaryValue" in value:
                    value["BinaryValue"] = base64.b64decode(value["BinaryValue"])
        return messages

    def delete(self, queue_name: str, receipt_handle: str) -> None:
        with self._lock:
            self._delete(self._queue(queue_name), receipt_handle)
        self.direct_calls.add(f"DeleteMessage:{queue_name}")

    def change_visibility(self, queue_name: str, receipt_handle: str, seconds: int) -> None:
        with self._lock:
            self._change_visibility(self._queue(queue_name), receipt_handle, seconds, time.time())
        self.direct_calls.add(f"ChangeMessageVisibility:{queue_name}")

    def next_visible_at(self, queue_name: str) -> float | None:
        """When the earliest delayed or in-flight message of the queue may become visible (epoch s)."""
        with self._lock:
            return self._queue(queue_name).next_visible_at()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until `changes` differs from `seen` (a message was sent, or made visible by
        ChangeMessageVisibility), a delayed or in-flight message becomes visible, or `timeout`;
        the current `changes`. Take `seen = queues.changes` before looking at the queues."""
        deadline = time.time() + timeout
        with self._lock:
            while self.changes == seen:
                now = time.time()
                due = min((t for q in self._queues.values() if (t := q.next_visible_at()) is not None), default=None)
                if due is not None and due <= now:
                    if sum(self._promote(queue, now) for queue in self._queues.values()):
                        self.changes += 1  # a message became visible: pollers should look
                    continue
                if now >= deadline:
                    break
                self._changed.wait(min(deadline, due if due is not None else deadline) - now)
            return self.changes

    def wake(self) -> None:
        """Wake every poller waiting in `wait` (the runner is stopping)."""
        with self._lock:
            self.changes += 1
            self._changed.notify_all()

    def orphans(self) -> dict[str, int]:
        """Queues the journal holds messages for that no one has created since the start."""
        with self._lock:
            return {name: len(messages) for name, messages in self._pending.items() if messages}

    def close(self) -> None:
        if self.journal is not None:
            self.sync()
            self.journal.close()

    # ---- the JSON protocol ---------------------------------------------------------------

    def handle(self, operation: str, request: dict) -> tuple[int, dict, list[tuple[str, str]]]:
        method = getattr(self, f"_op_{operation}", None)
        try:
            if method is None:
                raise SqsError("UnsupportedOperation", f"{operation} is not supported by the local stack's queues.")
            return 200, method(request), []
        except SqsError as error:
            return error.answer()

    def _op_CreateQueue(self, request: dict) -> dict:
        name = request.get("QueueName")
        if not name:
            raise SqsError("MissingParameter", "The request must contain the parameter QueueName.")
        attributes = {k: str(v) for k, v in (request.get("Attributes") or {}).items()}
        fifo = name.endswith(".fifo")
        if not (FIFO_NAME if fifo else QUEUE_NAME).match(name):
            raise invalid("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
                          "must end with .fifo suffix and be 1 to 80 in length." if fifo else
                          "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        if attributes.get("FifoQueue", "false").lower() == "true" and not fifo:
            raise invalid("The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                          "underscores, must end with .fifo suffix and be 1 to 80 in length.")
        with self._lock:
            self._check_attributes(attributes, fifo)
            queue = self._queues.get(name)
            if queue is not None:
                for key, value in attributes.items():
                    if queue.attributes.get(key, "") != value:
                        raise SqsError("QueueNameExists", "A queue already exists with the same name and a "
                                                          f"different value for attribute {key}")
                return {"QueueUrl": self.url(name)}
            now = time.time()
            queue = Queue(name, attributes, self._lock, now)
            self._queues[name] = queue
            for record in (self._pending.pop(name, None) or {}).values():
                self._enqueue(queue, Message.from_record(record), now)
            return {"QueueUrl": self.url(name)}

    def _check_attributes(self, attributes: dict[str, str], fifo: bool) -> None:
        for key, value in attributes.items():
            if key not in SETTABLE:
                raise SqsError("InvalidAttributeName", f"Unknown Attribute {key}.")
            if key in NUMERIC_RANGES:
                low, high = NUMERIC_RANGES[key]
                _int(value, key, low, high)
            if key in ("FifoQueue", "ContentBasedDeduplication") and value not in ("true", "false"):
                raise SqsError("InvalidAttributeValue", f"Invalid value for the parameter {key}.")
            if key == "ContentBasedDeduplication" and not fifo:
                raise SqsError("InvalidAttributeName", f"Unknown Attribute {key}.")
            if key == "RedrivePolicy" and value:
                try:
                    policy = json.loads(value)
                    target, count = policy["deadLetterTargetArn"], int(policy["maxReceiveCount"])
                except (ValueError, KeyError, TypeError):
                    raise invalid(f"Value {value} for parameter RedrivePolicy is invalid. Reason: Redrive policy "
                                  "is not a dict or valid json.") from None
                if not 1 <= count <= 1000:
                    raise invalid(f"Value {value} for parameter RedrivePolicy is invalid. Reason: Invalid value "
                                  "for maxReceiveCount: must be an integer from 1 to 1000.")
                dlq = self._queues.get(str(target).rsplit(":", 1)[-1])
                if dlq is None:
                    raise invalid(f"Value {value} for parameter RedrivePolicy is invalid. Reason: Dead-letter "
                                  "target does not exist.")
                if dlq.fifo != fifo:
                    raise invalid(f"Value {value} for parameter RedrivePolicy is invalid. Reason: Dead-letter "
                                  "queue must be the same type of queue as the source.")

    def _op_GetQueueUrl(self, request: dict) -> dict:
        with self._lock:
            return {"QueueUrl": self.url(self._queue(request.get("QueueName") or "").name)}

    def _op_ListQueues(self, request: dict) -> dict:
        prefix = request.get("QueueNamePrefix") or ""
        with self._lock:
            names = sorted(n for n in self._queues if n.startswith(prefix))
        limit = request.get("MaxResults")
        if limit is None:
            return {"QueueUrls": [self.url(n) for n in names[:1000]]} if names else {}
        start = int(request.get("NextToken") or 0)
        page = names[start:start + _int(limit, "MaxResults", 1, 1000)]
        answer: dict = {"QueueUrls": [self.url(n) for n in page]} if page else {}
        if start + len(page) < len(names):
            answer["NextToken"] = str(start + len(page))
        return answer

    def _op_DeleteQueue(self, request: dict) -> dict:
        with self._lock:
            queue = self._url_queue(request)
            del self._queues[queue.name]
            self._drop_all(queue)
            queue.arrived.notify_all()
        return {}

    def _op_PurgeQueue(self, request: dict) -> dict:
        with self._lock:
            queue = self._url_queue(request)
            self._drop_all(queue)
            fresh = Queue(queue.name, {k: v for k, v in queue.attributes.items() if k in SETTABLE}, self._lock,
                          time.time())
            fresh.arrived, fresh.created, fresh.modified = queue.arrived, queue.created, queue.modified
            self._queues[queue.name] = fresh
        return {}

    def _op_GetQueueAttributes(self, request: dict) -> dict:
        names = request.get("AttributeNames") or []
        with self._lock:
            queue = self._url_queue(request)
            self._promote(queue, time.time())
            values = {**{k: v for k, v in queue.attributes.items() if v != ""},
                      "QueueArn": queue.arn, "CreatedTimestamp": str(queue.created),
                      "LastModifiedTimestamp": str(queue.modified),
                      "ApproximateNumberOfMessages": str(queue.counts[READY]),
                      "ApproximateNumberOfMessagesNotVisible": str(queue.counts[INFLIGHT]),
                      "ApproximateNumberOfMessagesDelayed": str(queue.counts[DELAYED])}
        if "All" in names:
            return {"Attributes": values}
        for name in names:
            if name not in SETTABLE and name not in COMPUTED:
                raise SqsError("InvalidAttributeName", f"Unknown Attribute {name}.")
        picked = {n: values[n] for n in names if n in values}
        return {"Attributes": picked} if picked else {}

    def _op_SetQueueAttributes(self, request: dict) -> dict:
        attributes = {k: str(v) for k, v in (request.get("Attributes") or {}).items()}
        with self._lock:
            queue = self._url_queue(request)
            if "FifoQueue" in attributes:
                raise invalid("Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not "
                              "supported.")
            self._check_attributes(attributes, queue.fifo)
            queue.attributes.update(attributes)
            queue.configure()
            queue.modified = int(time.time())
        return {}

    def _op_SendMessage(self, request: dict) -> dict:
        with self._lock:
            queue = self._url_queue(request)
            answer = self._send(queue, request.get("MessageBody"), request.get("MessageAttributes"),
                                request.get("MessageGroupId"), request.get("MessageDeduplicationId"),
                                request.get("DelaySeconds"), request.get("MessageSystemAttributes"))
        self.sync()
        return answer

    def _op_SendMessageBatch(self, request: dict) -> dict:
        def fits(entries: list) -> None:
            total = sum(len(str(e.get("MessageBody", "")).encode("utf-8", "surrogatepass"))
                        + _attributes_size(e.get("MessageAttributes")) for e in entries)
            if total > MAX_MESSAGE_BYTES:
                raise SqsError("BatchRequestTooLong", f"Batch requests cannot be longer than {MAX_MESSAGE_BYTES} "
                                                      f"bytes. You have sent {total} bytes.")

        answer = self._batch(request, "SendMessageBatchRequestEntry", lambda queue, entry: self._send(
            queue, entry.get("MessageBody"), entry.get("MessageAttributes"), entry.get("MessageGroupId"),
            entry.get("MessageDeduplicationId"), entry.get("DelaySeconds"), entry.get("MessageSystemAttributes")),
            check=fits)
        self.sync()
        return answer

    def _op_ReceiveMessage(self, request: dict) -> dict:
        count = _int(request.get("MaxNumberOfMessages", 1), "MaxNumberOfMessages", 1, 10)
        visibility = request.get("VisibilityTimeout")
        if visibility is not None:
            visibility = _int(visibility, "VisibilityTimeout", 0, MAX_VISIBILITY)
        system = set(request.get("MessageSystemAttributeNames") or []) | set(request.get("AttributeNames") or [])
        for name in system:
            if name not in SYSTEM_ATTRIBUTES:
                raise SqsError("InvalidAttributeName", f"Unknown Attribute {name}.")
        attribute_names = request.get("MessageAttributeNames") or []
        with self._lock:
            queue = self._url_queue(request)
            wait = request.get("WaitTimeSeconds")
            wait = queue.wait if wait is None else _int(wait, "WaitTimeSeconds", 0, MAX_WAIT,
                                                        "Must be >= 0 and <= 20, if provided.")
            deadline = time.time() + wait
            while True:
                now = time.time()
                messages = self._receive(queue, count, visibility, system, attribute_names, now)
                if messages or now >= deadline:
                    break
                due = queue.next_visible_at()
                queue.arrived.wait(min(deadline, due) - now if due is not None and due < deadline else deadline - now)
                if self._queues.get(queue.name) is not queue:  # deleted or purged while waiting
                    queue = self._url_queue(request)
        return {"Messages": messages} if messages else {}

    def _op_DeleteMessage(self, request: dict) -> dict:
        with self._lock:
            self._delete(self._url_queue(request), request.get("ReceiptHandle"))
        return {}

    def _op_DeleteMessageBatch(self, request: dict) -> dict:
        return self._batch(request, "DeleteMessageBatchRequestEntry",
                           lambda queue, entry: self._delete(queue, entry.get("ReceiptHandle")))

    def _op_ChangeMessageVisibility(self, request: dict) -> dict:
        with self._lock:
            self._change_visibility(self._url_queue(request), request.get("ReceiptHandle"),
                                    request.get("VisibilityTimeout"), time.time())
        return {}

    def _op_ChangeMessageVisibilityBatch(self, request: dict) -> dict:
        now = time.time()
        return self._batch(request, "ChangeMessageVisibilityBatchRequestEntry", lambda queue, entry: (
            self._change_visibility(queue, entry.get("ReceiptHandle"), entry.get("VisibilityTimeout"), now)))

    def _batch(self, request: dict, entry_name: str, each: Callable[[Queue, dict], dict | None],
               check: Callable[[list], None] | None = None) -> dict:
        """One of SQS's batch actions: the entries checked (then `check`), each done on its
        own under the lock; one whose `each` raises is answered in Failed with its error,
        the others in Successful with what `each` returned."""
        entries = request.get("Entries") or []
        self._check_batch(entries, entry_name)
        if check is not None:
            check(entries)
        successful, failed = [], []
        with self._lock:
            queue = self._url_queue(request)
            for entry in entries:
                try:
                    successful.append({"Id": entry["Id"], **(each(queue, entry) or {})})
                except SqsError as error:
                    failed.append({"Id": entry["Id"], "SenderFault": True, "Code": error.shape,
                                   "Message": error.message})
        return {"Successful": successful, "Failed": failed}

    @staticmethod
    def _check_batch(entries: list, entry_name: str) -> None:
        if not entries:
            raise SqsError("EmptyBatchRequest", f"There should be at least one {entry_name} in the request.")
        if len(entries) > 10:
            raise SqsError("TooManyEntriesInBatchRequest",
                           f"Maximum number of entries per request are 10. You have sent {len(entries)}.")
        seen = set()
        for entry in entries:
            entry_id = entry.get("Id")
            if not isinstance(entry_id, str) or not BATCH_ID.match(entry_id):
                raise SqsError("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, "
                                                      "hyphens and underscores. It can be at most 80 letters long.")
            if entry_id in seen:
                raise SqsError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
            seen.add(entry_id)

    # ---- the engine (all under self._lock) -----------------------------------------------

    def _queue(self, name: str) -> Queue:
        queue = self._queues.get(self.name_of(name) if "/" in name else name)
        if queue is None:
            raise SqsError("QueueDoesNotExist", "The specified queue does not exist.")
        return queue

    def _url_queue(self, request: dict) -> Queue:
        url = request.get("QueueUrl")
        if not url:
            raise SqsError("MissingParameter", "The request must contain the parameter QueueUrl.")
        return self._queue(url)

    def _journal(self, records: list[dict]) -> None:
        if self.journal is not None:
            self.journal.write(records)

    def _maybe_compact(self) -> None:
        """Rewrite the journal once it is mostly dead records; only where memory matches it."""
        if (self.journal is not None and self.journal.size > COMPACT_AFTER_BYTES + self._compact_base
                and self.journal.size > 4 * self._live_bytes):
            self._compact()

    def _compact(self) -> None:
        records = [m.record(q.name) for q in self._queues.values() for m in q.messages.values()]
        records += [r for messages in self._pending.values() for r in messages.values()]
        self.journal.replace(records)
        self._compact_base = self._live_bytes = self.journal.size

    def _send(self, queue: Queue, body: Any, attributes: dict | None, group: str | None, dedup: str | None,
              delay: Any, system: dict | None) -> dict:
        if body is None or body == "":
            raise SqsError("MissingParameter", "The request must contain the parameter MessageBody.")
        if not isinstance(body, str):
            raise invalid("The parameter MessageBody must be a string.")
        if INVALID_CHARACTERS.search(body):
            raise SqsError("InvalidMessageContents", "Invalid characters found.")
        attributes = _check_message_attributes(attributes) if attributes else None
        size = len(body.encode("utf-8")) + _attributes_size(attributes)
        if size > queue.max_size:
            raise invalid(f"One or more parameters are invalid. Reason: Message must be shorter than "
                          f"{queue.max_size} bytes.")
        trace = ((system or {}).get("AWSTraceHeader") or {}).get("StringValue")
        now = time.time()
        if queue.fifo:
            if delay not in (None, 0, "0"):
                raise invalid(f"Value {delay} for parameter DelaySeconds is invalid. Reason: The request include "
                              "parameter that is not valid for this queue type.")
            if not group:
                raise SqsError("MissingParameter", "The request must contain the parameter MessageGroupId.")
            if not dedup:
                if not queue.content_dedup:
                    raise invalid("The queue should either have ContentBasedDeduplication enabled or "
                                  "MessageDeduplicationId provided explicitly")
                dedup = hashlib.sha256(body.encode("utf-8")).hexdigest()
            key = (group if queue.dedup_by_group else "", dedup)
            while queue.dedup and next(iter(queue.dedup.values()))[0] <= now:
                queue.dedup.popitem(last=False)
            if key in queue.dedup:
                _, message_id, seq = queue.dedup[key]
                return self._send_answer(message_id, body, attributes, seq)
            delay = queue.delay
        else:
            if dedup:
                raise invalid("The request includes a parameter that is not valid for this queue type. "
                              "MessageDeduplicationId")
            delay = queue.delay if delay is None else _int(delay, "DelaySeconds", 0, MAX_DELAY,
                                                           "DelaySeconds must be >= 0 and <= 900.")
        seq = None
        if queue.fifo:
            self._seq += 1
            seq = f"{self._seq:020d}"
        message = Message(str(uuid.uuid4()), body, attributes, int(now * 1000), now + delay, group, dedup, seq,
                          trace)
        self._live_bytes += message.size
        self._journal([message.record(queue.name)])
        if queue.fifo:
            queue.dedup[(group if queue.dedup_by_group else "", dedup)] = (now + DEDUP_SECONDS, message.id, seq)
        self._enqueue(queue, message, now)
        self._maybe_compact()
        return self._send_answer(message.id, body, attributes, seq)

    @staticmethod
    def _send_answer(message_id: str, body: str, attributes: dict | None, seq: str | None) -> dict:
        answer = {"MessageId": message_id, "MD5OfMessageBody": md5_of_body(body)}
        if attributes:
            answer["MD5OfMessageAttributes"] = md5_of_attributes(attributes)
        if seq is not None:
            answer["SequenceNumber"] = seq
        return answer

    def _enqueue(self, queue: Queue, message: Message, now: float) -> None:
        """Place a new (or restored) message; wake whoever waits for it."""
        queue.messages[message.id] = message
        if message.dedup and queue.fifo and message.sent_ms / 1000 + DEDUP_SECONDS > now:
            key = (message.group if queue.dedup_by_group else "", message.dedup)
            queue.dedup.setdefault(key, (message.sent_ms / 1000 + DEDUP_SECONDS, message.id, message.seq))
        if queue.fifo:
            group = message.group or ""
            queue.groups.setdefault(group, deque()).append(message)
            if not queue.group_inflight.get(group):
                queue.ready_groups[group] = None
        if message.visible_at > now:
            message.state = DELAYED
            self._arm(queue, message)
        else:
            message.state = READY
            if not queue.fifo:
                queue.ready.append(message)
            self._wake(queue)
        queue.counts[message.state] += 1

    def _arm(self, queue: Queue, message: Message) -> None:
        message.gen += 1
        heapq.heappush(queue.timers, (message.visible_at, next(self._tiebreak), message, message.gen))

    def _wake(self, queue: Queue) -> None:
        queue.arrived.notify_all()
        self.changes += 1
        self._changed.notify_all()

    def _promote(self, queue: Queue, now: float) -> int:
        """Make visible every delayed or in-flight message whose time has come; how many."""
        timers, promoted = queue.timers, 0
        while timers and timers[0][0] <= now:
            _, _, message, gen = heapq.heappop(timers)
            if message.gone or message.gen != gen:
                continue
            self._make_visible(queue, message)
            promoted += 1
        return promoted

    def _make_visible(self, queue: Queue, message: Message) -> None:
        queue.counts[message.state] -= 1
        if message.state == INFLIGHT and queue.fifo:
            group = message.group or ""
            queue.group_inflight[group] -= 1
            if not queue.group_inflight[group]:
                del queue.group_inflight[group]
                queue.ready_groups[group] = None
        message.state = READY
        message.gen += 1  # any timer left for it is stale
        queue.counts[READY] += 1
        if not queue.fifo:
            queue.ready.append(message)

    def _receive(self, queue: Queue, count: int, visibility: int | None, system: set[str],
                 attribute_names: list[str], now: float) -> list[dict]:
        self._promote(queue, now)
        visibility = queue.visibility if visibility is None else visibility
        picked: list[Message] = []
        if queue.fifo:
            for group in list(queue.ready_groups):
                if len(picked) >= count:
                    break
                taken, messages, index = 0, queue.groups[group], 0
                while index < len(messages) and len(picked) < count:
                    message = messages[index]
                    if message.state != READY:
                        break
                    if self._expired_or_redriven(queue, message, now):
                        if group not in queue.groups:
                            break
                        continue  # removed: the next one moved to `index`
                    picked.append(message)
                    self._take(queue, message, visibility, now)
                    taken += 1
                    index += 1
                if taken:
                    queue.ready_groups.pop(group, None)
        else:
            ready = queue.ready
            while ready and len(picked) < count:
                message = ready.popleft()
                if message.gone or message.state != READY:
                    continue
                if self._expired_or_redriven(queue, message, now):
                    continue
                picked.append(message)
                self._take(queue, message, visibility, now)
        return [self._message_answer(queue, m, system, attribute_names) for m in picked]

    def _take(self, queue: Queue, message: Message, visibility: int, now: float) -> None:
        queue.counts[READY] -= 1
        queue.counts[INFLIGHT] += 1
        message.state = INFLIGHT
        message.receives += 1
        if message.first_receive_ms is None:
            message.first_receive_ms = int(now * 1000)
        message.visible_at = now + visibility
        self._arm(queue, message)
        if queue.fifo:
            group = message.group or ""
            queue.group_inflight[group] = queue.group_inflight.get(group, 0) + 1

    def _expired_or_redriven(self, queue: Queue, message: Message, now: float) -> bool:
        """Drop a message past the retention period; move one received maxReceiveCount times to the DLQ."""
        if message.sent_ms / 1000 + queue.retention <= now:
            self._remove(queue, message)
            return True
        if queue.max_receives is not None and message.receives >= queue.max_receives:
            dlq = self._queues.get(queue.dlq)
            if dlq is None:
                return False  # the DLQ was deleted: SQS keeps delivering
            moved = Message(message.id, message.body, message.attributes, message.sent_ms, now, message.group,
                            message.dedup, message.seq, message.trace, queue.arn)
            self._live_bytes += moved.size
            self._journal([moved.record(dlq.name)])  # before the removal: a crash between leaves a duplicate
            self._enqueue(dlq, moved, now)
            self._remove(queue, message)
            return True
        return False

    def _remove(self, queue: Queue, message: Message) -> None:
        del queue.messages[message.id]
        message.gone = True
        self._live_bytes -= message.size
        queue.counts[message.state] -= 1
        if queue.fifo:
            group = message.group or ""
            messages = queue.groups[group]
            messages.remove(message)
            if message.state == INFLIGHT:
                queue.group_inflight[group] -= 1
                if not queue.group_inflight[group]:
                    del queue.group_inflight[group]
                    if messages:
                        queue.ready_groups[group] = None
            if not messages:
                del queue.groups[group]
                queue.ready_groups.pop(group, None)
        self._journal([{"o": "d", "q": queue.name, "i": message.id}])
        self._maybe_compact()

    def _drop_all(self, queue: Queue) -> None:
        for message in queue.messages.values():
            message.gone = True
            self._live_bytes -= message.size
        if queue.messages:
            queue.messages.clear()
            self._journal([{"o": "p", "q": queue.name}])
            self._maybe_compact()

    def _message_answer(self, queue: Queue, message: Message, system: set[str], attribute_names: list[str]) -> dict:
        answer = {"MessageId": message.id, "ReceiptHandle": self._receipt(queue, message),
                  "MD5OfBody": message.md5_body, "Body": message.body}
        if system:
            every = "All" in system
            values = {"SenderId": SENDER_ID, "SentTimestamp": str(message.sent_ms),
                      "ApproximateReceiveCount": str(message.receives),
                      "ApproximateFirstReceiveTimestamp": str(message.first_receive_ms)}
            for name, value in (("MessageGroupId", message.group), ("MessageDeduplicationId", message.dedup),
                                ("SequenceNumber", message.seq), ("AWSTraceHeader", message.trace),
                                ("DeadLetterQueueSourceArn", message.dlq_source)):
                if value is not None:
                    values[name] = value
            picked = values if every else {k: v for k, v in values.items() if k in system}
            if picked:
                answer["Attributes"] = picked
        if message.attributes and attribute_names:
            if "All" in attribute_names or ".*" in attribute_names:
                attributes = message.attributes
            else:
                prefixes = tuple(n[:-1] for n in attribute_names if n.endswith(".*"))
                attributes = {k: v for k, v in message.attributes.items()
                              if k in attribute_names or (prefixes and k.startswith(prefixes))}
            if attributes:
                answer["MD5OfMessageAttributes"] = (message.md5_attributes if attributes is message.attributes
                                                    else md5_of_attributes(attributes))
                answer["MessageAttributes"] = {k: dict(v) for k, v in attributes.items()}
        return answer

    @staticmethod
    def _receipt(queue: Queue, message: Message) -> str:
        raw = f"{queue.name} {message.id} {message.receives} {secrets.token_hex(8)}"
        return base64.urlsafe_b64encode(raw.encode()).decode()

    def _find(self, queue: Queue, receipt_handle: Any) -> Message | None:
        """The message a receipt handle names (None: deleted since); any handle it was given works."""
        try:
            name, message_id, _, _ = base64.urlsafe_b64decode(str(receipt_handle).encode()).decode().split(" ")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            name = message_id = None
        if name != queue.name:
            raise SqsError("ReceiptHandleIsInvalid",
                           f'The input receipt handle "{receipt_handle}" is not a valid receipt handle.')
        return queue.messages.get(message_id)

    def _delete(self, queue: Queue, receipt_handle: Any) -> None:
        if not receipt_handle:
            raise SqsError("MissingParameter", "The request must contain the parameter ReceiptHandle.")
        message = self._find(queue, receipt_handle)
        if message is not None:  # deleting a deleted message succeeds, as on SQS
            self._remove(queue, message)

    def _change_visibility(self, queue: Queue, receipt_handle: Any, seconds: Any, now: float) -> None:
        if not receipt_handle:
            raise SqsError("MissingParameter", "The request must contain the parameter ReceiptHandle.")
        seconds = _int(seconds, "VisibilityTimeout", 0, MAX_VISIBILITY,
                       f"Total VisibilityTimeout for the message is beyond the limit [{MAX_VISIBILITY} seconds]")
        message = self._find(queue, receipt_handle)
        self._promote(queue, now)
        if message is None:
            raise invalid(f"Value {receipt_handle} for parameter ReceiptHandle is invalid. Reason: Message does not "
                          "exist or is not available for visibility timeout change.")
        if message.state != INFLIGHT:
            raise SqsError("MessageNotInflight", "The message referred to is not in flight.")
        if seconds == 0:
            self._make_visible(queue, message)
            self._wake(queue)
        else:
            message.visible_at = now + seconds
            self._arm(queue, message)


def _check_message_attributes(attributes: Any) -> dict:
    if not isinstance(attributes, dict):
        raise invalid("The message attributes must be a map.")
    if len(attributes) > 10:
        raise invalid(f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [10].")
    checked = {}
    for name, value in attributes.items():
        if (not ATTRIBUTE_NAME.match(name) or ".." in name or name.startswith(".") or name.endswith(".")
                or name.lower().startswith(("aws.", "amazon."))):
            raise invalid(f"The message attribute name '{name}' is invalid. Attribute name can contain A-Z, a-z, "
                          "0-9, underscore (_), hyphen (-), and period (.) characters.")
        data_type = (value or {}).get("DataType") or ""
        if data_type.split(".", 1)[0] not in ("String", "Number", "Binary"):
            raise invalid(f"The message attribute '{name}' has an invalid message attribute type, the set of "
                          "supported type prefixes is Binary, Number, and String.")
        if data_type.startswith("Binary"):
            binary = value.get("BinaryValue")
            if not binary:
                raise invalid(f"The message attribute '{name}' must contain non-empty message attribute value "
                              f"for message attribute type '{data_type}'.")
            try:
                base64.b64decode(binary, validate=True)
            except (binascii.Error, TypeError, ValueError):
                raise invalid(f"The message attribute '{name}' has a BinaryValue that is not base64.") from None
            checked[name] = {"DataType": data_type, "BinaryValue": binary}
        else:
            string = value.get("StringValue")
            if not isinstance(string, str) or string == "":
                raise invalid(f"The message attribute '{name}' must contain non-empty message attribute value "
                              f"for message attribute type '{data_type}'.")
            if INVALID_CHARACTERS.search(string):
                raise SqsError("InvalidMessageContents", "Invalid characters found.")
            if data_type.startswith("Number"):
                try:
                    float(string)
                except ValueError:
                    raise invalid(f"Can't cast the value of message (user) attribute '{name}' to a number.") from None
            checked[name] = {"DataType": data_type, "StringValue": string}
    return checked


def _attributes_size(attributes: dict | None) -> int:
    size = 0
    for name, value in (attributes or {}).items():
        size += len(name.encode("utf-8")) + len(str(value.get("DataType", "")).encode("utf-8"))
        if "StringValue" in value:
            size += len(str(value["StringValue"]).encode("utf-8", "surrogatepass"))
        elif value.get("BinaryValue"):
            size += len(value["BinaryValue"]) * 3 // 4
    return size


def _encode_binary(attributes: dict) -> dict:
    """boto3's form (BinaryValue bytes) to the wire's (base64 text)."""
    return {name: ({**value, "BinaryValue": base64.b64encode(value["BinaryValue"]).decode()}
                   if isinstance(value.get("BinaryValue"), (bytes, bytearray)) else value)
            for name, value in attributes.items()}
