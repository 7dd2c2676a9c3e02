"""Domain events: every service that changes something publishes one, with Chatwoot's
event name and payload, to the EventBridge bus. Consumers (broadcast, webhooks, ...)
react to them; they never call each other."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from functools import lru_cache

from .settings import get_settings

SOURCE = "parley"


@lru_cache(maxsize=1)
def _client():
    import boto3  # lazily: request paths that publish nothing never pay for it

    settings = get_settings()
    return boto3.client("events", region_name=settings.region, endpoint_url=settings.aws_endpoint_url or None)


def envelope(name: str, account_id: int | None, data: dict, changed_attributes: dict | None = None) -> dict:
    """The event detail: the same bytes become realtime frames and webhook bodies."""
    return {
        "id": str(uuid.uuid4()),
        "event": name,
        "account_id": account_id,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "data": data,
        "changed_attributes": changed_attributes,
    }


def publish(name: str, account_id: int | None, data: dict, changed_attributes: dict | None = None) -> dict:
    detail = envelope(name, account_id, data, changed_attributes)
    response = _client().put_events(Entries=[{
        "Source": SOURCE,
        "DetailType": name,
        "Detail": json.dumps(detail, default=str),
        "EventBusName": get_settings().event_bus_name,
    }])
    if response.get("FailedEntryCount"):
        entry = response["Entries"][0]
        raise RuntimeError(f"event {name} was not accepted: {entry.get('ErrorCode')} {entry.get('ErrorMessage')}")
    return detail
