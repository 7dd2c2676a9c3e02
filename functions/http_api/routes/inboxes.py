"""/api/v1/accounts/{account_id}/inboxes and /inbox_members."""
from __future__ import annotations

import re
from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api import (HTTP_URL, Body, account_admin, account_member, admin_item, base_url, body,
                 member_item, path_id)
from parley import embedding, permissions
from parley.errors import Invalid, NotFound
from parley.services.account import accounts
from parley.services.inbox import inboxes
from parley.services.rules import campaigns
from parley.views.inboxes import inbox as inbox_view
from parley.views.users import members

router = Router()
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
LABEL = re.compile(r"^[\w\-]{1,255}$")


class PreChatField(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    name: str = Field(min_length=1, max_length=64)
    label: str = Field(default="", max_length=255)
    type: Literal["text", "email", "number", "phone", "url", "date", "list", "checkbox"] = "text"
    field_type: str | None = Field(default=None, max_length=32)
    required: bool = False
    enabled: bool = True
    placeholder: str | None = Field(default=None, max_length=255)
    values: list[str] | None = None


class PreChatOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    pre_chat_message: str = Field(default="", max_length=2000)
    pre_chat_fields: list[PreChatField] = Field(default_factory=list, max_length=20)


class WhatsAppConfig(BaseModel):
    """Chatwoot's provider_config for WhatsApp Cloud (parley/channels/whatsapp.py checks it)."""
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)
    api_key: str | None = Field(default=None, max_length=1024)
    phone_number_id: str | None = Field(default=None, max_length=64)
    business_account_id: str | None = Field(default=None, max_length=64)
    app_secret: str | None = Field(default=None, max_length=256)
    webhook_verify_token: str | None = Field(default=None, max_length=256)


class ChannelSettings(Body):
    type: Literal["web_widget", "api", "telegram", "whatsapp", "email", "sms"] | None = None
    email: str | None = Field(default=None, max_length=254)  # email: the support address
    account_sid: str | None = Field(default=None, max_length=64)  # sms (Twilio)
    auth_token: str | None = Field(default=None, max_length=64)
    messaging_service_sid: str | None = Field(default=None, max_length=64)
    medium: Literal["sms"] | None = None
    bot_token: str | None = Field(default=None, max_length=200)  # telegram
    phone_number: str | None = Field(default=None, max_length=32)  # whatsapp
    provider: Literal["whatsapp_cloud", "twilio"] | None = None
    provider_config: WhatsAppConfig | None = None
    website_url: str | None = Field(default=None, max_length=2048)
    widget_color: str | None = None
    welcome_title: str | None = Field(default=None, max_length=255)
    welcome_tagline: str | None = Field(default=None, max_length=1000)
    reply_time: Literal["in_a_few_minutes", "in_a_few_hours", "in_a_day"] | None = None
    pre_chat_form_enabled: bool | None = None
    pre_chat_form_options: PreChatOptions | None = None
    allowed_domains: str | None = Field(default=None, max_length=2000)
    selected_feature_flags: list[Literal["attachments", "emoji_picker", "end_conversation"]] | None = None
    continuity_via_email: bool | None = None
    hmac_mandatory: bool | None = None
    webhook_url: str | None = Field(default=None, max_length=2048)
    additional_attributes: dict | None = None
    # sms and whatsapp: the pace of one-off campaigns (channels.send_rate_setting checks it)
    campaign_send_rate: Any = None

    @field_validator("widget_color")
    @classmethod
    def _color(cls, value):
        if value is not None and not COLOR.match(value):
            raise ValueError("must be a hex colour like #1f93ff")
        return value

    @field_validator("allowed_domains")
    @classmethod
    def _allowed_domains(cls, value):
        # Becomes the widget page's CSP frame-ancestors: host names only (parley/embedding.py).
        if value is None:
            return value
        try:
            return embedding.normalize_allowed_domains(value)
        except Invalid as exc:
            raise ValueError(exc.message) from None

    @field_validator("website_url", "webhook_url")
    @classmethod
    def _url(cls, value):
        if value and not HTTP_URL.match(value):
            raise ValueError("must be an http(s) URL")
        return value


