"""What an assistant answers from, and the version that says when it changed.

`captain_state#<assistant>` (an AccountObject) holds the assistant's knowledge version in
`id`: every write that changes what the assistant may answer from (an FAQ approved, edited,
unapproved or deleted; a document's chunks made available or removed) adds 1 to it inside
that write's own transaction (`bump`). A question reads the version (and the linked
portals' content versions, services/help_center/state.py) with one request and answers
from the index built for exactly those versions, so a change is used, or no longer used,
by every warm container from the next question on.

`Hit` and `Retrieval` are what a search answers: the answering rules
(services/captain/answering.py) decide on them, and the benchmark scores them."""
from __future__ import annotations

from dataclasses import dataclass

from ...models.account_object import AccountObject

STATE = "captain_state"
KINDS = ("faq", "document", "article")


def state_key(assistant_id: int) -> str:
    return AccountObject.key_for(STATE, assistant_id)


def read(account_id: int, assistant_id: int) -> int:
    """The assistant's knowledge version: one GetItem; 0 before any change."""
    try:
        return int(AccountObject.get(account_id, state_key(assistant_id)).id or 0)
    except AccountObject.DoesNotExist:
        return 0


def bump(tx, account_id: int, assistant_id: int) -> None:
    """Add 1 to the assistant's knowledge version inside `tx` (the change's transaction)."""
    tx.update(AccountObject(account_id, state_key(assistant_id)), actions=[AccountObject.id.add(1)],
              add_version_condition=False)


@dataclass(frozen=True)
class Hit:
    """One piece of knowledge matching a question. `text` is what may be said (an FAQ's
    answer, a document chunk, an article excerpt); `url` is where it came from (None for
    an FAQ); `confidence` is in [0, 1], comparable across questions."""
    kind: str  # one of KINDS
    id: int  # the FAQ's, document's or article's id
    title: str  # the FAQ's question, the document's name, the article's title
    text: str
    url: str | None
    score: float  # the retriever's raw score
    confidence: float


@dataclass(frozen=True)
class Retrieval:
    hits: tuple[Hit, ...]  # best first
    threshold: float  # the confidence the best hit must reach to be answered from

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def confident(self) -> bool:
        return bool(self.hits) and self.hits[0].confidence >= self.threshold
