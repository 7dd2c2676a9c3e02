"""Captain's copilot routes (issue 14, item 4), served by the captain function: they need a
model and the knowledge search. API Gateway sends these paths here (template.yaml: they are
more specific than HttpApi's `{proxy+}`); app.lambda_handler hands a request to `handle`
when `claims(path)`.

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

import base64
import json
import re
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from parley import audit, permissions
from parley.auth import authenticate
from parley.errors import Invalid, NotFound, ParleyError, PayloadTooLarge
from parley.services.captain import assistants, copilot
from parley.services.conversation import conversations
from parley.views import copilot as view
from parley.views.users import sender

MAX_BODY = 64 * 1024
ACCOUNT = r"^/api/v1/accounts/(?P<account_id>[^/]+)/captain"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


# ---------------------------------------------------------------- the request

class Request:
    def __init__(self, event: dict, params: dict):
        self.event, self.params = event, params
        self.headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
        self._caller = None

    @property
    def caller(self):
        if self._caller is None:
            self._caller = authenticate(self.headers.get("api_access_token"))
            audit.acting(self._caller.user, platform_app_id=self._caller.platform_app_id)
        return self._caller

    def member(self):
        """The path's account id and the caller's membership (404 for a non-member)."""
        account_id = path_id(self.params["account_id"])
        return account_id, permissions.account_member(self.caller, account_id)

    def body(self, model: type[Body]) -> Body:
        raw = self.event.get("body") or ""
        data = base64.b64decode(raw) if self.event.get("isBase64Encoded") else raw.encode()
        if len(data) > MAX_BODY:
            raise PayloadTooLarge(f"Request body is larger than {MAX_BODY} bytes")
        try:
            parsed = json.loads(data) if data.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise Invalid("Request body is not valid JSON") from None
        if not isinstance(parsed, dict):
            raise Invalid("Request body must be a JSON object")
        return parse(model, parsed)

    def query(self, model: type[Body]) -> Body:
        return parse(model, dict(self.event.get("queryStringParameters") or {}))


def parse(model: type[Body], data: dict) -> Body:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"], "code": e["type"]}
                  for e in exc.errors(include_url=False, include_input=False)]
        raise Invalid(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors) from None


def path_id(value) -> int:
    value = str(value)
    if not value.isdigit() or len(value) > 18:
        raise NotFound()
    return int(value)


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

Route = tuple[re.Pattern, dict[str, Callable[[Request], dict]]]
ROUTES: list[Route] = [
    (re.compile(ACCOUNT + r"/copilot_threads$"), {"GET": index_threads, "POST": create_thread}),
    (re.compile(ACCOUNT + r"/copilot_threads/(?P<thread_id>[^/]+)/copilot_messages$"),
     {"GET": index_messages, "POST": create_message}),
    (re.compile(ACCOUNT + r"/copilot$"), {"GET": actions}),
    (re.compile(ACCOUNT + r"/copilot/(?P<action>[^/]+)$"), {"POST": run_action}),
    (re.compile(ACCOUNT + r"/tasks/(?P<task>[^/]+)$"), {"POST": run_task}),
]


def _path(event: dict) -> str:
    http = (event.get("requestContext") or {}).get("http") or {}
    path = event.get("rawPath") or http.get("path") or ""
    return path.rstrip("/") if len(path) > 1 else path


def claims(event: dict) -> bool:
    """Whether this is one of the copilot's paths."""
    path = _path(event)
    return any(pattern.match(path) for pattern, _ in ROUTES)


def _json(status: int, body: dict, headers: dict | None = None) -> dict:
    return {"statusCode": status, "headers": {"content-type": "application/json", **(headers or {})},
            "body": json.dumps(body)}


def handle(event: dict, context, logger=None) -> dict:
    http = (event.get("requestContext") or {}).get("http") or {}
    method, path = str(http.get("method") or "").upper(), _path(event)
    with audit.request(http.get("sourceIp"), (event.get("requestContext") or {}).get("requestId")):
        try:
            for pattern, methods in ROUTES:
                found = pattern.match(path)
                if found is None:
                    continue
                if method == "OPTIONS":
                    return {"statusCode": 204, "headers": {
                        "access-control-allow-origin": "*", "access-control-allow-methods": ", ".join(methods),
                        "access-control-allow-headers": "api_access_token, Content-Type"}}
                if method not in methods:
                    return _json(405, {"error": "Method not allowed", "description": "Method not allowed",
                                       "errors": []}, {"allow": ", ".join(methods)})
                return _json(200, methods[method](Request(event, found.groupdict())))
            raise NotFound("Not found")
        except ParleyError as exc:
            retry = getattr(exc, "retry_after", None)
            headers = {"Retry-After": str(retry)} if retry is not None else None
            return _json(exc.status, exc.body(), headers)
        except Exception:
            if logger is not None:
                logger.exception("copilot request failed")
            return _json(500, {"error": "Something went wrong", "description": "Something went wrong", "errors": []})
