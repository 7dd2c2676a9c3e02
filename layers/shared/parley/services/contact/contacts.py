"""Contacts and their per-inbox identities (contact inboxes): create, update, delete, merge,
the account's contact list, search and filters.

Every contact write is one TransactWriteItems holding the contact (with its version
condition), the claims on its unique values (email, phone number, identifier: Uniques
items, so two contacts can never hold the same one) and the list / search entries that
change with it (ContactIndexEntry items, see models/contact.py and "Contact search" in
docs/data-model.md), and the contact's events (an events.Outbox). Nothing is written, and
nothing announced, unless all of it is.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from typing import Any, Callable, Iterable

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from ... import audit, events, ids, permissions
from ...errors import Conflict, Invalid, NotFound
from ...models.account import AccountUser
from ...models.contact import Contact, ContactInbox, ContactIndexEntry
from ...models.conversation import Conversation
from ...models.counter import Counter
from ...models.inbox import Inbox
from ...models.unique import UniqueClaim
from ...views.contacts import contact as contact_view
from ...views.inboxes import inbox as inbox_view
from . import contact_notes
from ..account import custom_attributes, filtering

PAGE_SIZE = 15  # Chatwoot's contacts pages
MAX_PAGE = 1000
SORT_FIELDS = {"name": "name", "email": "email", "phone_number": "phone", "last_activity_at": "activity",
               "created_at": "created"}
DEFAULT_SORT = "-last_activity_at"
SEARCH_READ_LIMIT = 1000  # term entries read per prefix Query
SEARCH_MAX_RESULTS = 100  # contacts a search can return (all its pages together)
FILTER_READ_LIMIT = 5000  # contacts a filter examines, newest first
CONVERSATIONS_LIMIT = 20  # a contact's conversations, as Chatwoot shows them
CONTACT_INBOXES_LIMIT = 100
MAX_NAME_WORDS = 6
MAX_TERMS = 16
# A resolved contact's labels each get an entry "<account>#label#<title>" (campaign
# audiences, services/rules/campaign_sending.py); at most this many, in title order, so a
# contact's one write stays far below DynamoDB's 100 items per transaction. Labels past
# it are kept on the contact but reach no campaign audience (docs/data-model.md).
MAX_LABEL_ENTRIES = 20
SEP = "\x1f"  # between an entry's value and the contact id; sorts before every printable character
UNIQUE_FIELDS = ("email", "phone_number", "identifier")
FIELD_LABELS = {"email": "Email", "phone_number": "Phone number", "identifier": "Identifier"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PHONE_QUERY = re.compile(r"^[+\d\s().\-]+$")


class _Stale(Exception):
    """The contact changed (or vanished) under a transaction: re-read and try again."""


# ---------------------------------------------------------------- claims

def claim_key(account_id: int, field: str, value: str) -> str:
    """The Uniques key for a unique value. Identifiers are exact values (the widget's
    setUser claims them through `claim_identifier`); emails are case-insensitive."""
    if field == "identifier":
        return f"contact_identifier#{account_id}#{value}"
    if field == "email":
        return f"contact_email#{account_id}#{value.strip().lower()}"
    if field == "phone_number":
        return f"contact_phone#{account_id}#{value}"
    raise ValueError(field)


def _claim(account_id: int, field: str, value: str, contact_id: int) -> UniqueClaim:
    claim = UniqueClaim(claim_key(account_id, field, value))
    claim.target = f"Contact#{contact_id}"
    return claim


def _unique_values(contact: Contact) -> dict[str, str | None]:
    return {field: getattr(contact, field) for field in UNIQUE_FIELDS}


def _owner(key: str) -> str | None:
    try:
        return UniqueClaim.get(key, consistent_read=True).target
    except UniqueClaim.DoesNotExist:
        return None


def find_by_unique(account_id: int, field: str, value: str | None) -> Contact | None:
    """The account's contact holding `value` as its email, phone number or identifier."""
    value = _clean(field, value)
    owner = _owner(claim_key(account_id, field, value)) if value else None
    if not owner or not owner.startswith("Contact#"):
        return None
    try:
        return get_contact(account_id, int(owner.split("#", 1)[1]))
    except (NotFound, ValueError):
        return None


def custom_attributes_checked(account_id: int, values: dict) -> dict:
    """Values checked against the account's contact attribute definitions (422 if one misfits)."""
    return custom_attributes.validate(account_id, "contact_attribute", values) if values else values


# ---------------------------------------------------------------- list and search entries

def normalize(value: str | None) -> str:
    """Lower case, no control characters, single spaces: how names are sorted and searched."""
    return " ".join(_CONTROL.sub(" ", value or "").lower().split())[:200]


def digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def is_resolved(contact: Contact) -> bool:
    """Chatwoot's "resolved" contacts (the ones lists and search show): an email, a phone
    number or an identifier. Anonymous widget visitors are not."""
    return bool(contact.email or contact.phone_number or contact.identifier)


def sort_value(contact: Contact, kind: str) -> str:
    """The value an entry of `kind` sorts by. Missing values sort after present ones
    ("2" > "1"), as PostgreSQL sorts NULLs last ascending and first descending."""
    if kind == "activity":
        return f"{max(0, int(contact.last_activity_at or 0)):012d}"
    if kind == "created":
        return ""
    value = {"name": normalize(contact.name), "email": (contact.email or "").lower(),
             "phone": digits(contact.phone_number)}[kind]
    return f"1{value}" if value else "2"


def sort_key(contact: Contact, kind: str) -> str:
    """The entry's sort key: its value, then the contact id (ties keep a stable order)."""
    return f"{sort_value(contact, kind)}{SEP}{contact.id:019d}"


def search_terms(contact: Contact) -> list[str]:
    """What a search prefix is matched against: the whole name and each later word of it;
    the email, its domain and the later parts of its local part; the phone's digits with
    and without up to three leading (country code) digits; the identifier."""
    terms: list[str] = []
    name = normalize(contact.name)
    if name:
        terms.append(name)
        terms += re.findall(r"\w+", name)[1:MAX_NAME_WORDS]
    email = (contact.email or "").lower()
    if email:
        local, _, domain = email.partition("@")
        terms += [email, domain] + [part for part in re.split(r"[._+\-]", local)[1:] if len(part) >= 2]
    phone = digits(contact.phone_number)
    terms += [phone[start:] for start in range(0, 4) if len(phone) - start >= 4]
    identifier = normalize(contact.identifier)
    if identifier:
        terms.append(identifier)
    unique = list(dict.fromkeys(term[:100] for term in terms if term))
    return unique[:MAX_TERMS]


def _entry(account_id: int, kind: str, sk: str) -> ContactIndexEntry:
    pk = f"{account_id}#{kind}"
    digest = int(hashlib.sha256(f"{pk}|{sk}".encode()).hexdigest()[:30], 16)  # 120 bits, < 10**37
    return ContactIndexEntry(-(digest + 1), entry_pk=pk, entry_sk=sk)


def entries_for(contact: Contact) -> dict[int, ContactIndexEntry]:
    """Every entry the contact should have now, by id."""
    if not is_resolved(contact):
        return {}
    rows = [_entry(contact.account_id, kind, sort_key(contact, kind)) for kind in SORT_FIELDS.values()]
    rows += [_entry(contact.account_id, "term", f"{term}{SEP}{contact.id:019d}")
             for term in search_terms(contact)]
    rows += [_entry(contact.account_id, label_kind(label), f"{contact.id:019d}")
             for label in sorted(set(contact.labels or []))[:MAX_LABEL_ENTRIES]]
    return {row.id: row for row in rows}


def label_kind(title: str) -> str:
    return f"label#{title}"


def labelled(account_id: int, title: str, *, after: int = 0, limit: int | None = None) -> list[int]:
    """Ids of the account's resolved contacts carrying label `title`, ascending, those
    above `after` only; at most `limit` (keys-only Query of the entry index)."""
    condition = ContactIndexEntry.entry_sk > f"{after:019d}"
    rows = ContactIndexEntry.entry_index.query(f"{account_id}#{label_kind(title)}", condition, limit=limit,
                                               page_size=min(limit or 1000, 1000))
    return [int(row.entry_sk) for row in rows]


def reindex(account_id: int, *, after: int = 0, limit: int = 100) -> int | None:
    """Bring the entries of up to `limit` of the account's contacts (ids above `after`)
    up to date: contacts labelled before label entries existed gain them. Returns the last
    contact id seen, None when there are no more. Idempotent: a contact already in step is
    not written."""
    last = None
    for contact in Contact.account_index.query(account_id, Contact.id > after, limit=limit, page_size=limit):
        last = contact.id
        if set(entries_for(contact)) != set(contact.index_ids or ()):
            try:
                update_contact(Contact.get(contact.id, consistent_read=True))
            except (Contact.DoesNotExist, NotFound):
                pass  # deleted meanwhile
    return last


def _listed_counter(account_id: int) -> str:
    return ids.account_counter(account_id, "ListedContacts")


def _contact_id(sk: str) -> int:
    return int(sk.rsplit(SEP, 1)[1])


# ---------------------------------------------------------------- the one write

