"""/api/v1/accounts/{account_id}/contacts: the contact list, search and filters, one
contact, its labels, conversations and contact inboxes; /actions/contact_merge.

Members holding contact_manage (administrators, agents, agents whose custom role grants
it: api.contact_manager) read, create and update contacts; deleting and merging are for
administrators."""
from __future__ import annotations

import json
import re
from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field, ValidationInfo, field_validator

from api import (HTTP_URL, Body, ContactChanges, Filter, Labels, account_admin, admin_delete, body, contact_manager,
                 path_id, query)
from parley.errors import Invalid
from parley.services.contact import contacts
from parley.services.conversation import conversations
from parley.services.inbox import inboxes
from parley.views.inboxes import inbox as inbox_view

router = Router()

Sort = Literal["name", "-name", "email", "-email", "phone_number", "-phone_number", "last_activity_at",
               "-last_activity_at", "created_at", "-created_at"]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")  # Devise's, which Chatwoot uses
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
MAX_ATTRIBUTES_BYTES = 16_384


class ListQuery(Body):
    sort: Sort = contacts.DEFAULT_SORT
    page: int = Field(default=1, ge=1, le=contacts.MAX_PAGE)
    include_contact_inboxes: bool = True


class SearchQuery(ListQuery):
    q: str = Field(default="", max_length=200)


# The fields an agent's edit checks the form of, with what is wrong with one that fails.
FORMATS = {"email": (EMAIL, "is not an email address"),
           "phone_number": (E164, "must be in E.164 format, like +15551234567"),
           "avatar_url": (HTTP_URL, "must be an http(s) URL")}


class ContactFields(ContactChanges):
    """An agent edits what a contact may change about itself, and more."""
    identifier: str | None = Field(default=None, max_length=255)
    blocked: bool | None = None
    additional_attributes: dict[str, Any] | None = Field(default=None, max_length=100)

    @field_validator(*FORMATS)
    @classmethod
    def _format(cls, value, info: ValidationInfo):
        pattern, problem = FORMATS[info.field_name]
        if value and not pattern.match(value):
            raise ValueError(problem)
        return value

    @field_validator("custom_attributes", "additional_attributes")
    @classmethod
    def _attributes(cls, value):
        if value is None:
            return value
        for key in value:
            if not key.strip() or len(key) > 255:
                raise ValueError("keys must be 1 to 255 characters")
        if len(json.dumps(value)) > MAX_ATTRIBUTES_BYTES:
            raise ValueError(f"must be at most {MAX_ATTRIBUTES_BYTES} bytes of JSON")
        return value


class ContactCreate(ContactFields):
    inbox_id: int | None = None
    source_id: str | None = Field(default=None, min_length=1, max_length=255)


class ContactInboxCreate(Body):
    inbox_id: int
    source_id: str | None = Field(default=None, min_length=1, max_length=255)


class Merge(Body):
    base_contact_id: int
    mergee_contact_id: int


def _contact(account_id: str, contact_id: str):
    account_id, member = contact_manager(router, account_id)
    return contacts.get_contact(account_id, path_id(contact_id)), member


def _page(count: int, rows, page: int, with_inboxes: bool, **extra) -> dict:
    # The reference spec types current_page as a string.
    return {"meta": {"count": count, "current_page": str(page), **extra},
            "payload": contacts.present(rows, with_inboxes=with_inboxes)}


@router.get("/api/v1/accounts/<account_id>/contacts")
def index(account_id: str):
    account_id, _ = contact_manager(router, account_id)
    params = query(router, ListQuery)
    count, rows = contacts.list_contacts(account_id, sort=params.sort, page=params.page)
    return _page(count, rows, params.page, params.include_contact_inboxes)


@router.get("/api/v1/accounts/<account_id>/contacts/search")
def search(account_id: str):
    account_id, _ = contact_manager(router, account_id)
    params = query(router, SearchQuery)
    count, rows = contacts.search_contacts(account_id, params.q, sort=params.sort, page=params.page)
    return _page(count, rows, params.page, params.include_contact_inboxes)


@router.post("/api/v1/accounts/<account_id>/contacts/filter")
def filter_contacts(account_id: str):
    account_id, _ = contact_manager(router, account_id)
    params = query(router, ListQuery)
    conditions = [c.model_dump() for c in body(router, Filter).payload]
    count, rows, truncated = contacts.filter_contacts(account_id, conditions, sort=params.sort, page=params.page)
    extra = {"examined_limit_reached": True} if truncated else {}
    return _page(count, rows, params.page, params.include_contact_inboxes, **extra)


