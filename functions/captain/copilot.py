"""Captain's copilot routes (issue 14, item 4), served by the captain function: they need a
model and the knowledge search. API Gateway sends these paths here (template.yaml: they are
more specific than HttpApi's `{proxy+}`); web.dispatch routes a request by `ROUTES`.

- `GET/POST /api/v1/accounts/{account_id}/captain/copilot_threads`, `GET/POST
  .../copilot_threads/{thread_id}/copilot_messages`: Chatwoot's copilot threads and
  messages; a thread is its user's (anyone else's: 404). The assistant's reply is
  generated in the request (services/captain/copilot.py).
- `GET .../captain/copilot?conversation_id=`: `{actions, provider, assistant_id}`, the
  actions the conversation's model can do, so the dashboard offers only those.
- `POST .../captain/copilot/{action}` with `{conversation_id, draft?}`: Parley's actions
  (reply_suggestion, summarize, fix_spelling_grammar, shorten, make_friendly, make_formal,
  label_suggestion).
- `POST .../captain/tasks/{rewrite|summarize|reply_suggestion|label_suggestion}`: the same
  in the shape of Chatwoot's captain tasks API (`conversation_display_id`, `content`,
  `operation`; answers `{message}`).

Who: any member of the account who may see the conversation
(conversations.ensure_visible: an agent of its inbox whose role shows it; else 404);
threads need only membership, and a conversation named in one is checked the same way.
Bodies are validated as HttpApi's are (unknown keys, wrong types: 422)."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import ConfigDict, Field, StrictInt

from parley.errors import Invalid, NotFound
from parley.services.captain import assistants, copilot
from parley.services.conversation import conversations
from parley.views import copilot as view
from parley.views.users import sender
from web import ACCOUNT, Body, Request, Route, path_id

class ThreadCreate(Body):
    message: str = Field(min_length=1, max_length=copilot.MAX_QUESTION)
    assistant_id: StrictInt
    conversation_id: StrictInt | None = None


class MessageCreate(Body):
    message: str = Field(min_length=1, max_length=copilot.MAX_QUESTION)
    conversation_id: StrictInt | None = None


class ThreadsQuery(Body):
    model_config = ConfigDict(extra="ignore")  # browsers and SDKs add cache-busters
    page: int = Field(default=1, ge=1, le=copilot.MAX_THREAD_PAGE)


class ActionsQuery(Body):
    model_config = ConfigDict(extra="ignore")
    conversation_id: int | None = Field(default=None, ge=1)


class ActionBody(Body):
    conversation_id: StrictInt
    draft: str | None = Field(default=None, max_length=copilot.MAX_DRAFT)


class TaskBody(Body):
    """Chatwoot's captain tasks body (its dashboard sends these keys)."""
    conversation_display_id: StrictInt | str
    content: str | None = Field(default=None, max_length=copilot.MAX_DRAFT)
    operation: Literal[tuple(sorted(copilot.REWRITES))] | None = None  # type: ignore[valid-type]


def _conversation(account_id: int, member, conversation_id):
    if conversation_id is None:
        return None
    return conversations.ensure_visible(member, conversations.get_conversation(account_id, path_id(conversation_id)))


def _me(request: Request) -> dict:
    return sender(request.caller.user)


# ---------------------------------------------------------------- threads and messages

def index_threads(request: Request):
    account, member = request.member()
    page = request.query(ThreadsQuery).page
    found = copilot.threads_of(account, member.user_id, page)
    owners = {item.id: item for item in assistants.all_of(account)} if found else {}
    return view.threads(found, _me(request), owners)


def create_thread(request: Request):
    account, member = request.member()
    given = request.body(ThreadCreate)
    assistant = assistants.get(account, given.assistant_id)
    conversation = _conversation(account, member, given.conversation_id)
    thread, _ = copilot.create_thread(account, member.user_id, assistant, given.message, conversation)
    return view.thread(thread, _me(request), assistant)


def index_messages(request: Request):
    account, member = request.member()
    thread = copilot.get_thread(account, member.user_id, path_id(request.params["thread_id"]))
    return view.messages(copilot.messages_of(thread), thread)


def create_message(request: Request):
    """Chatwoot answers the agent's message; the assistant's reply is in the thread's
    messages when this answers (generated in the request)."""
    account, member = request.member()
    thread = copilot.get_thread(account, member.user_id, path_id(request.params["thread_id"]))
    given = request.body(MessageCreate)
    conversation = _conversation(account, member, given.conversation_id)
    asked, _ = copilot.add_message(thread, given.message, conversation)
    return view.message(asked, thread)


# ---------------------------------------------------------------- actions

def actions(request: Request):
    account, member = request.member()
    conversation = _conversation(account, member, request.query(ActionsQuery).conversation_id)
    assistant = copilot.conversation_assistant(conversation) if conversation is not None else None
    provider = copilot.provider_for(account, assistant)
    return {"actions": copilot.available_actions(provider, assistant), "provider": provider.name,
            "assistant_id": assistant.id if assistant is not None else None}


def run_action(request: Request):
    action = request.params["action"]
    if action not in copilot.ACTIONS:
        raise NotFound(f"Unknown copilot action {action!r}")
    account, member = request.member()
    given = request.body(ActionBody)
    conversation = _conversation(account, member, given.conversation_id)
    return copilot.run(action, conversation, given.draft).render()


TASKS = {"rewrite": None, "summarize": copilot.SUMMARIZE, "reply_suggestion": copilot.REPLY,
         "label_suggestion": copilot.LABELS}


def run_task(request: Request):
    """Chatwoot's captain tasks: `{message}` (labels as one comma-separated string)."""
    task = request.params["task"]
    if task not in TASKS:
        raise NotFound(f"Unknown task {task!r}")
    account, member = request.member()
    given = request.body(TaskBody)
    conversation = _conversation(account, member, given.conversation_display_id)
    if task == "rewrite":
        if given.operation is None:
            raise Invalid("operation is required", field="operation")
        done = copilot.run(given.operation, conversation, given.content)
    else:
        done = copilot.run(TASKS[task], conversation)
    return {"message": done.content}


# ---------------------------------------------------------------- routing

ROUTES: list[Route] = [
    (re.compile(ACCOUNT + r"/copilot_threads$"), {"GET": index_threads, "POST": create_thread}),
    (re.compile(ACCOUNT + r"/copilot_threads/(?P<thread_id>[^/]+)/copilot_messages$"),
     {"GET": index_messages, "POST": create_message}),
    (re.compile(ACCOUNT + r"/copilot$"), {"GET": actions}),
    (re.compile(ACCOUNT + r"/copilot/(?P<action>[^/]+)$"), {"POST": run_action}),
    (re.compile(ACCOUNT + r"/tasks/(?P<task>[^/]+)$"), {"POST": run_task}),
]
