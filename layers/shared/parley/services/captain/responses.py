"""Captain's FAQs (Chatwoot's assistant responses): a question, its answer, the assistant
that uses it, a status (pending: proposed, waiting for a human; approved: used to answer)
and the document it came from (one of the account's documents, or null).

Stored as AccountObjects of kind "captain_assistant_response". Every change is audited in
its own transaction (auditable type Captain::AssistantResponse), bulk changes included."""
from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from ... import audit, dynamo, ids
from ...errors import Conflict, Invalid, NotFound
from ...models.account_object import AccountObject
from ...models.base import utcnow
from . import assistants, documents, providers, scenarios, state

KIND = "captain_assistant_response"
AUDITED_TYPE = "Captain::AssistantResponse"
STATUSES = ("pending", "approved")
PER_PAGE = 25
# The listing reads the account's FAQs (one Query, paged by DynamoDB) and filters them: an
# account holds at most this many FAQs it can list (see docs/captain.md).
MAX_LISTED = 10_000
# A bulk action is one transaction (100 writes at most): the FAQs, the one audit entry and
# the knowledge version of each assistant whose answers change (state.bump).
MAX_BULK = 98
FIELDS = ("question", "answer", "assistant_id", "status", "document_id")


def get(account_id: int, response_id: int) -> AccountObject:
    try:
        return AccountObject.get(account_id, AccountObject.key_for(KIND, response_id))
    except AccountObject.DoesNotExist:
        raise NotFound("Assistant response not found") from None


def _check(account_id: int, data: dict, assistant_id: int | None = None) -> None:
    if data.get("document_id") is not None:
        document = documents.get(account_id, data["document_id"])  # another account's (or none): 404
        owner = data.get("assistant_id", assistant_id)
        if document.data.get("assistant_id") != owner:
            raise Invalid("document_id must name a document of the FAQ's assistant", field="document_id")
    if data.get("status") is not None and data["status"] not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}", field="status")
    if "assistant_id" in data:
        assistants.get(account_id, data["assistant_id"])  # another account's assistant: 404


def _saved(tx, item: AccountObject, new: bool) -> None:
    item.updated_at = utcnow()
    tx.save(item, condition=AccountObject.key.does_not_exist() if new else None)


def _assistant_stays(tx, item: AccountObject) -> None:
    """The FAQ's assistant must still exist when the FAQ is written (an assistant deleted
    meanwhile has already had its FAQs removed: this one would be left behind)."""
    tx.condition_check(AccountObject, item.account_id, AccountObject.key_for(assistants.KIND, item.data["assistant_id"]),
                       condition=AccountObject.key.exists())


def answerable(data: dict) -> bool:
    return data.get("status") == "approved"


def _changes_knowledge(before: dict | None, after: dict | None) -> list[int]:
    """The assistants whose answerable knowledge a write from `before` to `after` changes
    (None: the FAQ does not exist on that side): an approved FAQ made, removed, edited
    (question or answer), moved to another assistant, approved or unapproved."""
    was = before if before and answerable(before) else None
    now = after if after and answerable(after) else None
    if was is None and now is None:
        return []
    if was is not None and now is not None and was.get("assistant_id") == now.get("assistant_id") \
            and was.get("question") == now.get("question") and was.get("answer") == now.get("answer"):
        return []
    return sorted({int(d["assistant_id"]) for d in (was, now) if d is not None})


def _written(item: AccountObject, new: bool, action: str, changes: dict, before: dict | None = None) -> None:
    try:
        with dynamo.transaction() as tx:
            _saved(tx, item, new=new)
            _assistant_stays(tx, item)
            audit.add(tx, item.account_id, AUDITED_TYPE, item.id, action, changes)
            for assistant_id in _changes_knowledge(before, item.data):
                state.bump(tx, item.account_id, assistant_id)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" not in dynamo.cancellation_codes(exc):
            raise
        assistants.get(item.account_id, item.data["assistant_id"])  # deleted meanwhile: 404
        raise Conflict("This FAQ changed meanwhile; try again") from None


def create(account_id: int, data: dict) -> AccountObject:
    """An FAQ written by a person: approved unless a status is given."""
    _check(account_id, data)
    response_id = ids.next_id(ids.account_counter(account_id, KIND))
    item = AccountObject(account_id, AccountObject.key_for(KIND, response_id), id=response_id, data={
        "question": data["question"], "answer": data["answer"], "assistant_id": data["assistant_id"],
        "status": data.get("status") or "approved", "document_id": data.get("document_id")})
    _written(item, True, "create", item.data)
    return item


def update(item: AccountObject, changes: dict) -> AccountObject:
    changes = {key: value for key, value in changes.items() if key in FIELDS and (value is not None or key == "document_id")}
    _check(item.account_id, changes, item.data.get("assistant_id"))
    if "assistant_id" in changes and "document_id" not in changes and item.data.get("document_id") is not None:
        # Moved to another assistant: the document it names must be that assistant's too.
        _check(item.account_id, {"document_id": item.data["document_id"]}, changes["assistant_id"])
    before = item.data
    after = {**before, **changes}
    diff = audit.diff(before, after)
    if not diff:
        return item
    item.data = after
    try:
        _written(item, False, "update", diff, before=before)
    except Exception:
        item.refresh()
        raise
    return item


