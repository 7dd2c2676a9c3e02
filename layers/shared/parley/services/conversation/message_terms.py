"""Search terms of messages: written in the same transaction as the message, read by word
prefix per inbox (see "Message search" in docs/data-model.md)."""
from __future__ import annotations

import re

from ... import dynamo
from ...models.base import utcnow
from ...models.conversation import Message
from ...models.conversation_index import MessageTerm
from ...models.unique import UniqueClaim

ACTIVITY = 2
MIN_WORD, MAX_WORD = 2, 40
MAX_TERMS = 48  # distinct words indexed per message (a transaction holds at most 100 items)
SEP = "\x1f"  # sorts before every printable character
INVERT = 10**18  # message ids count up; inverted, a word's newest messages come first
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str | None, limit: int = MAX_TERMS) -> list[str]:
    """Distinct lower-case words of `text` in order of appearance (2 to 40 characters; longer
    words are cut, so a prefix search still finds them)."""
    found: dict[str, None] = {}
    for match in _WORD.finditer((text or "").lower()):
        word = match.group()[:MAX_WORD]
        if len(word) >= MIN_WORD:
            found.setdefault(word, None)
            if len(found) >= limit:
                break
    return list(found)


def partition(account_id: int, inbox_id: int) -> str:
    return f"{account_id}#{inbox_id}"


def term_key(word: str, message_id: int, display_id: int) -> str:
    return f"{word}{SEP}{INVERT - message_id:018d}{SEP}{display_id}"


def parse_key(term_sk: str) -> tuple[int, int]:
    """(message id, conversation display id) from a term's sort key."""
    _, inverted, display_id = term_sk.split(SEP)
    return INVERT - int(inverted), int(display_id)


def indexed(message: Message) -> bool:
    """Activity lines and deleted messages are not searched."""
    return message.message_type != ACTIVITY and not (message.content_attributes or {}).get("deleted")


def terms_for(message: Message) -> list[MessageTerm]:
    if not indexed(message):
        return []
    return [MessageTerm(f"terms#{message.id}", n, term_pk=partition(message.account_id, message.inbox_id),
                        term_sk=term_key(word, message.id, message.conversation_id))
            for n, word in enumerate(words(message.content))]


def save_message(message: Message, *, reindex: bool = False, claim: UniqueClaim | None = None) -> None:
    """Save `message` with its search terms in one transaction. With `reindex` (its content
    changed) the terms it had are replaced. A `claim` (a new message's echo id) is put in
    the same transaction, only if no one holds it yet."""
    old = list(MessageTerm.query(f"terms#{message.id}")) if reindex else []
    new = terms_for(message)
    if not old and not new and claim is None:
        message.save()
        return
    with dynamo.transaction() as tx:
        put(tx, message, claim=claim, old=old, new=new)


def put(tx, message: Message, *, claim: UniqueClaim | None = None, old: list[MessageTerm] | None = None,
        new: list[MessageTerm] | None = None) -> None:
    """Add `message`, its terms (`new`, else computed) and the removal of `old` ones, and its
    `claim` to a transaction the caller commits (with its conversation and events)."""
    message.updated_at = utcnow()
    if claim is not None:
        tx.save(claim, condition=UniqueClaim.key.does_not_exist())
    tx.save(message)
    new = terms_for(message) if new is None else new
    for term in new:  # term n of the message is item ("terms#<id>", n): a put replaces the old one
        tx.save(term)
    for term in (old or [])[len(new):]:
        tx.delete(term)


def search(account_id: int, inbox_ids: list[int], prefix: str, read_limit: int) -> tuple[list[tuple[int, int]], bool]:
    """(message id, display id) of messages in these inboxes with a word starting with
    `prefix`, newest first; True if some inbox's read stopped at `read_limit`."""
    found: dict[int, int] = {}
    truncated = False
    for inbox_id in inbox_ids:
        rows = list(MessageTerm.term_index.query(partition(account_id, inbox_id), MessageTerm.term_sk.startswith(prefix),
                                                 limit=read_limit, page_size=read_limit))
        truncated |= len(rows) >= read_limit
        for row in rows:
            message_id, display_id = parse_key(row.term_sk)
            found[message_id] = display_id
    return sorted(found.items(), key=lambda pair: -pair[0]), truncated
