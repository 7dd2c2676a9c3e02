"""Accounts and their members (Chatwoot's account_users, shown as "agents")."""
from __future__ import annotations

from .. import events, ids
from ..errors import Conflict, Invalid, NotFound
from ..models.account import AVAILABILITY, ROLES, Account, AccountUser
from ..models.user import User
from . import notification_settings, users


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


def get_account(account_id: int) -> Account:
    try:
        return Account.get(account_id)
    except Account.DoesNotExist:
        raise NotFound("Account not found") from None


def update_account(account: Account, **changes) -> Account:
    for key, value in changes.items():
        setattr(account, key, value)
    account.save()  # VersionAttribute: a concurrent edit fails instead of being overwritten
    return account


def delete_account(account: Account) -> None:
    with AccountUser.batch_write() as batch:
        for member in AccountUser.query(account.id):
            batch.delete(member)
    account.delete()


# ---------------------------------------------------------------- membership

def membership(account_id: int, user_id: int) -> AccountUser | None:
    try:
        return AccountUser.get(account_id, user_id)
    except AccountUser.DoesNotExist:
        return None


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
    return member


def add_agent(account_id: int, *, name: str, email: str, role: str, availability: str | None = None,
              auto_offline: bool | None = None, inviter_id: int | None = None) -> tuple[AccountUser, User]:
    """Add a person to the account, creating the user if the email is new (it can sign in
    once a password is set through the Platform API or the profile)."""
    _check_role(role)
    user = users.find_by_email(users.normalize_email(email)) or users.create_user(email=email, name=name)
    if membership(account_id, user.id):
        raise Conflict("Agent is already a member of this account", field="email")
    member = AccountUser(account_id, user.id, role=role, inviter_id=inviter_id)
    _apply_availability(member, availability, auto_offline)
    member.save()
    return member, user


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
        # Chatwoot's API says "available"; its dashboard and presence say "online".
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
