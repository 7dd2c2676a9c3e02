"""Ongoing campaigns as the widget meets them (docs/campaigns.md, "In the widget"): which
of a website inbox's campaigns its widget may show now, whether a campaign id a visitor
names is one of them, and the conversation a visitor's answer to one starts (the
campaign's message first, in the conversation's own transaction, then the answer).
Stored and validated by services/rules/campaigns.py; nothing here writes a campaign."""
from __future__ import annotations

import time

from ...errors import NotFound
from ...models.account import AccountUser
from ...models.account_object import AccountObject
from ...models.contact import Contact, ContactInbox
from ...models.conversation import Conversation
from ...models.inbox import Inbox
from ...models.user import User
from ..account import business_hours, throttle
from ..conversation import conversations
from ..messaging import messages
from . import campaigns


def _ongoing(inbox: Inbox) -> list[AccountObject]:
    """The inbox's enabled ongoing campaigns, oldest first: one Query of the account's
    campaigns (at most campaigns.MAX_CAMPAIGNS), filtered here."""
    return [c for c in campaigns.all_of(inbox.account_id)
            if c.data.get("inbox_id") == inbox.id and c.data.get("campaign_type") == "ongoing"
            and c.data.get("enabled") and (c.data.get("trigger_rules") or {}).get("url")]


def _in_hours(inbox: Inbox, campaign: AccountObject, now: float) -> bool:
    """A campaign limited to business hours shows only while the inbox is open (an inbox
    without working hours is always open)."""
    if not campaign.data.get("trigger_only_during_business_hours") or not inbox.working_hours_enabled:
        return True
    return business_hours.closed_since(inbox, now) is None


def for_widget(inbox: Inbox, now: float | None = None) -> list[tuple[AccountObject, User | None]]:
    """What the widget may show now, each with its sender (None: no sender, or one who is
    no longer a member): the senders in one BatchGet."""
    now = time.time() if now is None else now
    shown = [c for c in _ongoing(inbox) if _in_hours(inbox, c, now)]
    wanted = {c.data["sender_id"] for c in shown if c.data.get("sender_id")}
    senders = {u.id: u for u in User.batch_get(wanted)} if wanted else {}
    members = {m.user_id for m in AccountUser.batch_get([(inbox.account_id, i) for i in wanted])} if wanted else set()
    return [(c, senders.get(c.data.get("sender_id")) if c.data.get("sender_id") in members else None) for c in shown]


def live(inbox: Inbox, campaign_id) -> AccountObject:
    """The campaign `campaign_id` names if it is an enabled ongoing campaign of this inbox;
    any other id (another inbox's or account's, a one-off, a disabled one, not a number)
    is not found. Business hours are not asked again: a visitor may answer a campaign
    shown a minute before closing time."""
    if isinstance(campaign_id, bool) or not isinstance(campaign_id, int) or campaign_id < 1:
        raise NotFound("Campaign not found")
    try:
        campaign = campaigns.get(inbox.account_id, campaign_id)
    except NotFound:
        raise NotFound("Campaign not found") from None
    data = campaign.data
    if data.get("inbox_id") != inbox.id or data.get("campaign_type") != "ongoing" or not data.get("enabled"):
        raise NotFound("Campaign not found")
    return campaign


# A shown campaign reported by a visitor without a token reaches the account's webhooks and
# bot: at most this many per source address and inbox an hour (a page view shows at most one).
SHOWN_PER_SOURCE = throttle.Limit("campaign_shown:ip", max_failures=60, window_seconds=3600)


def shown(inbox: Inbox, campaign_id, source_address: str | None) -> AccountObject:
    """A visitor reports `campaign_id` shown: it must be live on this inbox (404), and an
    anonymous source may report only SHOWN_PER_SOURCE an hour per inbox (429), so the
    public website token cannot be used to flood the account's webhooks."""
    campaign = live(inbox, campaign_id)
    throttle.reserve([(SHOWN_PER_SOURCE, f"{inbox.id}:{throttle.source(source_address)}")],
                     "Too many campaign events from this address; try again later")
    return campaign


def _sender(account_id: int, sender_id: int | None) -> User | None:
    if not sender_id:
        return None
    try:
        AccountUser.get(account_id, sender_id)
        return User.get(sender_id)
    except (AccountUser.DoesNotExist, User.DoesNotExist):
        return None  # no longer a member: the message comes from the inbox


def start_conversation(inbox: Inbox, contact: Contact, contact_inbox: ContactInbox,
                       campaign: AccountObject, **options) -> Conversation:
    """The conversation a visitor's answer to `campaign` starts: it carries campaign_id,
    and its first message is the campaign's (outgoing, from the campaign's sender,
    content_attributes.campaign_id), written with it in one transaction."""
    sender = _sender(inbox.account_id, campaign.data.get("sender_id"))
    opening = {"content": campaign.data["message"], "message_type": conversations.OUTGOING,
               "sender_type": "User" if sender is not None else None, "sender": sender,
               "content_attributes": {"campaign_id": campaign.id}}
    return messages.start_conversation(inbox, contact, contact_inbox, campaign_id=campaign.id, opening=opening,
                                       **options)
