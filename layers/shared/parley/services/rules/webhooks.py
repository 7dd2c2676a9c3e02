"""Account webhooks and API inboxes' webhook_url: which domain events go where, and one
signed delivery attempt.

A domain event fans out to one delivery per receiver (`fan_out`), each queued on the
webhook deliveries queue (`enqueue`); the webhooks function makes one attempt per receive
(`deliver`) and, on failure (errors.Retry), hides the message for `retry_delay(attempt)` so
retries back off exponentially for hours before SQS moves it to the dead-letter queue.

A delivery's id is derived from (event id, receiver), so it is the same on every retry
and on a duplicate delivery of the event: receivers de-duplicate on X-Chatwoot-Delivery.
Its body is fixed when it is queued, so every attempt sends the same bytes; only the
timestamp and the signature over "<timestamp>.<body>" are new."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import TYPE_CHECKING

from ... import aws, global_config, outbound, permissions
from ...errors import ParleyError, Retry
from ...models.account_object import AccountObject
from ...models.inbox import Inbox
from ..account import account_objects, agent_bots

if TYPE_CHECKING:
    import httpx  # imported lazily at run time: the HTTP API never needs it

KIND, UNIQUE = "webhook", "url"

# Chatwoot's subscribable events; the first eight are its API's enum and its default.
EVENTS = ("conversation_created", "conversation_status_changed", "conversation_updated", "contact_created",
          "contact_updated", "message_created", "message_updated", "webwidget_triggered", "inbox_created",
          "inbox_updated", "conversation_typing_on", "conversation_typing_off", "csat_survey_response_created")
DEFAULT_SUBSCRIPTIONS = EVENTS[:8]

# Domain event -> webhook event. Anything else (notification.created, presence.update,
# conversation.read, ...) concerns one user or one socket and is never forwarded.
WEBHOOK_EVENT = {
    "conversation.created": "conversation_created",
    "conversation.updated": "conversation_updated",
    "assignee.changed": "conversation_updated",
    "team.changed": "conversation_updated",
    "conversation.status_changed": "conversation_status_changed",
    "message.created": "message_created",
    "message.updated": "message_updated",
    "contact.created": "contact_created",
    "contact.updated": "contact_updated",
    "inbox.created": "inbox_created",
    "inbox.updated": "inbox_updated",
    "webwidget_triggered": "webwidget_triggered",
    "conversation.typing_on": "conversation_typing_on",
    "conversation.typing_off": "conversation_typing_off",
    "csat_survey_response.created": "csat_survey_response_created",  # services/csat: a rating arrived
}
# What an API inbox's webhook_url receives about its own conversations.
INBOX_EVENTS = frozenset({"conversation_created", "conversation_updated", "conversation_status_changed",
                          "message_created", "message_updated", "conversation_typing_on", "conversation_typing_off"})
ACTIVITY = 2  # message_type of "Conversation was resolved by ..." lines: Chatwoot never sends them

# Retries: attempt n (1-based) failed -> visible again after BASE_DELAY * 2**(n-1) s, so
# MAX_ATTEMPTS attempts span about 8.5 hours. template.yaml's maxReceiveCount is MAX_ATTEMPTS.
MAX_ATTEMPTS = 10
BASE_DELAY = 60
MAX_VISIBILITY = 12 * 60 * 60  # SQS's limit
_NAMESPACE = uuid.UUID("6c3f4e1e-2b0a-4d8e-9f53-7a1f0c6d9b21")


# ---------------------------------------------------------------- the account's webhooks

def create(account_id: int, url: str, name: str | None, subscriptions: list[str] | None) -> AccountObject:
    data = {"url": outbound.check_url(url), "name": name or "", "subscriptions": list(subscriptions or DEFAULT_SUBSCRIPTIONS),
            "secret": secrets.token_urlsafe(32)}
    return account_objects.create(account_id, KIND, data, UNIQUE)


def get(account_id: int, webhook_id: int) -> AccountObject:
    return account_objects.get(account_id, KIND, webhook_id, "Webhook")


def all_of(account_id: int) -> list[AccountObject]:
    return account_objects.all_of(account_id, KIND)


def update(item: AccountObject, changes: dict) -> AccountObject:
    if "url" in changes:
        outbound.check_url(changes["url"])
    return account_objects.update(item, KIND, changes, UNIQUE)


def delete(item: AccountObject) -> None:
    account_objects.delete(item, KIND, UNIQUE)


# ---------------------------------------------------------------- fan-out

def _changed(changed: dict | None) -> list[dict] | None:
    """Chatwoot's webhook form: [{attribute: {previous_value, current_value}}]."""
    if not isinstance(changed, dict) or not changed:
        return None
    rows = []
    for key, value in changed.items():
        before, after = value if isinstance(value, (list, tuple)) and len(value) == 2 else (None, value)
        rows.append({key: {"previous_value": before, "current_value": after}})
    return rows


