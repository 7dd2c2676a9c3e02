"""Captain's copilot routes (issue 14, item 4), served by the captain function (they need a
model and retrieval): mounted by the captain function's HTTP app.

- `GET/POST /api/v1/accounts/{account_id}/captain/copilot_threads`, `GET/POST
  .../copilot_threads/{id}/copilot_messages`: Chatwoot's copilot threads and messages; a
  thread is its user's (anyone else's: 404). The assistant's reply is generated in the
  request (services/captain/copilot.py).
- `GET .../captain/copilot?conversation_id=`: the actions the conversation's model can do
  (`{actions, provider, assistant_id}`), so the dashboard shows only those.
- `POST .../captain/copilot/{action}` with `{conversation_id, draft?}`: Parley's copilot
  actions (reply_suggestion, summarize, fix_spelling_grammar, shorten, make_friendly,
  make_formal, label_suggestion).
- `POST .../captain/tasks/{rewrite|summarize|reply_suggestion|label_suggestion}`: the same,
  in the shape of Chatwoot's captain tasks API (`conversation_display_id`, `content`,
  `operation`; answers `{message}`).

Who: any member who may see the conversation (conversations.ensure_visible: an agent of
its inbox whose role shows it; else 404); threads need only membership, and a
conversation given to a thread is checked the same way."""
from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field, StrictInt

from api import Body, account_member, body, path_id, principal, query
from parley.errors import Invalid, NotFound
from parley.services.captain import assistants, copilot
from parley.services.conversation import conversations
from parley.views import copilot as view
from parley.views.users import sender

router = Router()

CAPTAIN = "/api/v1/accounts/<account_id>/captain"
THREADS = f"{CAPTAIN}/copilot_threads"
MESSAGES = f"{THREADS}/<thread_id>/copilot_messages"


class ThreadCreate(Body):
    message: str = Field(min_length=1, max_length=copilot.MAX_QUESTION)
    assistant_id: StrictInt
    conversation_id: StrictInt | None = None


class MessageCreate(Body):
    message: str = Field(min_length=1, max_length=copilot.MAX_QUESTION)
    conversation_id: StrictInt | None = None


class ThreadsQuery(Body):
    page: int = Field(default=1, ge=1, le=copilot.MAX_THREAD_PAGE)


class ActionsQuery(Body):
    conversation_id: int | None = Field(default=None, ge=1)


class ActionBody(Body):
    conversation_id: StrictInt
    draft: str | None = Field(default=None, max_length=copilot.MAX_DRAFT)


class TaskBody(Body):
    """Chatwoot's captain tasks body (its dashboard sends these keys)."""
    conversation_display_id: StrictInt | str
    content: str | None = Field(default=None, max_length=copilot.MAX_DRAFT)
    operation: Literal[tuple(sorted(copilot.REWRITES))] | None = None  # type: ignore[valid-type]


def _member(account_id: str):
    return account_member(router, account_id)


def _conversation(account_id: int, member, conversation_id) -> object:
    if conversation_id is None:
        return None
    if isinstance(conversation_id, str):
        conversation_id = path_id(conversation_id)
    return conversations.ensure_visible(member, conversations.get_conversation(account_id, conversation_id))


def _me() -> dict:
    return sender(principal(router).user)


def _owner(thread) -> object:
    try:
        return assistants.get(thread.account_id, int(thread.data.get("assistant_id") or 0))
    except NotFound:
        return None


# ---------------------------------------------------------------- threads and messages

@router.get(THREADS)
def index_threads(account_id: str):
    account, member = _member(account_id)
    page = query(router, ThreadsQuery).page
    found = copilot.threads_of(account, member.user_id, page)
    owners = {item.id: item for item in assistants.all_of(account)} if found else {}
    return view.threads(found, _me(), owners)


@router.post(THREADS)
def create_thread(account_id: str):
    account, member = _member(account_id)
    given = body(router, ThreadCreate, wrapper="copilot_thread")
    assistant = assistants.get(account, given.assistant_id)
    conversation = _conversation(account, member, given.conversation_id)
    thread, _ = copilot.create_thread(account, member.user_id, assistant, given.message, conversation)
    return view.thread(thread, _me(), assistant)


@router.get(MESSAGES)
def index_messages(account_id: str, thread_id: str):
    account, member = _member(account_id)
    thread = copilot.get_thread(account, member.user_id, path_id(thread_id))
    return view.messages(copilot.messages_of(thread), thread)


@router.post(MESSAGES)
def create_message(account_id: str, thread_id: str):
    """Chatwoot answers the agent's message; the assistant's reply is in the thread's
    messages when this answers (generated in the request)."""
    account, member = _member(account_id)
    thread = copilot.get_thread(account, member.user_id, path_id(thread_id))
    given = body(router, MessageCreate, wrapper="copilot_message")
    conversation = _conversation(account, member, given.conversation_id)
    asked, _ = copilot.add_message(thread, given.message, conversation)
    return view.message(asked, thread)


# ---------------------------------------------------------------- actions

@router.get(f"{CAPTAIN}/copilot")
def actions(account_id: str):
    account, member = _member(account_id)
    conversation = _conversation(account, member, query(router, ActionsQuery).conversation_id)
    assistant = copilot.conversation_assistant(conversation) if conversation is not None else None
    provider = copilot.provider_for(account, assistant)
    return {"actions": copilot.available_actions(provider), "provider": provider.name,
            "assistant_id": assistant.id if assistant is not None else None}


@router.post(f"{CAPTAIN}/copilot/<action>")
def run_action(account_id: str, action: str):
    if action not in copilot.ACTIONS:
        raise NotFound(f"Unknown copilot action {action!r}")
    account, member = _member(account_id)
    given = body(router, ActionBody)
    conversation = _conversation(account, member, given.conversation_id)
    return copilot.run(action, conversation, given.draft).render()


TASKS = {"rewrite": None, "summarize": copilot.SUMMARIZE, "reply_suggestion": copilot.REPLY,
         "label_suggestion": copilot.LABELS}


@router.post(f"{CAPTAIN}/tasks/<task>")
def run_task(account_id: str, task: str):
    """Chatwoot's captain tasks: `{message}` (labels as one comma-separated string)."""
    if task not in TASKS:
        raise NotFound(f"Unknown task {task!r}")
    account, member = _member(account_id)
    given = body(router, TaskBody)
    conversation = _conversation(account, member, given.conversation_display_id)
    if task == "rewrite":
        if given.operation is None:
            raise Invalid("operation is required", field="operation")
        done = copilot.run(given.operation, conversation, given.content)
    else:
        done = copilot.run(TASKS[task], conversation)
    return {"message": done.content}
