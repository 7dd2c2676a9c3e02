"""WebSocket $connect (authenticate, record the socket) and $disconnect (forget it)."""
from __future__ import annotations

from aws_lambda_powertools import Logger

from parley.errors import ParleyError
from parley.services import connections

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def lambda_handler(event: dict, context) -> dict:
    ctx = event.get("requestContext") or {}
    connection_id = ctx.get("connectionId")
    if ctx.get("eventType") == "DISCONNECT":
        connections.close(connection_id)
        return {"statusCode": 200}
    query = event.get("queryStringParameters") or {}
    try:
        if "pubsub_token" in query:
            connections.open_contact_connection(connection_id, query.get("pubsub_token"))
        else:
            connections.open_agent_connection(connection_id, query.get("token"), query.get("account_id"))
    except ParleyError as exc:
        # Any non-2xx refuses the connection; the reason stays in our logs, not the client's.
        logger.info("connection refused", extra={"status": exc.status, "reason": exc.message})
        return {"statusCode": exc.status}
    return {"statusCode": 200}
