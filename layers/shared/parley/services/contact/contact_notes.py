"""Notes on a contact (Chatwoot's contact notes): what agents write down about a person.

Stored in the account-objects table under "contact_note#<contact id>#<note id>", so a
contact's notes are one Query on a key prefix (newest first by reading backwards) and
every key starts with the account id. Note ids come from one per-account counter."""
from __future__ import annotations

from pynamodb.exceptions import PutError

from ... import ids
from ...errors import Conflict, Forbidden, NotFound
from ...models.account import AccountUser
from ...models.account_object import AccountObject
from ...models.contact import Contact
from ...models.user import User
from ...views.notes import note as note_view

KIND = "contact_note"
LIST_LIMIT = 500  # a contact's notes shown at once, newest first
MAX_CONTENT = 10_000


def _prefix(contact_id: int) -> str:
    return f"{KIND}#{contact_id:012d}#"


def _key(contact_id: int, note_id: int) -> str:
    return f"{_prefix(contact_id)}{note_id:012d}"


def list_notes(contact: Contact) -> list[AccountObject]:
    return list(AccountObject.query(contact.account_id, AccountObject.key.startswith(_prefix(contact.id)),
                                    scan_index_forward=False, limit=LIST_LIMIT))


def get_note(contact: Contact, note_id: int) -> AccountObject:
    try:
        return AccountObject.get(contact.account_id, _key(contact.id, note_id))
    except AccountObject.DoesNotExist:
        raise NotFound("Note not found") from None


def create_note(contact: Contact, user_id: int, content: str) -> AccountObject:
    note_id = ids.next_id(ids.account_counter(contact.account_id, "ContactNote"))
    note = AccountObject(contact.account_id, _key(contact.id, note_id), id=note_id,
                         data={"content": content, "user_id": user_id, "contact_id": contact.id})
    note.save(condition=AccountObject.key.does_not_exist())
    return note


def _may_change(note: AccountObject, member: AccountUser) -> None:
    """The author or an administrator: an agent cannot rewrite a colleague's note."""
    if member.role != "administrator" and note.data.get("user_id") != member.user_id:
        raise Forbidden("Only the note's author or an administrator can change it")


def update_note(note: AccountObject, member: AccountUser, content: str) -> AccountObject:
    _may_change(note, member)
    note.data = {**note.data, "content": content}
    try:
        note.save()  # the version attribute refuses a concurrent edit
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("The note was changed by someone else; reload it and try again") from None
        raise
    return note


def delete_note(note: AccountObject, member: AccountUser) -> None:
    _may_change(note, member)
    note.delete()


def delete_all(account_id: int, contact_id: int) -> None:
    """Every note of a contact (the contact is gone)."""
    rows = list(AccountObject.query(account_id, AccountObject.key.startswith(_prefix(contact_id))))
    with AccountObject.batch_write() as batch:
        for row in rows:
            batch.delete(row)


def move_all(account_id: int, from_contact_id: int, to_contact_id: int) -> None:
    """A merge: the mergee's notes become the base contact's. Each is written under the
    new key before the old one goes, so running it again after a failure finishes it."""
    for row in AccountObject.query(account_id, AccountObject.key.startswith(_prefix(from_contact_id))):
        moved = AccountObject(account_id, _key(to_contact_id, row.id), id=row.id,
                              data={**row.data, "contact_id": to_contact_id}, created_at=row.created_at)
        moved.save()
        row.delete()


def present(notes: list[AccountObject]) -> list[dict]:
    """Chatwoot's note JSON, with each author (one BatchGet for all of them)."""
    user_ids = {n.data.get("user_id") for n in notes if n.data.get("user_id")}
    authors = {u.id: u for u in User.batch_get(user_ids)} if user_ids else {}
    return [note_view(n, authors.get(n.data.get("user_id"))) for n in notes]
