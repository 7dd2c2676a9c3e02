"""WebSocket connections: who a socket belongs to and what it may see.

What a socket may see is stored on its record (role, scope) when it opens, so a broadcast
reads nothing else. Every change of a user's rights calls `rights_changed` (membership,
role, inbox members) or `credential_revoked` (password, sign-out, user deleted), which
rewrites the scope of the user's open sockets or forgets and closes them; `resume`
re-checks the rights from the source on every call. Every frame a socket sends spends from
its own budget, and `resume` from a second one (`_take`)."""
from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass
from typing import Iterable

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import UpdateError

from ... import events, ids, permissions, realtime, security_log, tokens
from ...auth import authenticate
from ...errors import NotFound, ParleyError, TooManyRequests, Unauthorized
from ...models.account import ACTIVE, AccountUser
from ...models.connection import Connection
from ...models.counter import Counter
from ...models.event_log import LoggedEvent
from ...models.throttle import ThrottleWindow
from ...models.user import User
from ...realtime import may_see
from ..account import accounts
from ..contact import contacts

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
    memberships.sort(key=lambda pair: pair[1].status != ACTIVE)  # an open account first
    if not memberships:
        raise NotFound("Account not found")
    member, account = memberships[0]
    permissions.require_open(account)
    permissions.require_two_factor(account, principal.user)
    return _save(connection_id, f"account:{member.account_id}", MAX_AGENT_SOCKETS_PER_ACCOUNT,
                 account_id=member.account_id, kind="user", user_id=member.user_id,
                 role=member.role, scope=_scope_of(member), agent_account_id=member.account_id,
                 credential=tokens.digest(token))


def _scope_of(member: AccountUser) -> dict:
    """What an agent's socket may see: administrators the whole account, agents their
    inboxes, narrowed by a custom role (permissions.socket_scope)."""
    return permissions.socket_scope(member)


def open_contact_connection(connection_id: str, pubsub_token: str | None) -> Connection:
    """A widget visitor's socket, opened with its contact inbox's pubsub token: it sees that
    contact inbox's conversations only (realtime.may_see), not all of its contact's."""
    contact_inbox = contacts.by_pubsub_token(pubsub_token)
    if contact_inbox is None:
        raise Unauthorized("Invalid pubsub token")
    permissions.open_account(contact_inbox.account_id)
    return _save(connection_id, f"inbox:{contact_inbox.inbox_id}", MAX_VISITOR_SOCKETS_PER_INBOX,
                 account_id=contact_inbox.account_id, kind="contact",
                 scope={"contact_id": contact_inbox.contact_id, "inbox_id": contact_inbox.inbox_id,
                        "source_id": contact_inbox.source_id},
                 credential=tokens.digest(pubsub_token))


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
        security_log.refused("ws_socket_cap", f"{tenant} already holds {cap} open sockets", tenant=tenant)
        raise TooManyRequests("Too many open connections", retry_after=60) from None
    return key


def _save(connection_id: str, tenant: str, cap: int, **attributes) -> Connection:
    now = int(time.time())
    slot = _take_slot(tenant, cap)
    connection = Connection(connection_id, last_seen_at=now, expires_at=now + MAX_CONNECTION_SECONDS, slot=slot,
                            **attributes)
    try:
        connection.save()
    except Exception:
        ThrottleWindow.release(slot)
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


def get(connection_id: str, *, first_frame: bool = False) -> Connection | None:
    """The socket's record. `first_frame`: the caller may be the socket's first frame (a
    resume), which follows its $connect by milliseconds, and an eventually consistent read
    may not see a record that new yet: a miss is then read again consistently. Other
    frames of an unknown socket (a closed flood, say) still cost one read."""
    for consistent in (False, True) if first_frame else (False,):
        try:
            return Connection.get(connection_id, consistent_read=consistent)
        except Connection.DoesNotExist:
            pass
    return None


def close(connection_id: str) -> Connection | None:
    """Forget the socket; returns what it was, if it was known."""
    connection = get(connection_id)
    if connection is not None:
        realtime.forget(connection)
    return connection


# ---------------------------------------------------------------- rights change

def rights_changed(account_id: int, user_ids: Iterable[int]) -> None:
    """The users' rights in `account_id` changed (role, custom role, inbox members,
    conversations followed, membership removed):
    their open sockets get the scope the rights now give, or, for a user who is no longer
    a member, are forgotten, told why and closed. One agent-index Query for the account,
    then per user with sockets one membership read (and its inboxes)."""
    wanted = set(user_ids)
    if not wanted:
        return
    by_user: dict[int, list[Connection]] = {}
    for connection in Connection.agent_index.query(account_id):
        if connection.user_id in wanted:
            by_user.setdefault(connection.user_id, []).append(connection)
    for user_id, sockets in by_user.items():
        member = accounts.membership(account_id, user_id)
        if member is None:
            _revoke_all(account_id, user_id, sockets, "removed_from_account", condition=None)
            continue
        scope = _scope_of(member)
        for connection in sockets:
            try:
                Connection(connection.connection_id).update(
                    actions=[Connection.role.set(member.role), Connection.scope.set(scope)],
                    condition=Connection.connection_id.exists())
            except UpdateError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise  # a closed socket has nothing to update; anything else is real