def _delivery_id(event_id: str, receiver: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{event_id}/{receiver}"))


def fan_out(detail: dict) -> list[dict]:
    """The deliveries one domain event makes: one per subscribed webhook of its account,
    and one for its inbox's webhook_url if that is an API inbox."""
    name = WEBHOOK_EVENT.get(detail.get("event"))
    account_id, data, event_id = detail.get("account_id"), detail.get("data"), detail.get("id")
    if not name or not isinstance(account_id, int) or not isinstance(data, dict) or not isinstance(event_id, str):
        return []
    if name.startswith("message_") and data.get("message_type") == ACTIVITY:
        return []
    try:
        permissions.open_account(account_id)
    except ParleyError:  # suspended or being deleted: its receivers hear nothing
        return []
    payload = {**data, "event": name}
    if (changed := _changed(detail.get("changed_attributes"))) is not None:
        payload["changed_attributes"] = changed
    deliveries = [{"delivery_id": _delivery_id(event_id, f"webhook#{hook.id}"), "event": name,
                   "account_id": account_id, "webhook_id": hook.id, "payload": payload}
                  for hook in all_of(account_id) if name in hook.data.get("subscriptions", ())]
    audience = detail.get("audience") or {}
    inbox_id = audience.get("inbox_id")
    # Private notes and an agent's private typing are for agents only, never the channel.
    if name in INBOX_EVENTS and isinstance(inbox_id, int) and not audience.get("private"):
        inbox = _inbox(inbox_id)
        if inbox and inbox.account_id == account_id and inbox.channel_type == "api" \
                and (inbox.channel or {}).get("webhook_url"):
            deliveries.append({"delivery_id": _delivery_id(event_id, f"inbox#{inbox_id}"), "event": name,
                               "account_id": account_id, "inbox_id": inbox_id, "payload": payload})
    return deliveries + agent_bots.deliveries(detail, payload, _delivery_id)  # the inbox's bot, if any


def _inbox(inbox_id: int) -> Inbox | None:
    try:
        return Inbox.get(inbox_id)
    except Inbox.DoesNotExist:
        return None


# ---------------------------------------------------------------- the queue

def queue_url() -> str:
    from ...settings import get_settings

    return aws.queue_url(get_settings().required("webhook_deliveries_queue"))


BATCH_BYTES = 200_000  # SendMessageBatch's limit is 256 KiB for the whole batch


def enqueue(deliveries: list[dict]) -> int:
    batch: list[str] = []
    size = 0

    def flush():
        if batch:
            result = aws.client("sqs").send_message_batch(QueueUrl=queue_url(), Entries=[
                {"Id": str(i), "MessageBody": body} for i, body in enumerate(batch)])
            if result.get("Failed"):
                raise RuntimeError(f"SQS refused {len(result['Failed'])} webhook deliveries")
            batch.clear()

    for delivery in deliveries:
        body = json.dumps(delivery, separators=(",", ":"), ensure_ascii=False, default=str)
        if len(batch) == 10 or (batch and size + len(body.encode()) > BATCH_BYTES):
            flush()
            size = 0
        batch.append(body)
        size += len(body.encode())
    flush()
    return len(deliveries)


def retry_delay(attempt: int) -> int:
    """Seconds to wait after failed attempt `attempt`; the last one moves on at once."""
    if attempt >= MAX_ATTEMPTS:
        return 0
    return min(BASE_DELAY * 2 ** (max(attempt, 1) - 1), MAX_VISIBILITY)


# ---------------------------------------------------------------- one attempt

def body_bytes(delivery: dict) -> bytes:
    return json.dumps(delivery["payload"], separators=(",", ":"), ensure_ascii=False, default=str).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _receiver(delivery: dict) -> tuple[str, str] | None:
    """(url, secret) as they are now: a webhook deleted or unsubscribed since the event
    was queued gets nothing."""
    if "agent_bot_id" in delivery:
        return agent_bots.receiver(delivery)
    if "webhook_id" in delivery:
        try:
            hook = AccountObject.get(delivery["account_id"], AccountObject.key_for(KIND, delivery["webhook_id"]))
        except AccountObject.DoesNotExist:
            return None
        if delivery["event"] not in hook.data.get("subscriptions", ()):
            return None
        return hook.data["url"], hook.data["secret"]
    inbox = _inbox(delivery["inbox_id"])
    if inbox is None:
        return None
    url = (inbox.channel or {}).get("webhook_url")
    if inbox.account_id != delivery["account_id"] or inbox.channel_type != "api" or not url:
        return None
    return url, inbox.hmac_token or ""


_http: "httpx.Client | None" = None


def http_client() -> "httpx.Client":
    global _http
    if _http is None:
        _http = outbound.client()
    return _http


def deliver(delivery: dict, http: "httpx.Client | None" = None) -> str:
    """One attempt: "delivered", "dropped" (no receiver any more) or "blocked" (an
    address outbound refuses: retrying won't help); Retry for anything a later attempt
    may fix (network errors, timeouts, any non-2xx answer)."""
    import httpx  # lazily: the HTTP API imports this module for the webhook routes

    receiver = _receiver(delivery)
    if receiver is None:
        return "dropped"
    url, secret = receiver
    body = body_bytes(delivery)
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": "Parley-Webhooks/1.0",
               "X-Chatwoot-Signature": signature(secret, timestamp, body), "X-Chatwoot-Timestamp": timestamp,
               "X-Chatwoot-Delivery": delivery["delivery_id"], "X-Chatwoot-Event": delivery["event"]}
    timeout = float(global_config.get("WEBHOOK_TIMEOUT", 5) or 5)
    try:
        response = outbound.send(http or http_client(), "POST", url, content=body, headers=headers, timeout=timeout)
    except outbound.Blocked:
        return "blocked"
    except (httpx.HTTPError, outbound.Unreachable) as exc:
        raise Retry(f"{type(exc).__name__}: {exc}") from None
    if 200 <= response.status_code < 300:
        return "delivered"
    raise Retry(f"HTTP {response.status_code}")
