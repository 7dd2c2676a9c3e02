"""The HTTP API: every Chatwoot-compatible route, one Router per resource (routes/)."""
from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response, content_types

from parley.errors import ParleyError, TooManyRequests
from parley.security_log import refused
from routes import agent_bots, client_api
from routes import webhooks
from routes import channel_webhooks
from routes import twilio
from routes import widget_page
from routes import (accounts, agents, auth, automation, contact_jobs, contact_notes, contacts, conversations, inboxes, platform, profile, public, settings, super_admin,
                    notifications, participants, search, teams,
                    widget)

logger = Logger()
# Auth is by header, never by cookie, so any origin may call the API (the widget's Client
# API is called from customers' sites).
app = APIGatewayHttpResolver(cors=CORSConfig(allow_origin="*", allow_headers=["api_access_token", "X-Auth-Token", "Content-Type"],
                                             max_age=600))
for router in (auth.router, profile.router, accounts.router, agents.router, inboxes.router, conversations.router,
               teams.router, settings.router, contacts.router, contact_notes.router, contact_jobs.router, widget.router, platform.router, super_admin.router, public.router):
    app.include_router(router)
app.include_router(automation.router)
for router in (notifications.router, participants.router):
    app.include_router(router)
app.include_router(search.router)
app.include_router(client_api.router)
app.include_router(webhooks.router)
app.include_router(channel_webhooks.router)
app.include_router(twilio.router)
app.include_router(agent_bots.router)
app.include_router(widget_page.router)


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
    return app.resolve(_without_trailing_slash(event), context)
