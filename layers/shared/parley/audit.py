"""The audit hook: every audited change writes its audit log entry in the same DynamoDB
transaction as its own first write, so no change goes unaudited and no entry records a
change that did not happen.

Who did it comes from the request: the HTTP API opens `request(...)` around each
invocation (remote address, request id) and `acting` once it knows the caller. The
domain then adds entries with `add(tx, ...)` inside its transaction, or `record(...)`
for a change that is a single write of its own (a sign-in). A multi-step change (a
contact merge, an account deletion) is audited when it starts and `conclude`d with its
outcome when it ends.

Declaring is enough for an account's configuration objects: a kind listed in
AUDITED_KINDS is audited by services/account/account_objects on every create, update and
delete, with no call in the service that owns the kind."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
import time
from typing import TYPE_CHECKING

# The models are imported where an entry is written or read, not here: the HTTP API's init
# imports this module for the request context, and stays free of pynamodb until a route needs it.
if TYPE_CHECKING:
    from .models.audit_log import AuditLog

# AccountObject kind -> Chatwoot's auditable type. Add a kind here and its every change is audited.
AUDITED_KINDS: dict[str, str] = {
    "team": "Team",
    "macro": "Macro",
    "automation_rule": "AutomationRule",
    "webhook": "Webhook",
    "dashboard_app": "DashboardApp",
    "custom_role": "CustomRole",
    "sla_policy": "SlaPolicy",
    "campaign": "Campaign",
}
# Never copied into an entry's changes: the entry must not become a way to read a secret.
SECRET_FIELDS = frozenset({"secret", "password", "password_hash", "token", "access_token", "hmac_token",
                           "otp_secret", "otp_backup_codes", "api_key"})
# Names that hold a secret wherever they appear, nested too (a channel's bot_token, a provider's app_secret).
SECRET_SUFFIXES = ("_token", "_secret", "_key", "password")
FILTERED = "[FILTERED]"
DEFAULT_RETENTION_DAYS = 365
# A user's own event (a sign-in, a password change) is entered in each of the user's
# accounts, in the change's transaction, which holds at most 100 writes: this many fit
# beside the change's own. Entries for accounts beyond it are written just before it.
USER_ACCOUNTS_IN_TRANSACTION = 90


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    user_type: str | None = None  # "User", "SuperAdmin", "PlatformApp"
    username: str | None = None
    remote_address: str | None = None
    request_uuid: str | None = None


_actor: ContextVar[Actor] = ContextVar("audit_actor", default=Actor())


@contextmanager
def request(remote_address: str | None, request_uuid: str | None):
    """One request's scope: who acts is known only inside it, and forgotten when it ends,
    so nothing done after it (the next invocation of a warm container, a consumer the
    local stack runs on the same thread) is put down to its caller."""
    token = _actor.set(Actor(remote_address=remote_address, request_uuid=request_uuid))
    try:
        yield
    finally:
        _actor.reset(token)


def acting(user=None, *, platform_app_id: int | None = None) -> None:
    """The caller, once authenticated: a user (a super admin is recorded as one) or a platform app."""
    current = _actor.get()
    if user is not None:
        kind = "SuperAdmin" if user.is_super_admin else "User"
        _actor.set(Actor(user.id, kind, user.email, current.remote_address, current.request_uuid))
    elif platform_app_id is not None:
        _actor.set(Actor(platform_app_id, "PlatformApp", None, current.remote_address, current.request_uuid))


def actor() -> Actor:
    return _actor.get()


def _secret(key) -> bool:
    return isinstance(key, str) and (key in SECRET_FIELDS or key.endswith(SECRET_SUFFIXES))


def _scrub(value):
    if isinstance(value, dict):
        return {key: (FILTERED if _secret(key) else _scrub(inner)) for key, inner in value.items()}
    if isinstance(value, list):
        return [_scrub(inner) for inner in value]
    return value


def redacted(changes: dict | None) -> dict:
    """The changes with every secret's value (at any depth) replaced by "[FILTERED]"."""
    return _scrub(dict(changes or {}))


