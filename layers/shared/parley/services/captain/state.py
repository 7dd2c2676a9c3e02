"""An assistant's knowledge version: the one number that says its knowledge changed.

`captain_state#<assistant>` (an AccountObject) holds it in `id`: every write that changes
what the assistant may answer from (an FAQ approved, edited, unapproved or deleted; a
document made available or removed; an inbox linked or unlinked, its help center with it)
adds 1 to it inside that write's own transaction (`bump`). Questions compare it with the
version their index was built for (services/captain/knowledge.py)."""
from __future__ import annotations

from ...models.account_object import AccountObject

STATE = "captain_state"


def state_key(assistant_id: int) -> str:
    return AccountObject.key_for(STATE, assistant_id)


def read(account_id: int, assistant_id: int) -> int:
    """The assistant's knowledge version: one GetItem; 0 before any change."""
    try:
        return int(AccountObject.get(account_id, state_key(assistant_id)).id or 0)
    except AccountObject.DoesNotExist:
        return 0


def bump(tx, account_id: int, assistant_id: int) -> None:
    """Add 1 to the assistant's knowledge version inside `tx` (the change's transaction)."""
    tx.update(AccountObject(account_id, state_key(assistant_id)), actions=[AccountObject.id.add(1)],
              add_version_condition=False)
