"""FAQs proposed from resolved conversations (docs/captain.md "Documents", FAQs proposed): when a conversation of an inbox with an assistant is resolved after a
person of the team answered in it, the assistant's generation model proposes FAQs from
its public messages, `pending` for a person to approve (services/captain/proposals.py).

At most once per resolution: the claim `captain_mined#<conversation>` records the last
message read, written before the model is asked, so a redelivered event (or a second
resolve with nothing new said) asks nothing; a crash after the claim loses that
resolution's proposals, which are suggestions, never repeats them. Within the account's
budget and rate limit, and recorded in its usage like any model call."""
from __future__ import annotations

from pynamodb.exceptions import PutError

from ...llm.port import ProviderError
from ...models.account_object import AccountObject
from ...models.conversation import Conversation
from ..conversation import conversations
from . import assistants

KIND = "captain_mined"
MAX_MESSAGES = 100  # the latest public messages read (the transcript keeps what fits)


def mine_resolved(account_id: int, data: dict) -> str:
    """The work for one conversation.status_changed payload. Returns what happened."""
    from . import answering, proposals, providers, usage

    if data.get("status") != "resolved" or not isinstance(data.get("id"), int) \
            or not isinstance(data.get("inbox_id"), int):
        return "not_resolved"
    assistant = assistants.for_inbox(account_id, data["inbox_id"])
    if assistant is None:
        return "no_assistant"
    try:
        provider = providers.for_assistant(account_id, assistant)
    except ProviderError:
        return "no_model"
    if not provider.generates:
        return "no_model"
    try:
        conversation = Conversation.get(account_id, data["id"], consistent_read=True)
    except Conversation.DoesNotExist:
        return "gone"
    messages = conversations.list_messages(conversation, public_only=True, limit=MAX_MESSAGES)
    said = [(m, (m.content or "").strip()) for m in messages
            if m.message_type in (conversations.INCOMING, conversations.OUTGOING) and (m.content or "").strip()]
    if not any(m.sender_type == "User" and m.message_type == conversations.OUTGOING for m, _ in said):
        return "no_human_answer"  # Captain learns from people, never from itself
    if usage.limited(account_id, assistant):
        return "limited"
    if not _claim(account_id, conversation.display_id, max(m.id for m, _ in said)):
        return "already_mined"
    lines = [("Customer" if m.message_type == conversations.INCOMING else "Team", text) for m, text in said
             if m.message_type == conversations.INCOMING or m.sender_type == "User"]
    made, completion = proposals.from_conversation(account_id, assistant.id, lines, provider)
    if completion is not None:
        usage.record(account_id, assistant.id, answering.Decision("skip", usage=completion.usage,
                                                                  model=completion.model, calls=1), counted=False)
    return f"proposed:{len(made)}"


def _claim(account_id: int, display_id: int, last_message_id: int) -> bool:
    """Take this resolution, in one conditional write: no claim yet, or one for an earlier
    last message (the item's `id` holds the last message id read)."""
    item = AccountObject(account_id, AccountObject.key_for(KIND, display_id), id=last_message_id, data={})
    try:
        item.save(condition=AccountObject.key.does_not_exist() | (AccountObject.id < last_message_id),
                  add_version_condition=False)
        return True
    except PutError as exc:
        if "ConditionalCheckFailed" in str(exc):
            return False
        raise
