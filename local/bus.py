"""EventBridge PutEvents for the local stack, routed by the runner itself.

moto would route each event too, but into its own in-memory SQS. Here the rules and targets
still live in moto's events backend (build_stack creates them with put_rule/put_targets, and
every other EventBridge call still goes to moto), while PutEvents matches each event against
those rules with moto's own pattern matcher and hands it to every SQS target through
`Queues.send`: journaled and on disk before PutEvents answers, like any message.

Only SQS targets are delivered: the local stack turns each Lambda target into a delivery
queue (local/cfn.py); any other kind is reported once and skipped.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from local.cfn import ACCOUNT, REGION
from local.queues import Queues, SqsError, stderr_log
from local.usage import Tally

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 262_144
EVENT_CHUNK = 64 * 1024


class _Invalid(Exception):
    def __init__(self, shape: str, message: str):
        super().__init__(message)
        self.shape, self.message = shape, message


def entry_size(entry: dict) -> int:
    """EventBridge's way of sizing a PutEvents entry (Time counts 14 bytes)."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key) or "").encode("utf-8"))
    return size + sum(len(str(r).encode("utf-8")) for r in entry.get("Resources") or [])


def event_time(value: Any) -> str:
    """An entry's Time (epoch seconds on the wire, or ISO text) as events carry it."""
    if value is None:
        moment = datetime.now(timezone.utc)
    elif isinstance(value, (int, float)):
        moment = datetime.fromtimestamp(value, timezone.utc)
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _input_path(event: dict, path: str) -> Any:
    """A target's InputPath: "$" or "$.a.b"."""
    value: Any = event
    for part in path.removeprefix("$").split(".")[1:] if path != "$" else []:
        value = value.get(part) if isinstance(value, dict) else None
    return value


class Bus:
    def __init__(self, queues: Queues, moto_lock: threading.RLock | threading.Lock,
                 log: Callable[[str], None] | None = None):
        self.queues = queues
        self.moto_lock = moto_lock  # moto's backends are not thread-safe: read the rules under it
        self._log = log or stderr_log
        self._reported: set[str] = set()
        # What EventBridge bills: each accepted entry, per 64 KB of it (local/usage.py).
        self.events = Tally()

    def handle(self, operation: str, request: dict) -> tuple[int, dict] | None:
        """An X-Amz-Target "AWSEvents.<operation>" call; None hands it to moto (all but PutEvents)."""
        if operation != "PutEvents":
            return None
        try:
            return 200, self.put_events(request.get("Entries"))
        except _Invalid as error:
            return 400, {"__type": error.shape, "message": error.message}, []

    def put_events(self, entries: Any) -> dict:
        if not isinstance(entries, list) or not entries:
            raise _Invalid("ValidationException", "1 validation error detected: Value null at 'entries' failed to "
                                                  "satisfy constraint: Member must not be null")
        if len(entries) > MAX_ENTRIES:
            raise _Invalid("ValidationException", "1 validation error detected: Value '[PutEventsRequestEntry]' at "
                                                  "'entries' failed to satisfy constraint: Member must have length "
                                                  "less than or equal to 10")
        if sum(entry_size(e) for e in entries if isinstance(e, dict)) > MAX_REQUEST_BYTES:
            raise _Invalid("ValidationException", "Total size of the entries in the request is over the limit.")
        buses = {self._bus_name(e.get("EventBusName")) for e in entries if isinstance(e, dict)}
        rules = {bus: self._rules(bus) for bus in buses}
        answers = []
        for entry in entries:
            problem = self._problem(entry)
            if problem:
                answers.append({"ErrorCode": problem[0], "ErrorMessage": problem[1]})
                continue
            event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": entry["DetailType"],
                     "source": entry["Source"], "account": ACCOUNT, "time": event_time(entry.get("Time")),
                     "region": REGION, "resources": list(entry.get("Resources") or []),
                     "detail": json.loads(entry["Detail"])}
            for pattern, targets in rules[self._bus_name(entry.get("EventBusName"))]:
                if pattern.matches_event(event):
                    for target in targets:
                        self._deliver(event, target)
            answers.append({"EventId": event["id"]})
            self.events.add("entries", -(-entry_size(entry) // EVENT_CHUNK))
        self.queues.sync()  # every routed copy is on disk before PutEvents answers
        return {"FailedEntryCount": sum("ErrorCode" in a for a in answers), "Entries": answers}

    @staticmethod
    def _bus_name(name_or_arn: Any) -> str:
        return str(name_or_arn or "default").rsplit("/", 1)[-1]

    @staticmethod
    def _problem(entry: Any) -> tuple[str, str] | None:
        if not isinstance(entry, dict):
            return "InvalidArgument", "The entry is not an object."
        for key in ("Source", "DetailType", "Detail"):
            if not entry.get(key):
                return "InvalidArgument", f"Parameter {key} is not valid. Reason: {key} is a required argument."
        try:
            detail = json.loads(entry["Detail"])
        except (TypeError, ValueError):
            detail = None
        if not isinstance(detail, dict):
            return "MalformedDetail", "Detail is malformed."
        try:
            event_time(entry.get("Time"))
        except (TypeError, ValueError, OverflowError, OSError):
            return "InvalidArgument", "Parameter Time is not valid."
        return None

    def _rules(self, bus: str) -> list[tuple[Any, list[dict]]]:
        """(pattern, targets) of the enabled rules of a bus, read from moto's events backend."""
        from moto.events.models import events_backends

        with self.moto_lock:
            backend = events_backends[ACCOUNT][REGION]
            found = backend.event_buses.get(bus)
            if found is None:
                raise _Invalid("ResourceNotFoundException", f"Event bus {bus} does not exist.")
            return [(rule.event_pattern, [dict(t) for t in rule.targets])
                    for rule in found.rules.values() if rule.state == "ENABLED" and rule.event_pattern is not None]

    def _deliver(self, event: dict, target: dict) -> None:
        arn = target.get("Arn", "")
        parts = arn.split(":")
        if len(parts) < 6 or parts[2] != "sqs":
            if arn not in self._reported:
                self._reported.add(arn)
                self._log(f"EventBridge target {arn} is not an SQS queue: the local bus does not deliver to it")
            return
        if "Input" in target:
            body = target["Input"]
        elif "InputPath" in target:
            body = json.dumps(_input_path(event, target["InputPath"]))
        elif "InputTransformer" in target:
            from moto.events.utils import EventTemplateParser

            transformer = target["InputTransformer"]
            body = json.dumps(EventTemplateParser.parse(
                input_template=transformer.get("InputTemplate"), input_paths_map=transformer.get("InputPathsMap", {}),
                event={**event, "ingestion-time": time.time()}))
        else:
            body = json.dumps(event)
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        try:
            self.queues.send(parts[5], body, group_id=group, sync=False)
        except SqsError as error:
            # EventBridge reports a failed delivery asynchronously, never in PutEvents' answer.
            self._log(f"event {event['id']} ({event['detail-type']}) not delivered to {arn}: {error}")
