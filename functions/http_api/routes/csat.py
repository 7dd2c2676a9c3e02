"""/api/v1/accounts/{account_id}/csat_survey_responses (+ /metrics, /download): an account's
CSAT responses, for members holding report_manage (administrators, custom roles granting
it). Filters as Chatwoot's: since/until (epoch seconds), user_ids (the assigned agent),
inbox_id, team_id, rating; lists take `page` (25 a page, newest first)."""
from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, base_url, member_with, query
from parley import permissions
from parley.errors import Invalid
from parley.services.csat import responses
from parley.views.csat import response as response_view

router = Router()
BASE = "/api/v1/accounts/<account_id>/csat_survey_responses"
MAX_LISTED_IDS = 100


class Params(Body):
    since: int | None = Field(default=None, ge=0, le=10**10)
    until: int | None = Field(default=None, ge=0, le=10**10)
    inbox_id: int | None = Field(default=None, ge=1)
    team_id: int | None = Field(default=None, ge=1)
    page: int = Field(default=1, ge=1, le=10_000)


def _ids(name: str) -> list[int] | None:
    """A list parameter as Chatwoot's clients send it: `name[]=1&name[]=2` (API Gateway
    joins repeats with commas) or `name=1,2`."""
    params = router.current_event.query_string_parameters or {}
    raw = params.get(f"{name}[]") or params.get(name)
    if raw is None or raw == "":
        return None
    values = [part.strip() for part in str(raw).split(",") if part.strip()]
    if len(values) > MAX_LISTED_IDS or not all(v.isdigit() for v in values):
        raise Invalid(f"{name} must be a list of at most {MAX_LISTED_IDS} ids", field=name)
    return [int(v) for v in values]


def _filters(account_id: str):
    account, _ = member_with(router, account_id, permissions.REPORT_MANAGE)
    params = query(router, Params)
    filters = responses.Filters(since=params.since, until=params.until, user_ids=_ids("user_ids"),
                                inbox_id=params.inbox_id, team_id=params.team_id, rating=_ids("rating"))
    return account, params, filters


@router.get(BASE)
def index(account_id: str):
    account, params, filters = _filters(account_id)
    return [response_view(s) for s in responses.page(account, filters, params.page)]


@router.get(BASE + "/metrics")
def metrics(account_id: str):
    account, _, filters = _filters(account_id)
    return responses.metrics(account, filters)


@router.get(BASE + "/download")
def download(account_id: str):
    account, _, filters = _filters(account_id)
    return Response(status_code=200, content_type="text/csv; charset=utf-8",
                    body=responses.download(account, filters, base_url(router)),
                    headers={"Content-Disposition": 'attachment; filename="csat_report.csv"',
                             "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})
