"""The audit hook: every audited change writes its audit log entry in the same DynamoDB
transaction as its own first write, so no change goes unaudited and no entry records a
change that did not happen.

Who did it comes from the request: the HTTP API calls `begin_request` once per
invocation (remote address, request id) and `acting` once it knows the caller. The
domain then adds entries with `add(tx, ...)` inside its transaction, or `record(...)`
for a change that is a single write of its own (a sign-in). A multi-step change (a
contact merge, an account deletion) is audited when it starts and `conclude`d with its
outcome when it ends.

Declaring is enough for an account's configuration objects: a kind listed in
AUDITED_KINDS is audited by services/account/account_objects on every create, update and
delete, with no call in the service that owns the kind."""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
import time

from . import ids
from .models.audit_log import AuditLog

# AccountObject kind -> Chatwoot's auditable type. Add a kind here and its every change is audited.
AUDITED_KINDS: dict[str, str] = {
    "team": "Team",
    "macro": "Macro",
    "automation_rule": "AutomationRule",
    "webhook": "Webhook",
    "custom_role": "CustomRole",
}
# Never copied into an entry's changes: the entry must not become a way to read a secret.
SECRET_FIELDS = frozenset({"secret", "password", "password_hash", "token", "access_token", "hmac_token",
                           "otp_secret", "otp_backup_codes", "api_key"})
DEFAULT_RETENTION_DAYS = 365


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    user_type: str | None = None  # "User", "SuperAdmin", "PlatformApp"
    username: str | None = None
    remote_address: str | None = None
    request_uuid: str | None = None


_actor: ContextVar[Actor] = ContextVar("audit_actor", default=Actor())


def begin_request(remote_address: str | None, request_uuid: str | None) -> None:
    """A new request: forget the previous invocation's caller (a warm container's context
    outlives one request)."""
    _actor.set(Actor(remote_address=remote_address, request_uuid=request_uuid))


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


def redacted(changes: dict | None) -> dict:
    return {key: ("[FILTERED]" if key in SECRET_FIELDS else value) for key, value in (changes or {}).items()}


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
    item = entry(account_id, auditable_type, auditable_id, action, changes, user=user)
    tx.save(item, condition=AuditLog.id.does_not_exist())
    return item


def record(account_id: int, auditable_type: str, auditable_id: int | None, action: str,
           changes: dict | None = None, *, user=None) -> AuditLog:
    """Audit an event that is itself the only write (a sign-in, a sign-out)."""
    item = entry(account_id, auditable_type, auditable_id, action, changes, user=user)
    item.save(condition=AuditLog.id.does_not_exist())
    return item


def conclude(item: AuditLog, outcome: str) -> None:
    """A multi-step change's outcome ("completed", "failed: ..."), added to the entry that
    recorded its start. The one update an entry ever gets, and not through any API."""
    item.update(actions=[AuditLog.comment.set(outcome[:1000])])


def for_object(tx, item, kind: str, action: str, before: dict | None = None) -> AuditLog | None:
    """The hook of services/account/account_objects: audit an object of a declared kind."""
    auditable_type = AUDITED_KINDS.get(kind)
    if auditable_type is None:
        return None
    changes = diff(before or {}, item.data) if action == "update" else redacted(item.data)
    if action == "update" and not changes:
        return None
    return add(tx, item.account_id, auditable_type, item.id, action, changes)