def credential_revoked(user_id: int, reason: str, token: str | None = None) -> None:
    """The user's API token `token` (every token, when None) no longer stands: close the
    sockets it opened, in every account of the user. Call before memberships are removed."""
    condition = Connection.credential == tokens.digest(token) if token else None
    for member, _account in accounts.memberships_of(user_id):
        sockets = [c for c in Connection.agent_index.query(member.account_id) if c.user_id == user_id]
        _revoke_all(member.account_id, user_id, sockets, reason, condition=condition)


def two_factor_missing(account_id: int, user_ids: Iterable[int] | None = None) -> None:
    """The account now requires two-factor sign-in (or a user of it lost theirs): the
    sockets of its members without it (of `user_ids`, when given) are told why and closed,
    as their reconnects and REST calls are refused (permissions.require_two_factor). One
    agent-index Query, then one BatchGet of the socket owners."""
    by_user: dict[int, list[Connection]] = {}
    for connection in Connection.agent_index.query(account_id):
        if connection.user_id is not None and (user_ids is None or connection.user_id in user_ids):
            by_user.setdefault(connection.user_id, []).append(connection)
    if not by_user:
        return
    for user in User.batch_get(list(by_user)):
        if not user.otp_required_for_login:
            _revoke_all(account_id, user.id, by_user[user.id], "two_factor_required", condition=None)


def account_closed(account_id: int, reason: str) -> int:
    """The account was suspended or is being deleted: every socket of it, agents' and
    visitors', is forgotten, told why and closed (the doors refuse their reconnects)."""
    closed = 0
    for connection in Connection.account_index.query(account_id):
        closed += revoke(connection, reason)
    return closed


def _revoke_all(account_id: int, user_id: int, sockets: list[Connection], reason: str, condition) -> None:
    """Revoke those of `sockets` that match `condition`; if that leaves the user no live
    socket in the account, tell its agents the user went offline ($disconnect, which
    follows the close, no longer finds the record to do it)."""
    fresh = int(time.time()) - PRESENCE_SECONDS
    revoked = remaining = False
    for connection in sockets:
        if revoke(connection, reason, condition=condition):
            revoked = True
        else:
            remaining = remaining or connection.last_seen_at >= fresh
    if revoked and not remaining:
        events.publish("presence.update", account_id, {"account_id": account_id, "users": {str(user_id): "offline"},
                                                       "contacts": {}}, ephemeral=True)


def revoke(connection: Connection, reason: str, condition=None) -> bool:
    """Forget the socket (from now on no broadcast finds it and its frames answer 410),
    then tell it why and close it. False if `condition` did not hold (or it was gone)."""
    if not realtime.forget(connection, condition):
        return False
    realtime.hang_up(connection.connection_id, json.dumps({"event": "connection.revoked", "reason": reason}).encode())
    return True


# ---------------------------------------------------------------- frame and resume budgets

@dataclass(frozen=True)
class Budget:
    """A token bucket in one number (GCRA): the connection attribute holds when the bucket
    will be full again (epoch ms). A request is allowed while that is at most burst-1
    intervals ahead; taking it moves it one interval on."""
    attribute: NumberAttribute
    burst: int
    interval_ms: int
    what: str  # what it counts, for the refusal's message
    refusal_kind: str  # security_log kind of a refusal

    def wait_ms(self, connection: Connection, now: int) -> int:
        """How long until a token is free (0 or less: one is free now)."""
        tat = getattr(connection, self.attribute.attr_name) or now
        return max(tat, now) - (self.burst - 1) * self.interval_ms - now


# Every frame: a client heartbeats every 20 s and resumes once per (re)connect, so 10 back
# to back (a reconnect, a resume, a retry) then one per 2 s (10 times a heartbeat's rate)
# is room to spare for it, while one socket can no longer send faster than that.
FRAME_BURST = 10
FRAME_INTERVAL_SECONDS = 2
# Frames sent past the budget still count; this many more without pausing and the socket
# is closed (it ignored retry_after: a client bug or a flood).
FLOOD_FRAMES = 10
FRAMES = Budget(Connection.frame_tat, FRAME_BURST, FRAME_INTERVAL_SECONDS * 1000, "frames",
                "socket_frames_throttled")

RESUME_BURST = 2  # resumes a socket may make back to back (one per (re)connect is normal)
RESUME_INTERVAL_SECONDS = 5  # then one per interval: each may read up to RESUME_LIMIT events
RESUMES = Budget(Connection.resume_tat, RESUME_BURST, RESUME_INTERVAL_SECONDS * 1000, "resume requests",
                 "socket_resume_throttled")


def take_frame(connection: Connection, *, heartbeat: bool = False) -> None:
    """Spend one frame of the socket's budget; a heartbeat marks the socket seen (presence)
    in that same write. TooManyRequests past the budget, Unauthorized once closed for
    flooding."""
    _take(connection, heartbeat=heartbeat)


