"""Push frames to WebSocket connections through the API Gateway management API.

Who may see an event is decided in one place, `may_see`; a socket that is gone (410) is
deleted so nobody pushes to it again, unless it may still be connecting (below)."""
from __future__ import annotations

import json
from datetime import timedelta

from pynamodb.exceptions import DeleteError

from . import aws, conversation_scope
from .models.base import utcnow
from .models.connection import Connection
from .models.throttle import ThrottleWindow
from .settings import get_settings

# API Gateway answers 410 for a socket until its $connect integration returns (at most
# 29 s), and the record is written inside $connect: an event published meanwhile (the
# agent's own "online", say) finds the record and a 410. Deleting it then would leave the
# socket open but deaf, and its first resume refused as unknown.
CONNECT_GRACE = timedelta(seconds=30)


def _client():
    return aws.client("apigatewaymanagementapi", endpoint_url=get_settings().websocket_endpoint)


def may_see(connection: Connection, detail: dict) -> bool:
    """Agents see their account's events; events about an inbox only if they work in it
    (administrators see all). Contacts see only events addressed to them that are not
    private, and of their own contact inbox (inbox and source_id). Who an event concerns is in `detail["audience"]`, set by the publisher."""
    if connection.account_id != detail.get("account_id"):
        return False
    audience = detail.get("audience") or {}
    if audience.get("internal"):  # for Parley's own consumers (help_center.changed): no socket's business
        return False
    if audience.get("user_id") is not None:
        # Addressed to one agent (a notification): nobody else, administrators included.
        return connection.kind == "user" and connection.user_id == audience["user_id"]
    if connection.kind == "user":
        inbox_id = audience.get("inbox_id")
        if connection.role == "administrator":
            return True
        scope = connection.scope or {}
        if "conversations" in scope:  # an agent with a custom role (permissions.socket_scope)
            return _in_role_scope(connection.user_id, scope, detail, audience)
        return inbox_id is None or inbox_id in scope.get("inbox_ids", [])
    if connection.kind == "contact":
        scope = connection.scope or {}
        contact_id = audience.get("contact_id")
        return (not audience.get("private") and contact_id is not None and contact_id == scope.get("contact_id")
                and audience.get("inbox_id") == scope.get("inbox_id")
                and audience.get("source_id") == scope.get("source_id"))
    return False


def _in_role_scope(user_id: int, scope: dict, detail: dict, audience: dict) -> bool:
    """A custom role's socket: contact events only with contact_manage; a conversation's
    events only if its inbox is the agent's and the role's mode admits the conversation
    (parley/conversation_scope.py) as it is now or as it was just before the event (an
    agent sees the conversation that was theirs leave them)."""
    if str(detail.get("event", "")).startswith("contact") and not scope.get("contacts"):
        return False
    inbox_id = audience.get("inbox_id")
    if inbox_id is None:
        return True
    if inbox_id not in scope.get("inbox_ids", []):
        return False
    mode, followed = scope.get("conversations"), scope.get("participating") or []
    assignees = {audience.get("assignee_id")}
    change = (detail.get("changed_attributes") or {}).get("assignee_id")
    if isinstance(change, list) and change:
        assignees.add(change[0])
    return any(conversation_scope.admits(mode, user_id, a, audience.get("conversation_id"), followed)
               for a in assignees)


def frame(detail: dict) -> bytes:
    body = {"event": detail["event"], "data": detail["data"], "id": detail["id"]}
    if detail.get("seq") is not None:
        body["seq"] = detail["seq"]
    return json.dumps(body, default=str).encode()


def push(connection_id: str, payload: bytes) -> bool:
    """Send one frame. False (and the connection forgotten) if the socket is gone."""
    client = _client()
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=payload)
        return True
    except client.exceptions.GoneException:
        # Catch GoneException before anything broader: only this socket is dead.
        _forget(connection_id)
        return False


def _forget(connection_id: str) -> None:
    """Forget a gone socket, unless it opened within CONNECT_GRACE (its $connect may still
    be running; if it never completes, its $disconnect or the TTL removes it)."""
    try:
        connection = Connection.get(connection_id)  # for its slot
    except Connection.DoesNotExist:
        return
    forget(connection, condition=Connection.created_at < utcnow() - CONNECT_GRACE)


def forget(connection: Connection, condition=None) -> bool:
    """Delete the socket's record (if `condition` holds too) and give its open-socket slot
    back. Only the caller whose delete removed the record frees the slot, so a $disconnect,
    a revocation and a push that finds the socket gone never free it twice. False if the
    record was already gone or the condition failed."""
    exists = Connection.connection_id.exists()
    try:
        Connection(connection.connection_id).delete(condition=exists & condition if condition is not None else exists)
    except DeleteError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    if getattr(connection, "slot", None):  # the agent-index projection lacks it: that slot heals with its window
        ThrottleWindow.release(connection.slot)
    return True


def hang_up(connection_id: str, payload: bytes) -> None:
    """Send a last frame saying why, then close the socket (DeleteConnection). The caller
    has already forgotten the connection; a socket that is already gone is fine."""
    client = _client()
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=payload)
        client.delete_connection(ConnectionId=connection_id)
    except client.exceptions.GoneException:
        pass


def broadcast(detail: dict) -> int:
    """Deliver one domain event to every socket of its account that may see it."""
    account_id = detail.get("account_id")
    if account_id is None or (detail.get("audience") or {}).get("internal"):
        return 0
    body = frame(detail)
    sent = 0
    for connection in Connection.account_index.query(account_id):
        if may_see(connection, detail) and push(connection.connection_id, body):
            sent += 1
    return sent
