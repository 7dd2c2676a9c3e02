"""local/sources.py with tests/e2e/toy/template.yaml on the local stack's own engines
(local/engines.py: the queues, the bus, DynamoDB Local, function containers): an SQS
event source with partial batch failures and a redrive policy, and an EventBridge rule
target with retries and a dead-letter queue."""
from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

from local import sources
from local.engines import Engines

from .conftest import TOY_TEMPLATE

EVENTBRIDGE_KEYS = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}


@pytest.fixture(scope="module")
def engines(dynamodb_local_engine):
    engines = Engines(None, template_path=TOY_TEMPLATE, prefix="toy", dynamodb=dynamodb_local_engine.server)
    engines.start()
    yield engines
    engines.stop()


@pytest.fixture
def toy(engines, monkeypatch):
    calls: list[tuple[str, dict, float]] = []
    invoke = engines.runtime.invoke

    def recording(function_id: str, event: dict):
        calls.append((function_id, event, time.time()))
        return invoke(function_id, event)

    monkeypatch.setattr(engines.runtime, "invoke", recording)
    yield SimpleNamespace(stack=engines.stack, runtime=engines.runtime, calls=calls, sources=engines.sources,
                          sqs=engines.client("sqs"), events=engines.client("events"))


def poll_until(toy, done, timeout: float = 8) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        toy.sources.poll_once()
        time.sleep(0.05)


def drain(sqs, url: str) -> list[dict]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])


def test_the_template_is_read(toy):
    (source,) = toy.stack.sqs_sources
    assert (source.function_id, source.batch_size, source.report_batch_item_failures) == ("WorkerFunction", 5, True)
    assert source.queue_arn.endswith(":toy-WorkQueue")
    ((rule, function_id, url),) = toy.stack.rule_targets
    assert (rule, function_id) == ("ToyRule", "ConsumerFunction")
    policy = toy.stack.target_policies[url]
    assert policy.max_retries == 1 and policy.dead_letter_url == toy.stack.queue_urls["EventsDeadLetterQueue"]


def test_sqs_batch_item_failures_are_retried_then_redriven(toy):
    url, dead = toy.stack.queue_urls["WorkQueue"], toy.stack.queue_urls["WorkDeadLetterQueue"]
    for body in ("one", "fail", "two"):
        toy.sqs.send_message(QueueUrl=url, MessageBody=body,
                             MessageAttributes={"kind": {"DataType": "String", "StringValue": body}})
    assert toy.sources.poll_once()
    records = [r for _, event, _ in toy.calls for r in event["Records"]]
    assert sorted(r["body"] for r in records) == ["fail", "one", "two"]
    record = records[0]
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == toy.stack.sqs_sources[0].queue_arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1" and record["md5OfBody"]
    assert record["messageAttributes"]["kind"]["stringValue"] == record["body"]
    assert record["messageAttributes"]["kind"]["dataType"] == "String"

    # The failed record comes back after the 1 s visibility timeout; after maxReceiveCount (2)
    # receives, the queue's redrive policy moves it to the dead-letter queue.
    dead_lettered: list[dict] = []
    poll_until(toy, lambda: dead_lettered.extend(drain(toy.sqs, dead)) or dead_lettered)
    assert [m["Body"] for m in dead_lettered] == ["fail"]
    deliveries = [r["body"] for _, event, _ in toy.calls for r in event["Records"]]
    assert sorted(deliveries) == ["fail", "fail", "one", "two"]
    assert drain(toy.sqs, url) == []


def test_rule_target_gets_eventbridge_events_and_dead_letters_failures(toy):
    toy.events.put_events(Entries=[
        {"EventBusName": "toy-bus", "Source": "toy", "DetailType": "fine", "Detail": json.dumps({"n": 1})},
        {"EventBusName": "toy-bus", "Source": "toy", "DetailType": "broken", "Detail": json.dumps({"fail": True})},
        {"EventBusName": "toy-bus", "Source": "elsewhere", "DetailType": "fine", "Detail": "{}"},
    ])
    dead = toy.stack.queue_urls["EventsDeadLetterQueue"]
    dead_lettered: list[dict] = []
    poll_until(toy, lambda: dead_lettered.extend(drain(toy.sqs, dead)) or dead_lettered)

    by_type = {}
    for function_id, event, _ in toy.calls:
        assert function_id == "ConsumerFunction" and set(event) == EVENTBRIDGE_KEYS
        by_type.setdefault(event["detail-type"], []).append(event)
    fine = by_type["fine"]
    assert len(fine) == 1 and fine[0]["detail"] == {"n": 1} and fine[0]["account"] == "123456789012"
    assert len(by_type["broken"]) == 2  # the first try and MaximumRetryAttempts: 1
    (message,) = dead_lettered
    assert json.loads(message["Body"])["detail"] == {"fail": True}
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["RETRY_ATTEMPTS"] == "1" and "asked to fail" in attributes["ERROR_MESSAGE"]
    assert attributes["RULE_ARN"].endswith("rule/ToyRule")


def test_events_published_by_a_handler_are_delivered_without_waiting_for_the_idle_poll(toy, monkeypatch):
    """The pollers wake when anything is sent to a queue (a handler's put_events lands on
    a rule's delivery queue), so delivery does not wait for the idle poll. Shown without timing thresholds: with the
    idle poll stretched to a minute, every event still arrives within seconds."""
    monkeypatch.setattr(sources, "IDLE_POLL_SECONDS", 60)
    toy.sources.start()
    try:
        for n in range(30):
            toy.runtime.invoke("ConsumerFunction", {"detail": {"publish": n}})
            time.sleep(0.005)
        deadline = time.monotonic() + 10
        while len([c for c in toy.calls if "sent_at" in c[1].get("detail", {})]) < 30:
            assert time.monotonic() < deadline, "events waited for the idle poll"
            time.sleep(0.01)
    finally:
        toy.sources.stop()


def test_a_batching_window_gathers_records_until_the_batch_is_full_or_the_window_closes(toy):
    """MaximumBatchingWindowInSeconds: the poller waits for more records after the first,
    up to the window; a record arriving within it joins the batch, and a full batch goes
    at once. (poll_once, for tests driving sources by hand, never waits.)"""
    import dataclasses
    import threading

    # (A window within the toy queue's 1 s visibility timeout, as AWS requires.)
    poller = sources.EventSources(toy.stack, toy.runtime, toy.sources.queues, toy.sources.scheduler)
    url = toy.sqs.create_queue(QueueName="toy-WindowQueue", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    source = dataclasses.replace(toy.stack.sqs_sources[0], queue_url=url, batching_window=0.8, batch_size=3,
                                 report_batch_item_failures=False)
    toy.sqs.send_message(QueueUrl=url, MessageBody="first")
    threading.Timer(0.1, lambda: toy.sqs.send_message(QueueUrl=url, MessageBody="second")).start()
    started = time.monotonic()
    assert poller._deliver_batch(source)
    waited = time.monotonic() - started
    ((_, event, _),) = toy.calls
    assert sorted(r["body"] for r in event["Records"]) == ["first", "second"], waited
    assert 0.75 <= waited < 3, waited  # the window closed with the batch not full

    toy.calls.clear()
    for body in ("a", "b", "c"):
        toy.sqs.send_message(QueueUrl=url, MessageBody=body)
    started = time.monotonic()
    assert poller._deliver_batch(source)
    assert time.monotonic() - started < 0.7  # full: no waiting for the window
    assert sorted(r["body"] for r in toy.calls[0][1]["Records"]) == ["a", "b", "c"]
