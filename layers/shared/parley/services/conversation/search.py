"""Chatwoot's global search (/search, /search/conversations, /contacts, /messages).

- Contacts: the contact search (prefix terms, services/contact/contacts.py).
- Conversations: by display id (a GetItem) and by contact (the contacts the contact
  search finds, then their newest conversations through contact-index).
- Messages: word-prefix search over message terms (services/conversation/message_terms.py), one
  Query per inbox the caller may see, so an agent never reads another inbox's messages
  or private notes.
A custom role narrows conversations and messages to the conversations its mode shows
(permissions.conversation_scope), and contacts need contact_manage.
Every read is a key or index Query with a bounded size; nothing scans.
"""
from __future__ import annotations

from ... import permissions
from ...errors import Invalid, NotFound
from ...models.account import AccountUser
from ...models.account_object import AccountObject, conversation_deletion_prefix
from ...models.contact import Contact
from ...models.conversation import Conversation, Message
from ...models.inbox import Inbox
from ...views.conversations import message as message_view
from ..contact import contacts
from . import conversations, message_terms

PAGE_SIZE = 15
MAX_PAGE = 100
MAX_QUERY = 200
TERM_READ_LIMIT = 500  # term entries read per inbox for one search
CONVERSATIONS_PER_CONTACT = 5
GET_BATCH = 100  # BatchGetItem's limit


def _check(q: str | None, page: int) -> str:
    text = " ".join((q or "").split())[:MAX_QUERY]
    if not text:
        raise Invalid("Specify search string with parameter q", field="q")
    if page < 1 or page > MAX_PAGE:
        raise Invalid(f"page must be between 1 and {MAX_PAGE}", field="page")
    return text


def _inboxes(account_id: int, member: AccountUser) -> list[int]:
    allowed = conversations.visible_inboxes(account_id, member)
    if allowed is None:
        return [inbox.id for inbox in Inbox.account_index.query(account_id)]
    return sorted(allowed)


def search_contacts(account_id: int, member: AccountUser, q: str | None, page: int = 1) -> list[Contact]:
    text = _check(q, page)
    if not permissions.has(member, permissions.CONTACT_MANAGE):
        return []
    return contacts.search_contacts(account_id, text, page=page)[1]


def search_conversations(account_id: int, member: AccountUser, q: str | None, page: int = 1) -> list[Conversation]:
    """Conversations whose display id is `q` (with or without "#"), then those of the
    contacts matching `q`, newest activity first, 15 a page."""
    text = _check(q, page)
    allowed = conversations.visible_inboxes(account_id, member)
    found: dict[int, Conversation] = {}
    number = text.lstrip("#")
    if number.isdigit() and len(number) <= 18:
        try:
            found[int(number)] = conversations.get_conversation(account_id, int(number))
        except NotFound:  # the number is only a possible id
            pass
    # The contact search is at most SEARCH_MAX_RESULTS contacts; their first pages are read.
    _, matched = contacts.search_contacts(account_id, text, page=1)
    for contact in matched:
        for conversation in Conversation.contact_index.query(contact.id, scan_index_forward=False,
                                                             limit=CONVERSATIONS_PER_CONTACT):
            if conversation.account_id == account_id:
                found.setdefault(conversation.display_id, conversation)
    scope = permissions.conversation_scope(member)
    visible = [c for c in found.values() if (allowed is None or c.inbox_id in allowed) and scope.admits(c)]
    pinned = [c for c in visible if str(c.display_id) == number]
    rest = sorted((c for c in visible if str(c.display_id) != number), key=lambda c: -c.last_activity_at)
    return (pinned + rest)[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]


def search_messages(account_id: int, member: AccountUser, q: str | None, page: int = 1) -> list[Message]:
    """Messages of the caller's inboxes with, for every word of `q`, a word starting with
    it; newest first, 15 a page. The longest word drives the index read; the others are
    checked on the messages read."""
    text = _check(q, page)
    wanted_words = message_terms.words(text, limit=4)
    if not wanted_words:  # no word of two characters: nothing is indexed that short
        return []
    driver = max(wanted_words, key=len)
    candidates, _ = message_terms.search(account_id, _inboxes(account_id, member), driver, TERM_READ_LIMIT)
    if candidates:  # a conversation being deleted is gone; its messages may not be yet
        deleting = {item.id for item in AccountObject.query(
            account_id, AccountObject.key.startswith(conversation_deletion_prefix()), limit=1000)}
        candidates = [c for c in candidates if c[1] not in deleting]
    scope = permissions.conversation_scope(member)
    if not scope.everything and candidates:  # a custom role: only its conversations' messages
        numbers = sorted({display_id for _, display_id in candidates})
        shown = {c.display_id for start in range(0, len(numbers), GET_BATCH)
                 for c in Conversation.batch_get([(account_id, d) for d in numbers[start:start + GET_BATCH]])
                 if scope.admits(c)}
        candidates = [c for c in candidates if c[1] in shown]
    needed = page * PAGE_SIZE
    rows: list[Message] = []
    start, batch = 0, 0
    while start < len(candidates) and len(rows) < needed:
        # Fetch only what the page still lacks (every candidate of a one-word query is a
        # hit), twice as many each round when the other words turn candidates away.
        batch = min(GET_BATCH, max(needed - len(rows), batch * 2))
        chunk = candidates[start:start + batch]
        start += batch
        keys = [(f"{account_id}#{display_id}", message_id) for message_id, display_id in chunk]
        got = {m.id: m for m in Message.batch_get(keys)}
        for message_id, _ in chunk:
            message = got.get(message_id)
            if message is None or message.account_id != account_id or not message_terms.indexed(message):
                continue
            have = message_terms.words(message.content, limit=10_000)
            if all(any(word.startswith(w) for word in have) for w in wanted_words):
                rows.append(message)
    return rows[(page - 1) * PAGE_SIZE:needed]


# ---------------------------------------------------------------- presenting

def _inbox_rows(inbox_ids: set[int]) -> dict[int, dict]:
    if not inbox_ids:
        return {}
    return {i.id: {"id": i.id, "name": i.name, "channel_type": i.channel_type} for i in Inbox.batch_get(inbox_ids)}


def present_conversations(rows: list[Conversation]) -> list[dict]:
    """The conversation JSON with Chatwoot's search-result fields beside it: contact,
    inbox, agent and the last message."""
    inboxes = _inbox_rows({c.inbox_id for c in rows})
    shown = []
    for conversation, body in zip(rows, conversations.present(rows)):
        shown.append({**body, "contact": body["meta"]["sender"], "inbox": inboxes.get(conversation.inbox_id, {}),
                      "agent": body["meta"].get("assignee") or {}, "message": (body["messages"] or [{}])[0]})
    return shown


def present_contacts(rows: list[Contact]) -> list[dict]:
    return contacts.present(rows, with_inboxes=False)


def present_messages(rows: list[Message]) -> list[dict]:
    inboxes = _inbox_rows({m.inbox_id for m in rows})
    return [{**message_view(m), "inbox": inboxes.get(m.inbox_id, {})} for m in rows]
