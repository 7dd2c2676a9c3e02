"""A portal's content version, and the one way a help center change is written.

`hc_state#<portal>` (models/help_center.py) holds the portal's content version in `id`:
every change the public site or search shows (a portal, category or article created,
changed, reordered or deleted) adds 1 to it inside the change's own transaction, and
publishes `help_center.changed` there too. The indexer rebuilds the search snapshots from
that event and records in `data.index_version` the version it built (never lowered);
searches compare the two with one GetItem (services/help_center/search.py).

`help_center.changed` is internal: its audience is marked so, and realtime.may_see never
shows it to a socket; webhooks have no name for it (services/rules/webhooks.WEBHOOK_EVENT),
so no receiver hears of it."""
from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from ... import dynamo, events
from ...errors import Conflict
from ...models.account_object import AccountObject
from ...models.help_center import state_key
from ...models.unique import UniqueClaim

CHANGED = "help_center.changed"


def read(account_id: int, portal_id: int) -> tuple[int, int]:
    """(content version, index version) of the portal: one GetItem; (0, 0) before any change."""
    try:
        item = AccountObject.get(account_id, state_key(portal_id))
    except AccountObject.DoesNotExist:
        return 0, 0
    return int(item.id or 0), int((item.data or {}).get("index_version") or 0)


def bump(tx, account_id: int, portal_id: int) -> int:
    """Add 1 to the portal's content version inside `tx`; returns the version the change
    makes, as read just before (a concurrent change may make it one more: the indexer
    reads the state itself, so the event's number is a hint, never trusted)."""
    version, _ = read(account_id, portal_id)
    tx.update(AccountObject(account_id, state_key(portal_id)), actions=[AccountObject.id.add(1)],
              add_version_condition=False)
    return version + 1


def changed(tx: events.Outbox, account_id: int, portal_id: int, slug: str, *, article_ids=(),
            removed_paths=()) -> dict:
    """Bump the version and publish the internal `help_center.changed` event, in `tx`."""
    version = bump(tx, account_id, portal_id)
    return tx.publish(CHANGED, account_id, {
        "account_id": account_id, "portal_id": portal_id, "slug": slug, "version": version,
        "article_ids": sorted(set(article_ids)), "removed_paths": list(removed_paths)}, audience={"internal": True})


def commit(write, claims: dict[str, UniqueClaim] | None = None) -> None:
    """Run `write(tx)` in one Outbox transaction, after saving the new `claims` (field ->
    claim, conditional on nobody holding it). A taken claim is a 409 naming its field; an
    item changed meanwhile (its version condition) is a 409 too: reload and try again."""
    claims = claims or {}
    try:
        with events.Outbox() as tx:
            for claim in claims.values():
                tx.save(claim, condition=UniqueClaim.key.does_not_exist())
            write(tx)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" not in dynamo.cancellation_codes(exc):
            raise
        for field, claim in claims.items():
            try:
                held = UniqueClaim.get(claim.key)
            except UniqueClaim.DoesNotExist:
                continue
            if held.target != claim.target:
                raise Conflict(f"{field.replace('_', ' ').capitalize()} has already been taken", field=field) from None
        raise Conflict("It was changed meanwhile: reload it and try again") from None
