"""Telegram: inbox setup, the secret-token webhook, parsing updates."""
from __future__ import annotations

from tests.integration.channel_support import (TELEGRAM_TOKEN, drain, fixture, fixture_bytes, post_telegram, queued,
                                               telegram_inbox)


def test_inbox_creation_shows_setup_to_admins_only(api, world):
    inbox = telegram_inbox(api, world)
    assert inbox["channel_type"] == "Channel::Telegram"
    assert inbox["webhook_url"].endswith(f"/webhooks/telegram/{TELEGRAM_TOKEN}")
    assert len(inbox["secret_token"]) >= 32
    base = f"/api/v1/accounts/{world.account_id}"
    api.post(f"{base}/inbox_members", world.admin.token, body={"inbox_id": inbox["id"], "user_ids": [world.agent.id]})
    seen_by_agent = api.get(f"{base}/inboxes/{inbox['id']}", world.agent.token).json
    assert "secret_token" not in seen_by_agent and "bot_token" not in seen_by_agent
    # One bot feeds one inbox; a malformed token or an agent's attempt changes nothing.
    again = api.post(f"{base}/inboxes", world.admin.token,
                     body={"name": "Again", "channel": {"type": "telegram", "bot_token": TELEGRAM_TOKEN}})
    assert again.status == 409, again.json
    bad = api.post(f"{base}/inboxes", world.admin.token, body={"name": "Bad", "channel": {"type": "telegram", "bot_token": "nope"}})
    assert bad.status == 422, bad.json
    assert api.post(f"{base}/inboxes", world.agent.token,
                    body={"name": "Mine", "channel": {"type": "telegram", "bot_token": "1234:" + "x" * 30}}).status == 403
    changed = api.patch(f"{base}/inboxes/{inbox['id']}", world.admin.token,
                        body={"channel": {"bot_token": "1234567:" + "y" * 30}})
    assert changed.status == 422, changed.json
    names = [i["name"] for i in api.get(f"{base}/inboxes", world.admin.token).json["payload"]]
    assert names.count("Acme Telegram") == 1 and not {"Bad", "Again", "Mine"} & set(names)


def test_bad_or_missing_secret_is_401_and_nothing_queued(api, world):
    inbox = telegram_inbox(api, world)
    raw = fixture_bytes("telegram", "text_message")
    assert post_telegram(api, inbox, raw, secret="wrong").status == 401
    assert api.post(f"/webhooks/telegram/{TELEGRAM_TOKEN}", raw_body=raw).status == 401
    assert api.post("/webhooks/telegram/123456:unknownbotunknownbotunknownbot", raw_body=raw,
                    headers={"X-Telegram-Bot-Api-Secret-Token": inbox["secret_token"]}).status == 404
    assert post_telegram(api, inbox, b"{not json").status == 422
    assert queued("IngestQueue") == 0
    assert post_telegram(api, inbox, raw).status == 200
    assert queued("IngestQueue") == 1


def test_parse_text_photo_document_and_ignored_updates(api, world):
    from parley.channels import telegram
    from parley.models.inbox import Inbox

    inbox = Inbox.get(telegram_inbox(api, world)["id"])
    [text] = telegram.parse(inbox, fixture("telegram", "text_message"))
    assert (text.provider_message_id, text.source_id, text.name, text.content) == (
        "555000111:101", "555000111", "Tara Gram", "Hello from Telegram, my order is late")
    assert text.content_attributes == {"username": "taragram"}
    [photo] = telegram.parse(inbox, fixture("telegram", "photo_message"))
    assert photo.content == "the damaged box"
    assert photo.attachments == [{"file_type": "image", "provider_ref": "AgACAgQAAxkBAAIBlarge", "file_name": "photo",
                                  "mime_type": ""}]
    [document] = telegram.parse(inbox, fixture("telegram", "document_message"))
    assert document.content is None and document.in_reply_to == "555000111:101"
    assert document.attachments[0]["file_name"] == "invoice.pdf"
    for ignored in ("edited_message", "group_message"):
        assert telegram.parse(inbox, fixture("telegram", ignored)) == []
    for hostile in ({}, {"message": "x"}, {"message": {"chat": {"type": "private", "id": "1"}, "message_id": 1}}, []):
        assert telegram.parse(inbox, hostile) == []


def test_document_is_stored_with_its_reference(api, world):
    inbox = telegram_inbox(api, world)
    post_telegram(api, inbox, fixture_bytes("telegram", "document_message"))
    drain("IngestQueue", "channel_ingest")
    [conversation] = api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token,
                             query={"inbox_id": inbox["id"]}).json["data"]["payload"]
    rows = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation['id']}/messages",
                   world.admin.token).json["payload"]
    [message] = [m for m in rows if m["message_type"] == 0]
    assert message["content"] == "Attachment: invoice.pdf"
    assert message["content_attributes"]["provider_attachments"][0]["provider_ref"] == "BQACAgQAAxkBAAIBinvoice"
    assert message["content_attributes"]["in_reply_to_external_id"] == "555000111:101"