class WorkingHour(BaseModel):
    """One of Chatwoot's seven rows; times may be null on closed or all-day rows."""
    model_config = ConfigDict(extra="forbid", defer_build=True)
    day_of_week: int = Field(ge=0, le=6)
    closed_all_day: bool = False
    open_all_day: bool = False
    open_hour: int | None = Field(default=None, ge=0, le=23)
    open_minutes: int | None = Field(default=None, ge=0, le=59)
    close_hour: int | None = Field(default=None, ge=0, le=23)
    close_minutes: int | None = Field(default=None, ge=0, le=59)


class AutoAssignmentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    # At most this many open conversations of the inbox per agent before auto-assignment skips them.
    max_assignment_limit: int | None = Field(default=None, ge=1, le=10_000)


class SurveyRules(BaseModel):
    """Send the survey only when the conversation has (contains) or lacks (does_not_contain)
    one of these labels; no labels: always."""
    model_config = ConfigDict(extra="forbid", defer_build=True)
    operator: Literal["contains", "does_not_contain"] = "contains"
    values: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("values")
    @classmethod
    def _labels(cls, values):
        for label in values:
            if not LABEL.match(label):
                raise ValueError("labels are 1 to 255 letters, digits, '-' or '_'")
        return list(dict.fromkeys(values))


class CsatConfig(BaseModel):
    """Chatwoot's csat_config (docs/csat.md)."""
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)
    display_type: Literal["emoji", "star"] = "emoji"
    message: str = Field(default="", max_length=1000)  # the question; empty: the default one
    survey_rules: SurveyRules = Field(default_factory=SurveyRules)


