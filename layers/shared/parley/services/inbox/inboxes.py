"""Inboxes (website widget and API channels) and their members."""
from __future__ import annotations

import copy
import hashlib
import json
import hmac
import secrets
import time

from pynamodb.exceptions import TransactWriteError

from ... import audit, dynamo, events, ids, outbound, permissions, security_log
from ...errors import Conflict, Invalid, NotFound
from ...models.account import AccountUser
from ...models.account_object import AccountObject, captain_inbox_key, send_pace_counter
from ...models.counter import Counter
from ...models.base import utcnow
from ...models.inbox import CHANNEL_TYPES, Inbox, InboxMember, email_verified
from ...models.unique import UniqueClaim
from ...views.inboxes import inbox as inbox_view
from ..account import accounts, business_hours

# What a channel's settings map may hold (validated by the API's request models).
WIDGET_DEFAULTS = {
    "website_url": "", "widget_color": "#1f93ff", "welcome_title": "", "welcome_tagline": "",
    "reply_time": "in_a_few_minutes", "pre_chat_form_enabled": False,
    "pre_chat_form_options": {"pre_chat_message": "", "pre_chat_fields": []},
    "allowed_domains": "", "selected_feature_flags": ["attachments", "emoji_picker", "end_conversation"],
    "continuity_via_email": False,
}
API_DEFAULTS = {"webhook_url": "", "additional_attributes": {}}


def _check_webhook_url(channel: dict) -> None:
    """Parley posts an API inbox's events to its webhook_url: no private or local targets (SSRF)."""
    if channel.get("webhook_url"):
        outbound.check_url(channel["webhook_url"], "webhook_url")


def _claim(kind: str, value: str, inbox_id: int) -> UniqueClaim:
    return _claim_key(f"{kind}#{value}", inbox_id)


def _claim_key(key: str, inbox_id: int) -> UniqueClaim:
    claim = UniqueClaim(key)
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


def _channel_module(channel_type: str):
    """The channel module that validates and claims a provider inbox's settings (email, sms)."""
    if channel_type == "email":
        from ...channels import email
        return email
    if channel_type == "sms":
        from ...channels import twilio_sms
        return twilio_sms
    if channel_type in ("telegram", "whatsapp"):
        from ... import channels
        return channels.module(channel_type)
    return None


def channel_claims(inbox: Inbox) -> set[str]:
    """Uniques keys the inbox's provider settings hold (addresses, phone numbers), so
    inbound traffic finds its inbox by GetItem and no two inboxes share one."""
    module = _channel_module(inbox.channel_type)
    return set(module.claim_keys(inbox.channel or {})) if module else set()


def _prove_number(module, channel: dict, account_id: int) -> None:
    """A phone number (WhatsApp, Twilio) is claimed only on its provider's word, asked with
    the claimant's own credentials (the channel's `verify_number`), before anything is
    written: a refusal is Invalid and logged, an outage ProviderUnavailable."""
    verify = getattr(module, "verify_number", None)
    if verify is None:
        return
    try:
        verify(channel)
    except Invalid as exc:
        security_log.refused("channel_claim", exc.message, account_id=account_id,
                             field=exc.errors[0]["field"] if exc.errors else None)
        raise


# What an inbox's audit entry shows: its settings, with the channel's secrets filtered
# (audit.redacted); never its public tokens or HMAC secret.
AUDIT_HIDDEN = ("website_token", "inbox_identifier", "hmac_token", "version", "created_at", "updated_at")


def audited_fields(inbox: Inbox) -> dict:
    return {key: value for key, value in inbox.attribute_values.items() if key not in AUDIT_HIDDEN}


def _claims_conflict(exc: TransactWriteError) -> bool:
    return exc.cause_response_code == "TransactionCanceledException"


