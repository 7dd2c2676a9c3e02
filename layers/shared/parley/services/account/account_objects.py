"""Create, read, update and delete an account's configuration objects of one kind.

Canned responses, teams ... differ in their fields (validated by the API's request
models) and their views; storing, listing, tenant isolation and the one field that must
be unique in the account (a short code, a team name) are the same."""
from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from ... import audit, dynamo, ids
from ...errors import Conflict, NotFound
from ...models.account_object import AccountObject
from ...models.unique import UniqueClaim

PAGE_LIMIT = 1000  # an account's objects of one kind: small by nature, bounded anyway


def unique_claim(account_id: int, kind: str, field: str, value: str) -> UniqueClaim:
    return UniqueClaim(f"{kind}.{field}#{account_id}#{value.strip().lower()}")


def _write(item: AccountObject, kind: str, unique: str | None, old_value: str | None, new: bool,
           before: dict | None = None) -> None:
    """Save `item`, moving its claim on `unique` in the same transaction if the value
    changed, and auditing it if its kind is declared (audit.AUDITED_KINDS)."""
    value = item.data.get(unique) if unique else None
    claimed = bool(unique and value != old_value)
    try:
        with dynamo.transaction() as tx:
            if claimed:
                claim = unique_claim(item.account_id, kind, unique, value)
                claim.target = item.key
                tx.save(claim, condition=UniqueClaim.key.does_not_exist())
                if old_value is not None:
                    tx.delete(unique_claim(item.account_id, kind, unique, old_value))
            tx.save(item, condition=AccountObject.key.does_not_exist() if new else None)
            audit.for_object(tx, item, kind, "create" if new else "update", before)
    except TransactWriteError as exc:
        if claimed and "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            raise Conflict(f"{unique.replace('_', ' ').capitalize()} has already been taken", field=unique) from None
        raise


def create(account_id: int, kind: str, data: dict, unique: str | None = None) -> AccountObject:
    object_id = ids.next_id(ids.account_counter(account_id, kind))
    item = AccountObject(account_id, AccountObject.key_for(kind, object_id), id=object_id, data=data)
    _write(item, kind, unique, None, new=True)
    return item


def get(account_id: int, kind: str, object_id: int, what: str = "Resource") -> AccountObject:
    try:
        return AccountObject.get(account_id, AccountObject.key_for(kind, object_id))
    except AccountObject.DoesNotExist:
        raise NotFound(f"{what} not found") from None


def all_of(account_id: int, kind: str) -> list[AccountObject]:
    return list(AccountObject.query(account_id, AccountObject.key.startswith(f"{kind}#"), limit=PAGE_LIMIT))


def update(item: AccountObject, kind: str, changes: dict, unique: str | None = None) -> AccountObject:
    old_value = item.data.get(unique) if unique else None
    before = item.data
    item.data = {**item.data, **changes}
    try:
        _write(item, kind, unique, old_value, new=False, before=before)
    except Exception:
        item.refresh()
        raise
    return item


def delete(item: AccountObject, kind: str, unique: str | None = None) -> None:
    with dynamo.transaction() as tx:
        if unique and item.data.get(unique) is not None:
            tx.delete(unique_claim(item.account_id, kind, unique, item.data[unique]))
        tx.delete(item)
        audit.for_object(tx, item, kind, "destroy")
