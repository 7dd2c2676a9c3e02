"""What survives a restart: every DynamoDB item, SQS message and S3 object.

moto keeps everything in memory, so the state dir holds a snapshot: `state.json` (items,
messages, and an index of S3 objects) plus `s3/<etag>` files with the object bodies,
named by content so unchanged objects are never rewritten. A snapshot is taken under the
runtime lock (one consistent cut), written to a temporary file and renamed over the old
one, so a crash leaves either the previous snapshot or the new one, never half of each.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import threading
from pathlib import Path
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.utilities import dynamo_json_dump
from moto.sqs.models import sqs_backends

from .cfn import ACCOUNT, REGION

SNAPSHOT = "state.json"
# The layout of the data the services write. Bump it when items written by older code
# would be wrong under the new code (issue 4: conversation count buckets and inbox keys);
# an older snapshot is then set aside and the stack starts fresh, with a new seed.
DATA_FORMAT = 2
AUTOSAVE_SECONDS = 1.0


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def widget_token_secret(state_dir: Path) -> str:
    """A random secret made on first start and kept, so widget tokens survive restarts."""
    path = state_dir / "widget_token_secret"
    if not path.exists():
        write_atomic(path, secrets.token_urlsafe(48).encode())
    return path.read_text().strip()


def _encode(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"$b64": base64.b64encode(value).decode()}
    raise TypeError(f"cannot snapshot {type(value).__name__}")


def _decode(obj: dict) -> Any:
    if len(obj) == 1 and isinstance(obj.get("$b64"), str):
        return base64.b64decode(obj["$b64"])
    return obj


def _from_wire(value: dict) -> dict:
    """A DynamoDB wire-JSON value as boto3 takes it: binary as bytes, not base64."""
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) for v in inner]}
    if kind == "M":
        return {"M": {k: _from_wire(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_from_wire(v) for v in inner]}
    return value


class Snapshots:
    def __init__(self, session: Any, lock: threading.RLock, state_dir: Path):
        self.lock = lock
        self.path = state_dir / SNAPSHOT
        self.blobs = state_dir / "s3"
        self.dynamodb, self.sqs, self.s3 = (session.client(s, region_name=REGION) for s in ("dynamodb", "sqs", "s3"))
        self._objects: dict[tuple[str, str, str], dict] = {}  # (bucket, key, etag) -> what was saved

    # ------------------------------------------------------------ save

    def save(self) -> None:
        with self.lock:
            tables, queues, buckets = self._tables(), self._queues(), self._buckets()
        snapshot = {"format": DATA_FORMAT, "dynamodb": {name: json.loads(items) for name, items in tables.items()}, "sqs": queues, "s3": buckets}
        write_atomic(self.path, json.dumps(snapshot, default=_encode).encode())
        self._drop_unused_blobs(buckets)

    def _tables(self) -> dict[str, str]:
        """Every table's items as DynamoDB wire JSON, read from moto directly: 25 times
        faster than a Scan through boto3, which matters while the lock is held."""
        tables = dynamodb_backends[ACCOUNT][REGION].tables
        return {name: dynamo_json_dump([item.to_json()["Attributes"] for item in table.all_items()])
                for name, table in tables.items()}

    def _queues(self) -> dict[str, list[dict]]:
        # SQS has no way to read messages without receiving them (which would count
        # towards redrive), so read moto's queues directly.
        queues = sqs_backends[ACCOUNT][REGION].queues
        return {name: [{"body": m.body, "attributes": m.message_attributes, "group_id": m.group_id,
                        "deduplication_id": m.deduplication_id} for m in queue._messages]
                for name, queue in queues.items() if queue._messages}

    def _buckets(self) -> dict[str, dict[str, dict]]:
        self.blobs.mkdir(exist_ok=True)
        seen: set[tuple[str, str, str]] = set()
        buckets: dict[str, dict[str, dict]] = {}
        for bucket in (b["Name"] for b in self.s3.list_buckets().get("Buckets", [])):
            objects = buckets[bucket] = {}
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    etag = item["ETag"].strip('"')
                    known = (bucket, item["Key"], etag)
                    if known not in self._objects:
                        got = self.s3.get_object(Bucket=bucket, Key=item["Key"])
                        write_atomic(self.blobs / etag, got["Body"].read())
                        self._objects[known] = {"etag": etag, "content_type": got.get("ContentType"),
                                                "metadata": got.get("Metadata") or {}}
                    objects[item["Key"]] = self._objects[known]
                    seen.add(known)
        self._objects = {k: v for k, v in self._objects.items() if k in seen}
        return buckets

    def _drop_unused_blobs(self, buckets: dict[str, dict[str, dict]]) -> None:
        used = {o["etag"] for objects in buckets.values() for o in objects.values()}
        for blob in self.blobs.iterdir():
            if blob.name not in used and not blob.name.startswith("."):
                blob.unlink(missing_ok=True)

    # ------------------------------------------------------------ restore

    def restore(self) -> int:
        """Load the last snapshot into the freshly built stack; the number of items."""
        if not self.path.exists():
            return 0
        snapshot = json.loads(self.path.read_text(), object_hook=_decode)
        if snapshot.get("format", 1) != DATA_FORMAT:
            kept = self.path.with_name(f"{SNAPSHOT}.format-{snapshot.get('format', 1)}")
            os.replace(self.path, kept)
            print(f"state: {self.path} was written by an older Parley (data format {snapshot.get('format', 1)}, "
                  f"now {DATA_FORMAT}); it is kept as {kept.name} and the stack starts fresh", file=sys.stderr)
            return 0
        tables = set(self.dynamodb.list_tables()["TableNames"])
        count = 0
        for name, items in snapshot.get("dynamodb", {}).items():
            if name not in tables:
                print(f"state: table {name} is no longer in template.yaml; its {len(items)} items are dropped",
                      file=sys.stderr)
                continue
            for start in range(0, len(items), 25):
                batch = [{"PutRequest": {"Item": {k: _from_wire(v) for k, v in item.items()}}}
                         for item in items[start:start + 25]]
                self._write_batch(name, batch)
            count += len(items)
        for name, messages in snapshot.get("sqs", {}).items():
            try:
                url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            except self.sqs.exceptions.QueueDoesNotExist:
                print(f"state: queue {name} is gone; {len(messages)} messages dropped", file=sys.stderr)
                continue
            for m in messages:
                extra = {"MessageGroupId": m["group_id"]} if m.get("group_id") else {}
                if m.get("deduplication_id"):
                    extra["MessageDeduplicationId"] = m["deduplication_id"]
                self.sqs.send_message(QueueUrl=url, MessageBody=m["body"], MessageAttributes=m["attributes"], **extra)
        buckets = {b["Name"] for b in self.s3.list_buckets().get("Buckets", [])}
        for bucket, objects in snapshot.get("s3", {}).items():
            if bucket not in buckets:
                print(f"state: bucket {bucket} is gone; {len(objects)} objects dropped", file=sys.stderr)
                continue
            for key, meta in objects.items():
                extra = {"ContentType": meta["content_type"]} if meta.get("content_type") else {}
                self.s3.put_object(Bucket=bucket, Key=key, Body=(self.blobs / meta["etag"]).read_bytes(),
                                   Metadata=meta.get("metadata") or {}, **extra)
                self._objects[(bucket, key, meta["etag"])] = meta
        return count

    def _write_batch(self, table: str, requests: list[dict]) -> None:
        while requests:
            unprocessed = self.dynamodb.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems", {})
            requests = unprocessed.get(table, [])

    # ------------------------------------------------------------ autosave

    def autosave(self, runtime: Any, stop: threading.Event) -> threading.Thread:
        """Save whenever an invocation has finished since the last save (at most once a
        second), so a crash loses about a second of work."""

        def run() -> None:
            saved = runtime.invocations
            while not stop.wait(AUTOSAVE_SECONDS):
                current = runtime.invocations
                if current != saved:
                    try:
                        self.save()
                        saved = current
                    except Exception as exc:  # keep serving; the next round tries again
                        print(f"state: snapshot failed: {exc!r}", file=sys.stderr, flush=True)

        thread = threading.Thread(target=run, name="snapshots", daemon=True)
        thread.start()
        return thread