def create_inbox(account_id: int, *, name: str, channel_type: str, channel: dict, base_url: str = "",
                 **settings) -> Inbox:
    if channel_type not in CHANNEL_TYPES:
        raise Invalid(f"Channel type must be one of: {', '.join(CHANNEL_TYPES)}", field="channel.type")
    settings = _check_hours(settings)
    _check_webhook_url(channel)
    defaults = WIDGET_DEFAULTS if channel_type == "web_widget" else API_DEFAULTS
    module = _channel_module(channel_type)
    if module is not None:
        defaults, channel = {}, module.new_settings(channel)
        _prove_number(module, channel, account_id)
    inbox = Inbox(ids.next_id("Inbox"), account_id=account_id, name=name, channel_type=channel_type,
                  channel={**defaults, **channel}, hmac_token=secrets.token_urlsafe(24), **settings)
    # Public identifiers are random and claimed, so one can never point at two inboxes.
    if channel_type == "web_widget":
        inbox.website_token = secrets.token_urlsafe(18)
        claim = _claim("website_token", inbox.website_token, inbox.id)
    else:
        inbox.inbox_identifier = secrets.token_urlsafe(18)
        claim = _claim("inbox_identifier", inbox.inbox_identifier, inbox.id)
    try:
        with events.Outbox() as tx:
            tx.save(claim, condition=UniqueClaim.key.does_not_exist())
            for key in channel_claims(inbox):
                tx.save(_claim_key(key, inbox.id), condition=UniqueClaim.key.does_not_exist())
            tx.save(inbox, condition=Inbox.id.does_not_exist())
            audit.add(tx, account_id, "Inbox", inbox.id, "create", audited_fields(inbox))
            # The event shows no verification state (inbox_view without secrets), so the
            # verification mail below changes nothing it says.
            tx.publish("inbox.created", account_id, inbox_view(inbox))
    except TransactWriteError as exc:
        if _claims_conflict(exc):
            raise Conflict("Another inbox already uses this address or number") from None
        raise
    if channel_type == "email":
        request_email_verification(inbox, base_url)
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


def _open(inbox: Inbox) -> Inbox:
    """Every public identifier (website token, inbox identifier, a provider's webhook
    address) ends here: its account must be open (403 suspended, 404 being deleted)."""
    permissions.open_account(inbox.account_id)
    return inbox


def by_website_token(token: str | None) -> Inbox:
    inbox = _by_claim(f"website_token#{token}") if token and len(token) <= 64 else None
    if inbox is None or inbox.channel_type != "web_widget":
        raise NotFound("Web widget does not exist")
    return _open(inbox)


def by_channel_claim(key: str, channel_type: str) -> Inbox:
    """The inbox a provider webhook addresses (bot token, phone number), by its claim."""
    inbox = _by_claim(key) if len(key) <= 300 else None
    if inbox is None or inbox.channel_type != channel_type:
        raise NotFound("Inbox not found")
    return _open(inbox)


def by_identifier(identifier: str | None) -> Inbox:
    inbox = _by_claim(f"inbox_identifier#{identifier}") if identifier and len(identifier) <= 64 else None
    if inbox is None or inbox.channel_type != "api":
        raise NotFound("Inbox not found")
    return _open(inbox)


def update_inbox(inbox: Inbox, *, channel: dict | None = None, base_url: str = "", **changes) -> Inbox:
    changes = _check_hours(changes, inbox.working_hours)
    audited_before = copy.deepcopy(audited_fields(inbox))
    before = channel_claims(inbox)
    module = _channel_module(inbox.channel_type)
    _check_webhook_url(channel or {})
    if channel and module is not None:
        channel = module.changed_settings(inbox.channel or {}, channel)
        proven = getattr(module, "proven_settings", None)
        if proven and proven({**(inbox.channel or {}), **channel}) != proven(inbox.channel or {}):
            _prove_number(module, {**(inbox.channel or {}), **channel}, inbox.account_id)
    for key, value in changes.items():
        setattr(inbox, key, value)
    if channel:
        inbox.channel = {**(inbox.channel or {}), **channel}
    after = channel_claims(inbox)
    inbox.updated_at = utcnow()  # as Model.save() sets it; a transaction's save does not
    try:  # a new address or number is claimed with the inbox, or nothing changes
        with events.Outbox() as tx:
            for key in before - after:
                tx.delete(UniqueClaim(key))
            for key in after - before:
                tx.save(_claim_key(key, inbox.id), condition=UniqueClaim.key.does_not_exist())
            tx.save(inbox)
            tx.publish("inbox.updated", inbox.account_id, inbox_view(inbox))
            audited = audit.diff(audited_before, audited_fields(inbox))
            if audited:
                audit.add(tx, inbox.account_id, "Inbox", inbox.id, "update", audited)
    except TransactWriteError as exc:
        if before == after and exc.cause_response_code == "TransactionCanceledException":
            raise Conflict("The inbox was changed by someone else meanwhile; try again") from None
        if _claims_conflict(exc):
            raise Conflict("Another inbox already uses this address or number") from None
        raise
    if inbox.channel_type == "email" and (channel or {}).get("email_verified") is False:  # a new address
        request_email_verification(inbox, base_url)
    return inbox


