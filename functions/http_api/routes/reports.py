"""Chatwoot's v2 reports (docs/reports.md, "How reports are read"; docs/api-coverage/reports.md):

- GET /api/v2/accounts/{id}/reports: a metric's series (metric, type, id, since, until,
  group_by, business_hours, timezone_offset)
- GET .../reports/summary and .../reports/bot_summary: the window's figures and `previous`
- GET .../reports/conversations: live counts (type account | agent | team)
- GET .../summary_reports/agent|team|inbox|label|channel: the tables
- GET .../reports/first_response_time_distribution: per channel
- GET .../reports/conversation_traffic: the day × hour heatmap (CSV)
- GET .../reports/agents|inboxes|labels|teams: the tables as CSV
- GET .../reports/conversations_export: one CSV line per conversation with its metrics

All read rollups and count items, never conversations; `report_manage` (or administrator).
"""
from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from api import member_with
from parley import permissions
from parley.errors import Invalid, NotFound
from parley.services.access import connections
from parley.services.reporting import live_counts, reports, windows
from parley.views import reports as views

router = Router()
V2 = "/api/v2/accounts/<account_id>"
TABLES = {"agents": "agent", "inboxes": "inbox", "labels": "label", "teams": "team"}


def _params() -> dict:
    return router.current_event.query_string_parameters or {}


def _reporter(account_id: str) -> int:
    account, _ = member_with(router, account_id, permissions.REPORT_MANAGE)
    return account


def _window(params: dict, **kw) -> windows.Window:
    return windows.window(params.get("since"), params.get("until"), params.get("group_by"),
                          params.get("timezone_offset"), params.get("business_hours") or params.get("enable_business_hours"),
                          **kw)


def _csv(text: str, filename: str) -> Response:
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=text,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@router.get(f"{V2}/reports")
def series(account_id: str):
    account = _reporter(account_id)
    params = _params()
    reports.metric_of(params.get("metric"))  # 422 before anything is read
    window = _window(params)
    where = reports.scope(account, params.get("type"), params.get("id"))
    return reports.timeseries(account, params["metric"], where, window)


@router.get(f"{V2}/reports/summary")
def summary(account_id: str):
    account = _reporter(account_id)
    params = _params()
    window = _window(params)
    return reports.summary(account, reports.scope(account, params.get("type"), params.get("id")), window)


@router.get(f"{V2}/reports/bot_summary")
def bot_summary(account_id: str):
    account = _reporter(account_id)
    params = _params()
    window = _window(params)
    return reports.bot_summary(account, reports.scope(account, params.get("type"), params.get("id")), window)


def _live(account_id: str):
    account = _reporter(account_id)
    params = _params()
    kind = params.get("type") or "account"
    if kind == "account":
        return live_counts.account(account)
    if kind == "agent":
        user_id = params.get("user_id")
        if user_id is not None and not str(user_id).isdigit():
            raise Invalid("user_id must be an agent's id", field="user_id")
        online = connections.online_user_ids(account)
        counts = live_counts.per_agent(account)
        agents = reports.agents_of(account)
        return [views.live_agent(member, user, counts.get(user.id, {}), user.id in online) for member, user in agents
                if user_id is None or user.id == int(user_id)]
    if kind == "team":
        counts = live_counts.per_team(account)
        return [views.live_team(team.id, team.data.get("name", ""), counts.get(team.id, {}))
                for team in reports.teams_of(account)]
    raise Invalid("type must be one of: account, agent, team", field="type")


@router.get(f"{V2}/reports/conversations")
def conversations(account_id: str):
    return _live(account_id)


@router.get(f"{V2}/reports/conversations/")
def conversations_slash(account_id: str):
    return _live(account_id)


@router.get(f"{V2}/summary_reports/<kind>")
def summary_report(account_id: str, kind: str):
    account = _reporter(account_id)
    params = _params()
    if kind == "channel":
        window = _window(params, max_days=windows.CHANNEL_MAX_DAYS)
        return reports.channel_summary(account, window, reports.live_by_channel(account))
    if kind not in ("agent", "team", "inbox", "label"):
        raise NotFound("Not found")
    window = _window(params)
    return [views.summary_row(row) for row in reports.table_rows(account, kind, window)]


@router.get(f"{V2}/reports/first_response_time_distribution")
def first_response_time_distribution(account_id: str):
    account = _reporter(account_id)
    return reports.first_response_distribution(account, _window(_params()))


@router.get(f"{V2}/reports/conversation_traffic")
def conversation_traffic(account_id: str):
    account = _reporter(account_id)
    window = _window(_params())
    if window.until - window.since > windows.HOUR_MAX_DAYS * windows.DAY:
        raise Invalid(f"conversation_traffic may span at most {windows.HOUR_MAX_DAYS} days", field="since")
    return _csv(views.traffic_csv(reports.traffic(account, window), window), "conversation_traffic_reports.csv")


@router.get(f"{V2}/reports/conversations_export")
def conversations_export(account_id: str):
    """Parley's per-conversation export (Chatwoot has none: chatwoot#15243, #13366)."""
    account = _reporter(account_id)
    window = _window(_params(), max_days=reports.EXPORT_MAX_DAYS)
    rows, stopped = reports.conversation_metrics(account, window)
    return _csv(views.conversations_csv(rows, reports.export_names(account), window, stopped),
                "conversations_report.csv")


@router.get(f"{V2}/reports/<table>")
def table_csv(account_id: str, table: str):
    if table not in TABLES:
        raise NotFound("Not found")
    account = _reporter(account_id)
    window = _window(_params())
    rows = reports.table_rows(account, TABLES[table], window)
    return _csv(views.table_csv(TABLES[table], rows, window), f"{table}_report.csv")
