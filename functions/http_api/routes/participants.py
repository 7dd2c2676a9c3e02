"""/api/v1/accounts/{account_id}/conversations/{conversation_id}/participants: the agents
who follow a conversation (any agent who can see it may change them, as in Chatwoot)."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, account_member, body, path_id
from parley.services.account import accounts
from parley.services.conversation import conversations, participants
from parley.views.users import members

router = Router()


class Participants(Body):
    user_ids: list[int] = Field(max_length=participants.MAX_PARTICIPANTS)


def _conversation(account_id: str, conversation_id: str):
    account_id, member = account_member(router, account_id)
    conversation = conversations.get_conversation(account_id, path_id(conversation_id))
    return conversations.ensure_visible(member, conversation)


def _agents(account_id: int, user_ids: list[int]) -> list[dict]:
    return members(accounts.members(account_id), user_ids)


@router.get("/api/v1/accounts/<account_id>/conversations/<conversation_id>/participants")
def index(account_id: str, conversation_id: str):
    conversation = _conversation(account_id, conversation_id)
    return _agents(conversation.account_id, participants.user_ids(conversation))


def _change(account_id: str, conversation_id: str, operation) -> list[dict]:
    conversation = _conversation(account_id, conversation_id)
    return _agents(conversation.account_id, operation(conversation, body(router, Participants).user_ids))


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/participants")
def add(account_id: str, conversation_id: str):
    return _change(account_id, conversation_id, participants.add)


@router.route("/api/v1/accounts/<account_id>/conversations/<conversation_id>/participants", method=["PATCH", "PUT"])
def replace(account_id: str, conversation_id: str):
    return _change(account_id, conversation_id, participants.replace)


@router.delete("/api/v1/accounts/<account_id>/conversations/<conversation_id>/participants")
def remove(account_id: str, conversation_id: str):
    return _change(account_id, conversation_id, participants.remove)
