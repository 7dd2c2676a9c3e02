"""Agent bots: webhook bots that get Chatwoot's bot events and answer through the
Application API with their own token.

Storage: AccountObjects "agent_bot#<id>" in the bot's account partition, or in partition
0 for a platform app's bot that belongs to no account (Chatwoot's system bots, listed in
every account). Ids come from one global counter, so a bot's id names it everywhere. A
platform app finds its own bots through "platform_bot#<app>#<bot>" pointers in partition
0 (one Query; the Platform API's "an app sees only what it created").

An inbox names its bot in `agent_bot_id`; a bot that was deleted simply stops counting
(nothing has to find the inboxes that pointed at it)."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from ... import audit, dynamo, events, ids, outbound, permissions, tokens
from ...errors import Forbidden, Invalid, NotFound
from ...models.account_object import AGENT_BOT, AccountObject
from ...models.base import utcnow
from ...models.conversation import Conversation
from ...models.inbox import Inbox
from ...views.agent_bots import GLOBAL, agent_bot as bot_view

KIND = AGENT_BOT
FIELDS = ("name", "description", "outgoing_url", "avatar_url", "bot_config")


def owner(bot: AccountObject) -> str:
    return f"AgentBot#{bot.account_id}/{bot.id}"


def _key(bot_id: int) -> str:
    return AccountObject.key_for(KIND, bot_id)


def _pointer(app_id: int, bot_id: int) -> str:
    return f"platform_bot#{app_id:012d}#{bot_id:012d}"


def _get(partition: int, bot_id: int) -> AccountObject | None:
    try:
        return AccountObject.get(partition, _key(bot_id))
    except AccountObject.DoesNotExist:
        return None


def check_url(url: str | None) -> str:
    """An http(s) URL without credentials, or nothing; where it points is checked by
    outbound.check_url now and again after DNS resolution on every delivery."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise Invalid("outgoing_url must be an http(s) URL without credentials", field="outgoing_url")
    return outbound.check_url(url, "outgoing_url")


def _clean(fields: dict) -> dict:
    fields = {k: v for k, v in fields.items() if k in FIELDS}
    if "name" in fields and not (fields["name"] or "").strip():
        raise Invalid("Name can't be blank", field="name")
    if "outgoing_url" in fields:
        fields["outgoing_url"] = check_url(fields["outgoing_url"])
    return fields


def create_bot(account_id: int | None, *, platform_app_id: int | None = None, audit_in: int | None = None,
               **fields) -> tuple[AccountObject, str]:
    """A new bot and the only plaintext copy of its access token. `audit_in`: the audit log
    (an account id, 0 for the installation's) that records it, in the same transaction."""
    fields = _clean(fields)
    if not fields.get("name"):
        raise Invalid("Name can't be blank", field="name")
    bot_id = ids.next_id("AgentBot")
    partition = account_id if account_id is not None else GLOBAL
    data = {**fields, "platform_app_id": platform_app_id, "secret": secrets.token_urlsafe(24)}
    bot = AccountObject(partition, _key(bot_id), id=bot_id, data=data)
    with events.Outbox() as tx:
        tx.save(bot, condition=AccountObject.key.does_not_exist())
        if platform_app_id is not None:
            tx.save(AccountObject(GLOBAL, _pointer(platform_app_id, bot_id), id=bot_id,
                                  data={"account_id": partition}))
        if partition != GLOBAL:  # a system bot belongs to no account's event log
            tx.publish("agent_bot.created", partition, bot_view(bot))
        if audit_in is not None:
            audit.add(tx, audit_in, "AgentBot", bot_id, "create", fields)
    token = tokens.issue(owner(bot))
    return bot, token


def for_account(account_id: int, bot_id: int) -> AccountObject:
    """One of the account's bots or a system bot; another account's is not found."""
    bot = _get(account_id, bot_id) or _get(GLOBAL, bot_id)
    if bot is None:
        raise NotFound("Agent bot not found")
    return bot


