"""Inboxes (website widget and API channels) and their members."""
from __future__ import annotations

import secrets

from .. import dynamo, events, ids
from ..errors import Invalid, NotFound
from ..models.account import AccountUser
from ..models.inbox import CHANNEL_TYPES, Inbox, InboxMember
from ..models.unique import UniqueClaim
from ..views.inboxes import inbox as inbox_view
from . import accounts, business_hours

# What a channel's settings map may hold (validated by the API's request models).
WIDGET_DEFAULTS = {
    "website_url": "", "widget_color": "#1f93ff", "welcome_title": "", "welcome_tagline": "",
    "reply_time": "in_a_few_minutes", "pre_chat_form_enabled": False,
    "pre_chat_form_options": {"pre_chat_message": "", "pre_chat_fields": []},
    "allowed_domains": "", "selected_feature_flags": ["attachments", "emoji_picker", "end_conversation"],
    "continuity_via_email": False,
}
API_DEFAULTS = {"webhook_url": "", "additional_attributes": {}}


def _claim(kind: str, value: str, inbox_id: int) -> UniqueClaim:
    claim = UniqueClaim(f"{kind}#{value}")
    claim.target = f"Inbox#{inbox_id}"
    return claim


def _check_hours(settings: dict, previous: list[dict] | None = None) -> dict:
    """Validated working hours and timezone (Invalid before anything is written)."""
    if settings.get("timezone") is not None:
        business_hours.validate_timezone(settings["timezone"])
    elif "timezone" in settings:
        raise Invalid("timezone can't be blank", field="timezone")
    if settings.get("working_hours") is not None:
        settings["working_hours"] = business_hours.normalize(settings["working_hours"], previous)
    elif "working_hours" in settings:
        raise Invalid("working_hours must have 7 entries, one per day of the week", field="working_hours")
    return settings


def create_inbox(account_id: int, *, name: str, channel_type: str, channel: dict, **settings) -> Inbox:
    if channel_type not in CHANNEL_TYPES:
        raise Invalid(f"Channel type must be one of: {', '.join(CHANNEL_TYPES)}", field="channel.type")
    settings = _check_hours(settings)
    defaults = WIDGET_DEFAULTS if channel_type == "web_widget" else API_DEFAULTS
    inbox = Inbox(ids.next_id("Inbox"), account_id=account_id, name=name, channel_type=channel_type,
                  channel={**defaults, **channel}, hmac_token=secrets.token_urlsafe(24), **settings)
    # Public identifiers are random and claimed, so one can never point at two inboxes.
    if channel_type == "web_widget":
        inbox.website_token = secrets.token_urlsafe(18)
        claim = _claim("website_token", inbox.website_token, inbox.id)
    else:
        inbox.inbox_identifier = secrets.token_urlsafe(18)
        claim = _claim("inbox_identifier", inbox.inbox_identifier, inbox.id)
    with dynamo.transaction() as tx:
        tx.save(claim, condition=UniqueClaim.key.does_not_exist())
        tx.save(inbox, condition=Inbox.id.does_not_exist())
    events.publish("inbox.created", account_id, inbox_view(inbox))
    return inbox


def get_inbox(account_id: int, inbox_id: int) -> Inbox:
    """The inbox, if it belongs to `account_id`; another account's inbox is not found."""
    try:
        inbox = Inbox.get(inbox_id)
    except Inbox.DoesNotExist:
        raise NotFound("Inbox not found") from None
    if inbox.account_id != account_id:
        raise NotFound("Inbox not found")
    return inbox


def _by_claim(key: str) -> Inbox | None:
    try:
        target = UniqueClaim.get(key).target
        return Inbox.get(int(target.split("#", 1)[1]))
    except (UniqueClaim.DoesNotExist, Inbox.DoesNotExist):
        return None


def by_website_token(token: str | None) -> Inbox:
    inbox = _by_claim(f"website_token#{token}") if token and len(token) <= 64 else None
    if inbox is None or inbox.channel_type != "web_widget":
        raise NotFound("Web widget does not exist")
    return inbox


def by_identifier(identifier: str | None) -> Inbox:
    inbox = _by_claim(f"inbox_identifier#{identifier}") if identifier and len(identifier) <= 64 else None
    if inbox is None or inbox.channel_type != "api":
        raise NotFound("Inbox not found")
    return inbox


def list_inboxes(account_id: int, member: AccountUser) -> list[Inbox]:
    inboxes = list(Inbox.account_index.query(account_id))
    if member.role == "administrator":
        return inboxes
    mine = set(member_inbox_ids(member.user_id, account_id))
    return [inbox for inbox in inboxes if inbox.id in mine]


def update_inbox(inbox: Inbox, *, channel: dict | None = None, **changes) -> Inbox:
    changes = _check_hours(changes, inbox.working_hours)
    for key, value in changes.items():
        setattr(inbox, key, value)
    if channel:
        inbox.channel = {**(inbox.channel or {}), **channel}
    inbox.save()
    events.publish("inbox.updated", inbox.account_id, inbox_view(inbox))
    return inbox


def delete_inbox(inbox: Inbox) -> None:
    key = (f"website_token#{inbox.website_token}" if inbox.channel_type == "web_widget"
           else f"inbox_identifier#{inbox.inbox_identifier}")
    members = list(InboxMember.query(inbox.id))
    with dynamo.transaction() as tx:
        tx.delete(UniqueClaim(key))
        tx.delete(inbox)
    with InboxMember.batch_write() as batch:
        for member in members:
            batch.delete(member)


# ---------------------------------------------------------------- members

def member_ids(inbox_id: int) -> list[int]:
    return [m.user_id for m in InboxMember.query(inbox_id)]


def member_inbox_ids(user_id: int, account_id: int) -> list[int]:
    return [m.inbox_id for m in InboxMember.user_index.query(user_id) if m.account_id == account_id]


def is_member(inbox_id: int, user_id: int) -> bool:
    try:
        InboxMember.get(inbox_id, user_id)
        return True
    except InboxMember.DoesNotExist:
        return False


def add_members(inbox: Inbox, user_ids: list[int]) -> list[int]:
    accounts.require_members(inbox.account_id, user_ids)
    with InboxMember.batch_write() as batch:
        for user_id in set(user_ids):
            batch.save(InboxMember(inbox.id, user_id, account_id=inbox.account_id))
    return member_ids(inbox.id)


def set_members(inbox: Inbox, user_ids: list[int]) -> list[int]:
    """Make the members exactly `user_ids` (Chatwoot's PATCH /inbox_members)."""
    accounts.require_members(inbox.account_id, user_ids)
    current = set(member_ids(inbox.id))
    wanted = set(user_ids)
    with InboxMember.batch_write() as batch:
        for user_id in wanted - current:
            batch.save(InboxMember(inbox.id, user_id, account_id=inbox.account_id))
        for user_id in current - wanted:
            batch.delete(InboxMember(inbox.id, user_id))
    return sorted(wanted)


def remove_members(inbox: Inbox, user_ids: list[int]) -> list[int]:
    with InboxMember.batch_write() as batch:
        for user_id in set(user_ids):
            batch.delete(InboxMember(inbox.id, user_id))
    return member_ids(inbox.id)
