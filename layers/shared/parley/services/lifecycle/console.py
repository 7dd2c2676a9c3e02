"""The super-admin console: every account, user, platform app and installation-wide agent
bot of the installation, for super admins only (the routes check; nothing here does).

Listing. Accounts, users and platform apps are keyed by id alone, ids come from one
counter each (parley/ids.py), and a Scan is not allowed on a request path. A page walks
ids downward from the counter's value (newest first) in BatchGetItem pages of 100 keys: an
id whose item was deleted is simply not returned. A search filters what it reads in
memory and stops after EXAMINE_LIMIT ids, answering with the cursor to continue from, so
no request reads more than a bounded number of items however large the installation is
(docs/data-model.md, "The super-admin console").

Auditing. A super admin's action on an account goes into that account's audit log
(parley/audit.py, user_type "SuperAdmin") in the same transaction as the change; an action
on a user goes into the log of every account the user belongs to; what belongs to no
account (a platform app, an installation-wide bot, a user of no account) into the
installation's own log, partition INSTALLATION (0) of AuditLogs."""
from __future__ import annotations

import re
from typing import Callable, Iterable

from pynamodb.exceptions import TransactWriteError

from ... import audit, dynamo, tokens
from ...errors import Conflict, Invalid, NotFound
from ...models.account import Account, AccountUser
from ...models.audit_log import AuditLog
from ...models.base import utcnow
from ...models.conversation_index import COUNT_KIND, ConversationCount
from ...models.counter import Counter
from ...models.inbox import Inbox
from ...models.platform_app import PlatformApp
from ...models.user import SUPER_ADMIN, User
from ..access import password_resets, platform, users
from ..account import accounts, agent_bots
from . import account_status

INSTALLATION = 0  # the AuditLogs partition of what belongs to no account
BATCH = 100  # keys per BatchGetItem
EXAMINE_LIMIT = 1000  # ids one listing request may read at most
MAX_PER_PAGE = 100

# Chatwoot's account feature flags (config/features.yml), the names its clients check.
FEATURES = (
    "inbound_emails", "channel_email", "channel_facebook", "channel_twitter", "channel_instagram",
    "channel_website", "ip_lookup", "disable_branding", "email_continuity_on_api_channel", "help_center",
    "agent_bots", "macros", "agent_management", "team_management", "inbox_management", "labels",
    "custom_attributes", "automations", "canned_responses", "integrations", "voice_recorder", "campaigns",
    "reports", "crm", "auto_resolve_conversations", "custom_reply_email", "custom_reply_domain", "audit_logs",
    "response_bot", "message_reply_to", "insert_article_in_reply", "inbox_view", "sla",
    "help_center_embedding_search", "linear_integration", "captain_integration", "custom_roles", "chatwoot_v4",
)
LIMIT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


# ---------------------------------------------------------------- listing by id

def _walk(model, counter: str, before: int | None, per_page: int,
          match: Callable[[object], bool]) -> tuple[list, int | None]:
    """Up to `per_page` items of `model` that `match`, newest id first, from ids below
    `before` (the counter's value + 1 when None). Returns them and the cursor of the next
    page (None at the end). Reads at most EXAMINE_LIMIT ids."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    top = _counter_value(counter) + 1 if before is None else min(before, _counter_value(counter) + 1)
    found: list = []
    next_id, examined = top - 1, 0
    while next_id >= 1 and len(found) < per_page and examined < EXAMINE_LIMIT:
        keys = list(range(next_id, max(0, next_id - BATCH), -1))
        items = {item_id(item): item for item in model.batch_get(keys)}
        for key in keys:
            examined += 1
            next_id = key - 1
            item = items.get(key)
            if item is not None and match(item):
                found.append(item)
                if len(found) == per_page:
                    break
    return found, (next_id + 1 if next_id >= 1 else None)


def item_id(item) -> int:
    return item.id


def _counter_value(name: str) -> int:
    try:
        return int(Counter.get(name).value or 0)
    except Counter.DoesNotExist:
        return 0


def _text_match(query: str | None, *fields: Callable[[object], object]) -> Callable[[object], bool]:
    needle = (query or "").strip().lower()

    def match(item) -> bool:
        if not needle:
            return True
        return any(needle in str(field(item) or "").lower() for field in fields)

    return match


# ---------------------------------------------------------------- accounts

def _by_id(model, needle: str) -> list:
    """A query that is a number names an id: one GetItem."""
    if len(needle) > 18:
        return []
    try:
        return [model.get(int(needle))]
    except model.DoesNotExist:
        return []


def list_accounts(query: str | None, before: int | None, per_page: int) -> tuple[list[Account], int | None]:
    """The account whose id is `query` (a number), or those whose name, domain or support
    e-mail contains it."""
    needle = (query or "").strip()
    if needle.isdigit():
        return _by_id(Account, needle), None
    match = _text_match(query, lambda a: a.name, lambda a: a.domain, lambda a: a.support_email)
    return _walk(Account, "Account", before, per_page, match)


def counts(account: Account) -> dict:
    """Members and inboxes: a Select=COUNT Query each (the index or table partition of the
    account); conversations: the sum of the account's conversation count buckets (one
    Query on the `conversation_count#` prefix, a few items per inbox and agent), the same
    numbers the dashboard's tabs show."""
    members = AccountUser.count(account.id)
    inboxes = Inbox.account_index.count(account.id)
    conversations = sum(int(bucket.value or 0) for bucket in
                        ConversationCount.query(account.id, ConversationCount.key.startswith(f"{COUNT_KIND}#")))
    return {"members": members, "inboxes": inboxes, "conversations": conversations}


