"""Domain events: every service that changes something publishes one, with Chatwoot's
event name and payload, to the EventBridge bus. Consumers (broadcast, webhooks, ...)
react to them; they never call each other."""
from __future__ import annotations

import json
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from . import aws, ids
from .models.event_log import LoggedEvent
from .settings import get_settings

SOURCE = "parley"

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


LOG_SECONDS = 24 * 60 * 60


def publish(name: str, account_id: int | None, data: dict, changed_attributes: dict | None = None, *,
            audience: dict | None = None, ephemeral: bool = False) -> dict:
    """Sequence, log and send one event.

    An account's events get an increasing `seq` and are written to the event log before
    they go to the bus, so a socket that drops can resume from its last seq and miss
    nothing. `ephemeral` events (typing) are only worth something live: no seq, no log.
    """
    detail = envelope(name, account_id, data, changed_attributes, audience)
    if account_id is not None and not ephemeral:
        detail["seq"] = ids.next_id(ids.account_counter(account_id, "Event"))
        LoggedEvent(account_id, detail["seq"], detail=json.loads(json.dumps(detail, default=str)),
                    expires_at=int(time.time()) + LOG_SECONDS).save()
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
