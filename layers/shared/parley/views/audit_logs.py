"""Chatwoot's audit log entry and page (GET /api/v1/accounts/{id}/audit_logs)."""
from __future__ import annotations

from ..models.audit_log import AuditLog


def audit_log(item: AuditLog) -> dict:
    return {
        "id": item.id,
        "auditable_id": item.auditable_id,
        "auditable_type": item.auditable_type,
        # Chatwoot renders the audited record as it is now; Parley's entries stand alone
        # (the record may be gone, and its fields are in audited_changes).
        "auditable": None,
        "associated_id": item.account_id,
        "associated_type": "Account",
        "user_id": item.user_id,
        "user_type": item.user_type,
        "username": item.username,
        "action": item.action,
        "audited_changes": item.audited_changes or {},
        "version": None,  # the audited gem numbers an object's audits; Parley does not
        "comment": item.comment,
        "request_uuid": item.request_uuid,
        "created_at": int(item.created_at.timestamp()),
        "remote_address": item.remote_address,
    }


def audit_logs_page(entries: list[AuditLog], total: int, page: int, per_page: int) -> dict:
    return {"per_page": per_page, "total_entries": total, "current_page": page,
            "audit_logs": [audit_log(item) for item in entries]}
