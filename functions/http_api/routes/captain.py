"""/api/v1/accounts/{account_id}/captain/...: Captain's configuration, as Chatwoot's API.

assistants (CRUD), assistants/{id}/inboxes (index, create, destroy), assistants/{id}/scenarios
(CRUD), assistant_responses (the FAQs: CRUD, filtered and paged index) and bulk_actions
(approve or delete FAQs).

Who: administrators read and write everything (Captain is theirs in Chatwoot); a custom
role granting knowledge_base_manage reads assistants and their inboxes and reads and
writes FAQs; one granting report_manage reads the usage (Reports > Captain). Bodies are accepted flat or wrapped ({"assistant": {...}},
{"assistant_response": {...}}, {"inbox": {...}}, {"scenario": {...}}), as Rails takes them."""
from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field, StrictBool, StrictInt

from api import Body, account_member, admin_membership, base_url, body, json_body, member_with, parse, path_id, query
from parley import permissions
from parley.errors import NotFound
from parley.services.captain import assistants, documents, responses, scenarios
from parley.views import captain as view
from parley.views.inboxes import inbox as render_inbox

router = Router()

CAPTAIN = "/api/v1/accounts/<account_id>/captain"
ASSISTANTS = f"{CAPTAIN}/assistants"
ASSISTANT = f"{ASSISTANTS}/<assistant_id>"
RESPONSES = f"{CAPTAIN}/assistant_responses"

MAX_RULES = 50  # response guidelines, guardrails: each list
MAX_RULE = 1000  # characters of one
MAX_MESSAGE = 10_000  # question, answer, instructions


# ---------------------------------------------------------------- bodies

Rule = Annotated[str, Field(min_length=1, max_length=MAX_RULE)]


class Config(Body):
    product_name: str | None = Field(default=None, max_length=255)
    temperature: float | None = Field(default=None, ge=0, le=1)
    feature_faq: StrictBool | None = None
    feature_memory: StrictBool | None = None
    feature_citation: StrictBool | None = None
    welcome_message: str | None = Field(default=None, max_length=MAX_MESSAGE)
    handoff_message: str | None = Field(default=None, max_length=MAX_MESSAGE)
    resolution_message: str | None = Field(default=None, max_length=MAX_MESSAGE)
    instructions: str | None = Field(default=None, max_length=MAX_MESSAGE)


class AssistantFields(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, min_length=1, max_length=MAX_MESSAGE)
    config: Config | None = None
    response_guidelines: list[Rule] | None = Field(default=None, max_length=MAX_RULES)
    guardrails: list[Rule] | None = Field(default=None, max_length=MAX_RULES)

    def changes(self) -> dict:
        """The fields given; config as the keys given in it (a partial update merges)."""
        given = self.model_dump(exclude_unset=True)
        if given.get("config") is not None:
            given["config"] = self.config.model_dump(exclude_unset=True)
        return given


class AssistantCreate(AssistantFields):
    name: str = Field(min_length=1, max_length=255)
    description: str = Field(min_length=1, max_length=MAX_MESSAGE)


class InboxLink(Body):
    inbox_id: StrictInt


class ResponseFields(Body):
    question: str | None = Field(default=None, min_length=1, max_length=MAX_MESSAGE)
    answer: str | None = Field(default=None, min_length=1, max_length=MAX_MESSAGE)
    assistant_id: StrictInt | None = None
    status: Literal["pending", "approved"] | None = None
    document_id: StrictInt | None = None


class ResponseCreate(ResponseFields):
    question: str = Field(min_length=1, max_length=MAX_MESSAGE)
    answer: str = Field(min_length=1, max_length=MAX_MESSAGE)
    assistant_id: StrictInt


class ResponseQuery(Body):
    assistant_id: int | None = None
    document_id: int | None = None
    status: Literal["pending", "approved"] | None = None
    search: str | None = Field(default=None, max_length=255)
    page: int = Field(default=1, ge=1, le=10_000)


class ScenarioFields(Body):
    title: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, min_length=1, max_length=MAX_MESSAGE)
    instruction: str | None = Field(default=None, min_length=1, max_length=MAX_MESSAGE)
    enabled: StrictBool | None = None
    # Taken and ignored, as Chatwoot: the tools are the ones the instruction names.
    tools: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=len(scenarios.TOOLS))