def _write(contact: Contact, old_unique: dict[str, str | None], *, new: bool = False,
           also: Callable[[Any], None] | None = None, adopt_from: int | None = None, listed_delta: int = 0,
           check_source: ContactInbox | None = None,
           announce: Callable[[events.Outbox], None] | None = None) -> None:
    """Save `contact` with its claims and entries in one transaction.

    `old_unique`: the unique values the contact held before (their claims are released
    when they change). `adopt_from`: a contact whose claims this one may take over (a
    merge). `also(tx)` adds more items; `listed_delta` adjusts the listed-contacts count
    for them. `announce(tx)` publishes the change's events in the same transaction, from
    the contacts as they are written. Raises Invalid naming a field whose value another
    contact holds, _Stale if the contact changed under us."""
    account_id, mine = contact.account_id, f"Contact#{contact.id}"
    wanted = entries_for(contact)
    have = set(contact.index_ids or ())
    created = _entry(account_id, "created", sort_key(contact, "created")).id
    delta = listed_delta + (created in wanted) - (created in have)
    taking: list[tuple[str, str]] = []
    previous_index = contact.index_ids
    contact.index_ids = set(wanted) or None
    try:
        with events.Outbox() as tx:
            for field in UNIQUE_FIELDS:
                old, current = old_unique.get(field), getattr(contact, field)
                old_key = claim_key(account_id, field, old) if old else None
                new_key = claim_key(account_id, field, current) if current else None
                if old_key == new_key:
                    continue
                if new_key:
                    allowed = UniqueClaim.key.does_not_exist() | (UniqueClaim.target == mine)
                    if adopt_from is not None:
                        allowed |= UniqueClaim.target == f"Contact#{adopt_from}"
                    tx.save(_claim(account_id, field, current, contact.id), condition=allowed)
                    taking.append((field, new_key))
                if old_key:
                    tx.delete(UniqueClaim(old_key),
                              condition=UniqueClaim.key.does_not_exist() | (UniqueClaim.target == mine))
            for entry_id, entry in wanted.items():
                if entry_id not in have:
                    tx.save(entry)
            for entry_id in have - set(wanted):
                tx.delete(ContactIndexEntry(entry_id))
            if delta:
                tx.update(Counter(_listed_counter(account_id)), actions=[Counter.value.add(delta)])
            if also:
                also(tx)
            tx.save(contact, condition=Contact.id.does_not_exist() if new else None)
            if announce:
                announce(tx)
    except TransactWriteError as exc:
        contact.index_ids = previous_index
        if exc.cause_response_code != "TransactionCanceledException":
            raise
        allowed_owners = {mine} | ({f"Contact#{adopt_from}"} if adopt_from is not None else set())
        for field, key in taking:
            owner = _owner(key)
            if owner is not None and owner not in allowed_owners:
                raise Invalid(f"{FIELD_LABELS[field]} has already been taken", field=field) from None
        if check_source is not None and contact_inbox(check_source.inbox_id, check_source.source_id) is not None:
            raise Invalid("Source has already been taken in this inbox", field="source_id") from None
        raise _Stale() from None


def _retrying(contact: Contact, attempt: Callable[[], None], *also: Contact | None) -> None:
    """Run `attempt` (which applies its change to `contact`, and to the contacts in `also`,
    and writes them) until it is not stale: re-read them between tries, so no concurrent
    change is lost."""
    involved = [c for c in (contact, *also) if c is not None]
    for _ in range(4):
        try:
            attempt()
            return
        except _Stale:
            try:
                for each in involved:
                    each.refresh(consistent_read=True)
            except Contact.DoesNotExist:
                raise NotFound("Contact not found") from None
    raise Conflict(f"The {'contacts are' if len(involved) > 1 else 'contact is'} being changed by someone else; try again")


# ---------------------------------------------------------------- create, read, update

def _clean(field: str, value):
    if field in UNIQUE_FIELDS or field == "avatar_url":
        value = (value or "").strip() or None
        if field == "email" and value:
            value = value.lower()  # Chatwoot stores emails in lower case
    return value


def new_contact(account_id: int, *, name: str = "", email: str | None = None, phone_number: str | None = None,
                identifier: str | None = None, avatar_url: str | None = None, blocked: bool = False,
                custom_attributes: dict | None = None, additional_attributes: dict | None = None,
                inbox: Inbox | None = None, source_id: str | None = None, identifier_unverified: bool = False,
                hmac_verified: bool = False) -> tuple[Contact, ContactInbox | None]:
    """A new contact and, with `inbox`, its contact inbox there, written together.
    `identifier_unverified`: the identifier is only a visitor's word (see claim_identifier)."""
    custom_attributes = custom_attributes_checked(account_id, custom_attributes or {})
    contact = Contact(ids.next_id("Contact"), account_id=account_id, name=(name or "").strip(),
                      email=_clean("email", email), phone_number=_clean("phone_number", phone_number),
                      identifier=_clean("identifier", identifier), avatar_url=_clean("avatar_url", avatar_url),
                      blocked=bool(blocked), custom_attributes=custom_attributes or {},
                      additional_attributes=additional_attributes or {}, last_activity_at=int(time.time()))
    if contact.identifier and identifier_unverified:
        contact.identifier_unverified = True
    link = _new_contact_inbox(contact, inbox, source_id, hmac_verified=hmac_verified) if inbox is not None else None
    also = (lambda tx: tx.save(link, condition=ContactInbox.source_id.does_not_exist())) if link else None
    try:
        _write(contact, {}, new=True, also=also, check_source=link,
               announce=lambda tx: tx.publish("contact.created", account_id, contact_view(contact)))
    except _Stale:
        raise Conflict("The contact could not be created; try again") from None
    return contact, link


