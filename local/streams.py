"""DynamoDB Streams consumers: the template's pipes and `Type: DynamoDB` event-source mappings.

DynamoDB Local keeps each table's stream; nothing reads it. Here one thread per consumer
(per pipe, per mapping) reads its table's shards the way Lambda's and Pipes' pollers do:
records in order per shard, in batches, filtered, a failing batch retried (blocking its
shard) up to MaximumRetryAttempts and then described on the dead-letter / on-failure
queue and skipped. Each consumer's position per shard is kept in `streams.json` in the
state dir (written atomically after every batch), so a restarted stack resumes where it
stopped: nothing is delivered twice, nothing skipped.

An idle consumer polls every IDLE_POLL_SECONDS and polls again at once while records
flow, so a write reaches its consumer within about that long.
"""
from __future__ import annotations

import json
import re
import sys
import threading
import time
import uuid
from base64 import b64encode
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from moto.events.models import EventPattern

from .cfn import ACCOUNT, REGION, Stack, StreamSource
from .state import write_atomic
from .usage import Tally

CHECKPOINTS = "streams.json"
IDLE_POLL_SECONDS = 0.1
SHARD_REFRESH_SECONDS = 2.0  # how often DescribeStream looks for new (child) shards
READ_LIMIT = 1000  # records per GetRecords, DynamoDB's maximum
MAX_BACKOFF_SECONDS = 5.0
PUT_EVENTS_LIMIT = 10  # entries per PutEvents call
# The EventBridge pattern operators moto's matcher implements; it matches an unknown one
# silently, so anything else is refused when the stack starts.
KNOWN_OPERATORS = {"prefix", "suffix", "anything-but", "numeric", "exists", "equals-ignore-case", "cidr", "wildcard"}


class StreamConfigError(ValueError):
    """A consumer the local stack cannot run as declared; the message says why."""


def _check_pattern(consumer_id: str, text: str) -> EventPattern:
    try:
        pattern = EventPattern.load(text)
    except Exception as exc:
        raise StreamConfigError(f"{consumer_id}: FilterCriteria pattern {text!r} is not a valid event pattern: {exc}") from None

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$or":
                    for branch in value:
                        walk(branch)
                else:
                    walk(value)
        elif isinstance(node, list):
            for rule in node:
                if isinstance(rule, dict):
                    unknown = set(rule) - KNOWN_OPERATORS
                    if unknown:
                        raise StreamConfigError(f"{consumer_id}: FilterCriteria pattern {text!r} uses "
                                                f"{sorted(unknown)}, which the local stack cannot match")

    walk(pattern.get_pattern())
    return pattern


