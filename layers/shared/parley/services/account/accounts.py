"""Accounts and their memberships as stored: creating an account, and the lookups every
other service starts from (an account, a membership, the members). Changing members is
services/access/members.py; suspending, reopening and deleting an account services/lifecycle/account_status.py;
whether an account may be served at all is permissions.require_open."""
from __future__ import annotations

from ... import audit, dynamo, ids
from ...errors import Invalid, NotFound
from ...models.account import ACTIVE, DELETING, Account, AccountUser
from ...models.account_object import CUSTOM_ROLE, AccountObject, csat_tallies_key
from ...models.user import User


def create_account(*, name: str, locale: str = "en", domain: str | None = None, support_email: str | None = None,
                   status: str = ACTIVE, custom_attributes: dict | None = None, limits: dict | None = None,
                   platform_app_id: int | None = None, features: list[str] | None = None,
                   audited: bool = False) -> Account:
    """A new account. `audited` (the super-admin console): its log's first entry, "create"
    by whoever is acting, is written in the same transaction as the account item."""
    if not name or not name.strip():
        raise Invalid("Name can't be blank", field="name")
    account = Account(ids.next_id("Account"), name=name.strip(), locale=locale, domain=domain,
                      support_email=support_email, status=status, custom_attributes=custom_attributes or {},
                      limits=limits or {}, platform_app_id=platform_app_id, features=list(features or []))
    with dynamo.transaction() as tx:
        tx.save(account, condition=Account.id.does_not_exist())
        # It has no CSAT survey yet, so its tallies count every one it will have (services/csat/tallies.py).
        tx.save(AccountObject(account.id, csat_tallies_key(), id=0, data={"complete": True}))
        if audited:
            audit.add(tx, account.id, "Account", account.id, "create", audited_fields(account))
    return account


AUDITED_FIELDS = ("name", "locale", "domain", "support_email", "status", "limits", "features", "custom_attributes")


def audited_fields(account: Account) -> dict:
    """The account's fields an audit entry records (a change is the diff of two of these)."""
    return {key: (list(value) if key == "features" else value)
            for key in AUDITED_FIELDS if (value := getattr(account, key)) not in (None, {}, [])}


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
    attach_custom_roles(members)
    return [(m, accounts[m.account_id]) for m in members if m.account_id in accounts]


def attach_custom_roles(members: list[AccountUser]) -> None:
    """Read the custom roles the members hold (one BatchGet, none if nobody holds one) into
    each membership's custom_role_item, for views and permissions.custom_role. A role
    deleted meanwhile reads as None."""
    keys = {(m.account_id, AccountObject.key_for(CUSTOM_ROLE, int(m.custom_role_id))) for m in members
            if m.custom_role_id and not m.custom_role_read}
    if not keys:
        return
    found = {(r.account_id, r.id): r for r in AccountObject.batch_get(keys)}
    for m in members:
        if m.custom_role_id and not m.custom_role_read:
            m.custom_role_item, m.custom_role_read = found.get((m.account_id, int(m.custom_role_id))), True


def members(account_id: int) -> list[tuple[AccountUser, User]]:
    """Everyone in an account: one Query plus one BatchGet (sorted by name, like Chatwoot)."""
    rows = list(AccountUser.query(account_id))
    people = {u.id: u for u in User.batch_get([m.user_id for m in rows])} if rows else {}
    attach_custom_roles(rows)
    pairs = [(m, people[m.user_id]) for m in rows if m.user_id in people]
    return sorted(pairs, key=lambda pair: pair[1].name.lower())


def require_members(account_id: int, user_ids: list[int]) -> None:
    """422 naming any of `user_ids` who is not a member of the account (one BatchGet)."""
    found = {m.user_id for m in AccountUser.batch_get([(account_id, u) for u in set(user_ids)])} if user_ids else set()
    missing = sorted(set(user_ids) - found)
    if missing:
        raise Invalid(f"Not agents of this account: {', '.join(map(str, missing))}", field="user_ids")