def check_features(features: Iterable[str] | None) -> list[str] | None:
    if features is None:
        return None
    unknown = sorted(set(features) - set(FEATURES))
    if unknown:
        raise Invalid(f"Unknown feature flags: {', '.join(unknown[:10])}", field="features")
    return sorted(set(features))


def check_limits(limits: dict | None) -> dict | None:
    """Limits are named non-negative whole numbers ({"agents": 10, "inboxes": 5})."""
    if limits is None:
        return None
    if len(limits) > 20:
        raise Invalid("At most 20 limits", field="limits")
    for key, value in limits.items():
        if not LIMIT_KEY.match(key) or isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Invalid(f"Limit {key[:40]!r} must be a lower-case name with a whole number >= 0", field="limits")
    return dict(limits)


def create_account(**fields) -> Account:
    fields["features"] = check_features(fields.get("features"))
    fields["limits"] = check_limits(fields.get("limits"))
    return accounts.create_account(audited=True, **{k: v for k, v in fields.items() if v is not None})


def update_account(account: Account, **changes) -> Account:
    if "features" in changes:
        changes["features"] = check_features(changes["features"])
    if "limits" in changes:
        changes["limits"] = check_limits(changes["limits"])
    if not changes:
        return account
    return account_status.update_account(account, **changes)


def set_status(account: Account, status: str) -> Account:
    """Suspend ("suspended") or reactivate ("active"); audited as an update of `status`."""
    if account.status == status:
        return account
    return account_status.update_account(account, status=status)


def delete_account(account: Account) -> Account:
    return account_status.delete_account(account)


def add_member(account: Account, *, user_id: int | None, email: str | None, role: str) -> AccountUser:
    """The user (by id or e-mail) joins the account with `role`, or gets that role there.
    The membership's own audit is the account-user hook's (services/access/members)."""
    from ..access import members

    if (user_id is None) == (email is None):
        raise Invalid("Give either user_id or email", field="user_id")
    user = users.get_user(user_id) if user_id is not None else users.find_by_email(users.normalize_email(email))
    if user is None:
        raise NotFound("User not found")
    existing = accounts.membership(account.id, user.id)
    if existing is not None:
        return members.update_member(existing, role=role)
    return members.add_member(account.id, user.id, role)


def remove_member(account: Account, user_id: int) -> None:
    """The super admin may remove an account's last administrator (it can add another)."""
    from ..access import members

    member = accounts.membership(account.id, user_id)
    if member is None:
        raise NotFound("Account user not found")
    members.remove_member(member, keep_an_administrator=False)


# ---------------------------------------------------------------- users

def list_users(query: str | None, before: int | None, per_page: int) -> tuple[list[User], int | None]:
    """The user whose id (a number) or e-mail is `query` (one GetItem / one index Query), or
    those whose e-mail, name or display name contains it (the bounded walk)."""
    needle = (query or "").strip().lower()
    if needle.isdigit():
        return _by_id(User, needle), None
    if needle and before is None and users.EMAIL_RE.match(needle):
        exact = users.find_by_email(needle)
        if exact is not None:
            return [exact], None
    match = _text_match(needle, lambda u: u.email, lambda u: u.name, lambda u: u.display_name)
    return _walk(User, "User", before, per_page, match)


