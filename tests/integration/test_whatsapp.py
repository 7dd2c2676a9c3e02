"""WhatsApp Cloud: Meta's handshake, signed webhooks, messages and statuses (twice, out of
order), replies inside and outside the 24-hour window."""
from __future__ import annotations

import time

import pytest

from tests.integration.channel_support import (WHATSAPP_NUMBER, Provider, drain, fixture, fixture_bytes, post_whatsapp,
                                               queued, signature, whatsapp_inbox)


def test_handshake_echoes_the_challenge_only_for_our_token(api, world, monkeypatch):
    whatsapp_inbox(api, world, monkeypatch)
    path = f"/webhooks/whatsapp/{WHATSAPP_NUMBER}"
    ok = api.get(path, query={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert ok.status == 200 and str(ok.json) == "1158201444"
    assert ok.headers["Content-Type"].startswith("text/plain")
    for query in ({"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
                  {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"}, {}):
        assert api.get(path, query=query).status == 401
    assert api.get("/webhooks/whatsapp/+15550000000", query={"hub.mode": "subscribe", "hub.verify_token": "verify-me"}).status == 404


def test_inbox_hides_credentials_and_validates(api, world, monkeypatch):
    inbox = whatsapp_inbox(api, world, monkeypatch)
    assert inbox["channel_type"] == "Channel::Whatsapp"
    assert inbox["provider_config"]["api_key"] == "********"
    assert "app_secret" not in inbox["provider_config"]
    assert inbox["provider_config"]["webhook_verify_token"] == "verify-me"
    assert inbox["webhook_url"].endswith(f"/webhooks/whatsapp/{WHATSAPP_NUMBER}")
    base = f"/api/v1/accounts/{world.account_id}/inboxes"
    for channel in ({"type": "whatsapp", "phone_number": "555", "provider_config": {}},
                    {"type": "whatsapp", "phone_number": "+15550001111",
                     "provider_config": {"api_key": "k", "phone_number_id": "abc", "business_account_id": "1", "app_secret": "s"}},
                    {"type": "whatsapp", "phone_number": "+15550001111", "provider_config": {"api_key": "k", "extra": 1}}):
        assert api.post(base, world.admin.token, body={"name": "Bad", "channel": channel}).status == 422
    assert [i["name"] for i in api.get(base, world.admin.token).json["payload"]] == ["Acme WhatsApp"]


def test_bad_or_missing_signature_is_401_and_nothing_queued(api, world, monkeypatch):
    whatsapp_inbox(api, world, monkeypatch)
    raw = fixture_bytes("whatsapp", "text_message")
    assert post_whatsapp(api, raw, sig="sha256=" + "0" * 64).status == 401
    assert post_whatsapp(api, raw, sig=signature(raw, "another-secret")).status == 401
    assert post_whatsapp(api, raw + b" ", sig=signature(raw)).status == 401  # the body was altered
    assert api.post(f"/webhooks/whatsapp/{WHATSAPP_NUMBER}", raw_body=raw).status == 401
    assert queued("IngestQueue") == 0
    assert post_whatsapp(api, raw).status == 200
    assert queued("IngestQueue") == 1
    # The same number with the "+" URL-encoded, or without it, is the same inbox.
    for path in ("/webhooks/whatsapp/%2B15550009999", "/webhooks/whatsapp/15550009999"):
        assert api.post(path, headers={"X-Hub-Signature-256": signature(raw)}, raw_body=raw).status == 200
    assert queued("IngestQueue") == 3


def test_parse_messages_statuses_and_other_numbers(api, world, monkeypatch):
    from parley.channels import whatsapp
    from parley.models.inbox import Inbox

    inbox = Inbox.get(whatsapp_inbox(api, world, monkeypatch)["id"])
    [text] = whatsapp.parse(inbox, fixture("whatsapp", "text_message"))
    assert (text.kind, text.source_id, text.name, text.phone_number, text.content) == (
        "message", "15551234567", "Wanda Apps", "+15551234567", "Hi, is my parcel on its way?")
    [image] = whatsapp.parse(inbox, fixture("whatsapp", "image_message"))
    assert image.content == "this one" and image.in_reply_to == "wamid.OUTBOUND0001"
    assert image.attachments == [{"file_type": "image", "provider_ref": "1039422563952421", "file_name": "image",
                                  "mime_type": "image/jpeg"}]
    [failed] = whatsapp.parse(inbox, fixture("whatsapp", "status_failed"))
    assert (failed.kind, failed.status) == ("status", "failed") and "24 hours" in failed.reason
    assert whatsapp.parse(inbox, fixture("whatsapp", "other_number")) == []
    for hostile in ({}, {"entry": "x"}, {"entry": [{"changes": [{"value": {"messages": [{"id": 1}]}}]}]}, []):
        assert whatsapp.parse(inbox, hostile) == []


@pytest.fixture
def sent_reply(api, world, monkeypatch):
    """A contact's message, and an agent's reply that WhatsApp accepted as wamid.OUTBOUND0001."""
    whatsapp_inbox(api, world, monkeypatch)
    post_whatsapp(api, fixture_bytes("whatsapp", "text_message"))
    drain("IngestQueue", "channel_ingest")
    [conversation] = api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token).json["data"]["payload"]
    assert conversation["meta"]["sender"]["phone_number"] == "+15551234567"
    provider = Provider(monkeypatch, (200, fixture("whatsapp", "send_ok")))
    messages = f"/api/v1/accounts/{world.account_id}/conversations/{conversation['id']}/messages"
    reply = api.post(messages, world.admin.token, body={"content": "It left this morning"}).json
    drain("DeliverQueue", "deliver", rounds=2)
    assert provider.requests[0].headers["Authorization"] == "Bearer EAAG-test-key"
    assert provider.requests[0].url.path == "/v20.0/106540352242922/messages"
    assert provider.sent(0)["text"]["body"] == "It left this morning" and provider.sent(0)["to"] == "15551234567"

    def status() -> dict:
        rows = api.get(messages, world.admin.token).json["payload"]
        return next(m for m in rows if m["id"] == reply["id"])

    return status, provider, messages


def test_statuses_move_forward_only_and_once(api, world, sent_reply):
    status, _, _ = sent_reply
    assert status()["status"] == "sent" and status()["source_id"] == "wamid.OUTBOUND0001"
    for name in ("read", "delivered", "read", "sent", "failed"):  # out of order and repeated
        assert post_whatsapp(api, fixture_bytes("whatsapp", f"status_{name}")).status == 200
    drain("IngestQueue", "channel_ingest", rounds=2)
    shown = status()
    assert shown["status"] == "read" and "external_error" not in shown["content_attributes"]


def test_failed_status_shows_the_reason(api, world, sent_reply):
    status, _, _ = sent_reply
    post_whatsapp(api, fixture_bytes("whatsapp", "status_failed"))
    post_whatsapp(api, fixture_bytes("whatsapp", "status_delivered"))  # late, after the failure
    drain("IngestQueue", "channel_ingest")
    shown = status()
    assert shown["status"] == "failed"
    assert shown["content_attributes"]["external_error"].startswith("Message failed to send because more than 24 hours")


def test_outside_the_window_only_templates_go_out(api, world, sent_reply, monkeypatch):
    from parley.channels import whatsapp

    _, provider, messages = sent_reply
    later = time.time() + 25 * 3600
    monkeypatch.setattr(whatsapp, "time", type("Clock", (), {"time": staticmethod(lambda: later)}))
    free = api.post(messages, world.admin.token, body={"content": "Anything else?"}).json
    template = api.post(messages, world.admin.token, body={
        "content": "Your order 42 has shipped", "template_params": {
            "name": "order_shipped", "category": "UTILITY", "language": "en_US", "processed_params": {"1": "42"}}}).json
    drain("DeliverQueue", "deliver", rounds=2)
    rows = {m["id"]: m for m in api.get(messages, world.admin.token).json["payload"]}
    assert rows[free["id"]]["status"] == "failed"
    assert "24-hour window" in rows[free["id"]]["content_attributes"]["external_error"]
    assert rows[template["id"]]["status"] == "sent"
    assert len(provider.requests) == 2  # the first reply and the template: the refused one never left
    assert provider.sent()["template"] == {"name": "order_shipped", "language": {"policy": "deterministic", "code": "en_US"},
                                          "components": [{"type": "body", "parameters": [{"type": "text", "text": "42"}]}]}
