"""WebSocket connections: who a socket belongs to and what it may see."""
from __future__ import annotations

import time

from pynamodb.exceptions import DeleteError, UpdateError

from ..auth import authenticate
from ..errors import NotFound, ParleyError, TooManyRequests, Unauthorized
from ..models.connection import Connection
from ..models.counter import Counter
from ..models.event_log import LoggedEvent
from ..models.throttle import ThrottleWindow
from ..realtime import may_see
from ..security_log import refused
from .. import events, ids
from . import accounts, contacts, inboxes

RESUME_LIMIT = 1000  # a client further behind than this reloads instead
RESUME_OVERLAP = 20  # events are sequenced before they are logged, so two publishers can
# log out of order; re-sending a few before `since` (clients dedupe by id) closes that gap


def missed_events(connection: Connection, since: int) -> list[dict]:
    """Logged events after `since` (minus the overlap) that this socket may see, in order.

    `since` 0 is a client that has applied no event yet: it loaded its state over REST
    just now, so it gets only the last few events (what may have happened between that
    load and this socket), not the whole day's log."""
    if since == 0:
        since = current_seq(connection.account_id)
    start = max(0, since - RESUME_OVERLAP)
    rows = LoggedEvent.query(connection.account_id, LoggedEvent.seq > start, limit=RESUME_LIMIT)
    return [row.detail for row in rows if may_see(connection, row.detail)]

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
    # What an agent may see is fixed when the socket opens: joining an inbox takes effect
    # on the next connection (the dashboard reconnects when its inboxes change).
    scope = {} if member.role == "administrator" else {
        "inbox_ids": inboxes.member_inbox_ids(member.user_id, member.account_id)}
    return _save(connection_id, f"account:{member.account_id}", MAX_AGENT_SOCKETS_PER_ACCOUNT,
                 account_id=member.account_id, kind="user", user_id=member.user_id,
                 role=member.role, scope=scope, agent_account_id=member.account_id)


def open_contact_connection(connection_id: str, pubsub_token: str | None) -> Connection:
    """A widget visitor's socket, opened with its contact inbox's pubsub token."""
    contact_inbox = contacts.by_pubsub_token(pubsub_token)
    if contact_inbox is None:
        raise Unauthorized("Invalid pubsub token")
    return _save(connection_id, f"inbox:{contact_inbox.inbox_id}", MAX_VISITOR_SOCKETS_PER_INBOX,
                 account_id=contact_inbox.account_id, kind="contact",
                 scope={"contact_id": contact_inbox.contact_id, "inbox_id": contact_inbox.inbox_id})


# Open sockets one tenant may hold, so no tenant can take the stage's frame budget
# (template.yaml WebSocketStage): visitors per website inbox, agents per account.
MAX_VISITOR_SOCKETS_PER_INBOX = 2000
MAX_AGENT_SOCKETS_PER_ACCOUNT = 500


def _slot_key(tenant: str, window_end: int) -> str:
    return f"ws_open:{tenant}:{window_end}"


def _take_slot(tenant: str, cap: int) -> str:
    """Count one more open socket for the tenant, or refuse (429) at the cap.

    Sockets are counted in the window of MAX_CONNECTION_SECONDS they opened in (ADD 1 at
    $connect, ADD -1 at $disconnect on that same window's item). No socket outlives the
    window after its own, so open = this window's count + the last one's; a $disconnect
    that never came stops counting once its window has passed, instead of locking the
    tenant out for good. The previous window only shrinks, so checking the current one
    against `cap - previous` in the conditional ADD holds under concurrent connects."""
    now = int(time.time())
    window_end = (now // MAX_CONNECTION_SECONDS + 1) * MAX_CONNECTION_SECONDS
    key, previous_key = _slot_key(tenant, window_end), _slot_key(tenant, window_end - MAX_CONNECTION_SECONDS)
    try:
        previous = max(0, int(ThrottleWindow.get(previous_key).count))
    except ThrottleWindow.DoesNotExist:
        previous = 0
    room = cap - previous
    try:
        ThrottleWindow(key).update(
            actions=[ThrottleWindow.count.add(1), ThrottleWindow.expires_at.set(window_end + MAX_CONNECTION_SECONDS)],
            condition=ThrottleWindow.count.does_not_exist() | (ThrottleWindow.count < room))
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        refused("ws_socket_cap", f"{tenant} already holds {cap} open sockets", tenant=tenant)
        raise TooManyRequests("Too many open connections", retry_after=60) from None
    return key


def _free_slot(key: str) -> None:
    ThrottleWindow(key).update(actions=[ThrottleWindow.count.add(-1)])


def _save(connection_id: str, tenant: str, cap: int, **attributes) -> Connection:
    now = int(time.time())
    slot = _take_slot(tenant, cap)
    connection = Connection(connection_id, last_seen_at=now, expires_at=now + MAX_CONNECTION_SECONDS, slot=slot,
                            **attributes)
    try:
        connection.save()
    except Exception:
        _free_slot(slot)
        raise
    return connection


def current_seq(account_id: int) -> int:
    try:
        return int(Counter.get(ids.account_counter(account_id, "Event")).value)
    except Counter.DoesNotExist:
        return 0


PRESENCE_SECONDS = 60  # three missed 20 s heartbeats and an agent counts as offline


def online_user_ids(account_id: int) -> set[int]:
    """Agents with a socket that has sent a heartbeat recently. The sparse agent-index
    holds agents' sockets only, so visitors' sockets cost nothing here."""
    fresh = int(time.time()) - PRESENCE_SECONDS
    return {c.user_id for c in Connection.agent_index.query(
        account_id, filter_condition=Connection.last_seen_at >= fresh)}


def announce(connection: Connection, availability: str) -> None:
    """Tell the account's agents that this agent came or went (live only: a client that
    reconnects reads presence afresh from the agents list)."""
    events.publish("presence.update", connection.account_id,
                   {"account_id": connection.account_id, "users": {str(connection.user_id): availability},
                    "contacts": {}}, ephemeral=True)


def get(connection_id: str) -> Connection | None:
    try:
        return Connection.get(connection_id)
    except Connection.DoesNotExist:
        return None


def heartbeat(connection: Connection) -> None:
    connection.update(actions=[Connection.last_seen_at.set(int(time.time()))])


def close(connection_id: str) -> Connection | None:
    """Forget the socket; returns what it was, if it was known."""
    connection = get(connection_id)
    if connection is not None:
        try:  # only the $disconnect that removes the record frees its slot (no double frees)
            connection.delete(condition=Connection.connection_id.exists())
        except DeleteError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return connection
        if connection.slot:
            _free_slot(connection.slot)
    return connection
