"""Accounts and their members (Chatwoot's account_users, shown as "agents")."""
from __future__ import annotations

from .. import dynamo, events, ids
from ..errors import AccountSuspended, Conflict, Invalid, NotFound
from ..models.account import AVAILABILITY, ROLES, Account, AccountUser
from ..models.user import User
from . import notification_settings, tokens, users

ACTIVE, SUSPENDED, DELETING = "active", "suspended", "deleting"


def create_account(*, name: str, locale: str = "en", domain: str | None = None, support_email: str | None = None,
                   status: str = "active", custom_attributes: dict | None = None, limits: dict | None = None,
                   platform_app_id: int | None = None) -> Account:
    if not name or not name.strip():
        raise Invalid("Name can't be blank", field="name")
    account = Account(ids.next_id("Account"), name=name.strip(), locale=locale, domain=domain,
                      support_email=support_email, status=status, custom_attributes=custom_attributes or {},
                      limits=limits or {}, platform_app_id=platform_app_id)
    account.save(condition=Account.id.does_not_exist())
    return account


def get_account(account_id: int, *, deleting: bool = False) -> Account:
    """The account; one being deleted is already gone (unless `deleting`: its deletion
    may be asked for again, to re-queue the job)."""
    try:
        account = Account.get(account_id)
    except Account.DoesNotExist:
        raise NotFound("Account not found") from None
    if account.status == DELETING and not deleting:
        raise NotFound("Account not found")
    return account


def require_open(account: Account | None) -> Account:
    """The one check every door makes once it knows the account: suspended is 403, being
    deleted (or gone) is 404, exactly like an account that never existed."""
    if account is None or account.status == DELETING:
        raise NotFound("Account not found")
    if account.status == SUSPENDED:
        raise AccountSuspended(account.id)
    return account


def open_account(account_id: int) -> Account:
    """The account a public identifier or a token led to, if it may be served (one GetItem)."""
    try:
        return require_open(Account.get(account_id))
    except Account.DoesNotExist:
        raise NotFound("Account not found") from None


def update_account(account: Account, **changes) -> Account:
    reopened = account.status == SUSPENDED and changes.get("status") == ACTIVE
    suspended = account.status != SUSPENDED and changes.get("status") == SUSPENDED
    for key, value in changes.items():
        setattr(account, key, value)
    account.save()  # VersionAttribute: a concurrent edit fails instead of being overwritten
    if suspended:  # open sockets would keep streaming the account's events
        from . import connections  # imported here: connections imports this module
        connections.account_closed(account.id, "account_suspended")
    if reopened:  # channel traffic held while it was suspended goes back to the ingest queue
        from . import account_jobs
        account_jobs.enqueue("release_held", account.id)
    return account


def delete_account(account: Account) -> Account:
    """Mark the account `deleting` in one write, so every door (which all check the status)
    answers 404 from now on, then queue the job that removes its data in bounded chunks
    (services/account_deletion.py). Asking again re-queues the job: it is safe to re-run."""
    from . import account_jobs

    from . import connections  # imported here: connections imports this module

    if account.status != DELETING:
        account.status = DELETING
        account.save()
    connections.account_closed(account.id, "account_deleted")
    account_jobs.enqueue("delete", account.id)
    return account


# ---------------------------------------------------------------- membership

def membership(account_id: int, user_id: int) -> AccountUser | None:
    try:
        return AccountUser.get(account_id, user_id)
    except AccountUser.DoesNotExist:
        return None


def open_membership(account_id: int, user_id: int) -> AccountUser | None:
    """The caller's membership, once its account is shown open (require_open): both items
    in one BatchGetItem, so the status check costs no extra round trip on the dashboard."""
    keys = {AccountUser.Meta.table_name: {"Keys": [{"account_id": {"N": str(account_id)}, "user_id": {"N": str(user_id)}}]},
            Account.Meta.table_name: {"Keys": [{"id": {"N": str(account_id)}}]}}
    response = dynamo.connection().client.batch_get_item(RequestItems=keys)
    if response.get("UnprocessedKeys"):  # throttled: read them one by one instead
        member = membership(account_id, user_id)
        return member if member is None else (open_account(account_id) and member)
    found = response.get("Responses", {})
    rows = found.get(AccountUser.Meta.table_name) or []
    if not rows:
        return None
    accounts = found.get(Account.Meta.table_name) or []
    require_open(Account.from_raw_data(accounts[0]) if accounts else None)
    return AccountUser.from_raw_data(rows[0])


def memberships_of(user_id: int) -> list[tuple[AccountUser, Account]]:
    """The user's accounts: one index Query plus one BatchGet."""
    members = list(AccountUser.user_index.query(user_id))
    accounts = {a.id: a for a in Account.batch_get([m.account_id for m in members])} if members else {}
    return [(m, accounts[m.account_id]) for m in members if m.account_id in accounts]


