"""Captain's assistants and the inboxes they answer in.

An assistant is an AccountObject of kind "captain_assistant" (data: name, description,
config, response_guidelines, guardrails). An inbox's link is the AccountObject
"captain_inbox#<inbox id>" of the inbox's account (data: assistant_id): the key is the
claim that gives an inbox at most one assistant, and finding an inbox's assistant (what
the captain consumer does per customer message) is one GetItem on it.

Every change is audited in its own transaction (auditable type Captain::Assistant; a
link as Captain::AssistantInbox)."""
from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from ... import audit, dynamo, ids
from ...errors import Conflict, NotFound
from ...models.account_object import CAPTAIN_INBOX, AccountObject, captain_inbox_key
from ...models.base import utcnow
from ...models.inbox import Inbox
from ..inbox import inboxes
from . import audited, state

KIND = "captain_assistant"
LINK = CAPTAIN_INBOX
AUDITED_TYPE = "Captain::Assistant"
LINK_AUDITED_TYPE = "Captain::AssistantInbox"
PAGE_LIMIT = 1000  # an account's assistants (and inbox links): small by nature, bounded anyway
# Deleting an assistant unlinks its inboxes in the deletion's transaction (100 writes at
# most: the assistant, its audit entry and one delete per link), so an assistant answers in
# at most this many inboxes.
MAX_INBOXES = 90
FIELDS = ("name", "description", "config", "response_guidelines", "guardrails")


def link_key(inbox_id: int) -> str:
    return captain_inbox_key(inbox_id)


def get(account_id: int, assistant_id: int) -> AccountObject:
    """The account's assistant; another account's is not found (the account is in the key)."""
    try:
        return AccountObject.get(account_id, AccountObject.key_for(KIND, assistant_id))
    except AccountObject.DoesNotExist:
        raise NotFound("Assistant not found") from None


def all_of(account_id: int) -> list[AccountObject]:
    return list(AccountObject.query(account_id, AccountObject.key.startswith(f"{KIND}#"), limit=PAGE_LIMIT))


def _saved(tx, item: AccountObject, new: bool) -> None:
    item.updated_at = utcnow()
    tx.save(item, condition=AccountObject.key.does_not_exist() if new else AccountObject.key.exists())


def create(account_id: int, data: dict) -> AccountObject:
    assistant_id = ids.next_id(ids.account_counter(account_id, KIND))
    item = AccountObject(account_id, AccountObject.key_for(KIND, assistant_id), id=assistant_id,
                         data={key: data.get(key) for key in FIELDS if data.get(key) is not None})
    item.data.setdefault("config", {})
    item.data.setdefault("response_guidelines", [])
    item.data.setdefault("guardrails", [])
    with dynamo.transaction() as tx:
        _saved(tx, item, new=True)
        audit.add(tx, account_id, AUDITED_TYPE, assistant_id, "create", item.data)
    return item


def update(item: AccountObject, changes: dict) -> AccountObject:
    """Fields given replace the stored ones; `config` is merged key by key (a key given as
    null is dropped), as Chatwoot's partial updates of the config hash do."""
    before = item.data
    after = dict(before)
    for key in FIELDS:
        if key not in changes:
            continue
        if key == "config":
            merged = {**(before.get("config") or {}), **(changes["config"] or {})}
            after["config"] = {k: v for k, v in merged.items() if v is not None}
        elif changes[key] is not None:
            after[key] = changes[key]
    return audited.update(item, after, AUDITED_TYPE, lambda tx, saved: _saved(tx, saved, new=False))


def links(account_id: int) -> list[AccountObject]:
    return list(AccountObject.query(account_id, AccountObject.key.startswith(f"{LINK}#"), limit=PAGE_LIMIT))


def links_of(assistant: AccountObject) -> list[AccountObject]:
    """The assistant's inbox links, in inbox id order (one Query of the account's links)."""
    return [link for link in links(assistant.account_id) if link.data.get("assistant_id") == assistant.id]


def inbox_ids(assistant: AccountObject) -> list[int]:
    return [link.id for link in links_of(assistant)]