def create_contact(account_id: int, **fields) -> Contact:
    return new_contact(account_id, **fields)[0]


def get_contact(account_id: int, contact_id: int) -> Contact:
    if contact_id <= 0:
        raise NotFound("Contact not found")
    try:
        contact = Contact.get(contact_id)
    except Contact.DoesNotExist:
        raise NotFound("Contact not found") from None
    if contact.account_id != account_id:
        raise NotFound("Contact not found")
    return contact


def update_contact(contact: Contact, **changes) -> Contact:
    """Set the given attributes (None clears one). Email, phone number and identifier
    claims move with their values; a value another contact holds is refused (422). Also
    brings the contact's list entries up to date when something else (the widget's
    identifier claim) saved it without them."""
    changes = {key: _clean(key, value) for key, value in changes.items()}
    if changes.get("custom_attributes"):
        custom_attributes_checked(contact.account_id, changes["custom_attributes"])
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    changed: dict = {}

    def announce(tx: events.Outbox) -> None:
        if changed:
            tx.publish("contact.updated", contact.account_id, contact_view(contact), changed)

    def attempt() -> None:
        before = {key: getattr(contact, key) for key in changes}
        old_unique = _unique_values(contact)
        for key, value in changes.items():
            setattr(contact, key, value)
        changed.clear()
        changed.update({k: [before[k], v] for k, v in changes.items() if before[k] != v})
        if "identifier" in changed:  # set by an agent or an API token: trusted
            contact.identifier_unverified = None
        if not changed and set(entries_for(contact)) == set(contact.index_ids or ()):
            return
        _write(contact, old_unique, announce=announce)

    _retrying(contact, attempt)
    return contact


def set_labels(contact: Contact, labels: list[str]) -> Contact:
    return update_contact(contact, labels=sorted(set(labels)))


def audited_fields(contact: Contact) -> dict:
    """What a contact's audit entry names it by."""
    return {field: getattr(contact, field) for field in ("name", "email", "phone_number", "identifier")}


def delete_contact(contact: Contact) -> None:
    """The contact, its claims, entries and contact inboxes (so its widget sessions end).
    Its conversations stay (see docs: a consumer of contact.deleted may remove them).
    contact.deleted commits with the contact's own delete, the step that makes it gone;
    its contact inboxes and notes (too many for that transaction) are removed after it."""
    links = contact_inboxes_of(contact)
    shown = contact_view(contact)

    def attempt() -> None:
        have = set(contact.index_ids or ())
        created = _entry(contact.account_id, "created", sort_key(contact, "created")).id
        try:
            with events.Outbox() as tx:
                mine = f"Contact#{contact.id}"
                for field, value in _unique_values(contact).items():
                    if value:
                        tx.delete(UniqueClaim(claim_key(contact.account_id, field, value)),
                                  condition=UniqueClaim.key.does_not_exist() | (UniqueClaim.target == mine))
                for entry_id in have:
                    tx.delete(ContactIndexEntry(entry_id))
                if created in have:
                    tx.update(Counter(_listed_counter(contact.account_id)), actions=[Counter.value.add(-1)])
                tx.delete(contact)
                tx.publish("contact.deleted", contact.account_id, shown)
                audit.add(tx, contact.account_id, "Contact", contact.id, "destroy", audited_fields(contact))
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise
            raise _Stale() from None

    _retrying(contact, attempt)
    with ContactInbox.batch_write() as batch:
        for link in links:
            batch.delete(link)
    contact_notes.delete_all(contact.account_id, contact.id)


