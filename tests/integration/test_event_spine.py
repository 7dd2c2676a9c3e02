"""The event spine (issue 11): a change and its events commit together, the writer pushes
the frames, and the event log's stream takes every event to the bus. Faults are injected at
the seams after the commit that the other suites do not cover: the push, and the pipe's
PutEvents. (Before the commit: test_ingest.py throttles each write; test_echo_id.py fails
the message write and kills the function right after the commit; test_deliver.py kills
deliver between the provider's answer and the record.)"""
from __future__ import annotations

import json
import time

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError, EndpointConnectionError

from tests import event_pipe
from tests.integration.channel_support import logged, queue_url, queued
from tests.integration.test_realtime import Sockets, connect, send

pytestmark = pytest.mark.dynamodb_local


def waiting(logical_id: str) -> int:
    """Messages on a queue now, without running the pipe first."""
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url(logical_id),
                                                          AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_a_failed_push_loses_nothing_the_socket_resumes_it(api, world, website):
    sockets = Sockets()

    def unreachable(**_):
        raise EndpointConnectionError(endpoint_url="https://execute-api")

    try:
        assert connect("agent", token=world.agent.token) == 200
        sockets.client.meta.events.register_first("before-call.apigatewaymanagementapi.PostToConnection", unreachable)
        visitor = website.widget.start()
        sent = website.widget.say(visitor, "are you there?")
        assert sent.status == 200, sent.json  # the change committed: a push that fails is not the caller's error
        assert [m["content"] for m in logged(world.account_id, "message.created")] == ["are you there?"]
        assert not [f for f in sockets.frames["agent"] if f.get("event") == "message.created"]
        sockets.client.meta.events.unregister("before-call.apigatewaymanagementapi.PostToConnection", unreachable)
        assert send("agent", json.dumps({"action": "resume", "since": 0})) == 200
        resumed = [f["data"]["content"] for f in sockets.frames["agent"] if f.get("event") == "message.created"]
        assert resumed == ["are you there?"]
    finally:
        sockets.close()


def test_an_event_the_bus_refused_reaches_its_consumers_on_the_pipes_retry(api, world, website, monkeypatch):
    visitor = website.widget.start()
    assert website.widget.say(visitor, "hello").status == 200
    created = logged(world.account_id, "message.created")
    assert created
    real, refused = BaseClient._make_api_call, []

    def put_events(client, operation, params):
        if operation == "PutEvents" and not refused:
            refused.append(params)
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", put_events)
    event_pipe.pump()
    assert refused and waiting("DeliverQueue") == 0  # refused: nothing reached the rules yet
    time.sleep(0.3)  # the pipe's backoff before its retry
    assert queued("DeliverQueue") == len(created)  # the retry put every event: none lost, none twice
    assert queued("DeliverQueue") == len(created)


def test_what_a_transaction_did_not_commit_was_never_published(api, world, website, monkeypatch):
    """A conversation change whose write is refused publishes nothing: no frame, no event."""
    from parley.services.conversation import conversations

    visitor = website.widget.start()
    number = website.widget.say(visitor, "hello").json["conversation_id"]
    before = len(logged(world.account_id, "conversation.status_changed"))
    conversation = conversations.get_conversation(world.account_id, number)
    real = BaseClient._make_api_call

    def refuse(client, operation, params):
        if operation == "TransactWriteItems":
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, operation)
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", refuse)
    sockets = Sockets()
    try:
        with pytest.raises(Exception):
            conversations.toggle_status(conversation, "resolved")
    finally:
        sockets.close()
        monkeypatch.setattr(BaseClient, "_make_api_call", real)
    assert conversations.get_conversation(world.account_id, number).status == "open"
    assert len(logged(world.account_id, "conversation.status_changed")) == before
    assert not any(f.get("event") == "conversation.status_changed" for fs in sockets.frames.values() for f in fs)
