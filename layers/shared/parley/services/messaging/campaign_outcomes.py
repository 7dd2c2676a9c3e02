"""A one-off campaign's recipients change status (services/rules/campaign_sending.py
writes them; delivery reports what became of their messages). Here, below the rules,
so delivery can report without importing them.

A recipient item (models/account_object.campaign_recipient_key) is `queued` from the
transaction that writes its conversation and message, then `sent` or `failed`; `skipped`
for a contact never messaged. Each move is one transaction: the item under its version,
and the status counters (Counter items) it leaves and enters, so the counts can't drift
from the items and a repeated report changes nothing.
"""
from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from ... import dynamo
from ...errors import NotFound
from ...models.account_object import AccountObject, campaign_counter, campaign_recipient_key
from ...models.counter import Counter
from ..conversation import conversations

COUNTED = ("queued", "sent", "failed", "skipped")


def recipient(account_id: int, campaign_id: int, contact_id: int) -> AccountObject | None:
    try:
        return AccountObject.get(account_id, campaign_recipient_key(campaign_id, contact_id), consistent_read=True)
    except AccountObject.DoesNotExist:
        return None


def move(item: AccountObject, status: str, *, expect: tuple[str, ...], reason: str | None = None) -> bool:
    """Move the recipient to `status` if it is in one of `expect` (re-reading once when a
    concurrent move got there first). False if it is not (someone else moved it on)."""
    for _ in range(3):
        previous = item.data.get("status")
        if previous not in expect:
            return False
        item.data = {**item.data, "status": status, "reason": reason[:500] if reason else None}
        try:
            with dynamo.transaction() as tx:
                tx.save(item)
                campaign_id = item.data["campaign_id"]
                tx.update(Counter(campaign_counter(item.account_id, campaign_id, status)),
                          actions=[Counter.value.add(1)])
                tx.update(Counter(campaign_counter(item.account_id, campaign_id, previous)),
                          actions=[Counter.value.add(-1)])
            return True
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise
            try:
                item.refresh(consistent_read=True)
            except AccountObject.DoesNotExist:
                return False
    return False


def new(account_id: int, campaign_id: int, contact_id: int, status: str, reason: str | None = None,
        **fields) -> AccountObject:
    """A recipient item, not written yet (`enter` writes it)."""
    return AccountObject(account_id, campaign_recipient_key(campaign_id, contact_id), id=contact_id,
                         data={"campaign_id": campaign_id, "contact_id": contact_id, "status": status,
                               "reason": reason[:500] if reason else None, **fields})


def enter(tx, item: AccountObject) -> None:
    """Add a new recipient, counted at once, to a transaction: it fails (ConditionalCheckFailed)
    if the contact has one already."""
    tx.save(item, condition=AccountObject.key.does_not_exist())
    tx.update(Counter(campaign_counter(item.account_id, item.data["campaign_id"], item.data["status"])),
              actions=[Counter.value.add(1)])


def add(account_id: int, campaign_id: int, contact_id: int, status: str, reason: str | None = None) -> bool:
    """A new recipient counted at once (`skipped`); False if the contact has one already."""
    try:
        with dynamo.transaction() as tx:
            enter(tx, new(account_id, campaign_id, contact_id, status, reason))
        return True
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            return False
        raise


def delivered(message, contact_id: int, status: str, reason: str | None = None) -> bool:
    """Delivery's report for a campaign's message (content_attributes.campaign_id): its
    recipient becomes `sent` or `failed`; `failed` also replaces `sent` (the provider took
    the message, then reported it undelivered). A repeat, or a message of no recipient,
    does nothing."""
    campaign_id = (message.content_attributes or {}).get("campaign_id")
    if not isinstance(campaign_id, int) or isinstance(campaign_id, bool):
        return False
    item = recipient(message.account_id, campaign_id, contact_id)
    if item is None or item.data.get("message_id") != message.id:
        return False
    return move(item, status, expect=("queued", "sent") if status == "failed" else ("queued",), reason=reason)


def report(account_id: int, display_id: int, message) -> bool:
    """`delivered` for a caller without the contact at hand (a repeated delivery, a
    provider's status callback): the message's own outcome, `failed` with its error or
    else `sent`; the conversation is read only for a campaign's message."""
    if (message.content_attributes or {}).get("campaign_id") is None:
        return False
    try:
        contact_id = conversations.get_conversation(account_id, display_id).contact_id
    except NotFound:  # gone: nothing to report to
        return False
    if message.status == "failed":
        return delivered(message, contact_id, "failed", (message.content_attributes or {}).get("external_error"))
    return delivered(message, contact_id, "sent")