def claim_identifier(contact: Contact, identifier: str, *, verified: bool, taken_from: Contact | None = None
                     ) -> Contact:
    """Give `contact` the identifier a visitor named (widget setUser, Client API). Unless
    `verified` (proven with identifier_hash) the claim is marked unverified, and a visitor
    who proves the identifier later takes it back: `taken_from` is that unverified holder,
    which loses it in the same transaction and keeps everything else (its own history).
    Raises Invalid (field identifier) if someone else holds it."""
    if taken_from is not None and not verified:
        raise ValueError("only a verified claim takes an identifier back")
    previous = contact.identifier

    def announce(tx: events.Outbox) -> None:
        if previous != identifier:
            tx.publish("contact.updated", contact.account_id, contact_view(contact),
                       {"identifier": [previous, identifier]})
        if taken_from is not None:
            tx.publish("contact.updated", taken_from.account_id, contact_view(taken_from),
                       {"identifier": [identifier, None]})

    def attempt() -> None:
        if taken_from is not None and (taken_from.identifier != identifier or not taken_from.identifier_unverified):
            raise Conflict("The identifier changed hands meanwhile; try again")
        old_unique = _unique_values(contact)
        contact.identifier = identifier
        contact.identifier_unverified = None if verified else True
        also, listed_delta = None, 0
        if taken_from is not None:
            had = set(taken_from.index_ids or ())
            created = _entry(taken_from.account_id, "created", sort_key(taken_from, "created")).id
            taken_from.identifier = taken_from.identifier_unverified = None
            wanted = entries_for(taken_from)
            listed_delta = (created in wanted) - (created in had)
            taken_from.index_ids = set(wanted) or None

            def also(tx) -> None:  # the claim itself moves with `contact`'s write (adopt_from)
                for entry_id, entry in wanted.items():
                    if entry_id not in had:
                        tx.save(entry)
                for entry_id in had - set(wanted):
                    tx.delete(ContactIndexEntry(entry_id))
                tx.save(taken_from)
        _write(contact, old_unique, also=also, listed_delta=listed_delta,
               adopt_from=taken_from.id if taken_from is not None else None, announce=announce)

    _retrying(contact, attempt, taken_from)
    return contact


# ---------------------------------------------------------------- contact inboxes

def _new_contact_inbox(contact: Contact, inbox: Inbox, source_id: str | None = None, *,
                       hmac_verified: bool = False) -> ContactInbox:
    return ContactInbox(inbox.id, source_id or str(uuid.uuid4()), contact_id=contact.id,
                        account_id=contact.account_id, pubsub_token=secrets.token_urlsafe(24),
                        hmac_verified=hmac_verified)


