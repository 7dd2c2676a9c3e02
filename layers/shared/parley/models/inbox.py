"""Inboxes (one per channel) and the agents who work in them."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from .base import TimestampedModel, global_index, table_meta

CHANNEL_TYPES = {"web_widget": "Channel::WebWidget", "api": "Channel::Api", "email": "Channel::Email",
                 "sms": "Channel::TwilioSms"}
CHANNEL_TYPES.update(telegram="Channel::Telegram", whatsapp="Channel::Whatsapp")  # parley/channels/




def _day(day_of_week: int, open_from: tuple[int, int] | None, closed: bool = False) -> dict:
    start, end = open_from or (9, 17)
    return {"day_of_week": day_of_week, "closed_all_day": closed, "open_hour": start, "open_minutes": 0,
            "close_hour": end, "close_minutes": 0, "open_all_day": False}


# Chatwoot's defaults for a new inbox: Monday to Friday 9:00-17:00, weekends closed.
DEFAULT_WORKING_HOURS = [_day(d, (9, 17), closed=d in (0, 6)) for d in range(7)]


def working_hours(inbox: "Inbox") -> list[dict]:
    """The inbox's seven rows (Chatwoot's shape), its own or the defaults."""
    return inbox.working_hours or DEFAULT_WORKING_HOURS


def email_verified(channel: dict) -> bool:
    """Whether an e-mail inbox's support address was proven by its owner. Inboxes made
    before verification existed (no flag) had their address claimed then and keep it."""
    return bool(channel.get("email")) and channel.get("email_verified", True) is not False


class Inbox(TimestampedModel):
    """Access: by id; an account's inboxes (account-index); by website_token or
    inbox_identifier through their UniquesTable claims."""

    Meta = table_meta("inboxes_table")

    id = NumberAttribute(hash_key=True)
    account_id = NumberAttribute()
    name = UnicodeAttribute()
    channel_type = UnicodeAttribute()  # web_widget | api
    # Channel settings (website_url, widget_color, welcome_title, webhook_url, ...): the
    # fields differ per channel, so they live in one validated map.
    channel = JSONAttribute(default=dict)
    website_token = UnicodeAttribute(null=True)
    inbox_identifier = UnicodeAttribute(null=True)
    hmac_token = UnicodeAttribute(null=True)
    hmac_mandatory = BooleanAttribute(default=False)
    greeting_enabled = BooleanAttribute(default=False)
    greeting_message = UnicodeAttribute(null=True)
    enable_auto_assignment = BooleanAttribute(default=True)
    auto_assignment_config = JSONAttribute(default=dict, null=True)  # {"max_assignment_limit": n}
    working_hours_enabled = BooleanAttribute(default=False)
    out_of_office_message = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(default="UTC")
    working_hours = JSONAttribute(null=True)  # Chatwoot's 7 rows; None = the defaults (DEFAULT_WORKING_HOURS)
    allow_messages_after_resolved = BooleanAttribute(default=True)
    avatar_url = UnicodeAttribute(null=True)
    # CSAT (services/csat/settings.py checks csat_config: Chatwoot's display_type, message,
    # survey_rules {operator, values}).
    csat_survey_enabled = BooleanAttribute(default=False)
    csat_config = JSONAttribute(null=True)
    agent_bot_id = NumberAttribute(null=True)  # services/account/agent_bots.py: its conversations start pending
    version = VersionAttribute()

    account_index = global_index("account-index",
                                 account_id=NumberAttribute(hash_key=True),
                                 id=NumberAttribute(range_key=True))


class InboxMember(TimestampedModel):
    """Access: an inbox's agents (Query); an agent's inboxes (user-index), used to scope
    conversation lists and realtime."""

    Meta = table_meta("inbox_members_table")

    inbox_id = NumberAttribute(hash_key=True)
    user_id = NumberAttribute(range_key=True)
    account_id = NumberAttribute()

    user_index = global_index("user-index",
                              user_id=NumberAttribute(hash_key=True),
                              inbox_id=NumberAttribute(range_key=True))
