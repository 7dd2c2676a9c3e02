"""/api/v1/accounts/{account_id}/sla_policies (administrators change them, every member
may read them to apply one) and /applied_slas (+ /metrics, /download: report_manage)."""
from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, account_admin, account_member, admin_edits, base_url, body, member_item, member_with, query
from parley import permissions
from parley.errors import Invalid
from parley.services.sla import policies, reports
from parley.views.sla import sla_policy

router = Router()

# A threshold is seconds (services/sla/policies.py checks the range: 422 naming the field).
Seconds = float | None


class PolicyFields(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    first_response_time_threshold: Seconds = None
    next_response_time_threshold: Seconds = None
    resolution_time_threshold: Seconds = None
    only_during_business_hours: bool | None = None


class PolicyCreate(PolicyFields):
    name: str = Field(min_length=1, max_length=255)


class AppliedQuery(Body):
    page: int = Field(default=1, ge=1, le=10_000)
    since: int | None = Field(default=None, ge=0, le=10**11)
    until: int | None = Field(default=None, ge=0, le=10**11)
    inbox_id: int | None = Field(default=None, ge=1)
    team_id: int | None = Field(default=None, ge=1)
    sla_policy_id: int | None = Field(default=None, ge=1)
    assigned_agent_id: int | None = Field(default=None, ge=1)


def _wrapped(item) -> dict:
    return {"payload": sla_policy(item)}


@router.get("/api/v1/accounts/<account_id>/sla_policies")
def list_policies(account_id: str):
    account_id, _ = account_member(router, account_id)
    return {"payload": [sla_policy(p) for p in policies.all_of(account_id)]}


@router.get("/api/v1/accounts/<account_id>/sla_policies/<item_id>")
def show_policy(account_id: str, item_id: str):
    return _wrapped(member_item(router, account_id, item_id, policies.get))


@router.post("/api/v1/accounts/<account_id>/sla_policies")
def create_policy(account_id: str):
    account_id = account_admin(router, account_id)
    payload = body(router, PolicyCreate, wrapper="sla_policy")
    return _wrapped(policies.create(account_id, **payload.model_dump(exclude_none=True)))


# PATCH/PUT change the fields given (a null threshold clears it), DELETE removes: administrators.
admin_edits(router, "/api/v1/accounts/<account_id>/sla_policies/<item_id>", policies, _wrapped, PolicyFields,
            "sla_policy", clear_with_null=True)


def _filters(account_id: str):
    account_id, _ = member_with(router, account_id, permissions.REPORT_MANAGE)
    params = query(router, AppliedQuery)
    raw = router.current_event.query_string_parameters or {}
    labels = raw.get("label_list") or raw.get("label_list[]") or ""
    label_list = tuple(t.strip() for t in labels.split(",") if t.strip())
    if len(label_list) > 20 or any(len(t) > 255 for t in label_list):
        raise Invalid("label_list: at most 20 labels", field="label_list")
    filters = reports.Filters(since=params.since, until=params.until, inbox_id=params.inbox_id,
                              team_id=params.team_id, sla_policy_id=params.sla_policy_id,
                              assigned_agent_id=params.assigned_agent_id, label_list=label_list)
    return account_id, filters, params


@router.get("/api/v1/accounts/<account_id>/applied_slas")
def list_applied(account_id: str):
    account_id, filters, params = _filters(account_id)
    return reports.page(account_id, filters, params.page)


@router.get("/api/v1/accounts/<account_id>/applied_slas/metrics")
def applied_metrics(account_id: str):
    account_id, filters, _ = _filters(account_id)
    return reports.metrics(account_id, filters)


@router.get("/api/v1/accounts/<account_id>/applied_slas/download")
def applied_download(account_id: str):
    account_id, filters, _ = _filters(account_id)
    return Response(status_code=200, content_type="text/csv; charset=utf-8",
                    body=reports.download(account_id, filters, base_url(router)),
                    headers={"Content-Disposition": 'attachment; filename="breached_conversation.csv"',
                             "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})