def resume(connection: Connection, since: int) -> list[dict]:
    """The events a socket missed, after taking one frame and one resume from its budgets
    (429 when spent, costing no read) and re-checking its rights at their source (a socket
    whose credential or membership is gone is revoked and gets Unauthorized)."""
    _take(connection, resume=True)
    _recheck(connection)
    return missed_events(connection, since)


def _take(connection: Connection, *, heartbeat: bool = False, resume: bool = False) -> None:
    """One conditional write per frame: the frame token, the resume token if it is a
    resume, last_seen_at if it is a heartbeat. A refused resume still spends its frame."""
    now = int(time.time() * 1000)
    if FRAMES.wait_ms(connection, now) > 0:
        _over_budget(connection, now)
    resume_wait = RESUMES.wait_ms(connection, now) if resume else 0
    budgets = [FRAMES, RESUMES] if resume and resume_wait <= 0 else [FRAMES]
    actions = [Connection.last_seen_at.set(now // 1000)] if heartbeat else []
    if not _spend(connection, budgets, actions, now):  # another frame of this socket won the race
        _refuse(connection, RESUMES if resume else FRAMES, budgets[-1].interval_ms)
    if resume_wait > 0:
        _refuse(connection, RESUMES, resume_wait)


def _spend(connection: Connection, budgets: list[Budget], actions: list, now: int) -> bool:
    """Take one token from each budget (the caller checked each has one) with `actions`,
    in one update conditional on the values read, so two concurrent frames cannot both
    spend the same token. False if the condition failed (a concurrent frame, or gone)."""
    condition = Connection.connection_id.exists()
    for budget in budgets:
        previous = getattr(connection, budget.attribute.attr_name)
        actions = [*actions, budget.attribute.set(max(previous or now, now) + budget.interval_ms)]
        condition &= (budget.attribute == previous) if previous is not None else budget.attribute.does_not_exist()
    try:
        connection.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _over_budget(connection: Connection, now: int) -> None:
    """A frame past the budget still moves the bucket on (an atomic ADD: it is already
    ahead of now), so a socket that keeps sending instead of waiting runs up a debt; past
    FLOOD_FRAMES intervals of it the socket is closed."""
    try:
        connection.update(actions=[FRAMES.attribute.add(FRAMES.interval_ms)],
                          condition=Connection.connection_id.exists())
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise Unauthorized("Connection closed") from None
    wait = FRAMES.wait_ms(connection, now)
    if wait > FLOOD_FRAMES * FRAMES.interval_ms:
        security_log.refused("socket_flooding", "socket kept sending past its frame budget; closed",
                             connection_id=connection.connection_id, account_id=connection.account_id,
                             user_id=connection.user_id, socket_kind=connection.kind)
        # as its $disconnect would have (it finds no record now): offline if it was the last
        if (revoke(connection, "flooding") and connection.kind == "user"
                and connection.user_id not in online_user_ids(connection.account_id)):
            announce(connection, "offline")
        raise Unauthorized("Connection closed for flooding")
    _refuse(connection, FRAMES, wait)


def _refuse(connection: Connection, budget: Budget, wait_ms: int) -> None:
    retry_after = max(1, -(-wait_ms // 1000))
    security_log.refused(budget.refusal_kind, f"too many {budget.what} on one socket",
                         connection_id=connection.connection_id, account_id=connection.account_id,
                         user_id=connection.user_id, retry_after=retry_after)
    raise TooManyRequests(f"Too many {budget.what}; retry in {retry_after} s", retry_after)


def _recheck(connection: Connection) -> None:
    """Re-derive the socket's rights from their source; revoke it if they are gone, and
    store the scope they now give if it changed (so live frames follow too)."""
    if connection.kind == "contact":
        scope = connection.scope or {}
        contact_inbox = contacts.contact_inbox(scope.get("inbox_id"), scope.get("source_id"))
        if (contact_inbox is None or contact_inbox.contact_id != scope.get("contact_id")
                or not _same(tokens.digest(contact_inbox.pubsub_token), connection.credential)):
            _lost(connection, "token_revoked")
        return
    if tokens.owner_of_digest(connection.credential or "") != f"User#{connection.user_id}":
        _lost(connection, "token_revoked")
    member = accounts.membership(connection.account_id, connection.user_id)
    if member is None:
        _lost(connection, "removed_from_account")
    scope = _scope_of(member)
    if (member.role, scope) != (connection.role, connection.scope):
        try:
            connection.update(actions=[Connection.role.set(member.role), Connection.scope.set(scope)],
                              condition=Connection.connection_id.exists())
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            raise Unauthorized("Connection closed") from None


def _same(digest: str, credential: str | None) -> bool:
    return credential is not None and hmac.compare_digest(digest, credential)


def _lost(connection: Connection, reason: str) -> None:
    security_log.refused("socket_rights_lost", f"socket resumed without its rights ({reason})",
                         connection_id=connection.connection_id, account_id=connection.account_id,
                         user_id=connection.user_id, socket_kind=connection.kind)
    revoke(connection, reason)
    raise Unauthorized("Connection rights revoked")
