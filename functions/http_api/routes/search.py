"""/api/v1/accounts/{account_id}/search: Chatwoot's global search over conversations,
contacts and messages, and one kind at a time (/search/conversations, ...)."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, account_member, query
from parley import permissions
from parley.services.conversation import search

router = Router()


class SearchQuery(Body):
    q: str = Field(default="", max_length=search.MAX_QUERY)
    page: int = Field(default=1, ge=1, le=search.MAX_PAGE)


def _params(account_id: str):
    account_id, member = account_member(router, account_id)
    return account_id, member, query(router, SearchQuery)


@router.get("/api/v1/accounts/<account_id>/search")
def search_all(account_id: str):
    account_id, member, params = _params(account_id)
    return {"payload": {
        "conversations": search.present_conversations(search.search_conversations(account_id, member, params.q,
                                                                                   params.page)),
        "contacts": search.present_contacts(search.search_contacts(account_id, member, params.q, params.page)),
        "messages": search.present_messages(search.search_messages(account_id, member, params.q, params.page)),
    }}


@router.get("/api/v1/accounts/<account_id>/search/conversations")
def search_conversations(account_id: str):
    account_id, member, params = _params(account_id)
    rows = search.search_conversations(account_id, member, params.q, params.page)
    return {"payload": {"conversations": search.present_conversations(rows)}}


@router.get("/api/v1/accounts/<account_id>/search/contacts")
def search_contacts(account_id: str):
    account_id, member, params = _params(account_id)
    permissions.require(member, permissions.CONTACT_MANAGE)  # /search leaves contacts out instead
    return {"payload": {"contacts": search.present_contacts(search.search_contacts(account_id, member, params.q,
                                                                                     params.page))}}


@router.get("/api/v1/accounts/<account_id>/search/messages")
def search_messages(account_id: str):
    account_id, member, params = _params(account_id)
    return {"payload": {"messages": search.present_messages(search.search_messages(account_id, member, params.q,
                                                                                     params.page))}}