MAX_TEMPLATES = 500  # kept on the inbox item, and at most TEMPLATES_BYTES of them (DynamoDB's item limit is 400 KB)
TEMPLATES_BYTES = 250_000


def _fitting(templates: list[dict]) -> list[dict]:
    """The first templates (at most MAX_TEMPLATES) whose JSON fits in TEMPLATES_BYTES."""
    kept, size = [], 0
    for template in templates[:MAX_TEMPLATES]:
        size += len(json.dumps(template))
        if size > TEMPLATES_BYTES:
            break
        kept.append(template)
    return kept


def sync_templates(inbox: Inbox) -> Inbox:
    """A WhatsApp inbox's message templates fetched from Meta and stored on it (Chatwoot's
    sync_templates): what campaigns and agents may send outside the 24-hour window."""
    if inbox.channel_type != "whatsapp":
        raise Invalid("Only WhatsApp inboxes have message templates", field="inbox_id")
    from ...channels import whatsapp

    templates = _fitting(whatsapp.fetch_templates(inbox.channel or {}))
    for _ in range(3):
        inbox.channel = {**(inbox.channel or {}), "message_templates": templates,
                         "message_templates_last_updated": int(time.time())}
        inbox.updated_at = utcnow()
        try:
            with events.Outbox() as tx:
                tx.save(inbox)
                tx.publish("inbox.updated", inbox.account_id, inbox_view(inbox))
            return inbox
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise
            inbox.refresh(consistent_read=True)  # changed meanwhile: keep its change, set ours again
    raise Conflict("The inbox was changed by someone else meanwhile; try again")


# ---------------------------------------------------------------- support address proof

EMAIL_VERIFICATION_SECONDS = 48 * 60 * 60


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def request_email_verification(inbox: Inbox, base_url: str) -> Inbox:
    """Mail the inbox's support address a single-use link (`<inbox id>.<random>`, only its
    SHA-256 kept, 48 hours). Until someone who reads that mailbox follows it, the address
    is claimed by no one: it neither routes mail to this inbox nor blocks another's."""
    from ...channels import DeliveryError, email

    channel = dict(inbox.channel or {})
    if email_verified(channel):
        raise Invalid("The support address is already confirmed", field="channel.email")
    secret = secrets.token_urlsafe(32)
    pending = {"digest": _digest(secret), "expires_at": int(time.time()) + EMAIL_VERIFICATION_SECONDS,
               "sent_to": channel.get("email")}
    try:
        email.send_verification(channel["email"], f"{base_url}/public/email_verification/{inbox.id}.{secret}",
                                inbox.name)
    except DeliveryError as exc:  # shown to administrators, who can send it again
        pending["error"] = exc.reason
    inbox.channel = {**channel, "email_verification": pending}
    inbox.save()
    return inbox


