"""deliver: agents' replies reach the channel once; provider faults are retried with
backoff and end `failed` with the provider's reason, visible on the message."""
from __future__ import annotations

import httpx
import pytest

from tests.integration.channel_support import (Provider, drain, fixture, fixture_bytes, logged, post_telegram, queued,
                                               telegram_inbox)
from tests.spec import assert_matches


@pytest.fixture
def chat(api, world):
    """A Telegram inbox with one conversation started by the contact."""
    inbox = telegram_inbox(api, world)
    post_telegram(api, inbox, fixture_bytes("telegram", "text_message"))
    drain("IngestQueue", "channel_ingest")
    conversations = api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token,
                            query={"inbox_id": inbox["id"]}).json["data"]["payload"]
    drain("DeliverQueue", "deliver")  # the incoming message's event: nothing to send
    return inbox, conversations[0]["id"]


@pytest.fixture
def backoffs(monkeypatch):
    """Record each retry's backoff and make the message visible again at once."""
    from tests.conftest import load_function

    app = load_function("deliver")
    seen, real = [], app.consumer.backoff  # the consumer base applies it to a Retry naming no time
    monkeypatch.setattr(app.consumer, "backoff", lambda attempt: seen.append(real(attempt)) or 0)
    return seen


def _reply(api, world, conversation_id, **body):
    path = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages"
    reply = api.post(path, world.agent.token if body.pop("as_agent", False) else world.admin.token,
                     body={"content": "We are on it", **body})
    assert reply.status == 200, reply.json
    return reply.json


def _message(api, world, conversation_id, message_id):
    rows = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                   world.admin.token).json["payload"]
    return next(m for m in rows if m["id"] == message_id)


def test_reply_is_sent_once_and_gets_the_provider_id(api, world, chat, monkeypatch):
    inbox, conversation_id = chat
    provider = Provider(monkeypatch, (200, fixture("telegram", "send_message_ok")))
    created = _reply(api, world, conversation_id)
    assert queued("DeliverQueue") == 1
    [result] = drain("DeliverQueue", "deliver")
    assert result == {"batchItemFailures": []}
    assert len(provider.requests) == 1
    request = provider.requests[0]
    assert request.url.path == f"/bot{inbox['bot_token']}/sendMessage"
    assert provider.sent() == {"chat_id": "555000111", "text": "We are on it"}
    shown = _message(api, world, conversation_id, created["id"])
    assert shown["status"] == "sent" and shown["source_id"] == "555000111:104"
    listed = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages", world.admin.token)
    assert_matches(listed.json, "get", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages")
    # The same event again (SQS may deliver twice): no second send.
    from parley import events
    events.publish("message.created", world.account_id, {**shown, "conversation": {"id": conversation_id}})
    drain("DeliverQueue", "deliver", rounds=2)
    assert len(provider.requests) == 1


def test_private_notes_and_other_inboxes_are_not_sent(api, world, chat, website, monkeypatch):
    inbox, conversation_id = chat
    provider = Provider(monkeypatch, (200, fixture("telegram", "send_message_ok")))
    _reply(api, world, conversation_id, private=True, content="internal only")
    visitor = website.widget.start()
    assert website.widget.say(visitor, "hello from the site").status == 200
    drain("DeliverQueue", "deliver", rounds=3)
    assert provider.requests == []


@pytest.mark.parametrize("fault,reason", [
    ((500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}), "Provider answered 500: Internal Server Error"),
    ((429, fixture("telegram", "send_message_429")), "Provider answered 429: Too Many Requests: retry after 5"),
    (httpx.ReadTimeout("timed out"), "The provider did not answer in time"),
])
def test_provider_faults_are_retried_then_failed_with_reason(api, world, chat, backoffs, monkeypatch, fault, reason):
    _, conversation_id = chat
    provider = Provider(monkeypatch, fault)
    created = _reply(api, world, conversation_id)
    results = drain("DeliverQueue", "deliver", rounds=10)
    assert [len(r["batchItemFailures"]) for r in results] == [1, 1, 1, 1, 0]  # four retries, then given up
    assert backoffs == [30, 60, 120, 240]
    assert len(provider.requests) == 5
    shown = _message(api, world, conversation_id, created["id"])
    assert shown["status"] == "failed"
    assert shown["content_attributes"]["external_error"] == f"{reason} (gave up after retrying)"
    assert drain("DeliverQueue", "deliver") == [{"batchItemFailures": []}]  # the failure's message.updated: no retry
    assert len(provider.requests) == 5
    assert queued("DeliverQueue") == 0 and queued("DeliverDeadLetterQueue") == 0


def test_provider_recovers_after_a_fault(api, world, chat, backoffs, monkeypatch):
    _, conversation_id = chat
    provider = Provider(monkeypatch, (502, {}), httpx.ConnectError("refused"), (200, fixture("telegram", "send_message_ok")))
    created = _reply(api, world, conversation_id)
    drain("DeliverQueue", "deliver", rounds=5)
    assert len(provider.requests) == 3
    shown = _message(api, world, conversation_id, created["id"])
    assert shown["status"] == "sent" and "external_error" not in shown["content_attributes"]


