"""WebSocket connections: who a socket belongs to and what it may see."""
from __future__ import annotations

import time

from ..auth import authenticate
from ..errors import NotFound, ParleyError
from ..models.connection import Connection
from . import accounts

# API Gateway closes a WebSocket after 2 hours; the TTL clears records whose $disconnect
# never arrived.
MAX_CONNECTION_SECONDS = 2 * 60 * 60


def open_agent_connection(connection_id: str, token: str | None, account_id: str | None) -> Connection:
    """Authenticate an agent's socket by its API token, in one of its accounts."""
    principal = authenticate(token)
    if principal.user is None:
        raise ParleyError("Only users and contacts may open a realtime connection")
    memberships = accounts.memberships_of(principal.user.id)
    if account_id is not None:
        memberships = [(m, a) for m, a in memberships if str(a.id) == account_id]
    if not memberships:
        raise NotFound("Account not found")
    member = memberships[0][0]
    now = int(time.time())
    connection = Connection(connection_id, account_id=member.account_id, kind="user", user_id=member.user_id,
                            role=member.role, scope={}, last_seen_at=now, expires_at=now + MAX_CONNECTION_SECONDS)
    connection.save()
    return connection


def get(connection_id: str) -> Connection | None:
    try:
        return Connection.get(connection_id)
    except Connection.DoesNotExist:
        return None


def heartbeat(connection: Connection) -> None:
    connection.update(actions=[Connection.last_seen_at.set(int(time.time()))])


def close(connection_id: str) -> None:
    Connection(connection_id).delete()