def own_for_account(account_id: int, bot_id: int) -> AccountObject:
    """A bot the account may change: its own, not a system bot."""
    bot = for_account(account_id, bot_id)
    if bot.account_id != account_id:
        raise Forbidden("System bots can only be changed by the platform app that made them")
    return bot


def list_for_account(account_id: int) -> list[AccountObject]:
    own = AccountObject.query(account_id, AccountObject.key.startswith(f"{KIND}#"), limit=1000)
    system = AccountObject.query(GLOBAL, AccountObject.key.startswith(f"{KIND}#"), limit=1000)
    return sorted([*own, *system], key=lambda b: b.id)


def for_platform_app(app_id: int, bot_id: int) -> AccountObject:
    try:
        pointer = AccountObject.get(GLOBAL, _pointer(app_id, bot_id))
    except AccountObject.DoesNotExist:
        raise NotFound("Agent bot not found") from None
    bot = _get(int(pointer.data["account_id"]), bot_id)
    if bot is None:
        raise NotFound("Agent bot not found")
    return bot


def list_installation_bots() -> list[AccountObject]:
    """The installation's system bots (partition 0), listed in every account."""
    return sorted(AccountObject.query(GLOBAL, AccountObject.key.startswith(f"{KIND}#"), limit=1000), key=lambda b: b.id)


def installation_bot(bot_id: int) -> AccountObject:
    """A system bot by id; an account's bot is not one (404)."""
    bot = _get(GLOBAL, bot_id)
    if bot is None:
        raise NotFound("Agent bot not found")
    return bot


def list_for_platform_app(app_id: int) -> list[AccountObject]:
    pointers = AccountObject.query(GLOBAL, AccountObject.key.startswith(f"platform_bot#{app_id:012d}#"), limit=1000)
    keys = [(int(p.data["account_id"]), _key(p.id)) for p in pointers]
    return sorted(AccountObject.batch_get(keys), key=lambda b: b.id) if keys else []


def update_bot(bot: AccountObject, audit_in: int | None = None, **changes) -> AccountObject:
    before = dict(bot.data)
    bot.data = {**bot.data, **_clean(changes)}
    bot.updated_at = utcnow()  # as Model.save() sets it; a transaction's save does not
    with events.Outbox() as tx:
        tx.save(bot)  # under its version, as bot.save() was
        if bot.account_id != GLOBAL:
            tx.publish("agent_bot.updated", bot.account_id, bot_view(bot))
        changed = audit.diff({k: before.get(k) for k in FIELDS}, {k: bot.data.get(k) for k in FIELDS})
        if audit_in is not None and changed:
            audit.add(tx, audit_in, "AgentBot", bot.id, "update", changed)
    return bot


def reset_token(bot: AccountObject) -> str:
    """Revoke the bot's tokens and issue a new one; an account's bot's new token is audited
    in the account (a system bot belongs to no account's log)."""
    with dynamo.transaction() as tx:  # the new token and its entry first, then the others go
        token = tokens.issue(owner(bot), tx)
        if bot.account_id != GLOBAL:
            audit.add(tx, bot.account_id, "AgentBot", bot.id, "update", {"access_token": audit.FILTERED})
    tokens.revoke_all(owner(bot), keep=token)
    return token


def delete_bot(bot: AccountObject, audit_in: int | None = None) -> None:
    """The bot's tokens go first (a token names its bot), then the bot, audited in `audit_in`'s
    log in the same transaction when given."""
    tokens.revoke_all(owner(bot))
    with dynamo.transaction() as tx:
        tx.delete(bot)
        if audit_in is not None:
            audit.add(tx, audit_in, "AgentBot", bot.id, "destroy", {"name": bot.data.get("name")})
        if bot.data.get("platform_app_id") is not None:
            tx.delete(AccountObject(GLOBAL, _pointer(bot.data["platform_app_id"], bot.id)),
                      add_version_condition=False)


def secret(bot: AccountObject) -> str:
    return bot.data.get("secret") or ""


# ---------------------------------------------------------------- inboxes