def delete(item: AccountObject) -> None:
    """The assistant and its inbox links, in one transaction with its audit entry. Its FAQs
    go after it (services/captain/responses.delete_of_assistant), in batches."""
    linked = links_of(item)
    with dynamo.transaction() as tx:
        for link in linked:  # versioned: a link changed meanwhile cancels the deletion
            tx.delete(link)
        tx.delete(item)
        audit.add(tx, item.account_id, AUDITED_TYPE, item.id, "destroy",
                  {**item.data, "inbox_ids": [link.id for link in linked]})


def for_inbox(account_id: int, inbox_id: int) -> AccountObject | None:
    """The assistant answering in this inbox, if any: one GetItem on the inbox's link, one
    on the assistant."""
    try:
        link = AccountObject.get(account_id, link_key(inbox_id))
    except AccountObject.DoesNotExist:
        return None
    try:
        return get(account_id, int(link.data.get("assistant_id") or 0))
    except NotFound:
        return None


def linked_inboxes(assistant: AccountObject) -> list[Inbox]:
    """The assistant's inboxes that still exist (a link outliving its inbox is not shown)."""
    found = []
    for inbox_id in inbox_ids(assistant):
        try:
            found.append(inboxes.get_inbox(assistant.account_id, inbox_id))
        except NotFound:
            continue
    return found


def link(assistant: AccountObject, inbox_id: int) -> Inbox:
    """Link an inbox of the assistant's account (another account's: 404) to it. An inbox
    has one assistant: one linked to another assistant is a 409 naming the inbox; linking
    it again to the same assistant changes nothing. A link left by an assistant deleted
    while it was being made (the deletion's Query ran first) is taken over."""
    inbox = inboxes.get_inbox(assistant.account_id, inbox_id)
    try:
        item = AccountObject.get(assistant.account_id, link_key(inbox_id))
    except AccountObject.DoesNotExist:
        item = None
    if item is not None:
        owner = int(item.data.get("assistant_id") or 0)
        if owner == assistant.id:
            return inbox
        try:
            get(assistant.account_id, owner)
            raise Conflict(f"Inbox {inbox_id} is already linked to another assistant", field="inbox_id")
        except NotFound:
            pass  # a stale link: its assistant is gone
    if len(inbox_ids(assistant)) >= MAX_INBOXES:
        raise Conflict(f"An assistant answers in at most {MAX_INBOXES} inboxes", field="inbox_id")
    new = item is None
    if new:
        item = AccountObject(assistant.account_id, link_key(inbox_id), id=inbox_id)
    item.data = {"assistant_id": assistant.id}
    try:
        with dynamo.transaction() as tx:
            _saved(tx, item, new=new)  # versioned: a link made or changed meanwhile cancels this
            tx.condition_check(AccountObject, assistant.account_id, assistant.key,
                               condition=AccountObject.key.exists())
            audit.add(tx, assistant.account_id, LINK_AUDITED_TYPE, assistant.id, "create",
                      {"assistant_id": assistant.id, "inbox_id": inbox_id})
            state.bump(tx, assistant.account_id, assistant.id)  # its inboxes' help centers are knowledge
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" not in dynamo.cancellation_codes(exc):
            raise
        get(assistant.account_id, assistant.id)  # the assistant deleted meanwhile: 404
        raise Conflict(f"Inbox {inbox_id} is already linked to another assistant", field="inbox_id") from None
    return inbox


def unlink(assistant: AccountObject, inbox_id: int) -> None:
    """Remove the inbox's link to this assistant (404 if the inbox is not linked to it)."""
    try:
        item = AccountObject.get(assistant.account_id, link_key(inbox_id))
    except AccountObject.DoesNotExist:
        item = None
    if item is None or item.data.get("assistant_id") != assistant.id:
        raise NotFound("Inbox is not linked to this assistant")
    try:
        with dynamo.transaction() as tx:
            tx.delete(item)  # versioned: a link changed meanwhile cancels this
            audit.add(tx, assistant.account_id, LINK_AUDITED_TYPE, assistant.id, "destroy",
                      {"assistant_id": assistant.id, "inbox_id": inbox_id})
            state.bump(tx, assistant.account_id, assistant.id)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            raise Conflict("The inbox's link changed meanwhile; try again", field="inbox_id") from None
        raise
