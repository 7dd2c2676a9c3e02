"""WhatsApp Cloud API (Meta): webhooks at /webhooks/whatsapp/<phone number>, signed with
the app secret (X-Hub-Signature-256); replies through the Graph API's /messages.

Outside the 24-hour customer-service window (24 hours after the contact's last message)
WhatsApp accepts only approved templates, so a free-form reply then fails at once with
that reason instead of being retried."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

from ..errors import Invalid, ProviderUnavailable, Unauthorized
from ..models.conversation import Message
from .inbound import Inbound
from . import Permanent, Retryable, describe, get, post_json, send_rate_setting

GRAPH = "https://graph.facebook.com/v20.0"
SIGNATURE_HEADER = "x-hub-signature-256"
WINDOW_SECONDS = 24 * 60 * 60
FILES = {"image": "image", "document": "file", "video": "video", "audio": "audio", "sticker": "image"}
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}
WINDOW_SCAN = 200  # newest messages examined for the contact's last one
MAX_TEXT = 4096
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
NUMERIC_ID = re.compile(r"^[0-9]{1,32}$")
CREDENTIALS = {"phone_number", "provider", "provider_config"}
# The Cloud API's default throughput per business phone number (Meta raises it on request):
# campaigns pace at this unless the inbox says otherwise (`campaign_send_rate`).
SEND_RATE = 80.0
TEMPLATE_PAGES = 10  # Meta's message_templates pages fetched by one sync, 100 each
TEMPLATE_FIELDS = ("id", "name", "language", "status", "category", "components", "parameter_format")
PLACEHOLDER = re.compile(r"\{\{\s*([0-9]{1,2})\s*\}\}")


def digits(phone_number: str) -> str:
    return "".join(c for c in phone_number or "" if c.isdigit())


def new_settings(channel: dict) -> dict:
    """A new WhatsApp Cloud inbox's stored settings (a verify token is made up if none is given)."""
    phone = (channel.get("phone_number") or "").strip()
    if not PHONE.match(phone):
        raise Invalid("phone_number must be in E.164 format (+15551234567)", field="channel.phone_number")
    if (channel.get("provider") or "whatsapp_cloud") != "whatsapp_cloud":
        raise Invalid("provider must be whatsapp_cloud", field="channel.provider")
    given = channel.get("provider_config") or {}
    config = {}
    for key in ("api_key", "phone_number_id", "business_account_id", "app_secret"):
        value = given.get(key)
        if not isinstance(value, str) or not value.strip():
            raise Invalid(f"provider_config.{key} can't be blank", field=f"channel.provider_config.{key}")
        config[key] = value.strip()
    for key in ("phone_number_id", "business_account_id"):
        if not NUMERIC_ID.match(config[key]):
            raise Invalid(f"provider_config.{key} must be Meta's numeric id", field=f"channel.provider_config.{key}")
    config["webhook_verify_token"] = (given.get("webhook_verify_token") or "").strip() or secrets.token_urlsafe(24)
    settings = {"phone_number": phone, "provider": "whatsapp_cloud", "provider_config": config}
    if channel.get("campaign_send_rate") is not None:
        settings["campaign_send_rate"] = send_rate_setting(channel["campaign_send_rate"])
    return settings


def verify_number(settings: dict) -> None:
    """Proof that the number is the claimant's: Meta, asked with the claimant's own API key,
    says the phone number id is this number. (The verify token and app secret are the
    claimant's own choice, so they prove nothing.) Invalid names the field Meta refused;
    ProviderUnavailable if Meta can't be asked now."""
    config = settings["provider_config"]
    try:
        body = get(f"{GRAPH}/{config['phone_number_id']}", params={"fields": "display_phone_number"},
                   headers={"Authorization": f"Bearer {config['api_key']}"}, provider="Meta",
                   explain=lambda status, answer: f"Meta answered {status}: {describe(answer)}")
    except Retryable as exc:
        raise ProviderUnavailable(f"Could not check the number with Meta ({exc.reason}); try again later") from None
    except Permanent as exc:
        if exc.status == 401:
            raise Invalid(f"Meta refused the API key: {exc.reason}", field="channel.provider_config.api_key") from None
        raise Invalid(f"Meta does not show this phone number id to this API key: {exc.reason}",
                      field="channel.provider_config.phone_number_id") from None
    shown = body.get("display_phone_number")
    if not isinstance(shown, str) or digits(shown) != digits(settings["phone_number"]):
        raise Invalid("Meta says this phone number id belongs to another number than phone_number",
                      field="channel.phone_number")