def accounts_of(user: User) -> list[tuple[AccountUser, Account]]:
    return accounts.memberships_of(user.id)


def _audit_accounts(user: User) -> list[int]:
    """Where an action on the user is recorded: each of its accounts, else the installation."""
    return sorted({member.account_id for member in AccountUser.user_index.query(user.id)}) or [INSTALLATION]


def _audited(user: User, action: str, changes: dict, writes: Callable[[object], None],
             account_ids: list[int] | None = None) -> list[AuditLog]:
    """Run `writes(tx)` in one transaction with the action's entries (audit.for_user):
    in each of the user's accounts' logs, or the installation's for a user of none."""
    with dynamo.transaction() as tx:
        writes(tx)
        entries = audit.for_user(tx, user, action, changes, accounts=account_ids or _audit_accounts(user))
    return entries


def create_user(*, email: str, name: str, password: str | None, display_name: str | None,
                super_admin: bool) -> User:
    if password:
        from ... import passwords

        passwords.validate(password)
    user = users.create_user(email=email, name=name, password=password, display_name=display_name,
                             super_admin=super_admin)
    audit.record(INSTALLATION, "User", user.id, "create",
                 {"email": user.email, "name": user.name, "type": user.type, "password": bool(password)})
    return user


def update_user(user: User, **changes) -> User:
    """Name, display name, e-mail (its uniqueness claim moves in the same transaction)."""
    before = {"name": user.name, "display_name": user.display_name, "email": user.email}
    new_email = changes.pop("email", None)
    old_email = user.email
    for key, value in changes.items():
        setattr(user, key, value)
    if new_email is not None:
        user.email = users.normalize_email(new_email)
    after = {"name": user.name, "display_name": user.display_name, "email": user.email}
    changed = audit.diff(before, after)
    if not changed:
        return user
    user.updated_at = utcnow()

    def writes(tx):
        if user.email != old_email:
            claim = users.email_claim(user.email)
            claim.target = users.owner(user.id)
            tx.save(claim, condition=claim.__class__.key.does_not_exist())
            tx.delete(users.email_claim(old_email))
        tx.save(user)

    try:
        _audited(user, "update", changed, writes)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            raise Conflict("Email has already been taken", field="email") from None
        raise
    return user


def confirm_user(user: User) -> User:
    if user.confirmed:
        return user
    user.confirmed = True
    user.updated_at = utcnow()
    _audited(user, "update", {"confirmed": [False, True]}, lambda tx: tx.save(user))
    return user


def set_password(user: User, password: str) -> User:
    """A password the super admin chooses: every token and socket of the user ends."""
    from ... import passwords

    passwords.validate(password)
    user.password_hash = passwords.hash_password(password)
    user.password_from_platform = False
    user.updated_at = utcnow()
    _audited(user, "update", {"password": "[FILTERED]"}, lambda tx: tx.save(user))
    users.password_changed(user)
    return user


def send_password_reset(user: User, base_url: str) -> None:
    """Mail the user a reset link (password_resets' own link and mail, valid an hour); the
    link's item is written in the audited transaction."""
    item, link = password_resets.reset_link(user, base_url)
    _audited(user, "reset_password", {}, lambda tx: tx.save(item))
    password_resets.mail_reset(user, link, quiet=False)  # a mail SES refused is the super admin's to know


def revoke_tokens(user: User) -> int:
    """Every API token of the user (sign-ins, SSO links, password links) and its sockets.
    Multi-step (tokens are deleted in batches): audited when it starts, concluded with
    the number revoked."""
    entries = _audited(user, "revoke_tokens", {}, lambda tx: None)
    revoked = tokens.revoke_all(users.owner(user.id))
    revoked += tokens.revoke_all(f"SsoLogin#{user.id}") + tokens.revoke_all(f"PasswordReset#{user.id}")
    users.close_sockets(user, "tokens_revoked")
    for entry in entries:
        audit.conclude(entry, f"completed: {revoked} tokens revoked")
    return revoked


