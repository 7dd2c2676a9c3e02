"""A suspended account: every door that resolves an account from a credential or a public
identifier refuses with 403 "Account is suspended" and changes nothing; the super admin
still manages it; reactivated, the same calls work on the same data."""
from __future__ import annotations

from tests.integration.channel_support import drain, fixture_bytes, post_telegram, queued, telegram_inbox

SUSPENDED = "Account is suspended"


def _status(api, world, status: str, account_id: int | None = None):
    reply = api.patch(f"/super_admin/api/v1/accounts/{account_id or world.account_id}", world.super_admin.token,
                      body={"status": status})
    assert reply.status == 200, reply.json
    assert reply.json["status"] == status
    return reply


def _refused(reply) -> bool:
    return reply.status == 403 and reply.json["error"] == SUSPENDED


def _bot_conversation(api, world):
    """An API inbox with an agent bot, a Client API contact and its conversation."""
    account = f"/api/v1/accounts/{world.account_id}"
    channel = api.post(f"{account}/inboxes", world.admin.token, body={"name": "App", "channel": {"type": "api"}}).json
    bot = api.post(f"{account}/agent_bots", world.admin.token,
                   body={"name": "Helper", "outgoing_url": "https://bot.example.com/hook"}).json
    assert api.post(f"{account}/inboxes/{channel['id']}/set_agent_bot", world.admin.token,
                    body={"agent_bot": bot["id"]}).status == 204
    base = f"/public/api/v1/inboxes/{channel['inbox_identifier']}"
    source_id = api.post(f"{base}/contacts", body={"name": "Cleo"}).json["source_id"]
    cid = api.post(f"{base}/contacts/{source_id}/conversations", body={}).json["id"]
    assert api.post(f"{base}/contacts/{source_id}/conversations/{cid}/messages", body={"content": "hi"}).status == 200
    return base, source_id, cid, bot["access_token"]


def test_every_door_refuses_a_suspended_account_and_reopens_unchanged(api, world, website):
    account = f"/api/v1/accounts/{world.account_id}"
    widget = website.widget
    visitor = widget.start()
    assert widget.say(visitor, "hello").status == 200
    client_base, source_id, cid, bot_token = _bot_conversation(api, world)
    client_messages = f"{client_base}/contacts/{source_id}/conversations/{cid}/messages"
    telegram = telegram_inbox(api, world)

    def snapshot():
        return (widget.call("GET", "messages", visitor).json["payload"],
                api.get(client_messages).json,
                api.get(f"{account}/conversations", world.admin.token).json["data"]["payload"])

    before = snapshot()
    _status(api, world, "suspended")

    # Widget: config (with the visitor's own token, and a new visitor), messages read and write.
    assert _refused(api.post("/api/v1/widget/config", headers={"X-Auth-Token": visitor.token},
                             query={"website_token": website.website_token}))
    assert _refused(api.post("/api/v1/widget/config", query={"website_token": website.website_token}))
    assert _refused(widget.call("GET", "messages", visitor))
    assert _refused(widget.say(visitor, "still there?"))
    # Client API.
    assert _refused(api.get(client_base))
    assert _refused(api.get(client_messages))
    assert _refused(api.post(client_messages, body={"content": "hello?"}))
    assert _refused(api.post(f"{client_base}/contacts", body={"name": "New"}))
    # The bot's token.
    assert _refused(api.post(f"{account}/conversations/{cid}/messages", bot_token, body={"content": "bot here"}))
    # Dashboard: administrators and agents alike.
    for token in (world.admin.token, world.agent.token):
        assert _refused(api.get(f"{account}/conversations", token))
        assert _refused(api.get(account, token))
    assert _refused(api.post(f"{account}/inboxes", world.admin.token, body={"name": "I", "channel": {"type": "web_widget"}}))
    # A provider webhook: refused, nothing queued.
    assert _refused(post_telegram(api, telegram, fixture_bytes("telegram", "text_message")))
    assert queued("IngestQueue") == 0
    # Another account is untouched; the super admin still sees and manages this one.
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/conversations", world.other_admin.token).status == 200
    shown = api.get(f"/super_admin/api/v1/accounts/{world.account_id}", world.super_admin.token)
    assert shown.status == 200 and shown.json["status"] == "suspended"
    # Only the super admin changes the status.
    assert api.patch(f"/super_admin/api/v1/accounts/{world.account_id}", world.admin.token,
                     body={"status": "active"}).status == 403

    _status(api, world, "active")
    assert snapshot() == before
    again = widget.start(visitor.token)
    assert again.contact_id == visitor.contact_id  # the same visitor, not a new one
    assert widget.say(visitor, "back again").status == 200
    assert api.post(client_messages, body={"content": "me too"}).status == 200
    assert api.post(f"{account}/conversations/{cid}/messages", bot_token, body={"content": "bot here"}).status == 200
    assert post_telegram(api, telegram, fixture_bytes("telegram", "text_message")).status == 200


def test_sockets_of_a_suspended_account_are_refused(api, world, website):
    from parley.errors import Forbidden
    from parley.services.access import connections

    visitor = website.widget.start()
    _status(api, world, "suspended")
    for open_socket in (lambda: connections.open_agent_connection("c-agent", world.agent.token, str(world.account_id)),
                        lambda: connections.open_contact_connection("c-visitor", visitor.pubsub_token)):
        try:
            open_socket()
        except Forbidden as exc:
            assert exc.message == SUSPENDED
        else:
            raise AssertionError("a suspended account's socket was opened")
    _status(api, world, "active")
    assert connections.open_contact_connection("c-visitor", visitor.pubsub_token).account_id == world.account_id


def test_ingest_holds_a_suspended_accounts_items_and_releases_them_on_reactivation(api, world):
    """Accepted before the suspension, processed during it: kept, not stored, not lost."""
    telegram = telegram_inbox(api, world)
    assert post_telegram(api, telegram, fixture_bytes("telegram", "text_message")).status == 200
    _status(api, world, "suspended")
    [result] = drain("IngestQueue", "channel_ingest")
    assert result["batchItemFailures"] == []
    assert queued("IngestQueue") == 0
    from parley.models.conversation import Conversation

    assert list(Conversation.query(world.account_id)) == []

    _status(api, world, "active")
    drain("AccountJobsQueue", "account_jobs")
    drain("IngestQueue", "channel_ingest")
    [conversation] = list(Conversation.query(world.account_id))
    rows = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation.display_id}/messages",
                   world.admin.token).json["payload"]
    assert [m["content"] for m in rows if m["message_type"] == 0] == ["Hello from Telegram, my order is late"]
    # Released once: a second run finds nothing more to release.
    drain("AccountJobsQueue", "account_jobs")
    assert queued("IngestQueue") == 0


def test_outbound_webhooks_of_a_suspended_account_are_not_sent(api, world):
    from parley.services.rules import webhooks

    webhooks.create(world.account_id, "https://hooks.example.com/x", "Hook", None)
    detail = {"id": "evt-1", "event": "conversation.created", "account_id": world.account_id,
              "data": {"id": 1}, "audience": {}}
    assert len(webhooks.fan_out(detail)) == 1
    _status(api, world, "suspended")
    assert webhooks.fan_out(detail) == []
    _status(api, world, "active")
    assert len(webhooks.fan_out(detail)) == 1
