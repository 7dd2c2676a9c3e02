"""GET /api/v1/accounts/{account_id}/audit_logs: the account's audit log, newest first,
for its administrators. Entries are written by the domain (parley/audit.py) with the
changes they record; no route writes, edits or deletes one (a write method here is 404)."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import AwareDatetime, Field, model_validator

from api import Body, account_admin, query
from parley.services.account import audit_logs
from parley.views.audit_logs import audit_logs_page

router = Router()


class AuditLogQuery(Body):
    page: int = Field(default=1, ge=1, le=audit_logs.MAX_PAGE)
    auditable_type: str | None = Field(default=None, pattern=r"^[A-Z][A-Za-z]{1,63}$")
    action: str | None = Field(default=None, pattern=r"^[a-z][a-z_]{1,31}$")
    user_id: int | None = Field(default=None, ge=1)
    # An ISO 8601 time with its offset, or seconds since the epoch (as created_at is rendered).
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.since and self.until and self.since > self.until:
            raise ValueError("since must not be after until")
        return self


@router.get("/api/v1/accounts/<account_id>/audit_logs")
def list_audit_logs(account_id: str):
    account_id = account_admin(router, account_id)
    params = query(router, AuditLogQuery)
    found = audit_logs.page(account_id, params.page, auditable_type=params.auditable_type, action=params.action,
                            user_id=params.user_id, since=params.since, until=params.until)
    return audit_logs_page(found.entries, found.total, params.page, audit_logs.PER_PAGE)