def _plain(value: Any) -> Any:
    """A boto3 stream record as Lambda sends it: binary as base64 text, times as epoch seconds."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return b64encode(value).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def aws_arn(stream_arn: str) -> str:
    """DynamoDB Local's stream ARN (region `ddblocal`, account 0) in this stack's region and account."""
    return re.sub(r"^arn:aws:dynamodb:[^:]*:[^:]*:", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:", stream_arn)


def _iso(epoch: float, millis: bool = False) -> str:
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{moment.microsecond // 1000:03d}" if millis else "") + "Z"


def _lookup(record: Any, path: str) -> Any:
    """`$.dynamodb.Keys.id.S` (dots, and [n] for list items) in a record; None if absent."""
    value = record
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path.removeprefix("$")):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def dynamic(value: str | None, record: dict) -> str | None:
    """A target parameter: a dynamic path parameter (a value that is wholly a JSON path,
    `$.dynamodb.NewImage.event.S`) is replaced by what the record holds there (nothing if
    it holds nothing, or no string); any other value is used as it is."""
    if value is None or not value.startswith("$."):
        return value
    found = _lookup(record, value)
    return found if isinstance(found, str) and found else None


def render_template(template: str, record: dict, variables: dict[str, Any]) -> str:
    """Pipes' input transformation: `<$.json.path>` and `<aws.pipes.*>` placeholders. Inside a
    JSON string a placeholder becomes text; elsewhere it becomes the value as JSON."""
    out: list[str] = []
    in_string = False
    i = 0
    while i < len(template):
        char = template[i]
        match = re.match(r"<(\$[^<>]*|aws\.pipes\.[a-z.-]+)>", template[i:]) if char == "<" else None
        if match:
            name = match.group(1)
            if name.startswith("$"):
                value = _lookup(record, name)
            elif name in variables:
                value = variables[name]
            else:
                raise StreamConfigError(f"InputTemplate: unknown variable <{name}>")
            if in_string:
                text = value if isinstance(value, str) else json.dumps(value)
                out.append(json.dumps(text)[1:-1])
            else:
                out.append(json.dumps(value))
            i += len(match.group(0))
            continue
        if char == '"' and (i == 0 or template[i - 1] != "\\"):
            in_string = not in_string
        out.append(char)
        i += 1
    return "".join(out)


class Checkpoints:
    """Every consumer's position per shard, in one JSON file written atomically:
    {consumer id: {"stream": ARN, "shards": {shard id: {"after": sequence number | None,
    "done": bool}}}}. "after" None means from the shard's first record."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self.data: dict[str, dict] = {}
        if path.exists():
            try:
                self.data = json.loads(path.read_text())
                assert isinstance(self.data, dict)
            except (ValueError, AssertionError):
                raise StreamConfigError(f"{path} is not a stream checkpoint file (corrupt?): move it away to start "
                                        "every consumer afresh from its StartingPosition") from None

    def consumer(self, consumer_id: str, stream_arn: str) -> dict[str, dict]:
        """The consumer's shard positions; empty (a fresh start) if it last read another stream
        (the table was deleted and made again)."""
        with self._lock:
            entry = self.data.get(consumer_id)
            if entry is None or entry.get("stream") != stream_arn:
                if entry is not None:
                    print(f"streams: {consumer_id} read {entry.get('stream')}, its table now has {stream_arn}: "
                          "starting that stream afresh", file=sys.stderr, flush=True)
                entry = self.data[consumer_id] = {"stream": stream_arn, "shards": {}}
            return dict(entry["shards"])

    def update(self, consumer_id: str, shards: dict[str, dict | None]) -> None:
        """Set (or with None, forget) shard positions of a consumer and write the file. Under
        the lock: other consumers' threads write the same file."""
        with self._lock:
            positions = self.data[consumer_id]["shards"]
            for shard_id, position in shards.items():
                if position is None:
                    positions.pop(shard_id, None)
                else:
                    positions[shard_id] = position
            write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True).encode())


class _Shard:
    """What a consumer holds in memory for one shard: its iterator, records read but not yet
    handled, and the current retry state."""

    def __init__(self, shard_id: str, parent_id: str | None):
        self.shard_id, self.parent_id = shard_id, parent_id
        self.iterator: str | None = None
        self.buffer: list[dict] = []
        self.closed = False  # GetRecords returned no next iterator: nothing more will come
        self.attempts = 0  # failed attempts of the batch at the head of the buffer
        self.limit: int | None = None  # a smaller batch while bisecting
        self.retry_at = 0.0
        self.first_buffered_at = 0.0


