"""The HTTP API: every Chatwoot-compatible route, one Router per resource (routes/),
imported by path prefix on a request's first use (ROUTE_GROUPS)."""
from __future__ import annotations

import importlib
import re

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response, content_types

    from parley import audit
    from parley.errors import ParleyError, TooManyRequests
    from parley.security_log import refused

logger = Logger()
# Auth is by header, never by cookie, so any origin may call the API (the widget's Client
# API is called from customers' sites).
app = APIGatewayHttpResolver(cors=CORSConfig(allow_origin="*", allow_headers=["api_access_token", "X-Auth-Token", "Content-Type"],
                                             max_age=600))

# The route modules (routes/), by the path prefix they serve. A cold start imports none of
# them; a request imports its own group on first use, so a widget, webhook or sign-in call
# never loads the dashboard's modules, and a dashboard call loads only its resource's (a
# conversation call, not contacts, settings or automation, and their services). In a prefix
# `<name>` stands for any one path segment, and a prefix ends at a segment's end; the first
# prefix that claims a path decides its group. Within a group the order is the order routes
# are matched in. A path no prefix claims loads every group, so anything unforeseen
# resolves (or is a 404) as if every route were registered.
ACCOUNT = "/api/v1/accounts/<account_id>"
ROUTE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (f"{ACCOUNT}/conversations/<conversation_id>/reporting_events", ("reporting_events",)),
    (f"{ACCOUNT}/conversations", ("conversations", "participants")),
    (f"{ACCOUNT}/bulk_actions", ("conversations",)),
    (f"{ACCOUNT}/contacts", ("contacts", "contact_notes", "contact_jobs")),
    (f"{ACCOUNT}/actions", ("contacts",)),
    (f"{ACCOUNT}/inboxes", ("inboxes", "agent_bots")),
    (f"{ACCOUNT}/inbox_members", ("inboxes",)),
    (f"{ACCOUNT}/agent_bots", ("agent_bots",)),
    (f"{ACCOUNT}/agents", ("agents",)),
    (f"{ACCOUNT}/custom_roles", ("custom_roles",)),
    (f"{ACCOUNT}/teams", ("teams",)),
    (f"{ACCOUNT}/canned_responses", ("teams",)),
    (f"{ACCOUNT}/labels", ("settings",)),
    (f"{ACCOUNT}/custom_filters", ("settings",)),
    (f"{ACCOUNT}/custom_attribute_definitions", ("settings",)),
    (f"{ACCOUNT}/automation_rules", ("automation",)),
    (f"{ACCOUNT}/macros", ("automation",)),
    (f"{ACCOUNT}/campaigns", ("campaigns",)),
    (f"{ACCOUNT}/notifications", ("notifications",)),
    (f"{ACCOUNT}/notification_settings", ("notifications",)),
    (f"{ACCOUNT}/search/articles", ("help_center",)),
    (f"{ACCOUNT}/search", ("search",)),
    (f"{ACCOUNT}/portals", ("help_center",)),
    (f"{ACCOUNT}/captain/provider", ("captain_providers",)),
    (f"{ACCOUNT}/captain/assistants/<assistant_id>/provider", ("captain_providers",)),
    (f"{ACCOUNT}/captain/documents", ("captain_documents",)),
    (f"{ACCOUNT}/captain", ("captain",)),
    (f"{ACCOUNT}/webhooks", ("webhooks",)),
    (f"{ACCOUNT}/dashboard_apps", ("integrations",)),
    (f"{ACCOUNT}/integrations", ("integrations",)),
    (f"{ACCOUNT}/audit_logs", ("audit_logs",)),
    (f"{ACCOUNT}/reporting_events", ("reporting_events",)),
    ("/api/v2/accounts/<account_id>/reports", ("reports",)),
    ("/api/v2/accounts/<account_id>/summary_reports", ("reports",)),
    (f"{ACCOUNT}/sla_policies", ("sla",)),
    (f"{ACCOUNT}/applied_slas", ("sla",)),
    (f"{ACCOUNT}/csat_survey_responses", ("csat",)),
    ("/api/v1/accounts", ("accounts",)),
    ("/api/v1/profile/mfa", ("mfa",)),
    ("/api/v1/profile", ("profile",)),
    ("/api/v1/widget", ("widget",)),
    ("/auth/", ("auth",)),
    ("/platform/", ("platform", "agent_bots")),
    ("/super_admin/api/v1/accounts/<account_id>/reporting_events", ("reporting_events",)),
    ("/super_admin/", ("super_admin",)),
    ("/public/api/v1/csat_survey", ("csat_public",)),
    ("/public/", ("public", "client_api")),
    ("/webhooks/", ("channel_webhooks",)),
    ("/twilio/", ("twilio",)),
    ("/widget", ("widget_page",)),
    ("/survey/", ("csat_public",)),
)


def prefix_pattern(prefix: str) -> re.Pattern:
    """The paths a ROUTE_GROUPS prefix claims, as a pattern to `match`."""
    parts = ("[^/]+" if part.startswith("<") else re.escape(part) for part in re.split(r"(<\w+>)", prefix))
    return re.compile("".join(parts) + ("" if prefix.endswith("/") else "(?=/|$)"))


_CLAIMS = [(prefix_pattern(prefix), modules) for prefix, modules in ROUTE_GROUPS]
_included: set[str] = set()


def include_routes(path: str | None = None) -> None:
    """Register the routes that may answer `path` (every route when None or unclaimed)."""
    groups = [modules for pattern, modules in _CLAIMS if path is not None and pattern.match(path)]
    missing = [name for modules in groups[:1] or [modules for _, modules in ROUTE_GROUPS] for name in modules
               if name not in _included]
    if missing:
        with loading():  # part of the cold start, as the init's imports
            for name in dict.fromkeys(missing):
                app.include_router(importlib.import_module(f"routes.{name}").router)
                _included.add(name)


def _error(status: int, body: dict, headers: dict | None = None) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


@app.exception_handler(ParleyError)
def handle_domain_error(exc: ParleyError) -> Response:
    if exc.status in (401, 403, 429):
        http = (app.current_event.raw_event.get("requestContext") or {}).get("http") or {}
        refused(f"http_{exc.status}", exc.message, method=http.get("method"), path=http.get("path"),
                source_ip=http.get("sourceIp"))
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    return _error(exc.status, exc.body(), headers)


@app.not_found
def handle_not_found(_exc: Exception) -> Response:
    return _error(404, {"error": "Not found", "description": "Not found", "errors": []})


@app.exception_handler(Exception)
def handle_unexpected(exc: Exception) -> Response:
    logger.exception("unhandled error")
    return _error(500, {"error": "Something went wrong", "description": "Something went wrong", "errors": []})


def _without_trailing_slash(event: dict) -> dict:
    """Chatwoot's API is called with and without a trailing slash (its own spec lists
    `/inboxes/`); routes are declared without one."""
    http = (event.get("requestContext") or {}).get("http") or {}
    for holder, key in ((event, "rawPath"), (http, "path")):
        path = holder.get(key)
        if isinstance(path, str) and len(path) > 1 and path.endswith("/"):
            holder[key] = path.rstrip("/") or "/"
    return event


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def lambda_handler(event: dict, context) -> dict:
    event = _without_trailing_slash(event)
    http = (event.get("requestContext") or {}).get("http") or {}
    with audit.request(http.get("sourceIp"), (event.get("requestContext") or {}).get("requestId")):
        include_routes(event.get("rawPath"))
        return app.resolve(event, context)
