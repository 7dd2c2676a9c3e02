"""channel_ingest: queued webhooks become messages once, whatever the queue does.

Partial batch failures, DynamoDB throttling mid-ingest (the item is retried and the message
stored exactly once), the same update delivered twice, malformed items dropped."""
from __future__ import annotations

import json
import time

import boto3
import pytest

from local.cfn import ACCOUNT, REGION
from tests.conftest import LambdaContext, load_function
from tests.integration.channel_support import (drain, fixture, fixture_bytes, logged, post_telegram, queue_url, queued,
                                               telegram_inbox, throttle_once)


def _messages(api, world, conversation_id: int) -> list[dict]:
    reply = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages", world.admin.token)
    assert reply.status == 200, reply.json
    return reply.json["payload"]


def _conversations(api, world, inbox_id: int) -> list[dict]:
    reply = api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token,
                    query={"inbox_id": inbox_id, "status": "all"})
    assert reply.status == 200, reply.json
    return reply.json["data"]["payload"]


def test_update_lands_in_one_conversation_with_contact(api, world):
    inbox = telegram_inbox(api, world)
    assert post_telegram(api, inbox, fixture_bytes("telegram", "text_message")).status == 200
    assert post_telegram(api, inbox, fixture_bytes("telegram", "photo_message")).status == 200
    assert queued("IngestQueue") == 2
    [result] = drain("IngestQueue", "channel_ingest")
    assert result == {"batchItemFailures": []}
    [conversation] = _conversations(api, world, inbox["id"])
    assert conversation["meta"]["channel"] == "Channel::Telegram"
    assert conversation["meta"]["sender"]["name"] == "Tara Gram"
    texts = [m["content"] for m in _messages(api, world, conversation["id"]) if m["message_type"] == 0]
    assert texts == ["Hello from Telegram, my order is late", "the damaged box"]
    assert queued("IngestQueue") == 0


def test_same_update_twice_is_one_message(api, world):
    inbox = telegram_inbox(api, world)
    raw = fixture_bytes("telegram", "text_message")
    post_telegram(api, inbox, raw)
    post_telegram(api, inbox, raw)  # Telegram retries when it missed our 200
    drain("IngestQueue", "channel_ingest")
    post_telegram(api, inbox, raw)  # and again, after the first was stored
    drain("IngestQueue", "channel_ingest")
    [conversation] = _conversations(api, world, inbox["id"])
    incoming = [m for m in _messages(api, world, conversation["id"]) if m["message_type"] == 0]
    assert len(incoming) == 1 and incoming[0]["source_id"] == "555000111:101"


# Each write on the way: the ids, the claim, the new conversation (with its count bucket and
# conversation.created), the message (with its terms, the conversation's activity and
# message.created, one transaction). Each ends with one message and one event.
@pytest.mark.parametrize("table,operation", [("CountersTable", "UpdateItem"), ("UniquesTable", "PutItem"),
                                             ("ConversationsTable", "TransactWriteItems"),
                                             ("MessagesTable", "TransactWriteItems")])
def test_throttled_write_is_retried_and_stored_exactly_once(api, world, monkeypatch, table, operation):
    inbox = telegram_inbox(api, world)
    post_telegram(api, inbox, fixture_bytes("telegram", "text_message"))
    post_telegram(api, inbox, fixture_bytes("telegram", "document_message"))
    state = throttle_once(monkeypatch, table, operation)
    first = drain("IngestQueue", "channel_ingest", visibility=0)
    assert state["thrown"] == 1
    assert len(first[0]["batchItemFailures"]) == 1  # only the throttled item comes back
    drain("IngestQueue", "channel_ingest", rounds=3)
    assert queued("IngestQueue") == 0
    [conversation] = _conversations(api, world, inbox["id"])
    incoming = [m for m in _messages(api, world, conversation["id"]) if m["message_type"] == 0]
    assert sorted(m["source_id"] for m in incoming) == ["555000111:101", "555000111:103"]
    created = [data["source_id"] for data in logged(world.account_id, "message.created")]
    assert sorted(created) == ["555000111:101", "555000111:103"]  # announced once each, none lost
    # Both reached the conversation's activity (a resumed attempt may count one twice).
    assert conversation["unread_count"] >= 2


