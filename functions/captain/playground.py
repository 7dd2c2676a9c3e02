"""The playground, one of the captain function's HTTP routes (web.py; API Gateway sends it
here, not to HttpApi's `{proxy+}`: the most specific route wins):

POST /api/v1/accounts/{account_id}/captain/assistants/{assistant_id}/playground
  {message_content, message_history: [{role, content}]} ->
  {response, reasoning, handoff: {reason, reason_text, message} | null, sources: [...]}

Who: administrators and custom roles granting knowledge_base_manage (as the FAQs);
another account's assistant (or account) is 404. Bodies are validated like HttpApi's
(unknown fields, wrong types, empty message: 422)."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from parley import permissions
from web import ACCOUNT, Body, Request, Route, path_id

MAX_CONTENT = 4000
MAX_HISTORY = 20


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=MAX_CONTENT)


class Question(Body):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    message_content: str = Field(min_length=1, max_length=MAX_CONTENT)
    message_history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY)


def playground(request: Request) -> dict:
    from parley.services.captain import answering, assistants

    account_id, member = request.member()
    permissions.require(member, permissions.KNOWLEDGE_BASE_MANAGE)
    assistant = assistants.get(account_id, path_id(request.params["assistant_id"]))
    question = request.body(Question)
    return answering.playground(account_id, assistant, question.message_content,
                                [turn.model_dump() for turn in question.message_history])


ROUTES: list[Route] = [(re.compile(ACCOUNT + r"/assistants/(?P<assistant_id>[^/]+)/playground$"),
                        {"POST": playground})]
