"""Domain events: every change publishes one, with Chatwoot's event name and payload.

The event spine is a transactional outbox. A change and its events are one DynamoDB
transaction (`Outbox`): the writes and each event's record in the event log commit
together or not at all. Once committed, the writer pushes each event to the sockets that
may see it (best effort: a socket that missed a frame resumes from the log), and the
log's stream carries every new record to the EventBridge bus (the EventLogPipe in
template.yaml), where the other consumers (webhooks, deliver, automation, notify) get it.
So an event reaches the bus if and only if its change committed, however the writer
fails afterwards. Ephemeral events (typing, presence) are only worth something live: no
seq, no log, pushed and put on the bus directly."""
from __future__ import annotations

import json
import logging
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from pynamodb.transactions import TransactWrite

from . import aws, dynamo, ids, realtime
from .models.event_log import LoggedEvent
from .settings import get_settings

SOURCE = "parley"
LOG_SECONDS = 24 * 60 * 60
logger = logging.getLogger(__name__)

# Who caused the events published inside `performed_by(...)`: automation marks its own,
# so its consumer can ignore them instead of reacting to itself in a loop (Chatwoot's
# performed_by).
_performed_by: ContextVar[dict | None] = ContextVar("performed_by", default=None)


@contextmanager
def performed_by(actor: dict):
    token = _performed_by.set(actor)
    try:
        yield
    finally:
        _performed_by.reset(token)


def envelope(name: str, account_id: int | None, data: dict, changed_attributes: dict | None = None,
             audience: dict | None = None) -> dict:
    """The event detail: `data` is the object's Chatwoot JSON, the same bytes for realtime
    frames and webhook bodies. `audience` says who it concerns (inbox_id, contact_id,
    the contact inbox's source_id, private), so consumers decide visibility without parsing `data`."""
    detail = {
        "seq": None,
        "audience": audience or {},
        "id": str(uuid.uuid4()),
        "event": name,
        "account_id": account_id,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "data": data,
        "changed_attributes": changed_attributes,
    }
    if _performed_by.get() is not None:
        detail["performed_by"] = _performed_by.get()
    return detail


def _logged(name: str, account_id: int | None, data: dict, changed_attributes: dict | None,
            audience: dict | None) -> tuple[dict, LoggedEvent]:
    """The event and its log record. An account's events get an increasing `seq`, so a
    socket that drops resumes after its last one; events of no account (installation-wide)
    are logged under account 0, which no socket belongs to."""
    detail = envelope(name, account_id, data, changed_attributes, audience)
    partition = account_id or 0
    detail["seq"] = ids.next_id(ids.account_counter(partition, "Event"))
    detail = json.loads(json.dumps(detail, default=str))
    return detail, LoggedEvent(partition, detail["seq"], event=name, detail=detail,
                               expires_at=int(time.time()) + LOG_SECONDS)


def push(detail: dict) -> None:
    """Best effort: a push that fails is covered by the socket's resume, and must not turn
    a committed change into an error for its caller."""
    try:
        realtime.broadcast(detail)
    except Exception:  # noqa: BLE001 (anything: the change is committed whatever happens here)
        logger.exception("pushing %s to sockets failed; clients catch up by resuming", detail.get("event"))


class Outbox(TransactWrite):
    """A DynamoDB transaction that carries domain events: `publish` adds the event's log
    record to the transaction; once the transaction commits, the events are pushed to the
    sockets. A transaction that fails publishes nothing."""

    def __init__(self) -> None:
        super().__init__(connection=dynamo.connection())
        self.events: list[dict] = []

    def publish(self, name: str, account_id: int | None, data: dict, changed_attributes: dict | None = None, *,
                audience: dict | None = None) -> dict:
        detail, record = _logged(name, account_id, data, changed_attributes, audience)
        self.save(record)
        self.events.append(detail)
        return detail

    def _commit(self):
        response = super()._commit()
        for detail in self.events:
            push(detail)
        return response


def publish(name: str, account_id: int | None, data: dict, changed_attributes: dict | None = None, *,
            audience: dict | None = None, ephemeral: bool = False) -> dict:
    """Publish one event on its own: for a change already written by other means (or none).
    Where the change is a DynamoDB write, put it and the event in one `Outbox` instead."""
    if not ephemeral:
        detail, record = _logged(name, account_id, data, changed_attributes, audience)
        record.save()
        push(detail)
        return detail
    detail = envelope(name, account_id, data, changed_attributes, audience)
    push(detail)
    response = aws.client("events").put_events(Entries=[{
        "Source": SOURCE,
        "DetailType": name,
        "Detail": json.dumps(detail, default=str),
        "EventBusName": get_settings().event_bus_name,
    }])
    if response.get("FailedEntryCount"):
        entry = response["Entries"][0]
        raise RuntimeError(f"event {name} was not accepted: {entry.get('ErrorCode')} {entry.get('ErrorMessage')}")
    return detail


def from_bus(event: dict) -> dict | None:
    """The domain event an EventBridge event (or an SQS body holding one) carries, or None
    if it is not one of ours. Logged events come through the EventLogPipe as the log's
    stream record (the detail is `dynamodb.NewImage.detail`, a JSON string); ephemeral ones
    were put on the bus as they are."""
    if not isinstance(event, dict) or event.get("source") not in (None, SOURCE):
        return None
    detail = event.get("detail")
    if isinstance(detail, dict) and isinstance(detail.get("dynamodb"), dict):
        if detail.get("eventName") != "INSERT":
            return None
        body = ((detail["dynamodb"].get("NewImage") or {}).get("detail") or {}).get("S")
        try:
            detail = json.loads(body) if isinstance(body, str) else None
        except ValueError:
            return None
    if (not isinstance(detail, dict) or not isinstance(detail.get("id"), str)
            or not isinstance(detail.get("event"), str) or "data" not in detail):
        return None
    return detail


class BusConsumer:
    """The one shape of a function the bus invokes with one event (automation, notify,
    webhooks' fan-out), as parley.consumers.QueueConsumer is of a queue's: the event is
    read with `from_bus`; one that is not ours is logged and dropped (`ignored` is the
    answer), since retrying cannot fix it; ours goes to `handle(detail, context)`, whose
    failure Lambda retries and then dead-letters. Idempotency is each handler's own."""

    def __init__(self, handle, *, logger, ignored: dict):
        self.handle, self.logger, self.ignored = handle, logger, ignored

    def __call__(self, event: dict, context) -> dict:
        detail = from_bus(event)
        if detail is None:
            self.logger.warning("ignored malformed event",
                                extra={"detail_type": event.get("detail-type") if isinstance(event, dict) else None})
            return self.ignored
        return self.handle(detail, context)