def for_inbox(inbox: Inbox) -> AccountObject | None:
    """The inbox's bot, if it has one that still exists."""
    if not inbox.agent_bot_id:
        return None
    return _get(inbox.account_id, inbox.agent_bot_id) or _get(GLOBAL, inbox.agent_bot_id)


def set_for_inbox(inbox: Inbox, bot_id: int | None) -> AccountObject | None:
    """Connect a bot to the inbox (None disconnects it)."""
    bot = for_account(inbox.account_id, bot_id) if bot_id is not None else None
    inbox.update(actions=[Inbox.agent_bot_id.set(bot_id) if bot_id is not None else Inbox.agent_bot_id.remove()])
    return bot


def ensure_attached(bot: AccountObject, account_id: int, conversation: Conversation) -> Conversation:
    """A bot acts only on conversations of inboxes it is connected to; anything else is
    not found."""
    if bot.account_id not in (GLOBAL, account_id):
        raise NotFound("Conversation not found")
    permissions.open_account(account_id)  # a bot token reaches an account here: it must be open
    try:
        inbox = Inbox.get(conversation.inbox_id)
    except Inbox.DoesNotExist:
        raise NotFound("Conversation not found") from None
    if inbox.account_id != account_id or inbox.agent_bot_id != bot.id:
        raise NotFound("Conversation not found")
    return conversation


# ---------------------------------------------------------------- bot events
# Delivered by the webhooks consumer (services/rules/webhooks.py), signed like a webhook with
# the bot's own secret: Chatwoot's AgentBotListener events, for the inbox's bot only.

MESSAGE_EVENTS = {"message.created": "message_created", "message.updated": "message_updated"}
STATUS_EVENTS = {"open": "conversation_opened", "resolved": "conversation_resolved"}
ACTIVITY = 2


def bot_event(detail: dict) -> str | None:
    """The bot event a domain event is, if any."""
    name, data = detail.get("event"), detail.get("data") or {}
    if name in MESSAGE_EVENTS:
        private = data.get("private") or (detail.get("audience") or {}).get("private")
        return None if private or data.get("message_type") == ACTIVITY else MESSAGE_EVENTS[name]
    if name == "conversation.created":
        return "conversation_created"
    if name == "conversation.status_changed":
        change = (detail.get("changed_attributes") or {}).get("status")
        return STATUS_EVENTS.get(change[1]) if isinstance(change, list) and len(change) == 2 else None
    if name == "webwidget_triggered":
        return "webwidget_triggered"
    return None


def deliveries(detail: dict, payload: dict, delivery_id) -> list[dict]:
    """The delivery to the bot of the event's inbox, if it has one with an outgoing_url.
    `delivery_id(event_id, receiver)` is the webhooks' stable id."""
    event = bot_event(detail)
    inbox_id = (detail.get("audience") or {}).get("inbox_id") or (detail.get("data") or {}).get("inbox_id")
    account_id = detail.get("account_id")
    if event is None or not isinstance(inbox_id, int) or not isinstance(account_id, int):
        return []
    try:
        inbox = Inbox.get(inbox_id)
    except Inbox.DoesNotExist:
        return []
    bot = for_inbox(inbox) if inbox.account_id == account_id else None
    if bot is None or not bot.data.get("outgoing_url"):
        return []
    return [{"delivery_id": delivery_id(detail["id"], f"agent_bot#{bot.id}"), "event": event,
             "account_id": account_id, "inbox_id": inbox_id, "agent_bot_id": bot.id,
             "payload": {**payload, "event": event}}]


def receiver(delivery: dict) -> tuple[str, str] | None:
    """(outgoing_url, secret) as they are now: a bot deleted, disconnected or without a URL
    since the event was queued gets nothing."""
    try:
        inbox = Inbox.get(delivery["inbox_id"])
    except Inbox.DoesNotExist:
        return None
    bot = for_inbox(inbox)
    if bot is None or bot.id != delivery["agent_bot_id"] or inbox.account_id != delivery["account_id"]:
        return None
    url = bot.data.get("outgoing_url")
    return (url, secret(bot)) if url else None