def members(account_id: int) -> list[tuple[AccountUser, User]]:
    """Everyone in an account: one Query plus one BatchGet (sorted by name, like Chatwoot)."""
    rows = list(AccountUser.query(account_id))
    people = {u.id: u for u in User.batch_get([m.user_id for m in rows])} if rows else {}
    pairs = [(m, people[m.user_id]) for m in rows if m.user_id in people]
    return sorted(pairs, key=lambda pair: pair[1].name.lower())


def require_members(account_id: int, user_ids: list[int]) -> None:
    """422 naming any of `user_ids` who is not a member of the account (one BatchGet)."""
    found = {m.user_id for m in AccountUser.batch_get([(account_id, u) for u in set(user_ids)])} if user_ids else set()
    missing = sorted(set(user_ids) - found)
    if missing:
        raise Invalid(f"Not agents of this account: {', '.join(map(str, missing))}", field="user_ids")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise Invalid(f"Role must be one of: {', '.join(ROLES)}", field="role")


def add_member(account_id: int, user_id: int, role: str, inviter_id: int | None = None) -> AccountUser:
    _check_role(role)
    member = AccountUser(account_id, user_id, role=role, inviter_id=inviter_id)
    member.save()
    hand_over(users.get_user(user_id), get_account(account_id))
    return member


def add_agent(account_id: int, *, name: str, email: str, role: str, availability: str | None = None,
              auto_offline: bool | None = None, inviter_id: int | None = None,
              base_url: str | None = None) -> tuple[AccountUser, User]:
    """Add a person to the account, creating the user if the email is new. One without a
    password (new, or handed over from a platform app) is mailed a link to choose one,
    pointing at `base_url`'s dashboard."""
    _check_role(role)
    user = users.find_by_email(users.normalize_email(email)) or users.create_user(email=email, name=name)
    if membership(account_id, user.id):
        raise Conflict("Agent is already a member of this account", field="email")
    member = AccountUser(account_id, user.id, role=role, inviter_id=inviter_id)
    _apply_availability(member, availability, auto_offline)
    member.save()
    account = get_account(account_id)
    hand_over(user, account)
    if base_url is not None:
        from . import password_resets  # only adding an agent pays for this import

        password_resets.invite(user, account.name, base_url)
    return member, user


def hand_over(user: User, account: Account) -> None:
    """A user a platform app created, joining an account that app does not own, leaves
    the app's reach (services/platform.controls): the sessions the app could have opened
    through SSO end, and a password the app set (so knows) is cleared; the user chooses
    their own through the password reset. Runs after the membership is stored, so a
    session opened before is revoked here and one opened after is refused by `controls`."""
    if user.platform_app_id is None or user.platform_app_id == account.platform_app_id:
        return
    if user.password_from_platform:
        user.password_hash, user.password_from_platform = None, False
        user.save()
    tokens.revoke_all(users.owner(user.id))


def update_member(member: AccountUser, *, role: str | None = None, availability: str | None = None,
                  auto_offline: bool | None = None) -> AccountUser:
    previous_role = member.role
    if role is not None:
        _check_role(role)
        if member.role == "administrator" and role != "administrator":
            _keep_an_administrator(member)
        member.role = role
    _apply_availability(member, availability, auto_offline)
    member.save()
    if member.role != previous_role:
        _sockets_follow(member.account_id, [member.user_id])
    if availability is not None:  # live only, like every presence frame (see connections.announce)
        events.publish("presence.update", member.account_id,
                       {"account_id": member.account_id, "users": {str(member.user_id): member.availability},
                        "contacts": {}}, ephemeral=True)
    return member


def remove_member(member: AccountUser, *, keep_an_administrator: bool = True) -> None:
    """Remove someone from the account (a platform app owning the account may remove its
    last administrator: `keep_an_administrator=False`); their sockets there are closed."""
    if keep_an_administrator and member.role == "administrator":
        _keep_an_administrator(member)
    member.delete()
    notification_settings.forget(member.account_id, member.user_id)
    _sockets_follow(member.account_id, [member.user_id])


def _sockets_follow(account_id: int, user_ids: list[int]) -> None:
    from . import connections  # imported here: connections imports this module

    connections.rights_changed(account_id, user_ids)


def _apply_availability(member: AccountUser, availability: str | None, auto_offline: bool | None) -> None:
    if availability is not None:
        # The spec's "available" is accepted as the server's "online".
        availability = "online" if availability == "available" else availability
        if availability not in AVAILABILITY:
            raise Invalid("Availability must be one of: available, online, busy, offline", field="availability_status")
        member.availability = availability
    if auto_offline is not None:
        member.auto_offline = auto_offline


def _keep_an_administrator(member: AccountUser) -> None:
    admins = [m for m in AccountUser.query(member.account_id) if m.role == "administrator"]
    if len(admins) <= 1:
        raise Invalid("An account needs at least one administrator", field="role")
