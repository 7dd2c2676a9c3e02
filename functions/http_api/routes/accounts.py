"""GET/PATCH /api/v1/accounts/{id}."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import AccountFields, account_member, admin_membership, body, signed_in
from parley.errors import Invalid
from parley.services.lifecycle import account_status
from parley.services.account import accounts
from parley.views.accounts import account as account_view

router = Router()


class AccountUpdate(AccountFields):
    auto_resolve_after: int | None = Field(default=None, ge=10, le=1_439_856)
    auto_resolve_message: str | None = Field(default=None, max_length=10_000)
    auto_resolve_ignore_waiting: bool | None = None
    industry: str | None = Field(default=None, max_length=255)
    company_size: str | None = Field(default=None, max_length=255)
    timezone: str | None = Field(default=None, max_length=64)
    # Members must sign in with two-factor authentication (parley/permissions.py require_two_factor).
    two_factor_required: bool | None = None


SETTINGS_FIELDS = {"auto_resolve_after", "auto_resolve_message", "auto_resolve_ignore_waiting", "two_factor_required"}
CUSTOM_FIELDS = {"industry", "company_size", "timezone"}


@router.get("/api/v1/accounts/<account_id>")
def show(account_id: str):
    account_id, _ = account_member(router, account_id)
    return account_view(accounts.get_account(account_id))


@router.route("/api/v1/accounts/<account_id>", method=["PATCH", "PUT"])
def update(account_id: str):
    admin = admin_membership(router, account_id)
    account_id = admin.account_id
    payload = body(router, AccountUpdate).model_dump(exclude_unset=True)
    if payload.get("two_factor_required") and not signed_in(router).user.otp_required_for_login:
        # Else the administrator's next call would be refused, and no one could turn it off.
        raise Invalid("Enable two-factor authentication on your own profile before requiring it",
                      field="two_factor_required")
    account = accounts.get_account(account_id)
    changes = {k: v for k, v in payload.items() if k not in SETTINGS_FIELDS | CUSTOM_FIELDS}
    if SETTINGS_FIELDS & payload.keys():
        changes["settings"] = {**(account.settings or {}), **{k: payload[k] for k in SETTINGS_FIELDS & payload.keys()}}
    if CUSTOM_FIELDS & payload.keys():
        changes["custom_attributes"] = {**(account.custom_attributes or {}),
                                        **{k: payload[k] for k in CUSTOM_FIELDS & payload.keys()}}
    was_required = bool((account.settings or {}).get("two_factor_required"))
    updated = account_status.update_account(account, **changes)
    if payload.get("two_factor_required") and not was_required:
        from parley.services.access import connections  # members without 2FA lose their sockets now

        connections.two_factor_missing(account_id)
    return account_view(updated)
