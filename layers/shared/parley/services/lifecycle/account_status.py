"""An account's status changes and what each sets off: suspending closes its open sockets,
reopening puts the channel traffic held meanwhile back on the ingest queue, deleting marks
it and queues the job that removes its data (services/lifecycle/account_deletion.py). Above
everything those jobs touch, so nothing below imports it."""
from __future__ import annotations

from ...models.account import ACTIVE, DELETING, SUSPENDED, Account
from . import account_jobs
from ..access import connections


def update_account(account: Account, **changes) -> Account:
    reopened = account.status == SUSPENDED and changes.get("status") == ACTIVE
    suspended = account.status != SUSPENDED and changes.get("status") == SUSPENDED
    for key, value in changes.items():
        setattr(account, key, value)
    account.save()  # VersionAttribute: a concurrent edit fails instead of being overwritten
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
        account.status = DELETING
        account.save()
    connections.account_closed(account.id, "account_deleted")
    account_jobs.enqueue("delete", account.id)
    return account
