"""A retried send is one message (issue 9, item 4).

`echo_id` is the client's id for a message it sends (the dashboard and the widget send one
with every POST and keep it when they retry). A POST repeated after a timeout or a 500
returns the message the first one stored, with no second copy and no second event; its
files stay. Every door that takes echo_id is tried: the dashboard, the widget, the Client
API and multipart uploads."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pytest
from botocore.client import BaseClient

from tests.integration.test_attachments import PNG, exists, keys, multipart, presign, upload

pytestmark = pytest.mark.dynamodb_local

MESSAGES = "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages"


class EventLog:
    """The names of the domain events committed to the account's event log (the outbox)
    from here on: what reaches sockets, the bus and every consumer."""

    def __init__(self, account_id: int):
        self.account_id = account_id
        self.clear()

    def names(self) -> list[str]:
        from parley.models.event_log import LoggedEvent

        rows = LoggedEvent.query(self.account_id, LoggedEvent.seq > self.since, consistent_read=True)
        return [row.event for row in rows]

    def clear(self) -> None:
        self.since = self._last()

    def _last(self) -> int:
        from parley.models.event_log import LoggedEvent

        rows = list(LoggedEvent.query(self.account_id, scan_index_forward=False, limit=1, consistent_read=True))
        return int(rows[0].seq) if rows else 0

    def count(self, name: str) -> int:
        return self.names().count(name)

    def __contains__(self, name: str) -> bool:
        return name in self.names()


@pytest.fixture
def published(world):
    return EventLog(world.account_id)


@pytest.fixture
def chat(api, world, website):
    """A visitor's conversation in Acme's website inbox: (visitor, display id, messages path)."""
    visitor = website.widget.start()
    first = website.widget.say(visitor, "Hello")
    assert first.status == 200, first.json
    conversation_id = first.json["conversation_id"]
    return visitor, conversation_id, MESSAGES.format(account_id=world.account_id, conversation_id=conversation_id)


def stored(world, conversation_id, echo_id=None) -> list:
    from parley.models.conversation import Message

    rows = Message.query(f"{world.account_id}#{conversation_id}", consistent_read=True)
    return [m for m in rows if echo_id is None or m.echo_id == echo_id]


class Died(BaseException):
    """The function stops here (its timeout, the container killed): nothing after runs and
    the client gets no answer."""


def die_after_commit(monkeypatch) -> Callable[[], None]:
    """Fault: the function dies right after a transaction commits, before it pushes the
    events or answers. Returns a function that ends the fault."""
    from parley import events

    real = events.push

    def push(detail):
        raise Died()

    monkeypatch.setattr(events, "push", push)
    return lambda: monkeypatch.setattr(events, "push", real)


def fail_message_writes(monkeypatch):
    """Fault: every DynamoDB write that would put a message fails (throttled)."""
    from botocore.exceptions import ClientError
    from parley.settings import get_settings

    table, real = get_settings().messages_table, BaseClient._make_api_call

    def call(self, operation, params):
        items = [item.get("Put", {}) for item in params.get("TransactItems", [])] + [params]
        if operation in ("PutItem", "TransactWriteItems") and any(i.get("TableName") == table for i in items):
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                              operation)
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)


# ---------------------------------------------------------------- retries

def test_agent_retry_returns_the_stored_message(api, world, chat, published):
    _, conversation_id, messages = chat
    first = api.post(messages, world.agent.token, body={"content": "On it", "echo_id": "dash-1"})
    again = api.post(messages, world.agent.token, body={"content": "On it", "echo_id": "dash-1"})
    assert first.status == again.status == 200, (first.json, again.json)
    assert again.json == first.json
    assert len(stored(world, conversation_id, "dash-1")) == 1
    assert published.count("message.created") == 1


def test_widget_retry_returns_the_stored_message(api, world, website, chat, published):
    visitor, conversation_id, _ = chat
    first = website.widget.say(visitor, "Are you there?", echo_id="w-7")
    again = website.widget.say(visitor, "Are you there?", echo_id="w-7")
    assert first.status == again.status == 200, (first.json, again.json)
    assert again.json["id"] == first.json["id"] and again.json["echo_id"] == "w-7"
    assert len(stored(world, conversation_id, "w-7")) == 1
    assert published.count("message.created") == 1


def test_client_api_retry_returns_the_stored_message(api, world, published):
    inbox = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                     body={"name": "App", "channel": {"type": "api"}}).json
    base = f"/public/api/v1/inboxes/{inbox['inbox_identifier']}"
    source_id = api.post(f"{base}/contacts", body={"name": "Cleo"}).json["source_id"]
    cid = api.post(f"{base}/contacts/{source_id}/conversations", body={}).json["id"]
    path = f"{base}/contacts/{source_id}/conversations/{cid}/messages"
    published.clear()
    first = api.post(path, body={"content": "Where is my order?", "echo_id": "c-1"})
    again = api.post(path, body={"content": "Where is my order?", "echo_id": "c-1"})
    assert first.status == again.status == 200, (first.json, again.json)
    assert again.json["id"] == first.json["id"]
    assert len(stored(world, cid, "c-1")) == 1
    assert published.count("message.created") == 1


def test_concurrent_posts_with_one_echo_id_store_one_message(api, world, chat, published, isolated_moto):
    from parley.services.messaging import attachments, messages
    from parley.services.conversation import conversations
    from parley.services.access import users

    _, conversation_id, _ = chat
    agent = users.get_user(world.agent.id)
    start = threading.Barrier(4)

    def send(_):
        conversation = conversations.get_conversation(world.account_id, conversation_id)
        start.wait()
        return messages.post_message(conversation, uploader=attachments.user_uploader(agent.id),
                                     content="Only once", message_type=conversations.OUTGOING,
                                     sender_type="User", sender=agent, echo_id="race-1").id

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(send, range(4)))
    assert len(set(ids)) == 1
    assert len(stored(world, conversation_id, "race-1")) == 1
    assert published.count("message.created") == 1


def test_a_send_cancelled_by_a_concurrent_transaction_is_tried_again(api, world, chat, monkeypatch, published):
    """DynamoDB may cancel both of two transactions on one item (TransactionConflict); the
    echo claim is then held by no one, and the send must not fail for it."""
    from botocore.exceptions import ClientError
    from parley.settings import get_settings

    _, conversation_id, messages = chat
    uniques, real, cancelled = get_settings().uniques_table, BaseClient._make_api_call, []

    def call(self, operation, params):
        tables = [item.get("Put", {}).get("TableName") for item in params.get("TransactItems", [])]
        if operation == "TransactWriteItems" and uniques in tables and not cancelled:
            cancelled.append(operation)
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                               "CancellationReasons": [{"Code": "TransactionConflict"}]
                               + [{"Code": "None"}] * (len(tables) - 1)}, operation)
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    sent = api.post(messages, world.agent.token, body={"content": "hello there", "echo_id": "tc-1"})
    assert cancelled and sent.status == 200, sent.json
    assert len(stored(world, conversation_id, "tc-1")) == 1
    assert published.count("message.created") == 1


def test_other_echo_ids_and_other_conversations_do_not_collide(api, world, website, chat):
    _, conversation_id, messages = chat
    one = api.post(messages, world.agent.token, body={"content": "one", "echo_id": "x-1"})
    two = api.post(messages, world.agent.token, body={"content": "two", "echo_id": "x-2"})
    assert one.status == two.status == 200 and one.json["id"] != two.json["id"]
    # The same echo_id in another conversation is another message.
    other_visitor = website.widget.start()
    other = website.widget.say(other_visitor, "Hi").json["conversation_id"]
    elsewhere = api.post(MESSAGES.format(account_id=world.account_id, conversation_id=other), world.agent.token,
                         body={"content": "one", "echo_id": "x-1"})
    assert elsewhere.status == 200 and elsewhere.json["id"] != one.json["id"]
    assert elsewhere.json["conversation_id"] == other
    # Without an echo_id (or an empty one) every POST is a new message, as before.
    for echo in (None, None, "", ""):
        assert api.post(messages, world.agent.token, body={"content": "again", "echo_id": echo}).status == 200
    assert len([m for m in stored(world, conversation_id) if m.content == "again"]) == 4


def test_an_echo_id_never_returns_someone_elses_message(api, world, website, chat, monkeypatch):
    """A visitor sees the echo_ids of agents' public messages; reusing one must not hand
    back (or replace) the agent's message, and another agent cannot read a private note
    by guessing its echo_id. Each refusal leaves an alertable log line."""
    from parley import security_log

    refusals = []
    monkeypatch.setattr(security_log, "refused", lambda kind, reason, **ids: refusals.append((kind, ids)))
    visitor, conversation_id, messages = chat
    note = api.post(messages, world.agent.token, body={"content": "secret", "private": True, "echo_id": "n-1"})
    assert note.status == 200
    reused = api.post(messages, world.admin.token, body={"content": "mine", "echo_id": "n-1"})
    assert reused.status == 409 and "secret" not in str(reused.json)
    public = api.post(messages, world.agent.token, body={"content": "Hello visitor", "echo_id": "p-1"})
    from_visitor = website.widget.say(visitor, "spoof", echo_id="p-1")
    assert from_visitor.status == 409 and "Hello visitor" not in str(from_visitor.json)
    assert [m.id for m in stored(world, conversation_id, "p-1")] == [public.json["id"]]
    assert [(kind, ids["sender_type"]) for kind, ids in refusals if kind == "echo_id_foreign"] == [
        ("echo_id_foreign", "User"), ("echo_id_foreign", "Contact")]


@pytest.mark.parametrize("echo_id", ["e" * 65, 123, ["a"], {"a": 1}, True])
def test_a_bad_echo_id_is_refused(api, world, website, chat, echo_id):
    visitor, conversation_id, messages = chat
    before = len(stored(world, conversation_id))
    assert api.post(messages, world.agent.token, body={"content": "x", "echo_id": echo_id}).status == 422
    widget = website.widget.call("POST", "messages", visitor, body={"message": {"content": "x", "echo_id": echo_id}})
    assert widget.status == 422
    assert len(stored(world, conversation_id)) == before


# ---------------------------------------------------------------- faults and files

def test_retry_after_dying_after_the_commit_returns_the_stored_message_and_keeps_its_files(
        api, world, chat, monkeypatch, published):
    _, conversation_id, messages = chat
    presigned = presign(api, world, conversation_id, world.agent.token)
    upload(presigned.json, PNG)
    body = {"content": "the screenshot", "attachments": [presigned.json["signed_id"]], "echo_id": "f-1"}

    recover = die_after_commit(monkeypatch)
    with pytest.raises(Died):
        api.post(messages, world.agent.token, body=body)
    [written] = stored(world, conversation_id, "f-1")  # committed before the function died
    assert published.count("message.created") == 1  # and its event with it: consumers get it
    [record] = written.attachments
    assert exists(record["key"]), "the files of a stored message were deleted"

    recover()
    published.clear()
    retried = api.post(messages, world.agent.token, body=body)
    assert retried.status == 200, retried.json
    assert retried.json["id"] == written.id
    assert [a["id"] for a in retried.json["attachments"]] == [record["id"]]
    assert len(stored(world, conversation_id, "f-1")) == 1
    assert exists(record["key"])
    assert keys(f"attachments/{world.account_id}/{conversation_id}/") == [record["key"]]
    assert "message.created" not in published  # the retry notifies nobody a second time


def test_multipart_retry_after_dying_after_the_commit_is_one_message(api, world, website, chat, monkeypatch):
    visitor, conversation_id, _ = chat
    raw, content_type = multipart({"message[content]": "look", "message[echo_id]": "mp-1"},
                                  [("message[attachments][]", "shot.png", "image/png", PNG)])
    recover = die_after_commit(monkeypatch)
    with pytest.raises(Died):
        website.widget.call("POST", "messages", visitor, raw_body=raw, headers={"content-type": content_type})
    recover()
    retried = website.widget.call("POST", "messages", visitor, raw_body=raw, headers={"content-type": content_type})
    assert retried.status == 200, retried.json
    [written] = stored(world, conversation_id, "mp-1")
    assert retried.json["id"] == written.id
    # The stored message's file is kept; the retry's own copy is not left behind.
    assert keys(f"attachments/{world.account_id}/{conversation_id}/") == [written.attachments[0]["key"]]


def test_a_failed_message_write_deletes_its_files(api, world, chat, monkeypatch):
    _, conversation_id, messages = chat
    presigned = presign(api, world, conversation_id, world.agent.token)
    upload(presigned.json, PNG)
    upload_key = presigned.json["signed_id"]
    body = {"content": "the screenshot", "attachments": [upload_key], "echo_id": "w-1"}
    with monkeypatch.context() as faults:
        fail_message_writes(faults)
        assert api.post(messages, world.agent.token, body=body).status == 500
    assert stored(world, conversation_id, "w-1") == []
    assert keys(f"attachments/{world.account_id}/{conversation_id}/") == []  # its copies are gone
    assert exists(upload_key)  # the upload stays, so the retry can send it
    retried = api.post(messages, world.agent.token, body=body)
    assert retried.status == 200, retried.json
    assert len(stored(world, conversation_id, "w-1")) == 1 and not exists(upload_key)
    assert len(keys(f"attachments/{world.account_id}/{conversation_id}/")) == 1

