"""What survives a restart, beside DynamoDB Local's own files and the queue journal.

DynamoDB items live in DynamoDB Local (`dynamodb/`, durable on every write) and queue
messages in the runner's journal (`queues/`, local/queues.py). What still lives in moto
is kept here: `state.json` has an index of S3 objects, whose bodies are in `s3/<etag>`
(named by content, so unchanged objects are never rewritten), and the pending
EventBridge Scheduler schedules. It is written to a temporary file renamed over the old
one, so a crash leaves either the previous snapshot or the new one, never half of each.

A `state.json` written by the moto-only stack (data format 2, with every item and queued
message in it) is imported once on first start, then set aside as
`state.json.imported-from-moto`: upgrading loses nothing a trial typed in.
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

from .cfn import REGION, table_names

SNAPSHOT = "state.json"
# The layout of the data the services write. Bump it when items written by older code
# would be wrong under the new code (issue 4: conversation count buckets and inbox keys);
# older data is then set aside and the stack starts fresh, with a new seed.
DATA_FORMAT = 2
# What state.json holds: 1-2 every DynamoDB item and SQS message (moto-only stack), 3 only
# what still lives in moto.
SNAPSHOT_LAYOUT = 3
IMPORTED_SUFFIX = ".imported-from-moto"
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
    if hasattr(value, "isoformat"):
        return value.isoformat()
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


def set_aside_older_data(state_dir: Path) -> bool:
    """Before the engines open their files: if `state.json` says the data was written in
    another data format, move it and the engines' folders aside (kept, not deleted) so
    the stack starts fresh. True if it did."""
    path = state_dir / SNAPSHOT
    if not path.exists():
        return False
    written = json.loads(path.read_text()).get("format", 1)
    if written == DATA_FORMAT:
        return False
    suffix = f".format-{written}"
    for name in (SNAPSHOT, "dynamodb", "queues"):
        if (state_dir / name).exists():
            os.replace(state_dir / name, state_dir / (name + suffix))
    print(f"state: {state_dir} holds data written by an older Parley (data format {written}, now {DATA_FORMAT}); "
          f"it is kept as *{suffix} and the stack starts fresh", file=sys.stderr, flush=True)
    return True


class Snapshots:
    """`session` reaches moto (the runner's AWS endpoint) through `endpoints`; `dynamodb`
    is a client of DynamoDB Local and `queues` the runner's queue engine (both only for
    importing a moto-era snapshot)."""

    SCHEDULE_FIELDS = ("ScheduleExpression", "ScheduleExpressionTimezone", "Target", "FlexibleTimeWindow",
                       "ActionAfterCompletion", "State", "Description")

    def __init__(self, session: Any, state_dir: Path, endpoint: str | None = None,
                 dynamodb: Any = None, queues: Any = None, schedule_groups: list[str] | None = None):
        self.path = state_dir / SNAPSHOT
        self.blobs = state_dir / "s3"
        self.s3, self.scheduler = (session.client(s, region_name=REGION, endpoint_url=endpoint) for s in ("s3", "scheduler"))
        self.dynamodb, self.queues = dynamodb, queues
        self.schedule_groups = schedule_groups or []
        self._objects: dict[tuple[str, str, str], dict] = {}  # (bucket, key, etag) -> what was saved
        self._save_lock = threading.Lock()

    # ------------------------------------------------------------ save

    def save(self) -> None:
        with self._save_lock:
            buckets = self._buckets()
            snapshot = {"format": DATA_FORMAT, "layout": SNAPSHOT_LAYOUT, "s3": buckets, "schedules": self._schedules()}
            write_atomic(self.path, json.dumps(snapshot, default=_encode).encode())
            self._drop_unused_blobs(buckets)

    def _schedules(self) -> list[dict]:
        kept = []
        for group in self.schedule_groups:
            for summary in self.scheduler.list_schedules(GroupName=group)["Schedules"]:
                schedule = self.scheduler.get_schedule(Name=summary["Name"], GroupName=group)
                kept.append({"Name": summary["Name"], "GroupName": group,
                             **{k: schedule[k] for k in self.SCHEDULE_FIELDS if k in schedule}})
        return kept

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
        """Load the last snapshot into the freshly built stack; the number of DynamoDB
        items imported from a moto-era snapshot (0 otherwise)."""
        if not self.path.exists():
            return 0
        snapshot = json.loads(self.path.read_text(), object_hook=_decode)
        self._restore_objects(snapshot.get("s3", {}))
        self._restore_schedules(snapshot.get("schedules", []))
        if snapshot.get("layout", 2) >= SNAPSHOT_LAYOUT:
            return 0
        count = self._import_items(snapshot.get("dynamodb", {}))
        self._import_messages(snapshot.get("sqs", {}))
        kept = self.path.with_name(SNAPSHOT + IMPORTED_SUFFIX)
        os.replace(self.path, kept)
        self.save()
        print(f"state: imported {count} items and the queued messages of {self.path} (written by the moto-only "
              f"stack) into DynamoDB Local and the queue journal; the old file is kept as {kept.name}",
              file=sys.stderr, flush=True)
        return count

    def _restore_objects(self, buckets: dict[str, dict[str, dict]]) -> None:
        existing = {b["Name"] for b in self.s3.list_buckets().get("Buckets", [])}
        for bucket, objects in buckets.items():
            if bucket not in existing:
                print(f"state: bucket {bucket} is gone; {len(objects)} objects dropped", file=sys.stderr)
                continue
            for key, meta in objects.items():
                extra = {"ContentType": meta["content_type"]} if meta.get("content_type") else {}
                self.s3.put_object(Bucket=bucket, Key=key, Body=(self.blobs / meta["etag"]).read_bytes(),
                                   Metadata=meta.get("metadata") or {}, **extra)
                self._objects[(bucket, key, meta["etag"])] = meta

    def _restore_schedules(self, schedules: list[dict]) -> None:
        for schedule in schedules:
            if schedule["GroupName"] not in self.schedule_groups:
                print(f"state: schedule group {schedule['GroupName']} is gone; schedule {schedule['Name']} dropped",
                      file=sys.stderr)
                continue
            self.scheduler.create_schedule(**schedule)

    def _import_items(self, tables: dict[str, list[dict]]) -> int:
        existing = table_names(self.dynamodb)
        count = 0
        for name, items in tables.items():
            if name not in existing:
                print(f"state: table {name} is no longer in template.yaml; its {len(items)} items are dropped",
                      file=sys.stderr)
                continue
            for start in range(0, len(items), 25):
                requests = [{"PutRequest": {"Item": {k: _from_wire(v) for k, v in item.items()}}}
                            for item in items[start:start + 25]]
                while requests:  # PutItem overwrites: an import cut short is simply redone
                    unprocessed = self.dynamodb.batch_write_item(RequestItems={name: requests}).get("UnprocessedItems", {})
                    requests = unprocessed.get(name, [])
            count += len(items)
        return count

    def _import_messages(self, queues: dict[str, list[dict]]) -> None:
        for name, messages in queues.items():
            for m in messages:
                try:
                    self.queues.send(name, m["body"], message_attributes=m.get("attributes") or None,
                                     group_id=m.get("group_id"), dedup_id=m.get("deduplication_id"))
                except KeyError:
                    print(f"state: queue {name} is gone; {len(messages)} messages dropped", file=sys.stderr)
                    break

    # ------------------------------------------------------------ autosave

    def autosave(self, runtime: Any, stop: threading.Event) -> threading.Thread:
        """Save whenever an invocation has finished since the last save (at most once a
        second): an upload or a schedule is kept within about a second."""

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
