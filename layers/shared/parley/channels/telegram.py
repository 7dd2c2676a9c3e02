"""Telegram bots: updates arrive at /webhooks/telegram/<bot token> with the secret token
set at setWebhook; replies go out through sendMessage.

Ids: Telegram's message_id is unique only within a chat, so the provider message id is
"<chat id>:<message id>"; the contact inbox's source_id is the sender's user id (private
chats: the same as the chat id)."""
from __future__ import annotations

import hmac
import re
import secrets

from ..errors import Invalid, Unauthorized
from .inbound import Inbound
from . import Permanent, post_json

API = "https://api.telegram.org"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
# Telegram's file kinds -> Chatwoot's attachment file_type.
FILES = {"photo": "image", "document": "file", "video": "video", "audio": "audio", "voice": "audio",
         "sticker": "image", "animation": "video", "video_note": "video"}
MAX_TEXT = 4096  # sendMessage's limit
BOT_TOKEN = re.compile(r"^[0-9]{3,20}:[A-Za-z0-9_-]{20,100}$")
CREDENTIALS = {"bot_token"}  # fixed at creation: the webhook URL and the inbox's claim hang on it


def new_settings(channel: dict) -> dict:
    """A new inbox's stored settings: the bot token, and the secret Telegram must echo in
    X-Telegram-Bot-Api-Secret-Token (given to setWebhook)."""
    token = (channel.get("bot_token") or "").strip()
    if not BOT_TOKEN.match(token):
        raise Invalid("bot_token must be a Telegram bot token (123456:ABC-...)", field="channel.bot_token")
    return {"bot_token": token, "secret_token": secrets.token_urlsafe(32)}


def claim_key(bot_token: str) -> str:
    return f"telegram_bot#{bot_token}"


def claim_keys(settings: dict) -> list[str]:
    """The bot token is claimed: one bot feeds one inbox, and the webhook finds it by GetItem."""
    return [claim_key(settings["bot_token"])] if settings.get("bot_token") else []


def changed_settings(current: dict, patch: dict) -> dict:
    if any(key in patch and patch[key] != current.get(key) for key in CREDENTIALS):
        raise Invalid("The bot token can't be changed; create a new inbox for another bot", field="channel.bot_token")
    return {k: v for k, v in patch.items() if k not in CREDENTIALS}


def verify(inbox, headers: dict, raw_body: bytes, url: str) -> None:
    expected = (inbox.channel or {}).get("secret_token") or ""
    given = {k.lower(): v for k, v in headers.items()}.get(SECRET_HEADER) or ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("Invalid or missing X-Telegram-Bot-Api-Secret-Token")


def _attachments(message: dict) -> list[dict]:
    found = []
    for kind, file_type in FILES.items():
        item = message.get(kind)
        if isinstance(item, list):  # photos come in several sizes: the largest is last
            item = item[-1] if item else None
        if isinstance(item, dict) and isinstance(item.get("file_id"), str):
            found.append({"file_type": file_type, "provider_ref": item["file_id"][:512],
                          "file_name": str(item.get("file_name") or kind)[:255],
                          "mime_type": str(item.get("mime_type") or "")[:255]})
    return found


def parse(inbox, payload: dict) -> list[Inbound]:
    """A new message in a private chat becomes an Inbound; edits, group chats, channel
    posts and other update kinds are not conversations and are ignored."""
    if not isinstance(payload, dict):
        return []
    message = payload.get("message")
    if not isinstance(message, dict):
        return []
    chat, sender = message.get("chat") or {}, message.get("from") or {}
    if not isinstance(chat, dict) or not isinstance(sender, dict) or chat.get("type") != "private":
        return []
    if not isinstance(chat.get("id"), int) or not isinstance(message.get("message_id"), int) or not isinstance(sender.get("id"), int):
        return []
    text = message.get("text") if isinstance(message.get("text"), str) else message.get("caption")
    attachments = _attachments(message)
    if not isinstance(text, str):
        text = None
    if not text and not attachments:
        return []
    name = " ".join(str(sender.get(k) or "") for k in ("first_name", "last_name")).strip() or str(sender.get("username") or "")
    reply = message.get("reply_to_message")
    in_reply_to = f"{chat['id']}:{reply['message_id']}" if isinstance(reply, dict) and isinstance(reply.get("message_id"), int) else None
    extra = {"username": str(sender["username"])[:255]} if sender.get("username") else {}
    return [Inbound(kind="message", provider_message_id=f"{chat['id']}:{message['message_id']}",
                    source_id=str(sender["id"]), name=name[:255], content=text, attachments=attachments,
                    in_reply_to=in_reply_to, content_attributes=extra)]


def send(inbox, conversation, message, contact_inbox) -> str:
    token = (inbox.channel or {}).get("bot_token")
    if not token:
        raise Permanent("The inbox has no bot token")
    text = (message.content or "").strip()
    if not text:
        raise Permanent("Telegram messages need text")
    chat_id = contact_inbox.source_id
    body = post_json(f"{API}/bot{token}/sendMessage", {"chat_id": chat_id, "text": text[:MAX_TEXT]})
    result = body.get("result") if body.get("ok") else None
    if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
        raise Permanent(f"Telegram did not accept the message: {body.get('description') or 'no message id'}")
    return f"{chat_id}:{result['message_id']}"
