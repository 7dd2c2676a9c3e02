"""Chatwoot's reporting event (GET .../reporting_events)."""
from __future__ import annotations

from datetime import datetime

from ..models.reporting import ReportingEvent


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def reporting_event(item: ReportingEvent) -> dict:
    return {
        "id": item.id,
        "name": item.name,
        "value": float(item.value),
        "value_in_business_hours": float(item.value_in_business_hours),
        "event_start_time": _iso(item.event_start_time),
        "event_end_time": _iso(item.event_end_time),
        "account_id": item.account_id,
        "inbox_id": item.inbox_id,
        "user_id": item.user_id,
        "conversation_id": item.conversation_id,
        "created_at": _iso(item.created_at),
        "updated_at": _iso(item.updated_at),
    }


def reporting_events_page(items: list[ReportingEvent], count: int, page: int, per_page: int) -> dict:
    return {"payload": [reporting_event(item) for item in items],
            "meta": {"count": count, "current_page": page, "total_pages": (count + per_page - 1) // per_page}}
