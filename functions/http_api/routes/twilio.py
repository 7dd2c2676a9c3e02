"""Twilio SMS webhooks on Chatwoot's paths: POST /twilio/callback (an inbound message) and
POST /twilio/delivery_status (a status report). Each finds the inbox from the form's
AccountSid and number, checks X-Twilio-Signature with that inbox's auth token, queues
the form for channel_ingest and answers at once. Anything unverifiable is 401 and
nothing is queued."""
from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from api import base_url, raw_body
from parley.channels import twilio_sms
from parley.errors import NotFound, Unauthorized
from parley.services.inbox import inboxes
from parley.services.messaging import ingest

router = Router()


def _url() -> str:
    """The URL Twilio signed: the public one the request came to, query string included."""
    event = router.current_event
    query = event.get("rawQueryString") or ""
    return base_url(router) + event.raw_path + (f"?{query}" if query else "")


def _accept(kind: str) -> Response:
    raw = raw_body(router)
    params = twilio_sms.form(raw)
    inbox = None
    for key in twilio_sms.inbox_key(params, kind):
        try:
            inbox = inboxes.by_channel_claim(key, "sms")
            break
        except NotFound:
            continue
    if inbox is None:  # no inbox means no auth token: nothing could be verified
        raise Unauthorized("Invalid or missing X-Twilio-Signature")
    twilio_sms.verify(inbox, dict(router.current_event.headers or {}), raw, _url())
    ingest.enqueue("sms", inbox.id, {"kind": kind, "params": params})
    # An empty TwiML answer: Twilio sends no automatic reply.
    return Response(status_code=200, content_type="text/xml", body="<Response></Response>")


@router.post("/twilio/callback")
def callback():
    return _accept("message")


@router.post("/twilio/delivery_status")
def delivery_status():
    return _accept("status")
