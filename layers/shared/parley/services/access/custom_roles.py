"""An account's custom roles (Chatwoot's custom_roles): a name, a description and a set of
Chatwoot's permissions (permissions.PERMISSIONS), assigned to agents as their membership's
custom_role_id. What a role allows is decided in permissions.py alone; this module stores
roles (account objects of kind "custom_role", unique name, audited through
audit.AUDITED_KINDS) and keeps the members who hold one in step:

- a role's permissions change: its agents' open sockets get the scope it now gives;
- a role is deleted: its agents lose it (custom_role_id cleared, as Chatwoot's
  `dependent: :nullify`) and fall back to the plain agent's rights; then the role goes.
"""
from __future__ import annotations

from pynamodb.exceptions import UpdateError

from ... import permissions
from ...errors import Conflict, Invalid, NotFound
from ...models.account import AccountUser
from ...models.account_object import CUSTOM_ROLE, AccountObject
from ..account import account_objects
from . import connections

KIND, UNIQUE = CUSTOM_ROLE, "name"
MAX_ROLES = 100  # an account's roles: a handful in practice, bounded anyway


def check_permissions(values: list[str]) -> list[str]:
    """The permissions, deduplicated in Chatwoot's order; 422 naming any unknown one."""
    unknown = sorted({str(v) for v in values} - permissions.EVERY_PERMISSION)
    if unknown:
        raise Invalid(f"Unknown permissions: {', '.join(unknown)}; allowed: {', '.join(permissions.PERMISSIONS)}",
                      field="permissions")
    return [p for p in permissions.PERMISSIONS if p in set(values)]


def _unique(call):
    """Chatwoot validates the name's uniqueness in the account: a taken name is 422."""
    try:
        return call()
    except Conflict as exc:
        raise Invalid("Name has already been taken", field="name") from exc


def create(account_id: int, name: str, description: str = "", granted: list[str] | tuple = ()) -> AccountObject:
    if not name.strip():
        raise Invalid("Name can't be blank", field="name")
    granted = check_permissions(list(granted))
    if len(all_of(account_id)) >= MAX_ROLES:
        raise Invalid(f"An account has at most {MAX_ROLES} custom roles", field="name")
    return _unique(lambda: account_objects.create(
        account_id, KIND, {"name": name.strip(), "description": description or "", "permissions": granted}, UNIQUE))


def get(account_id: int, role_id: int) -> AccountObject:
    return account_objects.get(account_id, KIND, role_id, "Custom role")


def all_of(account_id: int) -> list[AccountObject]:
    return account_objects.all_of(account_id, KIND)


def holders(role: AccountObject) -> list[AccountUser]:
    """The account's members holding the role (one Query of the account's members)."""
    return [m for m in AccountUser.query(role.account_id) if m.custom_role_id == role.id]


def update(role: AccountObject, changes: dict) -> AccountObject:
    changes = dict(changes)
    if "name" in changes:
        if not (changes["name"] or "").strip():
            raise Invalid("Name can't be blank", field="name")
        changes["name"] = changes["name"].strip()
    if "description" in changes and changes["description"] is None:
        changes["description"] = ""
    if "permissions" in changes:
        changes["permissions"] = check_permissions(list(changes["permissions"] or []))
    before = list(role.data.get("permissions") or [])
    _unique(lambda: account_objects.update(role, KIND, changes, UNIQUE))
    if role.data.get("permissions") != before:
        connections.rights_changed(role.account_id, [m.user_id for m in holders(role)])
    return role


def delete(role: AccountObject) -> None:
    """Its holders lose it first (each a conditional write that leaves a member who took
    another role meanwhile alone), then the role goes."""
    cleared = []
    for member in holders(role):
        try:
            member.update(actions=[AccountUser.custom_role_id.remove()],
                          condition=AccountUser.custom_role_id == role.id)
            cleared.append(member.user_id)
        except UpdateError as exc:  # a lost race: the member took another role meanwhile
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    account_objects.delete(role, KIND, UNIQUE)
    connections.rights_changed(role.account_id, cleared)


def for_member(account_id: int, role_id: int | None) -> int | None:
    """A custom_role_id given for a member of `account_id`: it must name one of the
    account's roles (422 otherwise: another account's role is not found here)."""
    if role_id is None:
        return None
    try:
        get(account_id, role_id)
    except NotFound:
        raise Invalid("Custom role not found in this account", field="custom_role_id") from None
    return role_id
