"""SLA policies, applied SLAs and SLA events in Chatwoot's JSON."""
from __future__ import annotations

from .common import epoch

POLICY_FIELDS = ("name", "description", "first_response_time_threshold", "next_response_time_threshold",
                 "resolution_time_threshold", "only_during_business_hours")


def sla_policy(item) -> dict:
    data = item.data
    return {"id": item.id, "account_id": item.account_id, "name": data["name"],
            "description": data.get("description") or "",
            "first_response_time_threshold": data.get("first_response_time_threshold"),
            "next_response_time_threshold": data.get("next_response_time_threshold"),
            "resolution_time_threshold": data.get("resolution_time_threshold"),
            "only_during_business_hours": bool(data.get("only_during_business_hours")),
            "created_at": epoch(item.created_at), "updated_at": epoch(item.updated_at)}


def applied_sla(item) -> dict:
    """Chatwoot's applied SLA (push_event_data), with Parley's next deadline and its clock
    (`next_due_at`, `due_type`: frt, nrt or rt; null when no clock runs)."""
    data = item.data
    return {"id": item.id, "sla_id": data["sla_id"], "sla_status": data["sla_status"],
            "created_at": data["created_at"], "updated_at": data.get("updated_at", data["created_at"]),
            "sla_description": data.get("sla_description") or "", "sla_name": data["sla_name"],
            "sla_first_response_time_threshold": data.get("sla_first_response_time_threshold"),
            "sla_next_response_time_threshold": data.get("sla_next_response_time_threshold"),
            "sla_only_during_business_hours": bool(data.get("sla_only_during_business_hours")),
            "sla_resolution_time_threshold": data.get("sla_resolution_time_threshold"),
            "next_due_at": data.get("next_due_at"), "due_type": data.get("due_type")}


def sla_events(item) -> list[dict]:
    """Its misses: event_type frt, nrt (meta.message_id: the message the customer waited
    on) or rt; created_at is when the deadline passed."""
    return [{"id": e["id"], "event_type": e["event_type"], "meta": e.get("meta") or {},
             "created_at": e["created_at"], "updated_at": e["created_at"]} for e in item.data.get("sla_events") or []]
