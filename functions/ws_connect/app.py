"""WebSocket $connect (authenticate, record the socket) and $disconnect (forget it)."""
from __future__ import annotations

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger

    from parley.errors import ParleyError
    from parley.services.account import accounts
    from parley.services.access import connections

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def lambda_handler(event: dict, context) -> dict:
    ctx = event.get("requestContext") or {}
    connection_id = ctx.get("connectionId")
    if ctx.get("eventType") == "DISCONNECT":
        gone = connections.close(connection_id)
        if gone is not None and gone.kind == "user" and gone.user_id not in connections.online_user_ids(gone.account_id):
            connections.announce(gone, "offline")
        return {"statusCode": 200}
    query = event.get("queryStringParameters") or {}
    try:
        if "pubsub_token" in query:
            connections.open_contact_connection(connection_id, query.get("pubsub_token"))
        else:
            connection = connections.open_agent_connection(connection_id, query.get("token"), query.get("account_id"))
            member = accounts.membership(connection.account_id, connection.user_id)
            connections.announce(connection, member.availability if member else "online")
    except ParleyError as exc:
        # Any non-2xx refuses the connection; the reason stays in our logs, not the client's.
        logger.info("connection refused", extra={"status": exc.status, "reason": exc.message})
        return {"statusCode": exc.status}
    return {"statusCode": 200}