def delete(item: AccountObject) -> None:
    with dynamo.transaction() as tx:
        tx.delete(item)
        audit.add(tx, item.account_id, AUDITED_TYPE, item.id, "destroy", item.data)
        for assistant_id in _changes_knowledge(item.data, None):
            state.bump(tx, item.account_id, assistant_id)


def all_of(account_id: int) -> list[AccountObject]:
    return list(AccountObject.query(account_id, AccountObject.key.startswith(f"{KIND}#"), limit=MAX_LISTED))


def listing(account_id: int, *, assistant_id: int | None = None, document_id: int | None = None,
            status: str | None = None, search: str | None = None, page: int = 1,
            existing: set[int] | None = None) -> tuple[list[AccountObject], int]:
    """One page (25, newest first) of the FAQs matching every filter given, and how many
    match. `search`: a case-insensitive substring of the question or the answer. FAQs of an
    assistant no longer in `existing` (deleted, its FAQs not yet removed) are left out."""
    needle = (search or "").casefold()
    found = [item for item in all_of(account_id)
             if (existing is None or item.data.get("assistant_id") in existing)
             and (assistant_id is None or item.data.get("assistant_id") == assistant_id)
             and (document_id is None or item.data.get("document_id") == document_id)
             and (status is None or item.data.get("status") == status)
             and (not needle or needle in (item.data.get("question") or "").casefold()
                  or needle in (item.data.get("answer") or "").casefold())]
    found.sort(key=lambda item: item.id, reverse=True)
    start = (page - 1) * PER_PAGE
    return found[start:start + PER_PAGE], len(found)


def of_assistant(account_id: int, assistant_id: int) -> list[AccountObject]:
    return [item for item in all_of(account_id) if item.data.get("assistant_id") == assistant_id]


def delete_of_assistant(account_id: int, assistant_id: int) -> int:
    """Remove a deleted assistant's FAQs (after the assistant's own transaction, whose audit
    entry records them): batches of 25; the listing already hides them meanwhile."""
    doomed = of_assistant(account_id, assistant_id)
    with AccountObject.batch_write() as batch:
        for item in doomed:
            batch.delete(item)
    return len(doomed)


def bulk(account_id: int, response_ids: list[int], action: str) -> list[AccountObject]:
    """Approve (pending ones become approved) or delete the FAQs, all in one transaction
    with one audit entry: an id not of this account's FAQs is a 404 and nothing changes.
    Answers the FAQs approved-or-already-approved (approve) or none (delete)."""
    if not response_ids:
        raise Invalid("ids must not be empty", field="ids")
    if len(response_ids) > MAX_BULK:
        raise Invalid(f"At most {MAX_BULK} ids a request", field="ids")
    if action not in ("approve", "delete"):
        raise Invalid("fields.status must be approve or delete", field="fields.status")
    unique = list(dict.fromkeys(response_ids))
    items = [get(account_id, response_id) for response_id in unique]  # any unknown id: 404, nothing changed
    touched: set[int] = set()
    if action == "approve":
        changing = [item for item in items if item.data.get("status") != "approved"]
        for item in changing:
            touched.update(_changes_knowledge(item.data, {**item.data, "status": "approved"}))
            item.data = {**item.data, "status": "approved"}
    else:
        changing = items
        for item in changing:
            touched.update(_changes_knowledge(item.data, None))
    if len(changing) + 1 + len(touched) > 100:
        raise Invalid(f"These FAQs belong to {len(touched)} assistants: change fewer at once", field="ids")
    if changing:
        try:
            with dynamo.transaction() as tx:
                for item in changing:
                    if action == "approve":
                        _saved(tx, item, new=False)
                    else:
                        tx.delete(item)
                audit.add(tx, account_id, AUDITED_TYPE, None, "update" if action == "approve" else "destroy",
                          {"bulk_action": action, "ids": [item.id for item in changing]})
                for assistant_id in sorted(touched):  # checked above: within 100 writes
                    state.bump(tx, account_id, assistant_id)
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
                raise Conflict("Some of these FAQs changed meanwhile; nothing was changed") from None
            raise
    return items if action == "approve" else []


def delete_assistant(assistant: AccountObject) -> None:
    """An assistant's deletion: it and its inbox links in one audited transaction, then its
    FAQs, scenarios and documents (and their chunks), then its provider override and key,
    if it had its own."""
    assistants.delete(assistant)
    delete_of_assistant(assistant.account_id, assistant.id)
    scenarios.delete_of_assistant(assistant)
    documents.delete_of_assistant(assistant.account_id, assistant.id)
    providers.forget(assistant.account_id, assistant.id)