@router.post("/api/v1/accounts/<account_id>/contacts")
def create(account_id: str):
    account_id, member = contact_manager(router, account_id)
    payload = body(router, ContactCreate, wrapper="contact")
    inbox = inboxes.working_inbox(member, payload.inbox_id) if payload.inbox_id is not None else None
    if payload.source_id and inbox is None:
        raise Invalid("source_id needs an inbox_id", field="source_id")
    fields = payload.model_dump(exclude={"inbox_id", "source_id"}, exclude_none=True)
    contact, link = contacts.new_contact(account_id, inbox=inbox, source_id=payload.source_id, **fields)
    return {"payload": {"contact": contacts.present([contact])[0],
                        "contact_inbox": {"inbox": inbox_view(inbox) if inbox else None,
                                          "source_id": link.source_id if link else None}}}


@router.get("/api/v1/accounts/<account_id>/contacts/<contact_id>")
def show(account_id: str, contact_id: str):
    contact, _ = _contact(account_id, contact_id)
    return {"payload": contacts.present([contact])[0]}


@router.route("/api/v1/accounts/<account_id>/contacts/<contact_id>", method=["PUT", "PATCH"])
def update(account_id: str, contact_id: str):
    """Only the given fields change; custom and additional attributes are merged into the
    contact's (as Chatwoot does)."""
    contact, _ = _contact(account_id, contact_id)
    payload = body(router, ContactFields, wrapper="contact")
    changes = payload.model_dump(exclude_unset=True)
    for key in ("custom_attributes", "additional_attributes"):
        if key in changes:
            changes[key] = {**(getattr(contact, key) or {}), **(changes[key] or {})}
    if "name" in changes and changes["name"] is None:
        changes["name"] = ""
    if "blocked" in changes and changes["blocked"] is None:
        raise Invalid("blocked must be true or false", field="blocked")
    contacts.update_contact(contact, **changes)
    return {"payload": contacts.present([contact])[0]}


admin_delete(router, "/api/v1/accounts/<account_id>/contacts/<item_id>", contacts.get_contact, contacts.delete_contact)


@router.get("/api/v1/accounts/<account_id>/contacts/<contact_id>/conversations")
def contact_conversations(account_id: str, contact_id: str):
    contact, member = _contact(account_id, contact_id)
    return {"payload": conversations.present(contacts.conversations_of(contact, member))}


@router.get("/api/v1/accounts/<account_id>/contacts/<contact_id>/labels")
def labels(account_id: str, contact_id: str):
    contact, _ = _contact(account_id, contact_id)
    return {"payload": list(contact.labels or [])}


@router.post("/api/v1/accounts/<account_id>/contacts/<contact_id>/labels")
def set_labels(account_id: str, contact_id: str):
    """Replaces the contact's labels with the given list, as Chatwoot does."""
    contact, _ = _contact(account_id, contact_id)
    contacts.set_labels(contact, body(router, Labels).labels)
    return {"payload": list(contact.labels or [])}


@router.post("/api/v1/accounts/<account_id>/contacts/<contact_id>/contact_inboxes")
def create_contact_inbox(account_id: str, contact_id: str):
    contact, member = _contact(account_id, contact_id)
    payload = body(router, ContactInboxCreate)
    inbox = inboxes.working_inbox(member, payload.inbox_id)
    link = contacts.create_contact_inbox(contact, inbox, payload.source_id)
    return {"source_id": link.source_id, "inbox": inbox_view(inbox)}


@router.get("/api/v1/accounts/<account_id>/contacts/<contact_id>/contactable_inboxes")
def contactable_inboxes(account_id: str, contact_id: str):
    contact, member = _contact(account_id, contact_id)
    return {"payload": [{"source_id": source_id, "inbox": inbox_view(inbox)}
                        for inbox, source_id in contacts.contactable_inboxes(contact, member)]}


@router.post("/api/v1/accounts/<account_id>/actions/contact_merge")
def merge(account_id: str):
    account_id = account_admin(router, account_id)
    payload = body(router, Merge)
    base = contacts.get_contact(account_id, payload.base_contact_id)
    mergee = contacts.get_contact(account_id, payload.mergee_contact_id)
    return contacts.present([contacts.merge_contacts(base, mergee)], with_inboxes=False)[0]
