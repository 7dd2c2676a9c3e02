"""Twilio SMS: inbound messages at POST /twilio/callback and delivery reports at POST
/twilio/delivery_status (form-encoded, signed with X-Twilio-Signature); replies go out
through Twilio's Messages API.

Routing: a request names the Twilio account (AccountSid) and our number (`To` inbound,
`From` in a status report) or messaging service; each SMS inbox claims
`twilio#<account sid>#<number>` or `twilio_ms#<account sid>#<service sid>` in the Uniques
table, so the inbox, and the auth token that checks the signature, is one GetItem away.
Ids: the provider message id is the MessageSid; the contact inbox's source_id is the
sender's E.164 number.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qsl

from ..errors import Invalid, ProviderUnavailable, Unauthorized
from .inbound import Inbound
from . import Permanent, Retryable, get, post, send_rate_setting

API = "https://api.twilio.com/2010-04-01"
MESSAGING_API = "https://messaging.twilio.com/v1"
SIGNATURE_HEADER = "x-twilio-signature"
MAX_FIELDS = 100
# Twilio queues a long-code number's messages at one segment a second (more for toll-free,
# short codes and messaging services): campaigns pace at this unless the inbox says more.
SEND_RATE = 1.0
MAX_BODY = 1600  # Twilio's limit for one message body
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
AUTH_TOKEN = re.compile(r"^[0-9a-zA-Z]{32}$")
# Twilio's MessageStatus -> Parley's delivery status; queued/accepted/sending say nothing new.
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "undelivered": "failed", "failed": "failed"}


# ---------------------------------------------------------------- settings

def new_settings(channel: dict) -> dict:
    unknown = set(channel) - {"account_sid", "auth_token", "phone_number", "messaging_service_sid", "medium",
                              "provider", "public_url", "campaign_send_rate"}
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"{name} is not a setting of SMS inboxes", field=f"channel.{name}")
    settings = {"provider": "twilio", "medium": "sms"}
    if channel.get("provider") not in (None, "twilio"):
        raise Invalid("provider must be twilio", field="channel.provider")
    if channel.get("medium") not in (None, "sms"):
        raise Invalid("medium must be sms", field="channel.medium")
    account_sid = str(channel.get("account_sid") or "").strip()
    if not ACCOUNT_SID.match(account_sid):
        raise Invalid("account_sid must be a Twilio account SID (AC followed by 32 hex digits)",
                      field="channel.account_sid")
    settings["account_sid"] = account_sid
    settings.update(_token({"auth_token": channel.get("auth_token")}))
    settings.update(_sender(channel))
    if channel.get("public_url"):
        settings["public_url"] = str(channel["public_url"])[:2048]
    if channel.get("campaign_send_rate") is not None:
        settings["campaign_send_rate"] = send_rate_setting(channel["campaign_send_rate"])
    return settings


def _token(change: dict) -> dict:
    token = str(change.get("auth_token") or "").strip()
    if not AUTH_TOKEN.match(token):
        raise Invalid("auth_token must be the account's 32-character auth token", field="channel.auth_token")
    return {"auth_token": token}


def _sender(channel: dict) -> dict:
    phone = str(channel.get("phone_number") or "").strip()
    service = str(channel.get("messaging_service_sid") or "").strip()
    if bool(phone) == bool(service):
        raise Invalid("Give either phone_number or messaging_service_sid", field="channel.phone_number")
    if phone and not PHONE.match(phone):
        raise Invalid("phone_number must be in E.164 form, like +14155550100", field="channel.phone_number")
    if service and not SERVICE_SID.match(service):
        raise Invalid("messaging_service_sid must be MG followed by 32 hex digits",
                      field="channel.messaging_service_sid")
    return {"phone_number": phone or None, "messaging_service_sid": service or None}


def changed_settings(current: dict, change: dict) -> dict:
    unknown = set(change) - {"auth_token", "phone_number", "messaging_service_sid", "campaign_send_rate"}
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"{name} can't be changed on SMS inboxes", field=f"channel.{name}")
    result = _token(change) if "auth_token" in change else {}
    if "campaign_send_rate" in change:
        rate = change["campaign_send_rate"]
        result["campaign_send_rate"] = None if rate is None else send_rate_setting(rate)
    if "phone_number" in change or "messaging_service_sid" in change:
        result.update(_sender(change))
    return result


def proven_settings(channel: dict) -> tuple:
    """What `verify_number` proves: a change to any of these is proven again."""
    return tuple(channel.get(k) for k in ("account_sid", "auth_token", "phone_number", "messaging_service_sid"))


def verify_number(channel: dict) -> None:
    """Proof that the number (or messaging service) is the claimant's: Twilio, asked with
    the account SID and auth token given, lists the number among the account's own
    (IncomingPhoneNumbers) or shows the service as the account's. An account SID alone is
    no secret (it is in every media URL), the auth token is. Invalid names the field
    Twilio refused; ProviderUnavailable if Twilio can't be asked now."""
    sid, service = channel["account_sid"], channel.get("messaging_service_sid")
    if service:
        url, params, field = f"{MESSAGING_API}/Services/{service}", None, "channel.messaging_service_sid"
    else:
        url, params = f"{API}/Accounts/{sid}/IncomingPhoneNumbers.json", {"PhoneNumber": channel["phone_number"]}
        field = "channel.phone_number"
    try:
        body = get(url, params=params, auth=(sid, channel["auth_token"]), provider="Twilio", explain=_twilio_error)
    except Retryable as exc:
        raise ProviderUnavailable(f"Could not check the number with Twilio ({exc.reason}); try again later") from None
    except Permanent as exc:
        if exc.status in (401, 403):
            raise Invalid(f"Twilio refused the account SID and auth token: {exc.reason}",
                          field="channel.auth_token") from None
        raise Invalid(f"Twilio does not show this {'messaging service' if service else 'number'} to this account: "
                      f"{exc.reason}", field=field) from None
    if service:
        owned = body.get("sid") == service and body.get("account_sid") == sid
    else:  # Twilio's filter also matches partial numbers: only the exact number counts
        listed = body.get("incoming_phone_numbers")
        owned = isinstance(listed, list) and any(
            isinstance(n, dict) and n.get("phone_number") == channel["phone_number"] and n.get("account_sid") == sid
            for n in listed)
    if not owned:
        raise Invalid(f"The Twilio account {sid} does not have this {'messaging service' if service else 'number'}",
                      field=field)