class Consumer:
    """One pipe or event-source mapping reading one table's stream."""

    def __init__(self, owner: StreamSources, source: StreamSource):
        self.owner, self.source = owner, source
        self.patterns = [_check_pattern(source.consumer_id, p) for p in source.filters]
        self.stream_arn: str | None = None
        if source.input_template:
            render_template(source.input_template, {}, self.template_variables({}))  # refuses unknown names now
        self.positions: dict[str, dict] = {}
        self.shards: dict[str, _Shard] = {}
        self.refreshed_at = 0.0
        self.from_start = False  # a stream that appeared while running: ignore StartingPosition
        self._warned = False

    # ------------------------------------------------------------------ shards

    def _find_stream(self) -> bool:
        """Attach to the table's stream. A stream disabled and enabled again is a new stream
        (a new ARN): once the old one is read to its end, follow the new one from its start."""
        table = self.owner.dynamodb.describe_table(TableName=self.source.table_name)["Table"]
        arn = table.get("LatestStreamArn")
        if not arn:
            if not self._warned:
                print(f"streams: {self.source.consumer_id}: table {self.source.table_name} has no stream",
                      file=sys.stderr, flush=True)
                self._warned = True
            return False
        if arn != self.stream_arn:
            if self.stream_arn is not None:
                if not all(p["done"] for p in self.positions.values()):
                    return True  # finish the old stream first
                print(f"streams: {self.source.consumer_id}: table {self.source.table_name} has a new stream; "
                      "reading it from its first record", file=sys.stderr, flush=True)
                self.from_start = True
            self.stream_arn, self.shards = arn, {}
            self.positions = self.owner.checkpoints.consumer(self.source.consumer_id, arn)
        return True

    def _refresh_shards(self) -> None:
        streams = self.owner.streams
        described: list[dict] = []
        request = {"StreamArn": self.stream_arn}
        while True:
            page = streams.describe_stream(**request)["StreamDescription"]
            described += page["Shards"]
            if not page.get("LastEvaluatedShardId"):
                break
            request["ExclusiveStartShardId"] = page["LastEvaluatedShardId"]
        fresh = not self.positions
        latest = fresh and self.source.starting_position == "LATEST" and not self.from_start
        changes: dict[str, dict | None] = {}
        for shard in described:
            shard_id = shard["ShardId"]
            if shard_id not in self.shards:
                self.shards[shard_id] = _Shard(shard_id, shard.get("ParentShardId"))
            if shard_id not in self.positions:
                # A consumer's first start honours StartingPosition (LATEST: past the last
                # record now in an open shard; closed shards are history). A shard that
                # appears later (a child after a rollover) is read from its first record.
                closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
                changes[shard_id] = {"after": self._latest_sequence(shard_id) if latest and not closed else None,
                                     "done": latest and closed}
        # Shards that left the stream (trimmed after 24 h) need no position any more.
        changes.update({gone: None for gone in set(self.positions) - {s["ShardId"] for s in described}})
        for gone in set(self.shards) - {s["ShardId"] for s in described}:
            del self.shards[gone]
        if changes:
            self._save(changes)
        self.refreshed_at = time.monotonic()

    def _save(self, changes: dict[str, dict | None]) -> None:
        for shard_id, position in changes.items():
            if position is None:
                self.positions.pop(shard_id, None)
            else:
                self.positions[shard_id] = position
        self.owner.checkpoints.update(self.source.consumer_id, changes)

    def _latest_sequence(self, shard_id: str) -> str | None:
        """The last record now in a shard, so LATEST is a position a restart can resume from."""
        streams = self.owner.streams
        iterator = streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id,
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        last = None
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
            if not page["Records"]:
                break
            last = page["Records"][-1]["dynamodb"]["SequenceNumber"]
            iterator = page.get("NextShardIterator")
        return last

    def _readable(self, shard: _Shard) -> bool:
        """A child shard waits until its parent is read to the end (order across a rollover)."""
        if self.positions[shard.shard_id]["done"]:
            return False
        parent = self.positions.get(shard.parent_id) if shard.parent_id else None
        return parent is None or parent["done"] or shard.parent_id not in self.shards

    def _read(self, shard: _Shard, retried: bool = False) -> None:
        streams = self.owner.streams
        position = self.positions[shard.shard_id]
        if shard.iterator is None:
            args = {"StreamArn": self.stream_arn, "ShardId": shard.shard_id}
            # After what is already buffered (an iterator expired), else after the checkpoint.
            after = shard.buffer[-1]["dynamodb"]["SequenceNumber"] if shard.buffer else position["after"]
            if after:
                args.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
            else:
                args.update(ShardIteratorType="TRIM_HORIZON")
            try:
                shard.iterator = streams.get_shard_iterator(**args)["ShardIterator"]
            except streams.exceptions.TrimmedDataAccessException:
                print(f"streams: {self.source.consumer_id}: records after {after} in {shard.shard_id} "
                      "left the stream (older than 24 h) before they were read: continuing from the oldest left",
                      file=sys.stderr, flush=True)
                shard.iterator = streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard.shard_id,
                                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        try:
            page = streams.get_records(ShardIterator=shard.iterator, Limit=READ_LIMIT)
            self.owner.get_records.add(self.source.kind)
        except streams.exceptions.ExpiredIteratorException:
            shard.iterator = None  # 15 minutes idle: the next read asks for a new one at the checkpoint
            return
        except streams.exceptions.TrimmedDataAccessException:
            # The iterator points at records that left the stream: read again with a new one
            # from the checkpoint (which says so if those records are gone too).
            if retried:
                raise
            shard.iterator = None
            self._read(shard, retried=True)
            return
        if page["Records"] and not shard.buffer:
            shard.first_buffered_at = time.monotonic()
        shard.buffer += [self._record(r) for r in page["Records"]]
        shard.iterator = page.get("NextShardIterator")
        shard.closed = shard.iterator is None

    def template_variables(self, record: dict) -> dict[str, Any]:
        """The reserved `<aws.pipes.*>` variables of an InputTemplate."""
        source = self.source
        target = (f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{source.bus_name}" if source.bus_name else
                  f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.owner.stack.names.get(source.function_id)}")
        return {"aws.pipes.pipe-arn": source.arn, "aws.pipes.pipe-name": source.arn.rsplit("/", 1)[-1],
                "aws.pipes.source-arn": aws_arn(self.stream_arn or ""), "aws.pipes.target-arn": target,
                "aws.pipes.event.ingestion-time": _iso(time.time(), millis=True),
                "aws.pipes.event": record, "aws.pipes.event.json": record}

    def _record(self, raw: dict) -> dict:
        record = _plain(raw)
        record["awsRegion"] = REGION
        record["eventSourceARN"] = aws_arn(self.stream_arn)
        return record

    # ------------------------------------------------------------------ delivery

    def poll_once(self) -> bool:
        """Deliver what is waiting on every readable shard; True if anything was read or delivered."""
        if time.monotonic() - self.refreshed_at > SHARD_REFRESH_SECONDS:
            if not self._find_stream():
                self.refreshed_at = time.monotonic()
                return False
            self._refresh_shards()
        busy = False
        for shard in list(self.shards.values()):
            if shard.shard_id in self.positions and self._readable(shard):
                busy |= self._work(shard)
        return busy

    def discard_pending(self) -> int:
        """Move past every record now in the stream without delivering any (a consumer that
        must start where its caller starts, on a stream it has read before); how many."""
        discarded, self.refreshed_at = 0, 0.0
        while True:
            if time.monotonic() - self.refreshed_at > SHARD_REFRESH_SECONDS:
                if not self._find_stream():
                    return discarded
                self._refresh_shards()
            moved = 0
            for shard in list(self.shards.values()):
                if shard.shard_id in self.positions and self._readable(shard):
                    if not shard.closed:
                        self._read(shard)
                    if shard.buffer:
                        moved += len(shard.buffer)
                        self._commit(shard, len(shard.buffer))
            if not moved:
                return discarded
            discarded += moved

    def _matches(self, record: dict) -> bool:
        return not self.patterns or any(p.matches_event(record) for p in self.patterns)

    def _work(self, shard: _Shard) -> bool:
        if time.monotonic() < shard.retry_at:
            return False
        busy = False
        if len(shard.buffer) < READ_LIMIT and not shard.closed:
            before = len(shard.buffer)
            self._read(shard)
            busy = len(shard.buffer) > before
        # Records no filter matches are dropped (and checkpointed past), never delivered.
        skipped = 0
        while skipped < len(shard.buffer) and not self._matches(shard.buffer[skipped]):
            skipped += 1
        if skipped:
            self._commit(shard, skipped)
            busy = True
        batch: list[dict] = []
        taken = 0  # buffer records the batch spans, filtered ones between its records included
        limit = shard.limit or self.source.batch_size
        for record in shard.buffer:
            if len(batch) == limit:
                break
            taken += 1
            if self._matches(record):
                batch.append(record)
        if not batch:
            if shard.closed and not shard.buffer:
                self._save({shard.shard_id: {**self.positions[shard.shard_id], "done": True}})
                self.refreshed_at = 0.0  # look for its children now
                return True
            return busy
        window = self.source.batching_window
        if (len(batch) < limit and window and not shard.closed and shard.attempts == 0
                and time.monotonic() - shard.first_buffered_at < window):
            return busy  # wait for a fuller batch, up to MaximumBatchingWindowInSeconds
        self._deliver(shard, batch, taken)
        return True

    def _commit(self, shard: _Shard, count: int) -> None:
        """The first `count` buffered records are handled: move the checkpoint past them."""
        self._save({shard.shard_id: {**self.positions[shard.shard_id],
                                     "after": shard.buffer[count - 1]["dynamodb"]["SequenceNumber"]}})
        del shard.buffer[:count]
        shard.first_buffered_at = time.monotonic()

    def _deliver(self, shard: _Shard, batch: list[dict], taken: int) -> None:
        source = self.source
        try:
            failed_from = self._send(batch)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            failed_from, function_error = 0, True
        else:
            error, function_error = "reported batch item failures", False
        if failed_from is None:
            self._commit(shard, taken)
            shard.attempts, shard.limit = 0, None
            return
        if failed_from > 0:
            # ReportBatchItemFailures: everything before the first failed record is done.
            done = shard.buffer.index(batch[failed_from])
            self._commit(shard, done)
            batch, taken = batch[failed_from:], taken - done
        if function_error and source.bisect_on_error and len(batch) > 1:
            shard.limit = len(batch) // 2  # halving does not count as a retry (Lambda, Pipes)
            print(f"streams: {source.consumer_id}: a batch of {len(batch)} failed ({error}); retrying its first half",
                  file=sys.stderr, flush=True)
            return
        shard.attempts += 1
        if source.max_retries != -1 and shard.attempts > source.max_retries:
            self._give_up(shard, batch, taken, function_error)
            return
        shard.retry_at = time.monotonic() + min(IDLE_POLL_SECONDS * 2 ** (shard.attempts - 1), MAX_BACKOFF_SECONDS)
        print(f"streams: {source.consumer_id}: batch of {len(batch)} from {shard.shard_id} failed ({error}); "
              f"retry {shard.attempts}" + (f" of {source.max_retries}" if source.max_retries != -1 else ""),
              file=sys.stderr, flush=True)

    def _send(self, batch: list[dict]) -> int | None:
        """Deliver a batch; None if all of it succeeded, else the index of the first failed
        record (ReportBatchItemFailures). Raises if the whole batch failed."""
        source = self.source
        if source.bus_name:
            self._put_events(batch)
            return None
        if source.kind == "pipe":
            self.owner.invoke(source.function_id, batch)  # Pipes send a Lambda target a JSON array
            return None
        result = self.owner.invoke(source.function_id, {"Records": batch})
        if not source.report_batch_item_failures or not isinstance(result, dict):
            return None
        failures = result.get("batchItemFailures") or []
        if not failures:
            return None
        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
        failed = [str(f.get("itemIdentifier") if isinstance(f, dict) else None) for f in failures]
        if any(f not in sequence_numbers for f in failed):
            raise ValueError(f"batchItemFailures names {failed}, not all sequence numbers of this batch")
        return min(sequence_numbers.index(f) for f in failed)

    def _put_events(self, batch: list[dict]) -> None:
        source = self.source
        entries = []
        for record in batch:
            detail = (render_template(source.input_template, record, self.template_variables(record))
                      if source.input_template else json.dumps(record))
            self.owner.pipe_requests.add(source.consumer_id, max(1, -(-len(detail.encode()) // 65_536)))
            entries.append({"EventBusName": source.bus_name, "Resources": [source.arn], "Detail": detail,
                            # Pipes' defaults when the target parameters name none
                            "Source": dynamic(source.event_source, record) or f"Pipe {source.arn.rsplit('/', 1)[-1]}",
                            "DetailType": dynamic(source.detail_type, record) or "Event from aws:dynamodb"})
        for start in range(0, len(entries), PUT_EVENTS_LIMIT):
            answer = self.owner.events.put_events(Entries=entries[start:start + PUT_EVENTS_LIMIT])
            if answer.get("FailedEntryCount"):
                errors = {e.get("ErrorCode") for e in answer["Entries"] if e.get("ErrorCode")}
                raise RuntimeError(f"PutEvents refused {answer['FailedEntryCount']} entries: {sorted(errors)}")

    def _give_up(self, shard: _Shard, batch: list[dict], taken: int, function_error: bool) -> None:
        """Retries exhausted: describe the batch on the failure queue (as Lambda and Pipes do:
        where it is in the stream, not the records) and move past it."""
        source = self.source
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        info = {
            "shardId": shard.shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso(first["ApproximateCreationDateTime"]),
            "approximateArrivalOfLastRecord": _iso(last["ApproximateCreationDateTime"]),
            "batchSize": len(batch),
            "streamArn": aws_arn(self.stream_arn),
        }
        if source.kind == "pipe":
            message = {"context": {"partnerResourceArn": source.arn, "condition": "RetryAttemptsExhausted"}}
        else:
            response = {"statusCode": 200, "executedVersion": "$LATEST"}
            if function_error:
                response["functionError"] = "Unhandled"
            message = {"requestContext": {"requestId": str(uuid.uuid4()), "functionArn": source.arn,
                                          "condition": "RetryAttemptsExhausted", "approximateInvokeCount": shard.attempts},
                       "responseContext": response}
        message.update(version="1.0", timestamp=_iso(time.time(), millis=True), DDBStreamBatchInfo=info)
        if source.on_failure_url:
            self.owner.sqs.send_message(QueueUrl=source.on_failure_url, MessageBody=json.dumps(message))
        print(f"streams: {source.consumer_id}: gave up on {len(batch)} records of {shard.shard_id} "
              f"({info['startSequenceNumber']}..{info['endSequenceNumber']}) after {shard.attempts} attempts"
              + (" (described on the failure queue)" if source.on_failure_url else " (skipped: no failure queue)"),
              file=sys.stderr, flush=True)
        self._commit(shard, taken)
        shard.attempts, shard.limit = 0, None


class StreamSources:
    """Runs every stream consumer of the stack, each on its own thread.

    `invoke(function_id, event)` returns the handler's result or raises when it fails.
    `endpoints` names where DynamoDB (and its streams) and any other service answer
    ({"dynamodb": DynamoDB Local's URL}); services not named use the session's default.
    """

    def __init__(self, session: Any, stack: Stack, invoke: Callable[[str, Any], Any], state_dir: Path,
                 endpoints: dict[str, str] | None = None):
        endpoints = endpoints or {}

        def client(service: str, endpoint_of: str | None = None) -> Any:
            return session.client(service, region_name=REGION, endpoint_url=endpoints.get(endpoint_of or service))

        self.stack, self.invoke = stack, invoke
        self.dynamodb = client("dynamodb")
        self.streams = client("dynamodbstreams", "dynamodb" if "dynamodbstreams" not in endpoints else None)
        self.events, self.sqs = client("events"), client("sqs")
        self.checkpoints = Checkpoints(Path(state_dir) / CHECKPOINTS)
        self.consumers = [Consumer(self, source) for source in stack.stream_sources]
        # GetRecords calls by kind of consumer: free for Lambda's, billed for a pipe's (local/usage.py)
        self.get_records = Tally()
        # Pipes bill each record that passes their filter (per 64 KB): by pipe
        self.pipe_requests = Tally()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stop.clear()
        self._threads = [threading.Thread(target=self._run, args=(c,), name=f"stream {c.source.consumer_id}", daemon=True)
                         for c in self.consumers]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Let each consumer finish the batch it is delivering (and checkpoint it), then end."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _run(self, consumer: Consumer) -> None:
        while not self._stop.is_set():
            try:
                busy = consumer.poll_once()
            except Exception as exc:  # DynamoDB Local restarting, a broken pipe target: say so, keep polling
                print(f"streams: {consumer.source.consumer_id}: {exc!r}", file=sys.stderr, flush=True)
                busy = False
                self._stop.wait(1.0)
            if not busy:
                self._stop.wait(IDLE_POLL_SECONDS)
