"""/api/v1/accounts/{account_id}/captain/provider and
/api/v1/accounts/{account_id}/captain/assistants/{assistant_id}/provider: which model Captain
uses (Parley's own: Chatwoot's Captain runs on OpenAI only, configured by the installation).

GET answers the settings in force and where they come from (`source`: "assistant",
"account" or "installation"); PATCH (or PUT) changes the fields given (null clears one;
api_key "" clears the key); DELETE removes an assistant's override. Administrators only;
every change audited as Captain::ProviderSettings, the key never rendered nor audited."""
from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field, StrictBool, StrictInt

from api import Body, account_admin, body, path_id
from parley.services.captain import assistants, providers
from parley.views.captain_providers import provider_settings

router = Router()

CAPTAIN = "/api/v1/accounts/<account_id>/captain"
ACCOUNT_PROVIDER = f"{CAPTAIN}/provider"
ASSISTANT_PROVIDER = f"{CAPTAIN}/assistants/<assistant_id>/provider"


class ProviderFields(Body):
    provider: Literal["bedrock", "openai_compatible", "offline"] | None = None
    base_url: str | None = Field(default=None, min_length=1, max_length=2048)
    chat_model: str | None = Field(default=None, min_length=1, max_length=200)
    embedding_model: str | None = Field(default=None, min_length=1, max_length=200)
    api_key: str | None = Field(default=None, max_length=providers.MAX_KEY)  # write-only; "" clears
    allow_private_address: StrictBool | None = None


class AccountProviderFields(ProviderFields):
    monthly_budget_usd: float | None = Field(default=None, ge=0, le=1_000_000, allow_inf_nan=False)
    rate_limit_per_minute: StrictInt | None = Field(default=None, ge=1, le=10_000)


def _changes(given: Body) -> dict:
    changes = given.model_dump(exclude_unset=True)
    if isinstance(changes.get("monthly_budget_usd"), float) and changes["monthly_budget_usd"].is_integer():
        changes["monthly_budget_usd"] = int(changes["monthly_budget_usd"])  # stored as DynamoDB would give it back
    return changes


def _render(account: int, assistant_id: int | None) -> dict:
    settings, source, item = providers.effective(account, assistant_id)
    key_set = providers.key_item(account, settings, item, source) is not None
    return provider_settings(account, settings, source, item, assistant_id=assistant_id, key_set=key_set,
                             limits=providers.limits(account) if assistant_id is None else None,
                             private_addresses_allowed=providers.private_addresses_allowed())


def _assistant(account: int, assistant_id: str) -> int:
    return assistants.get(account, path_id(assistant_id)).id  # another account's: 404


@router.get(ACCOUNT_PROVIDER)
def show_account_provider(account_id: str):
    return _render(account_admin(router, account_id), None)


@router.route(ACCOUNT_PROVIDER, method=["PATCH", "PUT"])
def update_account_provider(account_id: str):
    account = account_admin(router, account_id)
    providers.update(account, providers.ACCOUNT_SCOPE, _changes(body(router, AccountProviderFields, wrapper="provider")))
    return _render(account, None)


@router.get(ASSISTANT_PROVIDER)
def show_assistant_provider(account_id: str, assistant_id: str):
    account = account_admin(router, account_id)
    return _render(account, _assistant(account, assistant_id))


@router.route(ASSISTANT_PROVIDER, method=["PATCH", "PUT"])
def update_assistant_provider(account_id: str, assistant_id: str):
    account = account_admin(router, account_id)
    scope = _assistant(account, assistant_id)
    providers.update(account, scope, _changes(body(router, ProviderFields, wrapper="provider")))
    return _render(account, scope)


@router.delete(ASSISTANT_PROVIDER)
def delete_assistant_provider(account_id: str, assistant_id: str):
    account = account_admin(router, account_id)
    providers.delete(account, _assistant(account, assistant_id))
    return _render(account, int(assistant_id))