def claim_key(phone_number: str) -> str:
    """By digits, so "+1555..." and "1555..." (as Meta's URL may carry it) are one number."""
    return f"whatsapp_phone#{digits(phone_number)}"


def claim_keys(settings: dict) -> list[str]:
    return [claim_key(settings["phone_number"])] if settings.get("phone_number") else []


def changed_settings(current: dict, patch: dict) -> dict:
    if any(key in patch and patch[key] not in (None, current.get(key)) for key in CREDENTIALS):
        raise Invalid("The number and its credentials can't be changed; create a new inbox",
                      field="channel.provider_config")
    if "message_templates" in patch:
        raise Invalid("message_templates come from Meta: sync them (POST .../sync_templates)",
                      field="channel.message_templates")
    changed = {k: v for k, v in patch.items() if k not in CREDENTIALS}
    if changed.get("campaign_send_rate") is not None:
        changed["campaign_send_rate"] = send_rate_setting(changed["campaign_send_rate"])
    return changed


# ---------------------------------------------------------------- message templates

def fetch_templates(channel: dict) -> list[dict]:
    """The business account's message templates from Meta (GET {GRAPH}/{waba id}/
    message_templates, following Meta's `after` cursors on the same fixed host, at most
    TEMPLATE_PAGES pages), each reduced to Meta's own fields Parley uses. Invalid if Meta
    refuses the credentials; ProviderUnavailable if Meta can't be asked now."""
    config = channel.get("provider_config") or {}
    if not config.get("api_key") or not NUMERIC_ID.match(config.get("business_account_id") or ""):
        raise Invalid("The inbox has no WhatsApp API key or business account id", field="channel.provider_config")
    found: list[dict] = []
    params = {"limit": 100}
    for _ in range(TEMPLATE_PAGES):
        try:
            body = get(f"{GRAPH}/{config['business_account_id']}/message_templates", params=params,
                       headers={"Authorization": f"Bearer {config['api_key']}"}, provider="Meta",
                       explain=lambda status, answer: f"Meta answered {status}: {describe(answer)}")
        except Retryable as exc:
            raise ProviderUnavailable(f"Could not fetch the templates from Meta ({exc.reason}); try again later") from None
        except Permanent as exc:
            raise Invalid(f"Meta refused to list the templates: {exc.reason}", field="channel.provider_config") from None
        rows = body.get("data")
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and isinstance(row.get("name"), str) and isinstance(row.get("language"), str):
                found.append({key: row[key] for key in TEMPLATE_FIELDS if key in row})
        paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
        cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
        after = cursors.get("after")
        if not paging.get("next") or not isinstance(after, str) or not after:
            break
        params = {"limit": 100, "after": after[:512]}
    return found


def find_template(channel: dict, name, language) -> dict | None:
    """The synced template of that name and language, if any."""
    for template in channel.get("message_templates") or []:
        if template.get("name") == name and template.get("language") == language:
            return template
    return None


def body_placeholders(template: dict) -> set[str]:
    """The {{n}} placeholders of the template's BODY component (what processed_params fills)."""
    for component in template.get("components") or []:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == "BODY":
            return set(PLACEHOLDER.findall(str(component.get("text") or "")))
    return set()


def verify(inbox, headers: dict, raw_body: bytes, url: str) -> None:
    secret = ((inbox.channel or {}).get("provider_config") or {}).get("app_secret") or ""
    given = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER) or ""
    expected = "sha256=" + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    if not secret or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("Invalid or missing X-Hub-Signature-256")


def verify_subscription(inbox, mode: str | None, token: str | None) -> None:
    """Meta's GET handshake: hub.mode=subscribe and our verify token."""
    expected = ((inbox.channel or {}).get("provider_config") or {}).get("webhook_verify_token") or ""
    if mode != "subscribe" or not expected or not hmac.compare_digest((token or "").encode(), expected.encode()):
        raise Unauthorized("Invalid verify token")


def _text(message: dict) -> str | None:
    kind = message.get("type")
    body = message.get(kind) if isinstance(kind, str) else None
    if kind == "text" and isinstance(body, dict):
        return body.get("body") if isinstance(body.get("body"), str) else None
    if isinstance(body, dict) and isinstance(body.get("caption"), str):
        return body["caption"]
    if kind == "button" and isinstance(body, dict):
        return body.get("text") if isinstance(body.get("text"), str) else None
    if kind == "interactive" and isinstance(body, dict):
        reply = body.get("button_reply") or body.get("list_reply") or {}
        return reply.get("title") if isinstance(reply, dict) and isinstance(reply.get("title"), str) else None
    return None


