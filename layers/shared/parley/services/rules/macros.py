"""Macros: saved lists of conversation actions an agent runs with one click.

A personal macro is its creator's alone (others get 404, as if it did not exist); a global
one is the account's. Only administrators make global macros: an agent's is saved as
personal, as Chatwoot does. Who may change one follows Chatwoot too: its author, or an
administrator if it is global."""
from __future__ import annotations

from ...errors import Forbidden, Invalid, NotFound
from ...models.account import AccountUser
from ...models.account_object import AccountObject
from ...models.conversation import Conversation
from ...models.user import User
from ..account import account_objects
from . import actions
from ..conversation import conversations
from ..access import users

KIND = "macro"
VISIBILITIES = ("personal", "global")
EXECUTE_LIMIT = 25  # conversations per run: each action is a few writes, and the caller waits


def _visibility(member: AccountUser, wanted: str | None) -> str:
    if wanted is not None and wanted not in VISIBILITIES:
        raise Invalid(f"visibility must be one of: {', '.join(VISIBILITIES)}", field="visibility")
    return "global" if wanted == "global" and member.role == "administrator" else "personal"


def _author(item: AccountObject, member: AccountUser) -> bool:
    return item.data.get("created_by_id") == member.user_id


def _can_see(item: AccountObject, member: AccountUser) -> bool:
    return item.data.get("visibility") == "global" or _author(item, member)


def create(account_id: int, member: AccountUser, *, name: str, visibility: str | None, action_list: list[dict]):
    stored = actions.validate(account_id, action_list, actions.MACRO_ACTIONS, macro=True)
    if len(account_objects.all_of(account_id, KIND)) >= account_objects.PAGE_LIMIT:
        raise Invalid(f"Limit reached: an account may hold at most {account_objects.PAGE_LIMIT} macros")
    return account_objects.create(account_id, KIND, {
        "name": name, "visibility": _visibility(member, visibility), "actions": stored,
        "created_by_id": member.user_id, "updated_by_id": member.user_id})


def visible(account_id: int, member: AccountUser) -> list[AccountObject]:
    return [item for item in account_objects.all_of(account_id, KIND) if _can_see(item, member)]


def get(account_id: int, member: AccountUser, macro_id: int) -> AccountObject:
    item = account_objects.get(account_id, KIND, macro_id, "Macro")
    if not _can_see(item, member):
        raise NotFound("Macro not found")
    return item


def _may_change(item: AccountObject, member: AccountUser) -> None:
    if not (_author(item, member) or (member.role == "administrator" and item.data.get("visibility") == "global")):
        raise Forbidden("You are not authorized to do this action")


def update(item: AccountObject, member: AccountUser, *, name: str | None = None, visibility: str | None = None,
           action_list: list[dict] | None = None) -> AccountObject:
    _may_change(item, member)
    changes: dict = {"updated_by_id": member.user_id}
    if name is not None:
        changes["name"] = name
    if visibility is not None:
        changes["visibility"] = _visibility(member, visibility)
    if action_list is not None:
        changes["actions"] = actions.validate(item.account_id, action_list, actions.MACRO_ACTIONS, macro=True)
    return account_objects.update(item, KIND, changes)


def delete(item: AccountObject, member: AccountUser) -> None:
    _may_change(item, member)
    account_objects.delete(item, KIND)


def execute(item: AccountObject, member: AccountUser, conversation_ids: list[int]) -> list[dict]:
    """Run the macro's actions on each conversation as `member`. Every conversation is
    looked up and checked first, so a bad id changes nothing; returns the skipped actions."""
    if not conversation_ids or len(conversation_ids) > EXECUTE_LIMIT:
        raise Invalid(f"conversation_ids must name 1 to {EXECUTE_LIMIT} conversations", field="conversation_ids")
    wanted = list(dict.fromkeys(conversation_ids))
    found = {c.display_id: c for c in Conversation.batch_get([(item.account_id, i) for i in wanted])}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"Conversations not found: {', '.join(map(str, missing))}")
    targets = [conversations.ensure_visible(member, found[i]) for i in wanted]
    actor = users.get_user(member.user_id)
    skipped = []
    for conversation in targets:
        skipped += actions.run(conversation, item.data["actions"], actions.MACRO_ACTIONS, actor=actor, macro=True)
    return skipped


def authors(items: list[AccountObject]) -> dict:
    """The users who created or last changed these macros, in one BatchGet."""
    wanted = {i.data.get(k) for i in items for k in ("created_by_id", "updated_by_id")} - {None}
    return {u.id: u for u in User.batch_get(wanted)} if wanted else {}
