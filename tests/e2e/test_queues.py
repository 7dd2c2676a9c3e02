"""The runner's SQS engine and EventBridge router (local/queues.py, local/bus.py), spoken to
by real boto3 clients over HTTP through local/aws.py's server, and their journal put
through real faults: a process killed with SIGKILL mid-burst, a torn last write."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.sqs.models import Message as MotoMessage

import local.queues as queues_module
from local.aws import MotoServer
from local.bus import Bus
from local.queues import JOURNAL_NAME, JournalError, Queues, SqsError

ROOT = Path(__file__).resolve().parents[2]
ARN = "arn:aws:sqs:us-east-1:123456789012:"


def client(service: str, endpoint: str, **config):
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="local",
                        aws_secret_access_key="local", config=Config(**config) if config else None)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = MotoServer(0)
    queues = Queues(tmp_path_factory.mktemp("journal"), endpoint=server.endpoint)
    server.engines["AmazonSQS"] = queues.handle
    server.engines["AWSEvents"] = Bus(queues, server.lock).handle
    server.start()
    server.queues = queues
    yield server
    server.stop()
    queues.close()


@pytest.fixture(scope="module")
def sqs(server):
    return client("sqs", server.endpoint)


def fresh(sqs, name: str, **attributes) -> str:
    return sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]


def error_code(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return type(caught.value).__name__, caught.value.response["Error"]["Code"]


def test_send_receive_delete_with_sqs_digests_and_attributes(sqs):
    url = fresh(sqs, "plain")
    attributes = {"kind": {"DataType": "String", "StringValue": "reply"},
                  "n": {"DataType": "Number", "StringValue": "42"},
                  "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xffbytes"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="héllo", MessageAttributes=attributes)
    # moto's implementation of SQS's attribute digest agrees with ours.
    reference = MotoMessage("x", "héllo")
    reference.message_attributes = attributes
    assert sent["MD5OfMessageBody"] == reference.body_md5
    assert sent["MD5OfMessageAttributes"] == reference.attribute_md5

    got = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"],
                              MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 1
    message = got[0]
    assert message["MessageId"] == sent["MessageId"] and message["Body"] == "héllo"
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\xffbytes"
    assert message["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": "42"}
    assert set(message["Attributes"]) == {"SenderId", "SentTimestamp", "ApproximateReceiveCount",
                                          "ApproximateFirstReceiveTimestamp"}
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"

    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")
    assert counts["QueueArn"] == ARN + "plain" and counts["VisibilityTimeout"] == "30"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])  # again: succeeds, as on SQS
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert counts["Attributes"] == {"ApproximateNumberOfMessagesNotVisible": "0"}

    # Only the attributes asked for, by name or prefix.
    sqs.send_message(QueueUrl=url, MessageBody="b", MessageAttributes={
        "app.a": {"DataType": "String", "StringValue": "1"}, "other": {"DataType": "String", "StringValue": "2"}})
    message = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["app.*"],
                                  MessageSystemAttributeNames=["SentTimestamp"])["Messages"][0]
    assert list(message["MessageAttributes"]) == ["app.a"] and list(message["Attributes"]) == ["SentTimestamp"]


def test_errors_are_sqs_errors(sqs):
    url = fresh(sqs, "errors")
    exceptions = sqs.exceptions
    with pytest.raises(exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="no-such-queue")
    with pytest.raises(exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=url.replace("errors", "gone"), MessageBody="x")
    assert error_code(lambda: sqs.send_message(QueueUrl=url, MessageBody=""))[1] == "MissingParameter"
    assert error_code(lambda: sqs.send_message(QueueUrl=url, MessageBody="x" * 262_145))[1] == "InvalidParameterValue"
    assert error_code(lambda: sqs.send_message(QueueUrl=url, MessageBody="bad \x01"))[0] == "InvalidMessageContents"
    assert error_code(lambda: sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901))[1] == \
        "InvalidParameterValue"
    assert error_code(lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={
        "a": {"DataType": "Number", "StringValue": "nan?"}}))[1] == "InvalidParameterValue"
    assert error_code(lambda: sqs.send_message_batch(QueueUrl=url, Entries=[]))[0] == "EmptyBatchRequest"
    eleven = [{"Id": str(i), "MessageBody": "x"} for i in range(11)]
    assert error_code(lambda: sqs.send_message_batch(QueueUrl=url, Entries=eleven))[0] == \
        "TooManyEntriesInBatchRequest"
    twice = [{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]
    assert error_code(lambda: sqs.send_message_batch(QueueUrl=url, Entries=twice))[0] == "BatchEntryIdsNotDistinct"
    assert error_code(lambda: sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "no spaces", "MessageBody": "x"}])
                      )[0] == "InvalidBatchEntryId"
    big = [{"Id": str(i), "MessageBody": "x" * 100_000} for i in range(3)]
    assert error_code(lambda: sqs.send_message_batch(QueueUrl=url, Entries=big))[0] == "BatchRequestTooLong"
    assert error_code(lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle="forged"))[0] == \
        "ReceiptHandleIsInvalid"
    assert error_code(lambda: sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11))[1] == \
        "InvalidParameterValue"
    assert error_code(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Colour"]))[0] == \
        "InvalidAttributeName"
    assert error_code(lambda: fresh(sqs, "errors", VisibilityTimeout=5))[0] == "QueueNameExists"
    assert fresh(sqs, "errors") == url  # the same definition again is fine
    assert error_code(lambda: fresh(sqs, "bad name"))[1] == "InvalidParameterValue"
    # Nothing a refused call carried was queued.
    assert "Messages" not in sqs.receive_message(QueueUrl=url)

    # A batch with one bad entry: the others are sent.
    answer = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "ok", "MessageBody": "fine"},
                                                             {"Id": "bad", "MessageBody": "x", "DelaySeconds": 901}])
    assert [s["Id"] for s in answer["Successful"]] == ["ok"]
    assert answer["Failed"][0]["Id"] == "bad" and answer["Failed"][0]["Code"] == "InvalidParameterValue"


def test_visibility_timeout_change_visibility_and_delay(sqs):
    url = fresh(sqs, "visibility", VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="one")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3, AttributeNames=["ApproximateReceiveCount"])
    assert again["Messages"][0]["MessageId"] == first["MessageId"]
    assert again["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"
    handle = again["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    third = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"][0]
    with pytest.raises(ClientError) as caught:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_201)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=0)
    assert error_code(lambda: sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"],
                                                            VisibilityTimeout=5))[0] == "MessageNotInflight"
    fourth = sqs.receive_message(QueueUrl=url)["Messages"][0]
    answer = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": fourth["ReceiptHandle"], "VisibilityTimeout": 100},
        {"Id": "b", "ReceiptHandle": "forged", "VisibilityTimeout": 1}])
    assert [s["Id"] for s in answer["Successful"]] == ["a"] and answer["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    answer = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "a", "ReceiptHandle": fourth["ReceiptHandle"]}])
    assert answer["Successful"] == [{"Id": "a"}]

    delayed = fresh(sqs, "delayed")
    sqs.send_message(QueueUrl=delayed, MessageBody="later", DelaySeconds=1)
    counts = sqs.get_queue_attributes(QueueUrl=delayed, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1" and counts["ApproximateNumberOfMessages"] == "0"
    assert "Messages" not in sqs.receive_message(QueueUrl=delayed)
    started = time.monotonic()
    assert sqs.receive_message(QueueUrl=delayed, WaitTimeSeconds=5)["Messages"][0]["Body"] == "later"
    assert time.monotonic() - started < 2


def test_redrive_to_the_dead_letter_queue(sqs):
    dlq = fresh(sqs, "redrive-dlq")
    url = fresh(sqs, "redrive", RedrivePolicy=json.dumps({"deadLetterTargetArn": ARN + "redrive-dlq",
                                                          "maxReceiveCount": 2}))
    assert error_code(lambda: fresh(sqs, "redrive-2", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": ARN + "missing", "maxReceiveCount": 2})))[1] == "InvalidParameterValue"
    sent = sqs.send_message(QueueUrl=url, MessageBody="poison")["MessageId"]
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["MessageId"] == sent
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # the third receive moves it
    moved = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert moved["MessageId"] == sent and moved["Body"] == "poison"
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == ARN + "redrive"


def test_fifo_order_groups_and_deduplication(sqs):
    url = fresh(sqs, "orders.fifo", FifoQueue="true")
    assert error_code(lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g"))[1] == \
        "InvalidParameterValue"  # neither a deduplication id nor content-based deduplication
    assert error_code(lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d"))[1] == \
        "MissingParameter"
    sent = {}
    for body, group in (("a1", "A"), ("a2", "A"), ("b1", "B"), ("a3", "A")):
        sent[body] = sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group,
                                      MessageDeduplicationId=body)
    repeat = sqs.send_message(QueueUrl=url, MessageBody="a1 again", MessageGroupId="A", MessageDeduplicationId="a1")
    assert repeat["MessageId"] == sent["a1"]["MessageId"]
    assert repeat["SequenceNumber"] == sent["a1"]["SequenceNumber"]
    assert int(sent["a1"]["SequenceNumber"]) < int(sent["a2"]["SequenceNumber"])

    def receive(count=1):
        return [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=count,
                                                       VisibilityTimeout=30).get("Messages", [])]

    first = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"][0]
    assert first["Body"] == "a1"
    assert first["Attributes"]["MessageGroupId"] == "A" and first["Attributes"]["MessageDeduplicationId"] == "a1"
    assert first["Attributes"]["SequenceNumber"] == sent["a1"]["SequenceNumber"]
    assert receive(10) == ["b1"]  # group A is blocked while a1 is in flight
    assert receive(10) == []
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in again] == ["a1", "a2"]  # in order, several of one group at once
    for message in again:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert receive(10) == ["a3"]

    content = fresh(sqs, "content.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    one = sqs.send_message(QueueUrl=content, MessageBody="same", MessageGroupId="g")
    two = sqs.send_message(QueueUrl=content, MessageBody="same", MessageGroupId="g")
    assert one["MessageId"] == two["MessageId"]
    counts = sqs.get_queue_attributes(QueueUrl=content, AttributeNames=["ApproximateNumberOfMessages"])
    assert counts["Attributes"]["ApproximateNumberOfMessages"] == "1"


def test_long_poll_wakes_on_send_and_lists_purges_deletes(sqs):
    url = fresh(sqs, "long-poll")
    got = {}

    def poll():
        started = time.monotonic()
        got["answer"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)
        got["took"] = time.monotonic() - started

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    poller.join(5)
    assert got["answer"]["Messages"][0]["Body"] == "wake up" and got["took"] < 1.5

    assert url in sqs.list_queues(QueueNamePrefix="long-")["QueueUrls"]
    paged = sqs.list_queues(MaxResults=1)
    assert len(paged["QueueUrls"]) == 1 and "NextToken" in paged
    sqs.send_message(QueueUrl=url, MessageBody="purged")
    sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.receive_message(QueueUrl=url)


def test_direct_api_and_wait(server, sqs):
    queues: Queues = server.queues
    url = fresh(sqs, "direct", VisibilityTimeout=1)
    assert queues.url("direct") == url and queues.name_of(url) == "direct"
    seen = queues.changes
    waited = {}

    def waiter():
        started = time.monotonic()
        waited["changes"] = queues.wait(seen, 5)
        waited["took"] = time.monotonic() - started

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.2)
    message_id = queues.send("direct", "body", {"bin": {"DataType": "Binary", "BinaryValue": b"\x01"}})
    thread.join(5)
    assert waited["changes"] != seen and waited["took"] < 1

    # What boto3 would have returned, from both sides.
    direct = queues.receive("direct")
    assert direct[0]["MessageId"] == message_id and direct[0]["MessageAttributes"]["bin"]["BinaryValue"] == b"\x01"
    assert direct[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert queues.receive("direct") == []
    assert queues.next_visible_at("direct") == pytest.approx(time.time() + 1, abs=0.3)
    # A poller asleep learns when the in-flight message is visible again.
    seen = queues.changes
    started = time.monotonic()
    assert queues.wait(seen, 5) != seen and 0.5 < time.monotonic() - started < 1.6
    again = queues.receive("direct", max_messages=1, visibility_timeout=30)
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    queues.change_visibility("direct", again[0]["ReceiptHandle"], 0)
    last = queues.receive("direct")
    queues.delete("direct", last[0]["ReceiptHandle"])
    assert queues.receive("direct") == []
    with pytest.raises(SqsError, match="QueueDoesNotExist"):
        queues.send("nowhere", "x")
    with pytest.raises(SqsError, match="ReceiptHandleIsInvalid"):
        queues.delete("direct", "nonsense")


def test_bus_routes_matching_events_to_sqs_targets(server, sqs):
    events = client("events", server.endpoint)
    events.create_event_bus(Name="local-bus")
    for name in ("hits", "misses", "all-hits"):
        fresh(sqs, name)
    events.put_rule(Name="match", EventBusName="local-bus",
                    EventPattern=json.dumps({"source": ["parley"], "detail-type": ["message.created"]}))
    events.put_targets(Rule="match", EventBusName="local-bus", Targets=[
        {"Id": "q", "Arn": ARN + "hits"}, {"Id": "d", "Arn": ARN + "all-hits", "InputPath": "$.detail"}])
    events.put_rule(Name="other", EventBusName="local-bus", EventPattern=json.dumps({"detail-type": ["nope"]}))
    events.put_targets(Rule="other", EventBusName="local-bus", Targets=[{"Id": "q", "Arn": ARN + "misses"}])
    bus_arn = "arn:aws:events:us-east-1:123456789012:event-bus/local-bus"
    answer = events.put_events(Entries=[
        {"Source": "parley", "DetailType": "message.created", "Detail": json.dumps({"id": 7}),
         "EventBusName": bus_arn, "Resources": ["arn:x"]},
        {"Source": "parley", "DetailType": "other.thing", "Detail": "{}", "EventBusName": "local-bus"},
        {"Source": "parley", "DetailType": "message.created", "Detail": "not json", "EventBusName": "local-bus"},
        {"DetailType": "message.created", "Detail": "{}", "EventBusName": "local-bus"}])
    assert answer["FailedEntryCount"] == 2
    assert [e.get("ErrorCode") for e in answer["Entries"]] == [None, None, "MalformedDetail", "InvalidArgument"]
    hits = sqs.receive_message(QueueUrl=queue_url(sqs, "hits"), MaxNumberOfMessages=10)["Messages"]
    assert len(hits) == 1
    event = json.loads(hits[0]["Body"])
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources",
                           "detail"]
    assert event["id"] == answer["Entries"][0]["EventId"] and event["detail"] == {"id": 7}
    assert event["account"] == "123456789012" and event["resources"] == ["arn:x"] and event["time"].endswith("Z")
    detail_only = sqs.receive_message(QueueUrl=queue_url(sqs, "all-hits"))["Messages"][0]
    assert json.loads(detail_only["Body"]) == {"id": 7}
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url(sqs, "misses"))

    # Every other EventBridge call is still moto's.
    assert {r["Name"] for r in events.list_rules(EventBusName="local-bus")["Rules"]} == {"match", "other"}
    too_many = [{"Source": "s", "DetailType": "d", "Detail": "{}"}] * 11
    assert error_code(lambda: events.put_events(Entries=too_many))[1] == "ValidationException"
    assert error_code(lambda: events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}",
                                                           "EventBusName": "no-bus"}]))[1] == \
        "ResourceNotFoundException"


def queue_url(sqs, name: str) -> str:
    return sqs.get_queue_url(QueueName=name)["QueueUrl"]


def test_journal_replays_live_messages_visible_again(tmp_path):
    logged: list[str] = []
    queues = Queues(tmp_path, log=logged.append)
    queues.handle("CreateQueue", {"QueueName": "kept"})
    queues.handle("CreateQueue", {"QueueName": "dropped"})
    ids = [queues.send("kept", f"m{i}") for i in range(4)]
    queues.send("dropped", "gone")
    queues.handle("PurgeQueue", {"QueueUrl": queues.url("dropped")})
    queues.delete("kept", queues.receive("kept", max_messages=1)[0]["ReceiptHandle"])
    in_flight = queues.receive("kept", max_messages=1, visibility_timeout=600)[0]
    queues.close()

    again = Queues(tmp_path, log=logged.append)
    assert again.orphans() == {"kept": 3}  # held until build_stack creates the queue again
    again.handle("CreateQueue", {"QueueName": "kept"})
    again.handle("CreateQueue", {"QueueName": "dropped"})
    replayed = again.receive("kept")
    assert [m["MessageId"] for m in replayed] == ids[1:]  # in order, the in-flight one visible now
    assert in_flight["MessageId"] == ids[1]
    assert all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in replayed)
    assert again.receive("dropped") == [] and logged == []
    again.close()
    # Compacted on start: three live messages, nothing else.
    assert len((tmp_path / JOURNAL_NAME).read_text().splitlines()) == 3


def test_journal_compacts_when_it_grows(tmp_path, monkeypatch):
    monkeypatch.setattr(queues_module, "COMPACT_AFTER_BYTES", 20_000)
    queues = Queues(tmp_path)
    queues.handle("CreateQueue", {"QueueName": "busy"})
    keep = queues.send("busy", "keep me")
    for i in range(300):
        queues.send("busy", "x" * 200)
        for message in queues.receive("busy"):
            if message["MessageId"] != keep:
                queues.delete("busy", message["ReceiptHandle"])
    assert (tmp_path / JOURNAL_NAME).stat().st_size < 30_000  # 300 sends + 300 deletes would be ~120 KB
    queues.close()
    again = Queues(tmp_path)
    again.handle("CreateQueue", {"QueueName": "busy"})
    assert [m["MessageId"] for m in again.receive("busy")] == [keep]
    again.close()


def test_a_torn_last_write_is_dropped_with_a_message_and_a_damaged_journal_refused(tmp_path):
    queues = Queues(tmp_path)
    queues.handle("CreateQueue", {"QueueName": "q"})
    acknowledged = [queues.send("q", f"acked {i}") for i in range(3)]
    queues.close()
    path = tmp_path / JOURNAL_NAME
    whole = path.read_bytes()
    record = json.dumps({"o": "s", "q": "q", "i": "torn", "b": "never answered", "t": 1, "v": 1}).encode()
    path.write_bytes(whole + record[: len(record) // 2])  # the crash cut the write in half

    logged: list[str] = []
    again = Queues(tmp_path, log=logged.append)
    assert len(logged) == 1 and "incomplete" in logged[0] and "never acknowledged" in logged[0]
    again.handle("CreateQueue", {"QueueName": "q"})
    assert [m["MessageId"] for m in again.receive("q")] == acknowledged
    again.close()
    assert b"torn" not in path.read_bytes()

    # Damage before the last record is not a torn write: refuse, change nothing.
    lines = path.read_bytes().split(b"\n")
    lines[0] = lines[0][:10]
    damaged = b"\n".join(lines)
    path.write_bytes(damaged)
    with pytest.raises(JournalError, match="record 1 of 3"):
        Queues(tmp_path)
    assert path.read_bytes() == damaged


SERVE = """
import sys, time
from pathlib import Path
from local.aws import MotoServer
from local.queues import Queues
queues = Queues(Path(sys.argv[1]))
queues.handle("CreateQueue", {"QueueName": "burst"})
server = MotoServer(0)
server.engines["AmazonSQS"] = queues.handle
server.start()
print(server.endpoint, flush=True)
time.sleep(600)
"""


def serve_journal(journal: Path) -> tuple[subprocess.Popen, str]:
    child = subprocess.Popen([sys.executable, "-c", SERVE, str(journal)], cwd=ROOT, stdout=subprocess.PIPE,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    return child, child.stdout.readline().decode().strip()


def test_sigkill_mid_burst_loses_no_acknowledged_message(tmp_path):
    child, endpoint = serve_journal(tmp_path)
    acknowledged: dict[str, str] = {}  # body -> message id
    lock = threading.Lock()
    killed = threading.Event()

    def sender(worker: int) -> None:
        sqs = client("sqs", endpoint, retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5)
        url = f"{endpoint}/123456789012/burst"
        for n in range(150):
            body = f"{worker}-{n}"
            try:
                message_id = sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"]
            except Exception:  # the server died under it: not acknowledged
                return
            with lock:
                acknowledged[body] = message_id
                if len(acknowledged) == 300 and not killed.is_set():
                    os.kill(child.pid, signal.SIGKILL)
                    killed.set()

    threads = [threading.Thread(target=sender, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    child.wait(10)
    assert killed.is_set() and child.returncode == -signal.SIGKILL
    assert len(acknowledged) < 8 * 150  # the kill did land mid-burst

    child, endpoint = serve_journal(tmp_path)
    try:
        sqs = client("sqs", endpoint)
        url = f"{endpoint}/123456789012/burst"
        received: list[dict] = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            received += batch
    finally:
        child.kill()
        child.wait(10)
    bodies = [m["Body"] for m in received]
    assert len(bodies) == len(set(bodies))  # exactly once
    by_body = {m["Body"]: m["MessageId"] for m in received}
    missing = [b for b in acknowledged if b not in by_body]
    assert missing == []
    assert all(by_body[b] == message_id for b, message_id in acknowledged.items())


def test_a_wait_that_times_out_with_nothing_due_returns_and_lets_go_of_the_lock(tmp_path):
    """A poller's idle wait on empty queues ends at its timeout; it must not spin holding
    the lock (which froze every other poller and the runner's shutdown)."""
    queues = Queues(None)
    queues.handle("CreateQueue", {"QueueName": "idle"})
    started = time.monotonic()
    first = threading.Thread(target=queues.wait, args=(queues.changes, 0.2), daemon=True)
    first.start()
    first.join(2)
    assert not first.is_alive() and 0.15 < time.monotonic() - started < 1
    sleeper = threading.Thread(target=queues.wait, args=(queues.changes, 0.3), daemon=True)
    sleeper.start()
    time.sleep(0.4)  # past the sleeper's deadline
    woke = threading.Thread(target=queues.wake, daemon=True)
    woke.start()
    woke.join(1)
    sleeper.join(1)
    assert not woke.is_alive() and not sleeper.is_alive()
