"""Captain's scenarios: what an assistant does in a particular situation, as Chatwoot's.

A scenario (AccountObject of kind "captain_scenario"; data: assistant_id, title,
description, instruction, tools, enabled) tells a generating model when it applies
(`description`) and what to do then (`instruction`). The instruction names the tools it
may use as Markdown links `[Add Private Note](tool://add_private_note)`; `tools` is always
the ids found there (given `tools` are ignored, as Chatwoot derives them too), and an id
that is not one of TOOLS is a 422 naming it.

Every change is audited in its own transaction (Captain::Scenario)."""
from __future__ import annotations

import re

from ... import audit, dynamo, ids
from ...errors import Invalid, NotFound
from ...models.account_object import AccountObject
from ...models.base import utcnow
from . import assistants, audited

KIND = "captain_scenario"
AUDITED_TYPE = "Captain::Scenario"
FIELDS = ("title", "description", "instruction", "enabled")
# An assistant's scenarios all go into its system prompt: a handful is useful, fifty is
# already a long prompt.
MAX_PER_ASSISTANT = 50
PAGE_LIMIT = MAX_PER_ASSISTANT * 100  # an account's scenarios, read with one bounded Query

# The tools a scenario's instruction may name (Chatwoot's built-in ids).
TOOLS = {
    "add_contact_note": "Add a note to the contact",
    "add_private_note": "Add a private note to the conversation (agents only)",
    "update_priority": "Change the conversation's priority",
    "add_label_to_conversation": "Add one of the account's labels to the conversation",
    "faq_lookup": "Search the approved FAQs",
    "handoff": "Hand the conversation to a human agent",
    "resolve": "Resolve the conversation",
}
_TOOL_REFERENCE = re.compile(r"\[[^\]\n]{1,200}\]\(tool://([^/)\s]{1,100})\)")


def tools_in(instruction: str) -> list[str]:
    """The tool ids an instruction names, in order, each once; Invalid for an unknown one."""
    found = list(dict.fromkeys(_TOOL_REFERENCE.findall(instruction or "")))
    unknown = [tool for tool in found if tool not in TOOLS]
    if unknown:
        raise Invalid(f"instruction names unknown tools: {', '.join(unknown)}", field="instruction")
    return found


def get(account_id: int, assistant_id: int, scenario_id: int) -> AccountObject:
    """The assistant's scenario: another assistant's (or account's) is not found."""
    try:
        item = AccountObject.get(account_id, AccountObject.key_for(KIND, scenario_id))
    except AccountObject.DoesNotExist:
        item = None
    if item is None or item.data.get("assistant_id") != assistant_id:
        raise NotFound("Scenario not found")
    return item


def _all_of(account_id: int) -> list[AccountObject]:
    return list(AccountObject.query(account_id, AccountObject.key.startswith(f"{KIND}#"), limit=PAGE_LIMIT))


def of_assistant(assistant: AccountObject, *, enabled_only: bool = False) -> list[AccountObject]:
    """The assistant's scenarios in creation order (all of them, or the enabled ones)."""
    return [item for item in _all_of(assistant.account_id)
            if item.data.get("assistant_id") == assistant.id and (item.data.get("enabled") or not enabled_only)]


def _saved(tx, item: AccountObject, new: bool) -> None:
    item.updated_at = utcnow()
    tx.save(item, condition=AccountObject.key.does_not_exist() if new else None)
    # The assistant must still be there (a scenario of a deleted assistant would be left behind).
    tx.condition_check(AccountObject, item.account_id, AccountObject.key_for(assistants.KIND, item.data["assistant_id"]),
                       condition=AccountObject.key.exists())


def create(assistant: AccountObject, data: dict) -> AccountObject:
    if len(of_assistant(assistant)) >= MAX_PER_ASSISTANT:
        raise Invalid(f"An assistant has at most {MAX_PER_ASSISTANT} scenarios", field="title")
    fields = {key: data[key] for key in FIELDS if data.get(key) is not None}
    fields.setdefault("enabled", True)
    fields["tools"] = tools_in(fields.get("instruction", ""))
    scenario_id = ids.next_id(ids.account_counter(assistant.account_id, KIND))
    item = AccountObject(assistant.account_id, AccountObject.key_for(KIND, scenario_id), id=scenario_id,
                         data={"assistant_id": assistant.id, **fields})
    with dynamo.transaction() as tx:
        _saved(tx, item, new=True)
        audit.add(tx, item.account_id, AUDITED_TYPE, scenario_id, "create", item.data)
    return item


def update(item: AccountObject, changes: dict) -> AccountObject:
    after = {**item.data, **{key: changes[key] for key in FIELDS if changes.get(key) is not None}}
    after["tools"] = tools_in(after.get("instruction", ""))
    return audited.update(item, after, AUDITED_TYPE, lambda tx, saved: _saved(tx, saved, new=False))


def delete(item: AccountObject) -> None:
    with dynamo.transaction() as tx:
        tx.delete(item)
        audit.add(tx, item.account_id, AUDITED_TYPE, item.id, "destroy", item.data)


def delete_of_assistant(assistant: AccountObject) -> int:
    """Remove a deleted assistant's scenarios (after its own audited deletion)."""
    doomed = of_assistant(assistant)
    with AccountObject.batch_write() as batch:
        for item in doomed:
            batch.delete(item)
    return len(doomed)
