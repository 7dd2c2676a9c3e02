"""Teams and their members."""
from __future__ import annotations

from ...models.account_object import AccountObject
from . import account_objects, accounts

KIND, UNIQUE = "team", "name"


def create(account_id: int, name: str, description: str = "", allow_auto_assign: bool = True) -> AccountObject:
    return account_objects.create(account_id, KIND, {"name": name, "description": description,
                                                     "allow_auto_assign": allow_auto_assign}, UNIQUE)


def get(account_id: int, team_id: int) -> AccountObject:
    return account_objects.get(account_id, KIND, team_id, "Team")


def all_of(account_id: int) -> list[AccountObject]:
    return account_objects.all_of(account_id, KIND)


def update(team: AccountObject, changes: dict) -> AccountObject:
    return account_objects.update(team, KIND, changes, UNIQUE)


def delete(team: AccountObject) -> None:
    with AccountObject.batch_write() as batch:
        for member in _member_items(team):
            batch.delete(member)
    account_objects.delete(team, KIND, UNIQUE)


# ---------------------------------------------------------------- members

def _member_key(team_id: int, user_id: int) -> str:
    return f"team_member#{team_id:012d}#{user_id:012d}"


def _member_items(team: AccountObject) -> list[AccountObject]:
    prefix = f"team_member#{team.id:012d}#"
    return list(AccountObject.query(team.account_id, AccountObject.key.startswith(prefix),
                                    limit=account_objects.PAGE_LIMIT))


def member_ids(team: AccountObject) -> list[int]:
    return [m.id for m in _member_items(team)]


def add_members(team: AccountObject, user_ids: list[int]) -> list[int]:
    accounts.require_members(team.account_id, user_ids)
    with AccountObject.batch_write() as batch:
        for user_id in set(user_ids) - set(member_ids(team)):
            batch.save(AccountObject(team.account_id, _member_key(team.id, user_id), id=user_id, data={}))
    return member_ids(team)


def set_members(team: AccountObject, user_ids: list[int]) -> list[int]:
    accounts.require_members(team.account_id, user_ids)
    current, wanted = set(member_ids(team)), set(user_ids)
    with AccountObject.batch_write() as batch:
        for user_id in wanted - current:
            batch.save(AccountObject(team.account_id, _member_key(team.id, user_id), id=user_id, data={}))
        for user_id in current - wanted:
            batch.delete(AccountObject(team.account_id, _member_key(team.id, user_id)))
    return sorted(wanted)


def remove_members(team: AccountObject, user_ids: list[int]) -> list[int]:
    with AccountObject.batch_write() as batch:
        for user_id in set(user_ids):
            batch.delete(AccountObject(team.account_id, _member_key(team.id, user_id)))
    return member_ids(team)