def test_activity_lost_after_the_message_committed_is_caught_up_by_the_retry(api, world, monkeypatch):
    """A follow-up's conversation activity is written after its message and event commit;
    if that write fails, the item's retry finds the message stored and applies the activity
    it lacks (once: the conversation's last message says it is there)."""
    inbox = telegram_inbox(api, world)
    post_telegram(api, inbox, fixture_bytes("telegram", "text_message"))
    drain("IngestQueue", "channel_ingest")
    post_telegram(api, inbox, fixture_bytes("telegram", "document_message"))
    state = throttle_once(monkeypatch, "ConversationsTable", "PutItem")
    [first] = drain("IngestQueue", "channel_ingest", visibility=0)
    assert state["thrown"] == 1 and len(first["batchItemFailures"]) == 1
    [conversation] = _conversations(api, world, inbox["id"])
    assert conversation["unread_count"] == 1  # the message is stored, its activity is not
    assert [m["source_id"] for m in logged(world.account_id, "message.created")] == ["555000111:101", "555000111:103"]
    drain("IngestQueue", "channel_ingest", rounds=2)
    [conversation] = _conversations(api, world, inbox["id"])
    assert conversation["unread_count"] == 2 and conversation["last_non_activity_message"]["source_id"] == "555000111:103"
    drain("IngestQueue", "channel_ingest")  # nothing left: the activity is applied once
    assert _conversations(api, world, inbox["id"])[0]["unread_count"] == 2 and queued("IngestQueue") == 0


def test_activity_lost_while_a_newer_message_lands_first_is_still_caught_up(api, world, monkeypatch):
    """The retry of a message whose activity write was lost may come after a newer message
    of the conversation was applied: the conversation's newest message then says nothing
    about the older one, the list of messages it has applied does."""
    from local.sources import sqs_record

    inbox = telegram_inbox(api, world)
    post_telegram(api, inbox, fixture_bytes("telegram", "text_message"))
    drain("IngestQueue", "channel_ingest")
    post_telegram(api, inbox, fixture_bytes("telegram", "document_message"))
    sqs = boto3.client("sqs")
    [copy] = sqs.receive_message(QueueUrl=queue_url("IngestQueue"), VisibilityTimeout=0,
                                 AttributeNames=["All"])["Messages"]
    state = throttle_once(monkeypatch, "ConversationsTable", "PutItem")
    [first] = drain("IngestQueue", "channel_ingest", visibility=300)  # its retry comes much later
    assert state["thrown"] == 1 and len(first["batchItemFailures"]) == 1
    post_telegram(api, inbox, fixture_bytes("telegram", "photo_message"))
    drain("IngestQueue", "channel_ingest")  # the newer message, applied first
    assert _conversations(api, world, inbox["id"])[0]["unread_count"] == 2
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_url('IngestQueue').rsplit('/', 1)[-1]}"
    retry = load_function("channel_ingest").lambda_handler({"Records": [sqs_record(copy, arn)]}, LambdaContext())
    assert retry["batchItemFailures"] == []
    assert _conversations(api, world, inbox["id"])[0]["unread_count"] == 3
    load_function("channel_ingest").lambda_handler({"Records": [sqs_record(copy, arn)]}, LambdaContext())
    assert _conversations(api, world, inbox["id"])[0]["unread_count"] == 3  # applied once


class _Killed(BaseException):
    """The Lambda runtime stopping a worker (a timeout): no except clause of ours runs."""


def test_a_copy_processed_while_another_worker_holds_the_claim_waits(api, world, monkeypatch):
    """A provider that missed our 200 retries, so two copies of one update can be processed
    at the same moment. While the first worker's pending claim is leased the second waits
    (its item returns to the queue); it finishes the work only once the lease has run out."""
    from parley.models.unique import UniqueClaim
    from parley.services.messaging import ingest, messages

    inbox = telegram_inbox(api, world)
    post_telegram(api, inbox, fixture_bytes("telegram", "text_message"))
    real_create = messages.post_message

    def killed(*args, **kwargs):
        raise _Killed()

    monkeypatch.setattr(messages, "post_message", killed)
    with pytest.raises(_Killed):  # worker A claimed the update, then was stopped mid-write
        drain("IngestQueue", "channel_ingest", visibility=0)
    monkeypatch.setattr(messages, "post_message", real_create)
    key = ingest.claim_key(inbox["id"], "555000111:101")
    assert UniqueClaim.get(key).target.startswith("Pending#")

    [waiting] = drain("IngestQueue", "channel_ingest", visibility=0)  # worker B, within A's lease
    assert len(waiting["batchItemFailures"]) == 1
    [conversation] = _conversations(api, world, inbox["id"])
    assert [m for m in _messages(api, world, conversation["id"]) if m["message_type"] == 0] == []
    # B put the item back for the lease's length, not the queue's (much longer) visibility
    # timeout: read off moto's queue, since SQS shows no message's visibility.
    from moto.sqs.models import sqs_backends

    [held] = sqs_backends[ACCOUNT][REGION].queues[queue_url("IngestQueue").rsplit("/", 1)[1]]._messages
    assert (held.visible_at / 1000 - time.time()) == pytest.approx(ingest.LEASE_SECONDS, abs=5)
    assert drain("IngestQueue", "channel_ingest") == []  # not visible now

    claim = UniqueClaim.get(key)  # the lease runs out, and with it the item's wait
    claim.update(actions=[UniqueClaim.claimed_at.set(claim.claimed_at - ingest.LEASE_SECONDS - 1)])
    boto3.client("sqs").change_message_visibility(QueueUrl=queue_url("IngestQueue"), ReceiptHandle=held.receipt_handle,
                                                  VisibilityTimeout=0)
    assert drain("IngestQueue", "channel_ingest", visibility=0) == [{"batchItemFailures": []}]
    incoming = [m for m in _messages(api, world, conversation["id"]) if m["message_type"] == 0]
    assert [m["source_id"] for m in incoming] == ["555000111:101"]
    assert UniqueClaim.get(key).target.startswith("Message#") and queued("IngestQueue") == 0


