"""Conversation participants (Chatwoot's conversation_participants): agents who follow a
conversation and are notified of its new messages.

Stored in the account objects table as "participant#<display id>#<user id>", so a
conversation's participants are one Query on that prefix, with a mirror
"participating#<user id>#<display id>" written in the same batch, so the conversations an
agent follows are one Query too (what conversation_participating_manage shows them,
permissions.conversation_scope). A change tells the agents' open sockets (their scope
lists the conversations they follow)."""
from __future__ import annotations

from ... import permissions
from ...errors import Invalid
from ...models.account_object import AccountObject, participant_key, participant_prefix, participating_key
from ...models.conversation import Conversation
from ..access import connections
from ..account import account_objects, accounts

MAX_PARTICIPANTS = 100


def _prefix(conversation: Conversation) -> str:
    return participant_prefix(conversation.display_id)


def _key(conversation: Conversation, user_id: int) -> str:
    return participant_key(conversation.display_id, user_id)


def user_ids(conversation: Conversation) -> list[int]:
    return [item.id for item in AccountObject.query(
        conversation.account_id, AccountObject.key.startswith(_prefix(conversation)),
        limit=account_objects.PAGE_LIMIT)]


def joined_at(conversation: Conversation) -> dict[int, int]:
    """Participant -> when they joined (epoch seconds)."""
    return {item.id: int(item.created_at.timestamp()) for item in AccountObject.query(
        conversation.account_id, AccountObject.key.startswith(_prefix(conversation)),
        limit=account_objects.PAGE_LIMIT)}


def _check(conversation: Conversation, wanted: list[int]) -> set[int]:
    wanted_set = set(wanted)
    if len(wanted_set) > MAX_PARTICIPANTS:
        raise Invalid(f"A conversation has at most {MAX_PARTICIPANTS} participants", field="user_ids")
    accounts.require_members(conversation.account_id, list(wanted_set))
    seeing = permissions.who_may_see_inbox(conversation.account_id, conversation.inbox_id, wanted_set)
    blind = sorted(wanted_set - seeing)
    if blind:
        raise Invalid(f"Agents without access to this inbox: {', '.join(map(str, blind))}", field="user_ids")
    return wanted_set


def _write(conversation: Conversation, add: set[int], remove: set[int]) -> None:
    account_id, display_id = conversation.account_id, conversation.display_id
    with AccountObject.batch_write() as batch:
        for user_id in add:
            batch.save(AccountObject(account_id, _key(conversation, user_id), id=user_id,
                                     data={"conversation_id": display_id}))
            batch.save(AccountObject(account_id, participating_key(user_id, display_id), id=display_id,
                                     data={"user_id": user_id}))
        for user_id in remove:
            batch.delete(AccountObject(account_id, _key(conversation, user_id)))
            batch.delete(AccountObject(account_id, participating_key(user_id, display_id)))
    if add or remove:
        connections.rights_changed(account_id, add | remove)


def add(conversation: Conversation, wanted: list[int]) -> list[int]:
    """Everything is checked before anything is written: a bad id changes nothing."""
    wanted_set = _check(conversation, wanted)
    current = set(user_ids(conversation))
    if len(current | wanted_set) > MAX_PARTICIPANTS:
        raise Invalid(f"A conversation has at most {MAX_PARTICIPANTS} participants", field="user_ids")
    _write(conversation, wanted_set - current, set())
    return sorted(current | wanted_set)


def replace(conversation: Conversation, wanted: list[int]) -> list[int]:
    wanted_set = _check(conversation, wanted)
    current = set(user_ids(conversation))
    _write(conversation, wanted_set - current, current - wanted_set)
    return sorted(wanted_set)


def remove(conversation: Conversation, unwanted: list[int]) -> list[int]:
    current = set(user_ids(conversation))
    _write(conversation, set(), current & set(unwanted))
    return sorted(current - set(unwanted))


def add_quietly(account_id: int, display_id: int, user_ids_: set[int]) -> None:
    """For the notifications consumer: mentioned agents (already checked) join the
    conversation's participants, as in Chatwoot."""
    conversation = Conversation(account_id, display_id)
    _write(conversation, user_ids_ - set(user_ids(conversation)), set())