def _attachments(message: dict) -> list[dict]:
    kind = message.get("type")
    body = message.get(kind) if kind in FILES else None
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        return []
    return [{"file_type": FILES[kind], "provider_ref": body["id"][:512],
             "file_name": str(body.get("filename") or kind)[:255], "mime_type": str(body.get("mime_type") or "")[:255]}]


def parse(inbox, payload: dict) -> list[Inbound]:
    """Messages and delivery statuses of every change addressed to this inbox's number."""
    found: list[Inbound] = []
    own_number_id = ((inbox.channel or {}).get("provider_config") or {}).get("phone_number_id")
    entries = payload.get("entry") if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata") or {}
            if own_number_id and isinstance(metadata, dict) and metadata.get("phone_number_id") not in (None, own_number_id):
                continue  # the same app may serve several numbers: not this inbox's
            names = {c.get("wa_id"): ((c.get("profile") or {}).get("name") or "")
                     for c in value.get("contacts") or [] if isinstance(c, dict)}
            for message in value.get("messages") or []:
                if not isinstance(message, dict) or not isinstance(message.get("id"), str) or not isinstance(message.get("from"), str):
                    continue
                text, files = _text(message), _attachments(message)
                if not text and not files:
                    continue  # reactions, locations, unsupported kinds
                context = message.get("context") if isinstance(message.get("context"), dict) else {}
                sender = message["from"]
                found.append(Inbound(kind="message", provider_message_id=message["id"], source_id=sender,
                                     name=str(names.get(sender) or sender)[:255],
                                     phone_number="+" + sender if sender.isdigit() else None,
                                     content=text, attachments=files,
                                     in_reply_to=context.get("id") if isinstance(context.get("id"), str) else None))
            for status in value.get("statuses") or []:
                if not isinstance(status, dict) or not isinstance(status.get("id"), str) or status.get("status") not in STATUSES:
                    continue
                errors = status.get("errors") if isinstance(status.get("errors"), list) else []
                first = errors[0] if errors and isinstance(errors[0], dict) else {}
                reason = ((first.get("error_data") or {}).get("details") if isinstance(first.get("error_data"), dict) else None) \
                    or first.get("message") or first.get("title")
                found.append(Inbound(kind="status", provider_message_id=status["id"], status=STATUSES[status["status"]],
                                     reason=str(reason)[:500] if reason else None))
    return found


def _last_contact_message_at(message: Message) -> float | None:
    """When the contact last wrote in this conversation (epoch seconds)."""
    incoming = Message.message_type == 0
    for row in Message.query(message.conversation_key, Message.id < message.id, filter_condition=incoming,
                             scan_index_forward=False, limit=1, page_size=WINDOW_SCAN):
        return row.created_at.timestamp()
    return None


def _template(params: dict) -> dict:
    """Chatwoot's template_params (name, language, processed_params) as a Graph template."""
    name, language = params.get("name"), params.get("language") or "en_US"
    if not isinstance(name, str) or not name or not isinstance(language, str):
        raise Permanent("template_params needs a template name and language")
    processed = params.get("processed_params") or {}
    template = {"name": name, "language": {"policy": "deterministic", "code": language}}
    if isinstance(processed, dict) and processed:
        template["components"] = [{"type": "body", "parameters": [{"type": "text", "text": str(v)}
                                                                  for _, v in sorted(processed.items(), key=lambda kv: (len(kv[0]), kv[0]))]}]
    return template


def send(inbox, conversation, message, contact_inbox) -> str:
    config = (inbox.channel or {}).get("provider_config") or {}
    if not config.get("api_key") or not config.get("phone_number_id"):
        raise Permanent("The inbox has no WhatsApp API key or phone number id")
    params = (message.content_attributes or {}).get("template_params")
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": contact_inbox.source_id}
    if isinstance(params, dict) and params:
        payload.update(type="template", template=_template(params))
    else:
        last = _last_contact_message_at(message)
        if last is None or time.time() - last > WINDOW_SECONDS:
            raise Permanent("Outside the 24-hour window WhatsApp accepts only a template message; "
                            "send an approved template to reopen the conversation")
        text = (message.content or "").strip()
        if not text:
            raise Permanent("WhatsApp messages need text")
        payload.update(type="text", text={"preview_url": False, "body": text[:MAX_TEXT]})
    body = post_json(f"{GRAPH}/{config['phone_number_id']}/messages", payload,
                     headers={"Authorization": f"Bearer {config['api_key']}"})
    sent = body.get("messages")
    if not isinstance(sent, list) or not sent or not isinstance(sent[0], dict) or not isinstance(sent[0].get("id"), str):
        raise Permanent("WhatsApp did not return a message id")
    return sent[0]["id"]