class ScenarioCreate(ScenarioFields):
    title: str = Field(min_length=1, max_length=255)
    description: str = Field(min_length=1, max_length=MAX_MESSAGE)
    instruction: str = Field(min_length=1, max_length=MAX_MESSAGE)


class ScenarioQuery(Body):
    # Chatwoot's index lists the enabled scenarios only; Parley's dashboard asks for all.
    include_disabled: bool = False


class BulkFields(Body):
    status: Literal["approve", "delete"]


class BulkAction(Body):
    type: Literal["AssistantResponse"]
    ids: list[StrictInt] = Field(min_length=1, max_length=responses.MAX_BULK)
    fields: BulkFields


# ---------------------------------------------------------------- who

def _reader(account_id: str) -> int:
    """Administrators and knowledge_base_manage (403 for anyone else in the account)."""
    account, member = account_member(router, account_id)
    permissions.require(member, permissions.KNOWLEDGE_BASE_MANAGE)
    return account


def _admin(account_id: str) -> int:
    return admin_membership(router, account_id).account_id


def _assistant_of(account: int, assistant_id: str):
    return assistants.get(account, path_id(assistant_id))


def _owners(account: int) -> dict:
    return {item.id: item for item in assistants.all_of(account)}


def _render_response(item) -> dict:
    try:
        owner = assistants.get(item.account_id, item.data.get("assistant_id") or 0)
    except NotFound:  # the assistant deleted, its FAQs not yet removed
        owner = None
    return view.response(item, owner, _source_of(item))


def _source_of(item):
    """The document an FAQ came from, if it names one that still exists."""
    document_id = item.data.get("document_id")
    return documents.find(item.account_id, document_id) if document_id else None


def _sources(account: int, items) -> dict:
    """The documents these FAQs came from (one Query, only if one of them names one)."""
    if not any(item.data.get("document_id") for item in items):
        return {}
    return {item.id: item for item in documents.all_of(account)}


# ---------------------------------------------------------------- assistants

@router.get(ASSISTANTS)
def index_assistants(account_id: str):
    return view.assistants(assistants.all_of(_reader(account_id))[::-1])  # newest first, as Chatwoot


@router.post(ASSISTANTS)
def create_assistant(account_id: str):
    account = _admin(account_id)
    return view.assistant(assistants.create(account, body(router, AssistantCreate, wrapper="assistant").changes()))


@router.get(ASSISTANT)
def show_assistant(account_id: str, assistant_id: str):
    return view.assistant(_assistant_of(_reader(account_id), assistant_id))


@router.route(ASSISTANT, method=["PATCH", "PUT"])
def update_assistant(account_id: str, assistant_id: str):
    item = _assistant_of(_admin(account_id), assistant_id)
    return view.assistant(assistants.update(item, body(router, AssistantFields, wrapper="assistant").changes()))


@router.delete(ASSISTANT)
def delete_assistant(account_id: str, assistant_id: str):
    responses.delete_assistant(_assistant_of(_admin(account_id), assistant_id))
    return {}


# ---------------------------------------------------------------- inbox links

@router.get(f"{ASSISTANT}/inboxes")
def index_inboxes(account_id: str, assistant_id: str):
    item = _assistant_of(_reader(account_id), assistant_id)
    found = assistants.linked_inboxes(item)
    url = base_url(router)
    return {"payload": [render_inbox(inbox, base_url=url) for inbox in found],
            "meta": {"total_count": len(found), "page": 1}}


@router.post(f"{ASSISTANT}/inboxes")
def link_inbox(account_id: str, assistant_id: str):
    item = _assistant_of(_admin(account_id), assistant_id)
    given = body(router, InboxLink, wrapper="inbox")
    return render_inbox(assistants.link(item, given.inbox_id), base_url=base_url(router))


@router.delete(f"{ASSISTANT}/inboxes/<inbox_id>")
def unlink_inbox(account_id: str, assistant_id: str, inbox_id: str):
    item = _assistant_of(_admin(account_id), assistant_id)
    assistants.unlink(item, path_id(inbox_id))
    return {}


# ---------------------------------------------------------------- scenarios

