"""An audited update of one of Captain's AccountObjects: the new data and its audit entry
(the fields' diff) in one transaction, or nothing when nothing changed."""
from __future__ import annotations

from typing import Callable

from ... import audit, dynamo
from ...models.account_object import AccountObject


def update(item: AccountObject, after: dict, auditable_type: str,
           saved: Callable[[object, AccountObject], None]) -> AccountObject:
    """`saved(tx, item)` adds the item's write (with its conditions) to the transaction. A
    failed write leaves the item as stored (reloaded), for the caller's 409 or retry."""
    diff = audit.diff(item.data, after)
    if not diff:
        return item
    item.data = after
    try:
        with dynamo.transaction() as tx:
            saved(tx, item)
            audit.add(tx, item.account_id, auditable_type, item.id, "update", diff)
    except Exception:
        item.refresh()
        raise
    return item