def claim_keys(channel: dict) -> list[str]:
    sid = channel.get("account_sid")
    keys = []
    if sid and channel.get("phone_number"):
        keys.append(f"twilio#{sid}#{channel['phone_number']}")
    if sid and channel.get("messaging_service_sid"):
        keys.append(f"twilio_ms#{sid}#{channel['messaging_service_sid']}")
    return keys


# ---------------------------------------------------------------- inbound

def form(raw_body: bytes) -> dict[str, str]:
    """Twilio's form body; a repeated field keeps its last value (Twilio sends none)."""
    try:
        pairs = parse_qsl(raw_body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise Invalid("The body is not a form") from None
    return {key: value for key, value in pairs}


def inbox_key(params: dict, direction: str) -> list[str]:
    """Claim keys that may name the inbox a request is for (callback: our number is `To`;
    status report: it is `From`)."""
    sid = params.get("AccountSid") or ""
    ours = params.get("To" if direction == "message" else "From") or ""
    keys = []
    if params.get("MessagingServiceSid"):
        keys.append(f"twilio_ms#{sid}#{params['MessagingServiceSid']}")
    if ours:
        keys.append(f"twilio#{sid}#{ours}")
    return keys


def signature(auth_token: str, url: str, raw_body: bytes) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 over the URL followed by every POST field's
    name and value, fields sorted by name; base64."""
    pairs = parse_qsl(raw_body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    data = url + "".join(f"{k}{v}" for k, v in sorted(pairs))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify(inbox, headers: dict, raw_body: bytes, url: str) -> None:
    token = (inbox.channel or {}).get("auth_token") or ""
    given = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER) or ""
    try:
        expected = signature(token, url, raw_body) if token else ""
    except ValueError:  # more fields than any Twilio request has
        expected = ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("Invalid or missing X-Twilio-Signature")


def parse(inbox, payload: dict) -> list[Inbound]:
    """`payload`: {"kind": "message" | "status", "params": the form} as the webhook queued it."""
    params = payload.get("params") if isinstance(payload, dict) else None
    if not isinstance(params, dict):
        return []
    params = {str(k): str(v) for k, v in params.items()}
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if not MESSAGE_SID.match(sid):
        return []
    if payload.get("kind") == "status":
        status = STATUSES.get((params.get("MessageStatus") or params.get("SmsStatus") or "").lower())
        if status is None:
            return []
        reason = None
        if status == "failed":
            code, text = params.get("ErrorCode") or "", params.get("ErrorMessage") or ""
            reason = f"Twilio error {code}: {text}".strip(": ") if (code or text) else "Twilio could not deliver the message"
        return [Inbound(kind="status", provider_message_id=sid, status=status, reason=reason)]
    sender = params.get("From") or ""
    if not PHONE.match(sender):
        return []
    media = []
    try:
        count = min(int(params.get("NumMedia") or 0), 10)
    except ValueError:
        count = 0
    for index in range(count):
        url = params.get(f"MediaUrl{index}") or ""
        if url.startswith("https://"):
            kind = (params.get(f"MediaContentType{index}") or "").lower()
            file_type = kind.split("/", 1)[0] if kind.split("/", 1)[0] in ("image", "audio", "video") else "file"
            media.append({"file_type": file_type, "provider_ref": url[:1024], "file_name": f"media-{index}",
                          "mime_type": kind[:255]})
    return [Inbound(kind="message", provider_message_id=sid, source_id=sender, name=sender, phone_number=sender,
                    content=(params.get("Body") or "")[:MAX_BODY * 10], attachments=media)]


# ---------------------------------------------------------------- outbound

def send(inbox, conversation, message, contact_inbox) -> str:
    channel = inbox.channel or {}
    to = contact_inbox.source_id or ""
    if not PHONE.match(to):
        raise Permanent(f"The contact's number {to[:40]!r} is not an E.164 phone number")
    data = {"To": to, "Body": (message.content or "")[:MAX_BODY]}
    if channel.get("messaging_service_sid"):
        data["MessagingServiceSid"] = channel["messaging_service_sid"]
    else:
        data["From"] = channel.get("phone_number") or ""
    if channel.get("public_url"):
        data["StatusCallback"] = channel["public_url"].rstrip("/") + "/twilio/delivery_status"
    media = _media_urls(message)
    if not data["Body"].strip() and not media:
        raise Permanent("The message has no text or files to send")
    form_data: dict = {**data, "MediaUrl": media} if media else data  # a list repeats the field
    url = f"{API}/Accounts/{channel.get('account_sid')}/Messages.json"
    body = post(url, data=form_data, auth=(channel.get("account_sid") or "", channel.get("auth_token") or ""),
                provider="Twilio", explain=_twilio_error)
    sid = body.get("sid")
    if not isinstance(sid, str) or not MESSAGE_SID.match(sid):
        raise Retryable("Twilio's answer named no message")
    return sid


def _twilio_error(status: int, body: dict) -> str:
    if status == 429 or status >= 500:
        return f"Twilio answered {status}: {body.get('message') or 'no details'}"
    return f"Twilio error {body.get('code') or status}: {body.get('message') or 'no details'}"


def _media_urls(message) -> list[str]:
    """Short-lived links Twilio fetches the files from (images only travel as MMS)."""
    from .. import storage

    return [storage.download_url(record) for record in (message.attachments or [])[:10]]
