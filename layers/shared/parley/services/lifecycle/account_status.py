"""An account's status changes and what each sets off: suspending closes its open sockets,
reopening puts the channel traffic held meanwhile back on the ingest queue, deleting marks
it and queues the job that removes its data (services/lifecycle/account_deletion.py). Above
everything those jobs touch, so nothing below imports it."""
from __future__ import annotations

from ... import audit, dynamo
from ...models.account import ACTIVE, DELETING, SUSPENDED, Account
from ...models.base import utcnow
from . import account_jobs
from ..access import connections
from ..account import accounts


def update_account(account: Account, **changes) -> Account:
    """Apply `changes`; the account's audit log gets one "update" entry with what changed
    (a suspension is `status: [active, suspended]`), in the same transaction as the write."""
    reopened = account.status == SUSPENDED and changes.get("status") == ACTIVE
    suspended = account.status != SUSPENDED and changes.get("status") == SUSPENDED
    before = accounts.audited_fields(account)
    for key, value in changes.items():
        setattr(account, key, value)
    account.updated_at = utcnow()  # as Model.save() sets it; a transaction's save does not
    with dynamo.transaction() as tx:
        tx.save(account)  # VersionAttribute: a concurrent edit fails instead of being overwritten
        changed = audit.diff(before, accounts.audited_fields(account))
        if changed:
            audit.add(tx, account.id, "Account", account.id, "update", changed)
    if suspended:  # open sockets would keep streaming the account's events
        connections.account_closed(account.id, "account_suspended")
    if reopened:  # channel traffic held while it was suspended goes back to the ingest queue
        account_jobs.enqueue("release_held", account.id)
    return account


def delete_account(account: Account) -> Account:
    """Mark the account `deleting` in one write, so every door (which all check the status)
    answers 404 from now on, then queue the job that removes its data in bounded chunks
    (services/lifecycle/account_deletion.py). Asking again re-queues the job: it is safe to re-run."""
    if account.status != DELETING:
        # Audited when it starts, in the transaction of its first write; the deletion job
        # concludes the entry (account_deletion.run), which the cascade keeps until its TTL.
        previous = account.status
        account.status = DELETING
        account.updated_at = utcnow()
        with dynamo.transaction() as tx:
            entry = audit.add(tx, account.id, "Account", account.id, "destroy",
                              {"status": [previous, DELETING], "name": account.name})
            account.deletion_audit_id = entry.id
            tx.save(account)
    connections.account_closed(account.id, "account_deleted")
    account_jobs.enqueue("delete", account.id)
    return account