def diff(before: dict, after: dict) -> dict:
    """The audited gem's shape for an update: {field: [old, new]} for each field that changed."""
    return redacted({key: [before.get(key), after.get(key)] for key in sorted(set(before) | set(after))
                     if before.get(key) != after.get(key)})


def _retention_seconds() -> int:
    from . import global_config  # the installation's setting, read on the audited path only
    days = global_config.get("AUDIT_LOG_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    return int(days if isinstance(days, int) and days > 0 else DEFAULT_RETENTION_DAYS) * 86_400


def entry(account_id: int, auditable_type: str, auditable_id: int | None, action: str,
          changes: dict | None = None, *, user=None) -> AuditLog:
    """A new entry (not yet written). `user` names the actor when the request has none
    yet, as at sign-in, where the user is known only once the password matched."""
    from . import ids
    from .models.audit_log import AuditLog

    if user is not None:
        acting(user)
    who = _actor.get()
    return AuditLog(account_id, ids.next_id(ids.account_counter(account_id, "AuditLog")),
                    auditable_type=auditable_type, auditable_id=auditable_id, action=action,
                    audited_changes=redacted(changes), user_id=who.user_id, user_type=who.user_type,
                    username=who.username, remote_address=who.remote_address, request_uuid=who.request_uuid,
                    expires_at=int(time.time()) + _retention_seconds())


def add(tx, account_id: int, auditable_type: str, auditable_id: int | None, action: str,
        changes: dict | None = None, *, user=None) -> AuditLog:
    """Audit a change inside its transaction: the entry commits with it or not at all."""
    from .models.audit_log import AuditLog

    item = entry(account_id, auditable_type, auditable_id, action, changes, user=user)
    tx.save(item, condition=AuditLog.id.does_not_exist())
    return item


def record(account_id: int, auditable_type: str, auditable_id: int | None, action: str,
           changes: dict | None = None, *, user=None) -> AuditLog:
    """Audit an event that is itself the only write (a sign-in, a sign-out)."""
    from .models.audit_log import AuditLog

    item = entry(account_id, auditable_type, auditable_id, action, changes, user=user)
    item.save(condition=AuditLog.id.does_not_exist())
    return item


def for_user(tx, user, action: str, changes: dict | None = None, *, actor=None,
             accounts: list[int] | None = None) -> list[AuditLog]:
    """Audit an event of a user's own (sign-in, sign-out, a password or token change) in
    each account the user belongs to (the log is an account's), or in `accounts` when
    given: one entry per account, in `tx`; `actor` names the caller when the request has
    none yet (sign-in)."""
    if accounts is None:
        from .models.account import AccountUser

        accounts = [member.account_id for member in AccountUser.user_index.query(user.id)]
    entries = [add(tx, account_id, "User", user.id, action, changes, user=actor)
               for account_id in accounts[:USER_ACCOUNTS_IN_TRANSACTION]]
    return entries + [record(account_id, "User", user.id, action, changes, user=actor)
                      for account_id in accounts[USER_ACCOUNTS_IN_TRANSACTION:]]


def conclude(item: AuditLog, outcome: str) -> None:
    """A multi-step change's outcome ("completed", "failed: ..."), added to the entry that
    recorded its start. The one update an entry ever gets, and not through any API."""
    concluded(item.account_id, item.id, outcome)


def concluded(account_id: int, entry_id: int, outcome: str) -> None:
    """`conclude` for an entry known by its key (a background job's, kept on its record).
    An entry already gone (past its retention) is not written back."""
    from pynamodb.exceptions import UpdateError

    from .models.audit_log import AuditLog

    try:
        AuditLog(account_id, entry_id).update(actions=[AuditLog.comment.set(outcome[:1000])],
                                               condition=AuditLog.id.exists())
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def for_object(tx, item, kind: str, action: str, before: dict | None = None) -> AuditLog | None:
    """The hook of services/account/account_objects: audit an object of a declared kind."""
    auditable_type = AUDITED_KINDS.get(kind)
    if auditable_type is None:
        return None
    changes = diff(before or {}, item.data) if action == "update" else redacted(item.data)
    if action == "update" and not changes:
        return None
    return add(tx, item.account_id, auditable_type, item.id, action, changes)
