"""/api/v1/accounts/{account_id}/contacts/{contact_id}/notes: Chatwoot's contact notes.

Members holding contact_manage (api.contact_manager) read and write notes on the account's contacts; a note is changed or
deleted by its author or an administrator."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, body, contact_manager, path_id
from parley.services.contact import contact_notes, contacts

router = Router()


class NoteBody(Body):
    content: str = Field(min_length=1, max_length=contact_notes.MAX_CONTENT)


def _contact(account_id: str, contact_id: str):
    account_id, member = contact_manager(router, account_id)
    return contacts.get_contact(account_id, path_id(contact_id)), member


@router.get("/api/v1/accounts/<account_id>/contacts/<contact_id>/notes")
def index(account_id: str, contact_id: str):
    contact, _ = _contact(account_id, contact_id)
    return contact_notes.present(contact_notes.list_notes(contact))


@router.post("/api/v1/accounts/<account_id>/contacts/<contact_id>/notes")
def create(account_id: str, contact_id: str):
    contact, member = _contact(account_id, contact_id)
    note = contact_notes.create_note(contact, member.user_id, body(router, NoteBody, wrapper="note").content)
    return contact_notes.present([note])[0]


@router.get("/api/v1/accounts/<account_id>/contacts/<contact_id>/notes/<note_id>")
def show(account_id: str, contact_id: str, note_id: str):
    contact, _ = _contact(account_id, contact_id)
    return contact_notes.present([contact_notes.get_note(contact, path_id(note_id))])[0]


@router.route("/api/v1/accounts/<account_id>/contacts/<contact_id>/notes/<note_id>", method=["PATCH", "PUT"])
def update(account_id: str, contact_id: str, note_id: str):
    contact, member = _contact(account_id, contact_id)
    note = contact_notes.get_note(contact, path_id(note_id))
    contact_notes.update_note(note, member, body(router, NoteBody, wrapper="note").content)
    return contact_notes.present([note])[0]


@router.delete("/api/v1/accounts/<account_id>/contacts/<contact_id>/notes/<note_id>")
def delete(account_id: str, contact_id: str, note_id: str):
    contact, member = _contact(account_id, contact_id)
    contact_notes.delete_note(contact_notes.get_note(contact, path_id(note_id)), member)
    return {}