class InboxSettings(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    greeting_enabled: bool | None = None
    greeting_message: str | None = Field(default=None, max_length=10_000)
    enable_auto_assignment: bool | None = None
    auto_assignment_config: AutoAssignmentConfig | None = None
    working_hours_enabled: bool | None = None
    out_of_office_message: str | None = Field(default=None, max_length=10_000)
    timezone: str | None = Field(default=None, max_length=64)
    working_hours: list[WorkingHour] | None = Field(default=None, max_length=14)
    allow_messages_after_resolved: bool | None = None
    enable_email_collect: bool | None = None
    csat_survey_enabled: bool | None = None
    csat_config: CsatConfig | None = None
    lock_to_single_conversation: bool | None = None
    channel: ChannelSettings | None = None


class InboxCreate(InboxSettings):
    name: str = Field(min_length=1, max_length=255)
    channel: ChannelSettings


class Members(Body):
    inbox_id: int
    user_ids: list[int] = Field(max_length=500)


INBOX_FIELDS = {"name", "greeting_enabled", "greeting_message", "enable_auto_assignment", "auto_assignment_config",
                "working_hours_enabled",
                "out_of_office_message", "timezone", "working_hours", "allow_messages_after_resolved",
                "csat_survey_enabled", "csat_config"}


def _split(payload: InboxSettings) -> tuple[dict, dict]:
    """(inbox attributes, channel settings) from a create or update body."""
    fields = payload.model_dump(exclude_unset=True)
    channel = fields.pop("channel", None) or {}
    channel.pop("type", None)
    attributes = {k: v for k, v in fields.items() if k in INBOX_FIELDS}
    if "hmac_mandatory" in channel:
        attributes["hmac_mandatory"] = channel.pop("hmac_mandatory")
    return attributes, channel


def _view(inbox, admin: bool) -> dict:
    return inbox_view(inbox, base_url=base_url(router), with_secrets=admin)


@router.get("/api/v1/accounts/<account_id>/inboxes")
def index(account_id: str):
    account_id, member = account_member(router, account_id)
    admin = member.role == "administrator"
    return {"payload": [_view(i, admin) for i in permissions.visible_inboxes(member)]}


@router.get("/api/v1/accounts/<account_id>/inboxes/<inbox_id>")
def show(account_id: str, inbox_id: str):
    account_id, member = account_member(router, account_id)
    inbox = inboxes.get_inbox(account_id, path_id(inbox_id))
    if not permissions.may_see_inbox(member, inbox.id):
        raise NotFound("Inbox not found")
    return _view(inbox, member.role == "administrator")


@router.post("/api/v1/accounts/<account_id>/inboxes")
def create(account_id: str):
    account_id = account_admin(router, account_id)
    payload = body(router, InboxCreate)
    attributes, channel = _split(payload)
    name = attributes.pop("name")
    if payload.channel.type == "sms":  # where Twilio's delivery reports for this inbox's sends go
        channel["public_url"] = base_url(router)
    inbox = inboxes.create_inbox(account_id, name=name, channel_type=payload.channel.type or "web_widget",
                                 channel=channel, base_url=base_url(router), **attributes)
    return _view(inbox, True)


@router.route("/api/v1/accounts/<account_id>/inboxes/<inbox_id>", method=["PATCH", "PUT"])
def update(account_id: str, inbox_id: str):
    inbox = admin_item(router, account_id, inbox_id, inboxes.get_inbox)
    attributes, channel = _split(body(router, InboxSettings))
    return _view(inboxes.update_inbox(inbox, channel=channel, base_url=base_url(router), **attributes), True)


@router.post("/api/v1/accounts/<account_id>/inboxes/<inbox_id>/email_verification")
def resend_email_verification(account_id: str, inbox_id: str):
    """Mail the support address a new confirmation link (the old one stops working)."""
    inbox = admin_item(router, account_id, inbox_id, inboxes.get_inbox)
    if inbox.channel_type != "email":
        raise NotFound("Inbox not found")
    return _view(inboxes.request_email_verification(inbox, base_url(router)), True)


@router.post("/api/v1/accounts/<account_id>/inboxes/<inbox_id>/sync_templates")
def sync_templates(account_id: str, inbox_id: str):
    """A WhatsApp inbox's message templates fetched from Meta (Chatwoot's route): the inbox
    JSON then lists them in message_templates."""
    inbox = admin_item(router, account_id, inbox_id, inboxes.get_inbox)
    inboxes.sync_templates(inbox)
    return {}


@router.delete("/api/v1/accounts/<account_id>/inboxes/<item_id>")
def delete(account_id: str, item_id: str):
    """The inbox, then its campaigns (services/rules sit above the inboxes: both from here).
    A campaign left by a failure in between finds its inbox gone and sends nothing."""
    inbox = admin_item(router, account_id, item_id, inboxes.get_inbox)
    inboxes.delete_inbox(inbox)
    campaigns.delete_for_inbox(inbox.account_id, inbox.id)
    return {}


# ---------------------------------------------------------------- members

@router.get("/api/v1/accounts/<account_id>/inbox_members/<inbox_id>")
def list_members(account_id: str, inbox_id: str):
    inbox = member_item(router, account_id, inbox_id, inboxes.get_inbox)
    return {"payload": members(accounts.members(inbox.account_id), inboxes.member_ids(inbox.id))}


def _change_members(account_id: str, operation) -> dict:
    account_id = account_admin(router, account_id)
    payload = body(router, Members)
    inbox = inboxes.get_inbox(account_id, payload.inbox_id)
    return {"payload": members(accounts.members(account_id), operation(inbox, payload.user_ids))}


@router.post("/api/v1/accounts/<account_id>/inbox_members")
def add_members(account_id: str):
    return _change_members(account_id, inboxes.add_members)


@router.patch("/api/v1/accounts/<account_id>/inbox_members")
def set_members(account_id: str):
    return _change_members(account_id, inboxes.set_members)


@router.delete("/api/v1/accounts/<account_id>/inbox_members")
def remove_members(account_id: str):
    return _change_members(account_id, inboxes.remove_members)