def create_contact_inbox(contact: Contact, inbox: Inbox, source_id: str | None = None, *,
                         hmac_verified: bool = False) -> ContactInbox:
    contact_inbox = _new_contact_inbox(contact, inbox, source_id, hmac_verified=hmac_verified)
    try:
        contact_inbox.save(condition=ContactInbox.source_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Invalid("Source has already been taken in this inbox", field="source_id") from None
        raise
    return contact_inbox


def contact_inbox(inbox_id: int, source_id: str) -> ContactInbox | None:
    if not source_id or len(source_id) > 255:
        return None
    try:
        return ContactInbox.get(inbox_id, source_id)
    except ContactInbox.DoesNotExist:
        return None


def contact_inbox_for(contact: Contact, inbox: Inbox) -> ContactInbox | None:
    """The contact's identity in `inbox`, if it has one."""
    return next(iter(ContactInbox.contact_index.query(contact.id, ContactInbox.inbox_id == inbox.id, limit=1)), None)


def verified_contact_inbox(contact: Contact, inbox: Inbox) -> ContactInbox | None:
    """The contact's identity in `inbox` that a visitor proved with identifier_hash, if any:
    the only kind a later verified visitor may share (an unverified one may be anyone's)."""
    rows = ContactInbox.contact_index.query(contact.id, ContactInbox.inbox_id == inbox.id,
                                            filter_condition=ContactInbox.hmac_verified == True)  # noqa: E712
    return next(iter(rows), None)


def contact_inboxes_of(contact: Contact) -> list[ContactInbox]:
    return list(ContactInbox.contact_index.query(contact.id, limit=CONTACT_INBOXES_LIMIT))


def by_pubsub_token(token: str | None) -> ContactInbox | None:
    if not token or len(token) > 128:
        return None
    return next(iter(ContactInbox.pubsub_index.query(token, limit=1)), None)


def contactable_inboxes(contact: Contact, member: AccountUser) -> list[tuple[Inbox, str]]:
    """Inboxes the caller could start a conversation with this contact in, with the
    source id to use: API inboxes always (the existing identity or a fresh id); website
    inboxes where the contact already has an identity (Chatwoot also asks that the
    visitor be online, which Parley does not track)."""
    existing: dict[int, str] = {}
    for link in contact_inboxes_of(contact):
        existing.setdefault(link.inbox_id, link.source_id)
    rows = []
    for inbox in permissions.visible_inboxes(member):
        if inbox.channel_type == "api":
            rows.append((inbox, existing.get(inbox.id) or str(uuid.uuid4())))
        elif inbox.id in existing:
            rows.append((inbox, existing[inbox.id]))
    return rows


def conversations_of(contact: Contact, member: AccountUser) -> list[Conversation]:
    """The contact's conversations the caller may see (agents: their inboxes', narrowed by
    a custom role's mode), newest activity first, at most CONVERSATIONS_LIMIT."""
    scope = permissions.conversation_scope(member)
    if scope.inbox_ids == frozenset():
        return []
    rows = []
    for conversation in Conversation.contact_index.query(contact.id, scan_index_forward=False):
        if conversation.account_id == contact.account_id and scope.admits(conversation):
            rows.append(conversation)
            if len(rows) == CONVERSATIONS_LIMIT:
                break
    return rows


# ---------------------------------------------------------------- presenting

def present(contacts: list[Contact], *, with_inboxes: bool = True) -> list[dict]:
    """Chatwoot JSON for contacts; with their contact inboxes, one Query per contact and
    one BatchGet for all their inboxes."""
    if not with_inboxes:
        return [contact_view(c) for c in contacts]
    links = {c.id: contact_inboxes_of(c) for c in contacts}
    inbox_ids = {link.inbox_id for rows in links.values() for link in rows}
    found = {i.id: i for i in Inbox.batch_get(inbox_ids)} if inbox_ids else {}
    return [contact_view(c, contact_inboxes=[{"source_id": link.source_id, "inbox": inbox_view(found[link.inbox_id])}
                                             for link in links[c.id] if link.inbox_id in found])
            for c in contacts]


def _in_order(account_id: int, contact_ids: list[int]) -> list[Contact]:
    if not contact_ids:
        return []
    found = {c.id: c for c in Contact.batch_get(set(contact_ids)) if c.account_id == account_id}
    return [found[i] for i in contact_ids if i in found]


# ---------------------------------------------------------------- list, search

def parse_sort(sort: str | None) -> tuple[str, bool]:
    """("name", descending) from Chatwoot's `sort` ("name", "-name", ...)."""
    sort = sort or DEFAULT_SORT
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    if field not in SORT_FIELDS:
        raise Invalid(f"sort must be one of: {', '.join(SORT_FIELDS)} (with - for descending)", field="sort")
    return SORT_FIELDS[field], descending


def _check_page(page: int) -> None:
    if page < 1 or page > MAX_PAGE:
        raise Invalid(f"page must be between 1 and {MAX_PAGE}", field="page")


def listed_count(account_id: int) -> int:
    try:
        return int(Counter.get(_listed_counter(account_id)).value or 0)
    except Counter.DoesNotExist:
        return 0


def list_contacts(account_id: int, *, sort: str | None = None, page: int = 1) -> tuple[int, list[Contact]]:
    """One page of the account's resolved contacts in `sort` order: a Query on that
    order's entries (reading page × 15 keys), then one BatchGet. The count is a counter
    kept in the same transactions as the entries."""
    kind, descending = parse_sort(sort)
    _check_page(page)
    wanted = page * PAGE_SIZE
    rows = list(ContactIndexEntry.entry_index.query(f"{account_id}#{kind}", scan_index_forward=not descending,
                                                    limit=wanted, page_size=min(wanted, 1000)))
    return listed_count(account_id), _in_order(account_id, [_contact_id(r.entry_sk) for r in rows[wanted - PAGE_SIZE:]])


def _sorted(contacts: Iterable[Contact], sort: str | None) -> list[Contact]:
    kind, descending = parse_sort(sort)
    return sorted(contacts, key=lambda c: sort_key(c, kind), reverse=descending)


def _prefix(account_id: int, prefix: str) -> tuple[list[int], bool]:
    """Contact ids with a term starting with `prefix`, in term order; True if the read
    stopped at SEARCH_READ_LIMIT."""
    rows = list(ContactIndexEntry.entry_index.query(f"{account_id}#term", ContactIndexEntry.entry_sk.startswith(prefix),
                                                    limit=SEARCH_READ_LIMIT, page_size=SEARCH_READ_LIMIT))
    return list(dict.fromkeys(_contact_id(r.entry_sk) for r in rows)), len(rows) >= SEARCH_READ_LIMIT


def search_contacts(account_id: int, q: str, *, sort: str | None = None, page: int = 1) -> tuple[int, list[Contact]]:
    """Resolved contacts with a search term starting with `q` (case-insensitive), or, for
    several words, with terms starting with each of them; phone-like queries match by
    digits; an all-digit query also matches the contact with that id. At most
    SEARCH_MAX_RESULTS contacts (the first by term), sorted by `sort`, 15 a page."""
    parse_sort(sort)
    _check_page(page)
    text = normalize(q)[:100]
    if not text:
        raise Invalid("Specify search string with parameter q", field="q")
    found, _ = _prefix(account_id, text)
    words = text.split(" ")[:4]
    if len(words) > 1:
        common: list[int] | None = None
        for word in words:
            in_order = _prefix(account_id, word)[0]
            hits = set(in_order)
            common = in_order if common is None else [i for i in common if i in hits]
        found += common or []
    if _PHONE_QUERY.match(q.strip()) and len(digits(q)) >= 3:
        found += _prefix(account_id, digits(q))[0]
    if text.isdigit() and len(text) <= 18:
        found.insert(0, int(text))
    matched = list(dict.fromkeys(found))[:SEARCH_MAX_RESULTS]
    contacts = _sorted((c for c in _in_order(account_id, matched) if is_resolved(c)), sort)
    return len(contacts), contacts[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]


# ---------------------------------------------------------------- filter

# Chatwoot's contact filters (its lib/filters/filter_keys.yml): key -> (type, operators)
FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("text", filtering.TEXT_OPERATORS),
    "email": ("text", filtering.TEXT_OPERATORS),
    "phone_number": ("phone", filtering.TEXT_OPERATORS + ("starts_with",)),
    "identifier": ("text", ("equal_to", "not_equal_to")),
    "country_code": ("additional", ("equal_to", "not_equal_to")),
    "city": ("additional", filtering.TEXT_OPERATORS),
    "company": ("additional", filtering.TEXT_OPERATORS),
    "labels": ("labels", ("equal_to", "not_equal_to", "is_present", "is_not_present")),
    "created_at": ("date", filtering.DATE_OPERATORS),
    "last_activity_at": ("date", filtering.DATE_OPERATORS),
    "blocked": ("boolean", ("equal_to", "not_equal_to")),
}
ADDITIONAL_KEYS = {"country_code": ("country_code",), "city": ("city",), "company": ("company_name", "company")}