def confirm_email(token: str) -> Inbox:
    """Follow a confirmation link: the support address becomes the inbox's claim (409 if
    another inbox proved it first). Unknown, used, expired or altered links are 404."""
    from ...channels import email

    inbox_id, _, secret = (token or "").partition(".")
    inbox = None
    if inbox_id.isdigit() and len(inbox_id) < 20 and 20 <= len(secret) <= 100:
        try:
            inbox = Inbox.get(int(inbox_id))
        except Inbox.DoesNotExist:
            inbox = None
    channel = dict(inbox.channel or {}) if inbox is not None and inbox.channel_type == "email" else {}
    pending = channel.get("email_verification") or {}
    valid = (hmac.compare_digest(_digest(secret or "-").encode(), str(pending.get("digest") or "").encode())
             and pending.get("sent_to") == channel.get("email") and int(pending.get("expires_at") or 0) > time.time())
    if inbox is None or not valid or email_verified(channel):
        security_log.refused("email_verification", "an unknown, used or expired confirmation link",
                             inbox_id=inbox.id if inbox is not None else None)
        raise NotFound("This confirmation link is not valid (used, expired or replaced by a newer one)")
    inbox.channel = {**channel, "email_verified": True, "email_verification": None}
    try:
        with events.Outbox() as tx:  # the version check makes the link single-use
            tx.save(_claim_key(email.inbox_claim_key(channel["email"]), inbox.id),
                    condition=UniqueClaim.key.does_not_exist())
            tx.save(inbox)
            tx.publish("inbox.updated", inbox.account_id, inbox_view(inbox))
    except TransactWriteError as exc:
        if _claims_conflict(exc):
            raise Conflict("Another inbox already receives the mail of this address") from None
        raise
    return inbox


def delete_inbox(inbox: Inbox) -> None:
    key = (f"website_token#{inbox.website_token}" if inbox.channel_type == "web_widget"
           else f"inbox_identifier#{inbox.inbox_identifier}")
    members = list(InboxMember.query(inbox.id))
    try:  # the Captain assistant's link to it goes with it
        captain_link = AccountObject.get(inbox.account_id, captain_inbox_key(inbox.id))
    except AccountObject.DoesNotExist:
        captain_link = None
    with dynamo.transaction() as tx:
        if captain_link is not None:
            tx.delete(captain_link)
        tx.delete(UniqueClaim(key))
        for channel_key in channel_claims(inbox):
            tx.delete(UniqueClaim(channel_key))
        tx.delete(inbox)
        tx.delete(Counter(send_pace_counter(inbox.account_id, inbox.id)))  # campaigns' send pace, if any
        audit.add(tx, inbox.account_id, "Inbox", inbox.id, "destroy", audited_fields(inbox))
    with InboxMember.batch_write() as batch:
        for member in members:
            batch.delete(member)


# ---------------------------------------------------------------- members

def member_ids(inbox_id: int) -> list[int]:
    return [m.user_id for m in InboxMember.query(inbox_id)]


def working_inbox(member: AccountUser, inbox_id: int) -> Inbox:
    """The account's inbox `inbox_id`, for a member who starts something in it (a contact,
    a conversation): a 422 on inbox_id unless they may work in it."""
    inbox = get_inbox(member.account_id, inbox_id)
    if not permissions.may_see_inbox(member, inbox.id):
        raise Invalid("You are not a member of this inbox", field="inbox_id")
    return inbox


def add_members(inbox: Inbox, user_ids: list[int]) -> list[int]:
    accounts.require_members(inbox.account_id, user_ids)
    with InboxMember.batch_write() as batch:
        for user_id in set(user_ids):
            batch.save(InboxMember(inbox.id, user_id, account_id=inbox.account_id))
    _sockets_follow(inbox, set(user_ids))
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
    _sockets_follow(inbox, wanted ^ current)
    return sorted(wanted)


def remove_members(inbox: Inbox, user_ids: list[int]) -> list[int]:
    with InboxMember.batch_write() as batch:
        for user_id in set(user_ids):
            batch.delete(InboxMember(inbox.id, user_id))
    _sockets_follow(inbox, set(user_ids))
    return member_ids(inbox.id)


def _sockets_follow(inbox: Inbox, user_ids: set[int]) -> None:
    """Open sockets of these users see this inbox's events from now on, or no longer."""
    from ..access import connections  # only member changes pay for this import (the widget's doors never do)

    connections.rights_changed(inbox.account_id, user_ids)