def test_permanent_refusal_fails_at_once_and_is_announced(api, world, chat, monkeypatch):
    _, conversation_id = chat
    provider = Provider(monkeypatch, (403, fixture("telegram", "send_message_403")))
    created = _reply(api, world, conversation_id)
    [result] = drain("DeliverQueue", "deliver")
    assert result == {"batchItemFailures": []}
    assert len(provider.requests) == 1
    shown = _message(api, world, conversation_id, created["id"])
    assert shown["status"] == "failed"
    assert shown["content_attributes"]["external_error"] == "Provider answered 403: Forbidden: bot was blocked by the user"
    assert [m["status"] for m in logged(world.account_id, "message.updated")] == ["failed"]


# ---------------------------------------------------------------- sent at most once

class Died(BaseException):
    """The function stops here (its timeout, the container killed): no handler of ours runs."""


def die_recording_the_send(monkeypatch):
    """Fault: the provider took the message, then the function died before storing its id."""
    from parley.services.conversation import conversations

    real = conversations.update_message

    def update_message(conversation, message, actions, condition=None):
        if message.status == "sent":
            raise Died()
        return real(conversation, message, actions, condition)

    monkeypatch.setattr(conversations, "update_message", update_message)
    return lambda: monkeypatch.setattr(conversations, "update_message", real)


def test_a_send_whose_outcome_was_lost_is_never_repeated_and_is_flagged(api, world, chat, backoffs, monkeypatch):
    from parley.services.messaging import delivery

    _, conversation_id = chat
    provider = Provider(monkeypatch, (200, fixture("telegram", "send_message_ok")))
    created = _reply(api, world, conversation_id)
    recover = die_recording_the_send(monkeypatch)
    with pytest.raises(Died):
        drain("DeliverQueue", "deliver", visibility=0)  # received, and back on the queue at once
    recover()
    assert len(provider.requests) == 1
    # Redelivered while the dead attempt's claim is young: it might still be sending.
    [result] = drain("DeliverQueue", "deliver", visibility=0)
    assert len(result["batchItemFailures"]) == 1 and len(provider.requests) == 1
    # Later the claim is older than any attempt lives: flagged for the agent, not sent again.
    monkeypatch.setattr(delivery, "SEND_LEASE_SECONDS", 0)
    assert drain("DeliverQueue", "deliver", visibility=0) == [{"batchItemFailures": []}]
    assert len(provider.requests) == 1
    shown = _message(api, world, conversation_id, created["id"])
    assert shown["status"] == "failed" and shown["content_attributes"]["delivery_unknown"] is True
    assert shown["content_attributes"]["external_error"].startswith("Delivery unknown")
    assert [m["status"] for m in logged(world.account_id, "message.updated")] == ["failed"]  # the dashboard is told
    assert drain("DeliverQueue", "deliver", rounds=3) == [{"batchItemFailures": []}]  # that event: not a retry
    assert len(provider.requests) == 1 and queued("DeliverDeadLetterQueue") == 0


def test_the_agent_retries_a_failed_reply_and_it_is_sent_once(api, world, chat, monkeypatch):
    _, conversation_id = chat
    provider = Provider(monkeypatch, (403, fixture("telegram", "send_message_403")),
                        (200, fixture("telegram", "send_message_ok")))
    created = _reply(api, world, conversation_id)
    drain("DeliverQueue", "deliver")
    assert _message(api, world, conversation_id, created["id"])["status"] == "failed"
    drain("DeliverQueue", "deliver")  # the failure's own message.updated: nothing to send
    retry = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages/{created['id']}/retry"
    other = api.post(retry.replace(f"accounts/{world.account_id}", f"accounts/{world.other_account_id}"),
                     world.other_admin.token)
    assert other.status == 404  # another account's admin cannot reach it
    answer = api.post(retry, world.admin.token)
    assert answer.status == 200, answer.json
    assert answer.json["status"] == "progress" and "external_error" not in answer.json["content_attributes"]
    assert api.post(retry, world.admin.token).status == 422  # not failed any more: nothing to retry
    drain("DeliverQueue", "deliver", rounds=3)
    assert len(provider.requests) == 2
    shown = _message(api, world, conversation_id, created["id"])
    assert shown["status"] == "sent" and shown["source_id"]
    assert api.post(retry, world.admin.token).status == 422  # delivered: never sent twice


def test_only_failed_outgoing_messages_can_be_retried(api, world, chat):
    _, conversation_id = chat
    rows = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                   world.admin.token).json["payload"]
    incoming = next(m for m in rows if m["message_type"] == 0)
    path = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages/{incoming['id']}/retry"
    assert api.post(path, world.admin.token).status == 422
    assert api.post(path.replace(f"/{incoming['id']}/", "/999999/"), world.admin.token).status == 404
    assert api.post(path, world.agent.token).status == 404  # not a member of the inbox: not there for them