def set_super_admin(user: User, make: bool, caller: User) -> User:
    """Make or remove a super admin. Never the caller itself (422), so the caller, a super
    admin, remains: the installation always keeps one. The transaction checks the caller
    is still a super admin, so two super admins removing each other at once cannot both
    succeed (DynamoDB transactions are serializable)."""
    if make == user.is_super_admin:
        return user
    if not make and user.id == caller.id:
        raise Invalid("You cannot remove your own super admin rights", field="super_admin")
    before = user.type
    user.type = SUPER_ADMIN if make else None
    user.updated_at = utcnow()

    def writes(tx):
        tx.save(user)
        if not make:
            tx.condition_check(User, caller.id, condition=User.type == SUPER_ADMIN)

    try:
        _audited(user, "update", {"type": [before, user.type]}, writes)
    except TransactWriteError as exc:
        user.type = before
        if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            raise Invalid("You are no longer a super admin", field="super_admin") from None
        raise
    return user


def delete_user(user: User, caller: User) -> None:
    """Delete the user (its memberships, tokens and sockets go with it). Never the caller
    (422). Multi-step: audited when it starts (with the check that the caller is still a
    super admin), concluded when done."""
    if user.id == caller.id:
        raise Invalid("You cannot delete yourself", field="user")
    account_ids = _audit_accounts(user)
    snapshot = {"email": user.email, "name": user.name, "type": user.type}
    try:
        entries = _audited(user, "destroy", snapshot,
                           lambda tx: tx.condition_check(User, caller.id, condition=User.type == SUPER_ADMIN),
                           account_ids)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            raise Invalid("You are no longer a super admin", field="user") from None
        raise
    users.delete_user(user)
    for entry in entries:
        audit.conclude(entry, "completed")


# ---------------------------------------------------------------- platform apps

def list_platform_apps() -> list[PlatformApp]:
    apps, cursor = _walk(PlatformApp, "PlatformApp", None, MAX_PER_PAGE, lambda _: True)
    while cursor is not None:  # a handful in practice; each page is still a bounded read
        more, cursor = _walk(PlatformApp, "PlatformApp", cursor, MAX_PER_PAGE, lambda _: True)
        apps += more
    return apps


def get_platform_app(app_id: int) -> PlatformApp:
    try:
        return PlatformApp.get(app_id)
    except PlatformApp.DoesNotExist:
        raise NotFound("Platform app not found") from None


def create_platform_app(name: str) -> tuple[PlatformApp, str]:
    app, token = platform.create_platform_app(name)
    audit.record(INSTALLATION, "PlatformApp", app.id, "create", {"name": app.name})
    return app, token


def revoke_platform_app(app: PlatformApp) -> int:
    """Delete the app and every token it has (its accounts, users and bots stay, as data of
    their own; nothing can act as the app any more). A token alone names its app (auth.py
    does not read the app), so the tokens go first and the app item last: a run that fails
    midway is retried on the same app. Multi-step: audited in the installation's log when
    it starts, concluded with the number of tokens revoked."""
    entry = audit.record(INSTALLATION, "PlatformApp", app.id, "destroy", {"name": app.name})
    revoked = tokens.revoke_all(platform.owner(app.id))
    app.delete()
    audit.conclude(entry, f"completed: {revoked} tokens revoked")
    return revoked


# ---------------------------------------------------------------- installation-wide agent bots

def list_installation_bots() -> list:
    return agent_bots.list_installation_bots()


def installation_bot(bot_id: int):
    return agent_bots.installation_bot(bot_id)


def create_installation_bot(**fields):
    return agent_bots.create_bot(None, audit_in=INSTALLATION, **fields)


def update_installation_bot(bot, **changes):
    return agent_bots.update_bot(bot, audit_in=INSTALLATION, **changes)


def delete_installation_bot(bot) -> None:
    agent_bots.delete_bot(bot, audit_in=INSTALLATION)


# ---------------------------------------------------------------- the installation's log

def installation_log(before: int | None, per_page: int) -> list[AuditLog]:
    """The installation's own audit entries, newest first (one Query)."""
    condition = AuditLog.id < before if before else None
    return list(AuditLog.query(INSTALLATION, condition, scan_index_forward=False,
                               limit=max(1, min(per_page, MAX_PER_PAGE))))

