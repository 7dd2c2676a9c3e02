"""An account's members (Chatwoot's account_users, shown as "agents"): adding, changing
and removing them, and what follows each change: their open sockets get the rights they
now have (services/access/connections.py), a new agent without a password is invited, a user a
platform app made is handed over. The stored memberships are read through services/account/accounts.py."""
from __future__ import annotations

from ... import audit, dynamo, events, tokens
from ...errors import Conflict, Invalid
from ...models.account import AVAILABILITY, ROLES, Account, AccountUser
from ...models.base import utcnow
from ...models.user import User
from ..account import accounts, notification_settings
from . import connections, custom_roles, users

UNCHANGED = object()


def _save(member: AccountUser, action: str, before: dict | None = None) -> None:
    """The membership's one write, with its audit entry ("AccountUser", by the user's id:
    a membership has no id of its own)."""
    after = users.membership_fields(member)
    changes = audit.diff(before, after) if before is not None else after
    if action == "update" and not changes:
        member.save()
        return
    if action != "destroy":
        member.updated_at = utcnow()  # as Model.save() sets it; a transaction's save does not
    with dynamo.transaction() as tx:
        if action == "destroy":
            tx.delete(member)
        else:
            tx.save(member)
        audit.add(tx, member.account_id, "AccountUser", member.user_id, action, changes)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise Invalid(f"Role must be one of: {', '.join(ROLES)}", field="role")


def add_member(account_id: int, user_id: int, role: str, inviter_id: int | None = None) -> AccountUser:
    _check_role(role)
    member = AccountUser(account_id, user_id, role=role, inviter_id=inviter_id)
    _save(member, "create")
    hand_over(users.get_user(user_id), accounts.get_account(account_id))
    return member


def add_agent(account_id: int, *, name: str, email: str, role: str, availability: str | None = None,
              auto_offline: bool | None = None, inviter_id: int | None = None,
              base_url: str | None = None, custom_role_id: int | None = None) -> tuple[AccountUser, User]:
    """Add a person to the account, creating the user if the email is new. One without a
    password (new, or handed over from a platform app) is mailed a link to choose one,
    pointing at `base_url`'s dashboard. `custom_role_id`: one of the account's custom
    roles (422 otherwise)."""
    _check_role(role)
    custom_role_id = custom_roles.for_member(account_id, custom_role_id)
    user = users.find_by_email(users.normalize_email(email)) or users.create_user(email=email, name=name)
    if accounts.membership(account_id, user.id):
        raise Conflict("Agent is already a member of this account", field="email")
    member = AccountUser(account_id, user.id, role=role, inviter_id=inviter_id, custom_role_id=custom_role_id)
    _apply_availability(member, availability, auto_offline)
    _save(member, "create")
    account = accounts.get_account(account_id)
    hand_over(user, account)
    if base_url is not None:
        from . import password_resets  # only adding an agent pays for this import

        password_resets.invite(user, account.name, base_url)
    return member, user


def hand_over(user: User, account: Account) -> None:
    """A user a platform app created, joining an account that app does not own, leaves
    the app's reach (services/access/platform.controls): the sessions the app could have opened
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
                  auto_offline: bool | None = None, custom_role_id=UNCHANGED) -> AccountUser:
    """`custom_role_id`: one of the account's custom roles (422 otherwise), or None to
    take the member's away; left as it is when not given."""
    previous_role, previous_custom_role = member.role, member.custom_role_id
    before = users.membership_fields(member)
    if custom_role_id is not UNCHANGED:
        member.custom_role_id = custom_roles.for_member(member.account_id, custom_role_id)
        member.custom_role_item, member.custom_role_read = None, False
    if role is not None:
        _check_role(role)
        if member.role == "administrator" and role != "administrator":
            _keep_an_administrator(member)
        member.role = role
    _apply_availability(member, availability, auto_offline)
    _save(member, "update", before)
    if member.role != previous_role or member.custom_role_id != previous_custom_role:
        connections.rights_changed(member.account_id, [member.user_id])
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
    _save(member, "destroy")
    notification_settings.forget(member.account_id, member.user_id)
    connections.rights_changed(member.account_id, [member.user_id])


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