def _additional(contact: Contact, key: str):
    attributes = contact.additional_attributes or {}
    return next((attributes[name] for name in ADDITIONAL_KEYS[key] if attributes.get(name) is not None), None)


def _condition(index: int, key: str, operator: str, values: list, custom: bool) -> Callable[[Contact], bool]:
    """Validate one filter condition and compile it to a test on a contact."""
    where = f"payload.{index}"
    if not custom and key in FILTERS:
        kind, operators = FILTERS[key]
    elif custom:
        kind, operators = "custom", filtering.CUSTOM_OPERATORS
    else:
        raise Invalid(f"Invalid attribute key - [{key}]", field=f"{where}.attribute_key")
    if operator not in operators:
        raise Invalid(f"Invalid filter operator for {key} - [{operator}]; use one of: {', '.join(operators)}",
                      field=f"{where}.filter_operator")
    wanted = filtering.wanted_values(where, key, operator, values)

    if kind in ("text", "phone", "additional"):
        if kind == "phone" and operator in ("equal_to", "not_equal_to", "starts_with"):
            wanted = [w if w.startswith("+") else f"+{w}" for w in wanted]  # as Chatwoot does
        test = filtering.text_test(operator, wanted)
        if kind == "additional":
            return lambda c: test(filtering.text(_additional(c, key)))
        return lambda c: test(filtering.text(getattr(c, key)))
    if kind == "boolean":
        if wanted[0] not in ("true", "false"):
            raise Invalid(f"{key} takes true or false", field=f"{where}.values")
        flag = wanted[0] == "true"
        return (lambda c: bool(c.blocked) == flag) if operator == "equal_to" else (lambda c: bool(c.blocked) != flag)
    if kind == "labels":
        if operator == "is_present":
            return lambda c: bool(c.labels)
        if operator == "is_not_present":
            return lambda c: not c.labels
        labels = set(wanted)
        has = lambda c: bool(labels & {label.lower() for label in c.labels or []})  # noqa: E731
        return has if operator == "equal_to" else (lambda c: not has(c))
    if kind == "date":
        def moment_of(c: Contact) -> float | None:
            if key == "created_at":
                return c.created_at.timestamp() if c.created_at else None
            return float(c.last_activity_at) if c.last_activity_at is not None else None

        return filtering.date_test(where, key, operator, wanted, moment_of)
    # a custom attribute
    return filtering.custom_test(where, key, operator, wanted, lambda c: (c.custom_attributes or {}).get(key))


def compile_filter(conditions: list[dict]) -> Callable[[Contact], bool]:
    """Chatwoot's filter payload as one test: each condition's query_operator joins it to
    the next; AND binds tighter than OR (as in the SQL Chatwoot builds)."""
    def compile_one(index: int, item: dict) -> Callable[[Contact], bool]:
        custom = (item.get("custom_attribute_type") or "") == "contact_attribute"
        return _condition(index, item["attribute_key"], item["filter_operator"], item.get("values") or [], custom)

    return filtering.matcher(filtering.groups(conditions, compile_one))


