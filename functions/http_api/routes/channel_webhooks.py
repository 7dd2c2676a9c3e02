"""Provider webhooks on Chatwoot's paths: /webhooks/telegram/{bot_token} and
/webhooks/whatsapp/{phone_number}. Each verifies the provider's signature, puts the
payload on the ingest queue and answers 200 at once; channel_ingest does the rest.
A bad or missing signature is 401 and nothing is queued."""
from __future__ import annotations

from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from api import json_object, raw_body
from parley.channels import telegram, whatsapp
from parley.errors import Invalid, NotFound
from parley.services.inbox import inboxes
from parley.services.messaging import ingest

router = Router()


def _headers() -> dict:
    return dict(router.current_event.headers or {})


def _url() -> str:
    event = router.current_event
    return event.raw_path if hasattr(event, "raw_path") else event.path


@router.post("/webhooks/telegram/<bot_token>")
def telegram_update(bot_token: str):
    if not telegram.BOT_TOKEN.match(bot_token):
        raise NotFound("Inbox not found")
    inbox = inboxes.by_channel_claim(telegram.claim_key(bot_token), "telegram")
    raw = raw_body(router)
    telegram.verify(inbox, _headers(), raw, _url())
    ingest.enqueue("telegram", inbox.id, json_object(raw, "Webhook body", Invalid))
    return {}


def _whatsapp_inbox(phone_number: str):
    phone_number = unquote(phone_number)  # Meta may send the "+" as %2B
    if not whatsapp.digits(phone_number) or len(phone_number) > 32:
        raise NotFound("Inbox not found")
    return inboxes.by_channel_claim(whatsapp.claim_key(phone_number), "whatsapp")


@router.get("/webhooks/whatsapp/<phone_number>")
def whatsapp_handshake(phone_number: str):
    inbox = _whatsapp_inbox(phone_number)
    params = router.current_event.query_string_parameters or {}
    whatsapp.verify_subscription(inbox, params.get("hub.mode"), params.get("hub.verify_token"))
    # Meta expects the challenge echoed back as the plain body.
    return Response(status_code=200, content_type=content_types.TEXT_PLAIN, body=str(params.get("hub.challenge") or "")[:256])


@router.post("/webhooks/whatsapp/<phone_number>")
def whatsapp_update(phone_number: str):
    inbox = _whatsapp_inbox(phone_number)
    raw = raw_body(router)
    whatsapp.verify(inbox, _headers(), raw, _url())
    ingest.enqueue("whatsapp", inbox.id, json_object(raw, "Webhook body", Invalid))
    return {}
