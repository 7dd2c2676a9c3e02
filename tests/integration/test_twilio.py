"""Twilio SMS: signed webhooks in (X-Twilio-Signature over the public URL and sorted form
fields), replies out through the Messages API (httpx MockTransport), delivery reports
moving the reply's status, and every unverifiable request refused with nothing queued."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlencode

import httpx
import pytest

from dataclasses import dataclass

from tests.conftest import EVENTS, LambdaContext, http_event, load_function
from tests.integration.channel_support import Provider, drain, queued, twilio_lists

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "f3a9c1e07b2d4c6e8a0b1c2d3e4f5a6b"
NUMBER = "+14155550100"
# conftest's API Gateway event: the Host header the request came to.
BASE = "https://api.parley.test"


def fixture(name: str) -> dict:
    return json.loads((EVENTS / "twilio" / f"{name}.json").read_text())


def sign(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    data = url + "".join(f"{k}{v}" for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def post(api, path: str, params: dict, signature: str | None = None, query: dict | None = None):
    url = BASE + path + (f"?{urlencode(query)}" if query else "")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Host": "api.parley.test",
               "X-Forwarded-Proto": "https",
               "X-Twilio-Signature": sign(url, params) if signature is None else signature}
    # Twilio gets TwiML back, not JSON: call the handler without the JSON-decoding helper.
    result = api.app.lambda_handler(http_event("POST", path, headers=headers, raw_body=urlencode(params).encode(),
                                               query=query), LambdaContext())
    return Answer(result["statusCode"], result.get("body") or "", (result.get("headers") or {}).get("Content-Type"))


@dataclass
class Answer:
    status: int
    body: str
    content_type: str | None


@pytest.fixture
def inbox(api, world, monkeypatch):
    twilio_lists(monkeypatch, ACCOUNT_SID, NUMBER)  # Twilio's answer: the account has the number
    reply = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token, body={
        "name": "Acme SMS", "channel": {"type": "sms", "provider": "twilio", "account_sid": ACCOUNT_SID,
                                        "auth_token": AUTH_TOKEN, "phone_number": NUMBER}})
    assert reply.status == 200, reply.json
    return reply.json


def conversations(api, world, inbox_id: int) -> list[dict]:
    reply = api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token,
                    query={"inbox_id": inbox_id, "status": "all"})
    return reply.json["data"]["payload"]


def messages(api, world, conversation_id: int) -> list[dict]:
    return api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                   world.admin.token).json["payload"]


def test_inbox_shows_setup_and_never_the_full_token(api, world, inbox):
    assert inbox["channel_type"] == "Channel::TwilioSms"
    assert inbox["phone_number"] == NUMBER and inbox["medium"] == "sms"
    assert inbox["auth_token"].endswith("5a6b") and AUTH_TOKEN not in json.dumps(inbox)
    assert inbox["callback_webhook_url"].endswith("/twilio/callback")
    agent_view = api.get(f"/api/v1/accounts/{world.account_id}/inboxes", world.agent.token).json["payload"]
    assert all("auth_token" not in i for i in agent_view)
    # Proven again (Twilio still lists it for these credentials), but the first claim holds.
    same_number = api.post(f"/api/v1/accounts/{world.other_account_id}/inboxes", world.other_admin.token, body={
        "name": "Copy", "channel": {"type": "sms", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
                                    "phone_number": NUMBER}})
    assert same_number.status == 409


@pytest.mark.parametrize("channel", [
    {"account_sid": "nope", "auth_token": AUTH_TOKEN, "phone_number": NUMBER},
    {"account_sid": ACCOUNT_SID, "auth_token": "short", "phone_number": NUMBER},
    {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "phone_number": "4155550100"},
    {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
    {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "phone_number": NUMBER,
     "messaging_service_sid": "MG0123456789abcdef0123456789abcdef"},
    {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "phone_number": NUMBER, "bot_token": "x"},
])
def test_bad_settings_are_refused(api, world, channel):
    reply = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                     body={"name": "Bad", "channel": {"type": "sms", **channel}})
    assert reply.status == 422, reply.json


def test_inbound_sms_lands_once(api, world, inbox):
    params = fixture("inbound_sms")
    first = post(api, "/twilio/callback", params)
    assert (first.status, first.body, first.content_type) == (200, "<Response></Response>", "text/xml")
    assert post(api, "/twilio/callback", params).status == 200  # Twilio's retry
    assert drain("IngestQueue", "channel_ingest") == [{"batchItemFailures": []}]
    [conversation] = conversations(api, world, inbox["id"])
    assert conversation["meta"]["sender"]["phone_number"] == "+14155559876"
    [message] = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 0]
    assert message["content"] == "Hi, is my order #1042 shipped?"
    assert message["source_id"] == params["MessageSid"]


def test_mms_media_is_kept_as_provider_reference(api, world, inbox):
    assert post(api, "/twilio/callback", fixture("inbound_mms")).status == 200
    drain("IngestQueue", "channel_ingest")
    [conversation] = conversations(api, world, inbox["id"])
    [message] = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 0]
    [media] = message["content_attributes"]["provider_attachments"]
    assert media["file_type"] == "image" and media["provider_ref"].startswith("https://api.twilio.com/")


@pytest.mark.parametrize("tamper", ["bad_signature", "no_signature", "other_token", "changed_body", "unknown_number",
                                    "other_url"])
def test_unverifiable_requests_are_401_and_nothing_is_queued(api, world, inbox, tamper):
    params = fixture("inbound_sms")
    url = BASE + "/twilio/callback"
    signature = {"bad_signature": "AAAA", "no_signature": "", "other_token": sign(url, params, "f" * 32),
                 "other_url": sign(BASE + "/twilio/delivery_status", params)}.get(tamper)
    if tamper == "changed_body":
        signature = sign(url, params)
        params = {**params, "Body": "give me a refund"}
    if tamper == "unknown_number":
        params = {**params, "To": "+14155550199"}
    reply = post(api, "/twilio/callback", params, signature=signature)
    assert reply.status == 401
    assert queued("IngestQueue") == 0


def test_signature_covers_the_query_string(api, world, inbox):
    params = fixture("inbound_sms")
    assert post(api, "/twilio/callback", params, query={"tag": "a"}).status == 200
    url_without_query = BASE + "/twilio/callback"
    assert post(api, "/twilio/callback", params, signature=sign(url_without_query, params),
                query={"tag": "a"}).status == 401


def _reply(api, world, conversation_id: int, text: str) -> None:
    reply = api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                     world.admin.token, body={"content": text})
    assert reply.status == 200, reply.json


def _conversation_with_sms(api, world, inbox) -> dict:
    post(api, "/twilio/callback", fixture("inbound_sms"))
    drain("IngestQueue", "channel_ingest")
    return conversations(api, world, inbox["id"])[0]


def test_reply_is_sent_and_status_reports_move_it(api, world, inbox, monkeypatch):
    provider = Provider(monkeypatch, (201, fixture("send_queued")))
    conversation = _conversation_with_sms(api, world, inbox)
    _reply(api, world, conversation["id"], "Yes, it shipped today.")
    assert drain("DeliverQueue", "deliver")[0] == {"batchItemFailures": []}
    [request] = provider.requests
    assert str(request.url) == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    form = parse_qs(request.content.decode())
    assert form["To"] == ["+14155559876"] and form["From"] == [NUMBER]
    assert form["Body"] == ["Yes, it shipped today."]
    assert form["StatusCallback"][0].endswith("/twilio/delivery_status")
    outgoing = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 1][-1]
    assert outgoing["status"] == "sent" and outgoing["source_id"] == fixture("send_queued")["sid"]

    assert post(api, "/twilio/delivery_status", fixture("status_delivered")).status == 200
    drain("IngestQueue", "channel_ingest")
    outgoing = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 1][-1]
    assert outgoing["status"] == "delivered"
    # A late "undelivered" never undoes "delivered".
    post(api, "/twilio/delivery_status", fixture("status_undelivered"))
    drain("IngestQueue", "channel_ingest")
    assert [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 1][-1]["status"] == "delivered"


def test_undelivered_report_marks_failed_with_twilios_reason(api, world, inbox, monkeypatch):
    Provider(monkeypatch, (201, fixture("send_queued")))
    conversation = _conversation_with_sms(api, world, inbox)
    _reply(api, world, conversation["id"], "Yes, it shipped today.")
    drain("DeliverQueue", "deliver")
    post(api, "/twilio/delivery_status", fixture("status_undelivered"))
    drain("IngestQueue", "channel_ingest")
    outgoing = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 1][-1]
    assert outgoing["status"] == "failed"
    assert outgoing["content_attributes"]["external_error"] == "Twilio error 30003: Unreachable destination handset"


def test_twilio_refusal_fails_the_message_and_outage_is_retried(api, world, inbox, monkeypatch):
    provider = Provider(monkeypatch, (400, fixture("send_error_21211")))
    conversation = _conversation_with_sms(api, world, inbox)
    _reply(api, world, conversation["id"], "first")
    drain("DeliverQueue", "deliver")
    failed = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 1][-1]
    assert failed["status"] == "failed"
    assert failed["content_attributes"]["external_error"].startswith("Twilio error 21211: The 'To' number")

    monkeypatch.setattr(load_function("deliver").consumer, "backoff", lambda attempt: 0)  # the backoff, elapsed
    provider.answers = [(503, {"message": "Service Unavailable"}), httpx.ReadTimeout("slow"),
                        (201, fixture("send_queued"))]
    _reply(api, world, conversation["id"], "second")
    [first] = drain("DeliverQueue", "deliver")
    assert len(first["batchItemFailures"]) == 1  # kept for a retry, not failed
    drain("DeliverQueue", "deliver", rounds=3)
    sent = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 1][-1]
    assert sent["status"] == "sent" and sent["source_id"] == fixture("send_queued")["sid"]
    assert len(provider.requests) == 4  # refused once, 503, timeout, accepted: never sent twice