def filter_contacts(account_id: int, conditions: list[dict], *, sort: str | None = None,
                    page: int = 1) -> tuple[int, list[Contact], bool]:
    """Contacts matching Chatwoot's filter payload. A linear read: the account's contacts
    through the account-index, newest first, at most FILTER_READ_LIMIT of them; the third
    value says whether there were more (then older contacts were not examined)."""
    parse_sort(sort)
    _check_page(page)
    test = compile_filter(conditions)
    matched, read, truncated = [], 0, False
    for contact in Contact.account_index.query(account_id, scan_index_forward=False, page_size=500,
                                               limit=FILTER_READ_LIMIT + 1):
        read += 1
        if read > FILTER_READ_LIMIT:
            truncated = True
            break
        if test(contact):
            matched.append(contact)
    rows = _sorted(matched, sort)
    return len(rows), rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], truncated


# ---------------------------------------------------------------- merge

def _deep_merge(under: dict, over: dict) -> dict:
    merged = dict(under or {})
    for key, value in (over or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        elif value not in (None, "", [], {}):
            merged[key] = value
        else:
            merged.setdefault(key, value)
    return merged


def _move_conversation(conversation: Conversation, contact_id: int) -> None:
    for _ in range(5):
        try:
            conversation.update(actions=[Conversation.contact_id.set(contact_id)])
            return
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            conversation.refresh(consistent_read=True)
    raise Conflict("A conversation of the contact is being changed by someone else; try again")


def merge_contacts(base: Contact, mergee: Contact) -> Contact:
    """Chatwoot's contact merge: the mergee's contact inboxes and conversations move to the
    base, its attributes fill the base's blanks (the base wins; custom and additional
    attributes are merged key by key, labels united), then it is deleted and its claims
    freed (or handed to the base with the values it takes over).

    The moves come first and are idempotent: if anything fails half-way the mergee still
    exists and running the merge again finishes it. The last step (base, mergee, claims,
    entries) is one transaction, and contact.deleted and contact.merged commit with it."""
    if base.account_id != mergee.account_id:
        raise NotFound("Contact not found")
    if base.id == mergee.id:
        raise Invalid("base_contact_id and mergee_contact_id must be different contacts", field="mergee_contact_id")
    # Audited as it starts (the entry is the merge's first write), concluded when it ends.
    started = audit.record(base.account_id, "Contact", base.id, "merge",
                           {"mergee_contact_id": mergee.id, "mergee": audited_fields(mergee)})
    try:
        _merge(base, mergee)
    except Exception as exc:
        audit.conclude(started, f"failed: {getattr(exc, 'message', None) or type(exc).__name__}")
        raise
    audit.conclude(started, "completed")
    return base


def _merge(base: Contact, mergee: Contact) -> None:
    for link in ContactInbox.contact_index.query(mergee.id):
        link.update(actions=[ContactInbox.contact_id.set(base.id)])
    for conversation in Conversation.contact_index.query(mergee.id):
        if conversation.account_id == base.account_id:
            _move_conversation(conversation, base.id)
    contact_notes.move_all(mergee.account_id, mergee.id, base.id)
    removed = contact_view(mergee)

    def attempt() -> None:
        old_unique = _unique_values(base)
        mergee_unique = _unique_values(mergee)
        if not base.identifier and mergee.identifier:
            base.identifier_unverified = mergee.identifier_unverified  # an unproven one stays unproven
        for field in ("name", "email", "phone_number", "identifier", "avatar_url"):
            if not getattr(base, field) and getattr(mergee, field):
                setattr(base, field, getattr(mergee, field))
        base.custom_attributes = _deep_merge(mergee.custom_attributes, base.custom_attributes)
        base.additional_attributes = _deep_merge(mergee.additional_attributes, base.additional_attributes)
        base.labels = sorted(set(base.labels or []) | set(mergee.labels or []))
        base.last_activity_at = max(base.last_activity_at or 0, mergee.last_activity_at or 0) or None
        mergee_entries = set(mergee.index_ids or ())
        mergee_created = _entry(mergee.account_id, "created", sort_key(mergee, "created")).id
        mine = f"Contact#{mergee.id}"

        def also(tx) -> None:
            for field, value in mergee_unique.items():
                key = claim_key(mergee.account_id, field, value) if value else None
                taken = getattr(base, field) and claim_key(base.account_id, field, getattr(base, field)) == key
                if key and not taken:
                    tx.delete(UniqueClaim(key), condition=UniqueClaim.key.does_not_exist() | (UniqueClaim.target == mine))
            for entry_id in mergee_entries:
                tx.delete(ContactIndexEntry(entry_id))
            tx.delete(mergee)

        def announce(tx: events.Outbox) -> None:
            tx.publish("contact.deleted", mergee.account_id, removed)
            tx.publish("contact.merged", base.account_id, contact_view(base))

        _write(base, old_unique, also=also, adopt_from=mergee.id,
               listed_delta=-1 if mergee_created in mergee_entries else 0, announce=announce)

    _retrying(base, attempt, mergee)
