"""The captain function's HTTP routes (API Gateway sends them here, not to HttpApi's
`{proxy+}`: the most specific route wins):

POST /api/v1/accounts/{account_id}/captain/assistants/{assistant_id}/playground
  {message_content, message_history: [{role, content}]} ->
  {response, reasoning, handoff: {reason, reason_text, message} | null, sources: [...]}

Who: administrators and custom roles granting knowledge_base_manage (as the FAQs);
another account's assistant (or account) is 404. Bodies are validated like HttpApi's
(unknown fields, wrong types, empty message: 422)."""
from __future__ import annotations

import base64
import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parley import audit, permissions
from parley.auth import authenticate
from parley.errors import Invalid, NotFound, ParleyError, PayloadTooLarge, TooManyRequests

PLAYGROUND = re.compile(r"^/api/v1/accounts/([^/]+)/captain/assistants/([^/]+)/playground/?$")
MAX_BODY = 256 * 1024
MAX_CONTENT = 4000
MAX_HISTORY = 20


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=MAX_CONTENT)


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    message_content: str = Field(min_length=1, max_length=MAX_CONTENT)
    message_history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY)


# As HttpApi's routes answer (functions/http_api/app.py CORSConfig): auth is by header, so
# any origin may call; a preflight goes to HttpApi's {proxy+} (this route is POST only).
CORS = {"access-control-allow-origin": "*"}


def _json(status: int, body: dict, headers: dict | None = None) -> dict:
    return {"statusCode": status, "headers": {"content-type": "application/json", **CORS, **(headers or {})},
            "body": json.dumps(body)}


def _id(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise NotFound()
    return int(value)


def _body(event: dict) -> dict:
    raw = event.get("body") or ""
    data = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    if len(data) > MAX_BODY:
        raise PayloadTooLarge(f"Request body is larger than {MAX_BODY} bytes")
    try:
        parsed = json.loads(data) if data.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise Invalid("Request body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise Invalid("Request body must be a JSON object")
    return parsed


def _question(data: dict) -> Question:
    try:
        return Question.model_validate(data)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"], "code": e["type"]}
                  for e in exc.errors(include_url=False, include_input=False)]
        raise Invalid(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors) from None


def playground(event: dict, account_ref: str, assistant_ref: str) -> dict:
    from parley.services.captain import answering, assistants

    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    account_id = _id(account_ref)
    caller = authenticate(headers.get("api_access_token"))
    audit.acting(caller.user, platform_app_id=caller.platform_app_id)
    member = permissions.account_member(caller, account_id)
    permissions.require(member, permissions.KNOWLEDGE_BASE_MANAGE)
    assistant = assistants.get(account_id, _id(assistant_ref))
    question = _question(_body(event))
    return _json(200, answering.playground(account_id, assistant, question.message_content,
                                           [turn.model_dump() for turn in question.message_history]))


def handle(event: dict, context) -> dict:
    http = (event.get("requestContext") or {}).get("http") or {}
    path, method = event.get("rawPath") or http.get("path") or "", str(http.get("method") or "").upper()
    with audit.request(http.get("sourceIp"), (event.get("requestContext") or {}).get("requestId")):
        try:
            found = PLAYGROUND.match(path)
            if found is None:
                raise NotFound("Not found")
            if method == "OPTIONS":
                return {"statusCode": 204, "headers": {**CORS, "access-control-allow-methods": "POST",
                                                       "access-control-allow-headers": "api_access_token, Content-Type"}}
            if method != "POST":
                return _json(405, {"error": "Method not allowed", "description": "Method not allowed", "errors": []},
                             {"allow": "POST"})
            return playground(event, found.group(1), found.group(2))
        except ParleyError as exc:
            headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
            return _json(exc.status, exc.body(), headers)