@router.get(f"{ASSISTANT}/scenarios")
def index_scenarios(account_id: str, assistant_id: str):
    item = _assistant_of(_reader(account_id), assistant_id)
    params = query(router, ScenarioQuery)
    return view.scenarios(scenarios.of_assistant(item, enabled_only=not params.include_disabled), item)


@router.post(f"{ASSISTANT}/scenarios")
def create_scenario(account_id: str, assistant_id: str):
    item = _assistant_of(_admin(account_id), assistant_id)
    given = body(router, ScenarioCreate, wrapper="scenario")
    return view.scenario(scenarios.create(item, given.model_dump(exclude_unset=True)), item)


@router.get(f"{ASSISTANT}/scenarios/<scenario_id>")
def show_scenario(account_id: str, assistant_id: str, scenario_id: str):
    item = _assistant_of(_reader(account_id), assistant_id)
    return view.scenario(scenarios.get(item.account_id, item.id, path_id(scenario_id)), item)


@router.route(f"{ASSISTANT}/scenarios/<scenario_id>", method=["PATCH", "PUT"])
def update_scenario(account_id: str, assistant_id: str, scenario_id: str):
    item = _assistant_of(_admin(account_id), assistant_id)
    found = scenarios.get(item.account_id, item.id, path_id(scenario_id))
    given = body(router, ScenarioFields, wrapper="scenario")
    return view.scenario(scenarios.update(found, given.model_dump(exclude_unset=True)), item)


@router.delete(f"{ASSISTANT}/scenarios/<scenario_id>")
def delete_scenario(account_id: str, assistant_id: str, scenario_id: str):
    item = _assistant_of(_admin(account_id), assistant_id)
    scenarios.delete(scenarios.get(item.account_id, item.id, path_id(scenario_id)))
    return {}


# ---------------------------------------------------------------- FAQs

@router.get(RESPONSES)
def index_responses(account_id: str):
    account = _reader(account_id)
    params = query(router, ResponseQuery)
    owners = _owners(account)
    found, total = responses.listing(account, assistant_id=params.assistant_id, document_id=params.document_id,
                                     status=params.status, search=params.search, page=params.page,
                                     existing=set(owners))
    return view.responses(found, owners, total, params.page, _sources(account, found))


@router.post(RESPONSES)
def create_response(account_id: str):
    account = _reader(account_id)
    given = body(router, ResponseCreate, wrapper="assistant_response")
    return _render_response(responses.create(account, given.model_dump(exclude_unset=True)))


@router.post(f"{CAPTAIN}/bulk_actions")
def bulk_action(account_id: str):
    account = _reader(account_id)
    given = parse(BulkAction, json_body(router))
    done = responses.bulk(account, given.ids, given.fields.status)
    owners = _owners(account) if done else {}
    sources = _sources(account, done)
    return [view.response(item, owners.get(item.data.get("assistant_id")), sources.get(item.data.get("document_id")))
            for item in done]


@router.get(f"{RESPONSES}/<response_id>")
def show_response(account_id: str, response_id: str):
    return _render_response(responses.get(_reader(account_id), path_id(response_id)))


@router.route(f"{RESPONSES}/<response_id>", method=["PATCH", "PUT"])
def update_response(account_id: str, response_id: str):
    item = responses.get(_reader(account_id), path_id(response_id))
    given = body(router, ResponseFields, wrapper="assistant_response")
    return _render_response(responses.update(item, given.model_dump(exclude_unset=True)))


@router.delete(f"{RESPONSES}/<response_id>")
def delete_response(account_id: str, response_id: str):
    responses.delete(responses.get(_reader(account_id), path_id(response_id)))
    return {}


# ---------------------------------------------------------------- usage

@router.get(f"{CAPTAIN}/usage")
def show_usage(account_id: str):
    """A month's (`month=YYYY-MM`, this month by default) and the month before's model
    calls, tokens, cost, answers and handoffs, per assistant and in total, with the
    account's budget and rate limit. Administrators and report_manage roles: the usage is
    shown in the Captain settings and in Reports > Captain."""
    from parley.services.captain import usage

    account, _ = member_with(router, account_id, permissions.REPORT_MANAGE)
    month = usage.month_param((router.current_event.query_string_parameters or {}).get("month"))
    return usage.report(account, {item.id: item.data.get("name") or "" for item in assistants.all_of(account)},
                        month=month)