def test_malformed_items_are_dropped_not_retried(api, world):
    inbox = telegram_inbox(api, world)
    sqs, url = boto3.client("sqs"), queue_url("IngestQueue")
    for body in ("not json", json.dumps({"channel": "telegram"}), json.dumps({"channel": "carrier-pigeon", "inbox_id": 1}),
                 json.dumps({"channel": "telegram", "inbox_id": 999999, "payload": {}}),
                 json.dumps({"channel": "telegram", "inbox_id": inbox["id"], "payload": ["not", "an", "update"]}),
                 json.dumps({"channel": "telegram", "inbox_id": inbox["id"], "payload": fixture("telegram", "group_message")}),
                 json.dumps({"channel": "telegram", "inbox_id": inbox["id"], "payload": fixture("telegram", "edited_message")})):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    results = drain("IngestQueue", "channel_ingest")
    assert results[0] == {"batchItemFailures": []}
    assert queued("IngestQueue") == 0
    assert _conversations(api, world, inbox["id"]) == []


def test_resolved_conversation_is_not_reused(api, world):
    inbox = telegram_inbox(api, world)
    post_telegram(api, inbox, fixture_bytes("telegram", "text_message"))
    drain("IngestQueue", "channel_ingest")
    [first] = _conversations(api, world, inbox["id"])
    reply = api.post(f"/api/v1/accounts/{world.account_id}/conversations/{first['id']}/toggle_status",
                     world.admin.token, body={"status": "resolved"})
    assert reply.status == 200, reply.json
    post_telegram(api, inbox, fixture_bytes("telegram", "photo_message"))
    drain("IngestQueue", "channel_ingest")
    conversations = _conversations(api, world, inbox["id"])
    assert len(conversations) == 2
    assert {c["meta"]["sender"]["id"] for c in conversations} == {first["meta"]["sender"]["id"]}  # one contact


def test_two_first_messages_of_one_new_sender_at_once_open_one_conversation(api, world, monkeypatch, isolated_moto):
    """Two pollers can each hold one of a new sender's first two messages: both find no open
    conversation (the barrier makes both look before either writes), and the contact inbox's
    open-conversation claim lets only one of them open one; the other's message joins it."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from parley.models.inbox import Inbox
    from parley.services.contact import contacts
    from parley.services.conversation import conversations
    from parley.services.messaging import ingest

    inbox = Inbox.get(telegram_inbox(api, world)["id"])
    contacts.new_contact(world.account_id, name="Nia New", inbox=inbox, source_id="new-sender")
    looked = threading.Barrier(2)
    real_lookup, lookups = conversations.for_contact_inbox, []

    def lookup_together(link, *args, **kwargs):
        found = real_lookup(link, *args, **kwargs)
        lookups.append(link.source_id)
        if len(lookups) <= 2:  # each thread's first look
            looked.wait(timeout=10)
        return found

    monkeypatch.setattr(conversations, "for_contact_inbox", lookup_together)

    def first(n: int):
        return ingest.ingest(inbox, ingest.Inbound(kind="message", provider_message_id=f"new:{n}",
                                                   source_id="new-sender", name="Nia New", content=f"hello {n}"))

    with ThreadPoolExecutor(2) as pool:
        messages = list(pool.map(first, range(2)))
    assert messages[0].conversation_id == messages[1].conversation_id
    [conversation] = _conversations(api, world, inbox.id)
    assert conversation["unread_count"] == 2
