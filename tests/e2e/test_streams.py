"""local/streams.py with tests/e2e/streams/template.yaml: the table on a real DynamoDB Local
(one per module, in memory), the bus and queues on moto in this process, the functions run
by local.runtime. Faults are real: handlers raise, consumers are stopped and started again."""
from __future__ import annotations

import dataclasses
import json
import statistics
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import (DynamoDBStreamLambdaOnFailureDestinationModel,
                                                           DynamoDBStreamModel)
from moto import mock_aws

from local.cfn import build_stack
from local.runtime import Runtime
from local.streams import CHECKPOINTS, StreamConfigError, StreamSources

TEMPLATE = Path(__file__).resolve().parent / "streams" / "template.yaml"
RECORD_KEYS = {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb", "eventSourceARN"}


@pytest.fixture(scope="module")
def engine(dynamodb_local_engine):
    """This test worker's DynamoDB Local (tests/dynamodb_local.py); each test has its own tables."""
    return dynamodb_local_engine.server


@pytest.fixture(scope="module")
def aws():
    """moto for the bus and queues, one session for the module (boto3 clients are slow to
    make from a fresh session); each test builds the template under its own prefix."""
    with mock_aws():
        yield boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def env(engine, aws, tmp_path):
    session = aws
    prefix = f"s{uuid.uuid4().hex[:8]}"  # a fresh table, bus and queues per test
    endpoints = {"dynamodb": engine.endpoint}
    stack = build_stack(session, prefix=prefix, template_path=TEMPLATE, endpoints=endpoints)
    runtime = Runtime(stack)
    calls: list[tuple[str, object, float]] = []

    def invoke(function_id, event):
        calls.append((function_id, event, time.time()))
        return runtime.invoke(function_id, event)

    running: list[StreamSources] = []

    def sources(*consumer_ids: str) -> StreamSources:
        chosen = [s for s in stack.stream_sources if s.consumer_id in consumer_ids]
        assert len(chosen) == len(consumer_ids)
        streams = StreamSources(session, dataclasses.replace(stack, stream_sources=chosen), invoke, tmp_path, endpoints)
        running.append(streams)
        return streams

    yield SimpleNamespace(stack=stack, calls=calls, sources=sources, state_dir=tmp_path, prefix=prefix,
                          table=stack.names["OrdersTable"], sqs=session.client("sqs"),
                          dynamodb=session.client("dynamodb", endpoint_url=engine.endpoint),
                          streams=session.client("dynamodbstreams", endpoint_url=engine.endpoint))
    for streams in running:
        streams.stop()
    runtime.stop()


def put(env, key: str, **attributes) -> None:
    item = {"id": {"S": key}, **{k: ({"N": str(v)} if isinstance(v, int) else {"S": str(v)}) for k, v in attributes.items()}}
    env.dynamodb.put_item(TableName=env.table, Item=item)


def wait_until(done, timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def records_of(event) -> list[dict]:
    return event["Records"] if isinstance(event, dict) else event


def batches(env, function_id: str) -> list[list[str]]:
    """Each invocation of a function as the list of "<eventName> <key>" it was given."""
    return [[f"{r['eventName']} {r['dynamodb']['Keys']['id']['S']}" for r in records_of(event)]
            for fid, event, _ in env.calls if fid == function_id]


def stream_records(env) -> list[dict]:
    """Everything in the table's stream, read straight from DynamoDB Local."""
    arn = env.dynamodb.describe_table(TableName=env.table)["Table"]["LatestStreamArn"]
    out = []
    for shard in env.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = env.streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        out += env.streams.get_records(ShardIterator=iterator)["Records"]
    return out


def receive(sqs, url: str, count: int, timeout: float = 8.0) -> list[dict]:
    messages: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(messages) < count:
        assert time.monotonic() < deadline, f"timed out with {len(messages)} of {count} messages"
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        messages += got
        if not got:
            # moto answers in this process: polling without a pause starves the consumer
            # threads under test (they waited seconds for the GIL to make one DynamoDB call).
            time.sleep(0.05)
    return messages


def test_the_template_is_read(env):
    by_id = {s.consumer_id: s for s in env.stack.stream_sources}
    assert "pipe:StoppedPipe" not in by_id  # DesiredState STOPPED
    give_up = by_id["function:GiveUpFunction:Changes"]
    assert (give_up.kind, give_up.starting_position, give_up.batch_size, give_up.max_retries) == ("mapping", "TRIM_HORIZON", 10, 2)
    assert give_up.on_failure_url == env.stack.queue_urls["FailuresQueue"] and give_up.table_name == env.table
    assert by_id["function:InsertsFunction:Inserts"].filters == ['{"eventName": ["INSERT"]}']
    assert by_id["function:PartialFunction:Changes"].report_batch_item_failures
    outbox = by_id["pipe:OutboxPipe"]
    assert (outbox.bus_name, outbox.detail_type, outbox.event_source) == (f"{env.prefix}-bus", "order.created", "orders")
    assert outbox.arn == f"arn:aws:pipes:us-east-1:123456789012:pipe/{env.prefix}-OutboxPipe"
    function_pipe = by_id["pipe:FunctionPipe"]
    assert (function_pipe.function_id, function_pipe.max_retries) == ("PipeTargetFunction", 1)
    assert function_pipe.on_failure_url == env.stack.queue_urls["PipeDeadLetterQueue"]


@pytest.mark.parametrize("pattern, complaint", [('{"eventName": [{"prefx": "IN"}]}', "prefx"),
                                                ('{"eventName": "INSERT"}', "must be an object or an array"),
                                                ("{not json", "Invalid JSON")])
def test_a_filter_the_local_stack_cannot_match_is_refused(env, pattern, complaint):
    source = next(s for s in env.stack.stream_sources if s.consumer_id == "function:InsertsFunction:Inserts")
    source.filters = [pattern]
    with pytest.raises(StreamConfigError, match=complaint):
        env.sources(source.consumer_id)
    assert not (env.state_dir / CHECKPOINTS).exists()


def test_records_arrive_in_order_in_batches_in_the_shape_lambda_sends(env):
    for key in "abcd":
        put(env, key, n=1)
    env.dynamodb.update_item(TableName=env.table, Key={"id": {"S": "a"}}, UpdateExpression="SET n = :two",
                             ExpressionAttributeValues={":two": {"N": "2"}})
    env.dynamodb.delete_item(TableName=env.table, Key={"id": {"S": "b"}})
    env.sources("function:BatchesFunction:Changes").start()
    wait_until(lambda: sum(map(len, batches(env, "BatchesFunction"))) == 6)
    assert batches(env, "BatchesFunction") == [["INSERT a", "INSERT b", "INSERT c"], ["INSERT d", "MODIFY a", "REMOVE b"]]

    records = [r for _, event, _ in env.calls for r in event["Records"]]
    for _, event, _ in env.calls:
        DynamoDBStreamModel.model_validate(event)  # Powertools' model of Lambda's DynamoDB event
    assert all(set(r) == RECORD_KEYS for r in records)
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence) and len(set(sequence)) == 6
    insert, modify, remove = records[0], records[4], records[5]
    assert insert["eventSource"] == "aws:dynamodb" and insert["awsRegion"] == "us-east-1"
    assert insert["eventSourceARN"].startswith(f"arn:aws:dynamodb:us-east-1:123456789012:table/{env.table}/stream/")
    assert isinstance(insert["dynamodb"]["ApproximateCreationDateTime"], float)
    assert insert["dynamodb"]["NewImage"] == {"id": {"S": "a"}, "n": {"N": "1"}} and "OldImage" not in insert["dynamodb"]
    assert modify["dynamodb"]["OldImage"]["n"] == {"N": "1"} and modify["dynamodb"]["NewImage"]["n"] == {"N": "2"}
    assert remove["dynamodb"]["Keys"] == {"id": {"S": "b"}} and "NewImage" not in remove["dynamodb"]
    assert remove["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_a_failing_batch_is_retried_and_blocks_its_shard(env):
    put(env, "a"), put(env, "b", fail_times=2), put(env, "c"), put(env, "d")
    env.sources("function:BatchesFunction:Changes").start()
    wait_until(lambda: len(batches(env, "BatchesFunction")) == 4)
    time.sleep(0.3)
    first = ["INSERT a", "INSERT b", "INSERT c"]
    # Two failures, the third attempt succeeds; "d" waits behind the failing batch.
    assert batches(env, "BatchesFunction") == [first, first, first, ["INSERT d"]]


def test_a_batch_that_keeps_failing_is_described_on_the_failure_queue_and_skipped(env):
    put(env, "a", poison=1), put(env, "b")
    env.sources("function:GiveUpFunction:Changes").start()
    (message,) = receive(env.sqs, env.stack.queue_urls["FailuresQueue"], 1)
    put(env, "c")
    wait_until(lambda: ["INSERT c"] in batches(env, "GiveUpFunction"))
    assert batches(env, "GiveUpFunction") == [["INSERT a", "INSERT b"]] * 3 + [["INSERT c"]]  # 1 try + 2 retries

    failure = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate_json(message["Body"])
    body = json.loads(message["Body"])
    a, b = stream_records(env)[:2]
    info = body["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        a["dynamodb"]["SequenceNumber"], b["dynamodb"]["SequenceNumber"], 2)
    arn = env.dynamodb.describe_table(TableName=env.table)["Table"]["LatestStreamArn"]
    shard = env.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    assert info["shardId"] == shard and info["streamArn"].startswith("arn:aws:dynamodb:us-east-1:123456789012:table/")
    assert failure.request_context.condition == "RetryAttemptsExhausted"
    assert failure.request_context.approximate_invoke_count == 3
    assert failure.request_context.function_arn.endswith(f":function:{env.prefix}-GiveUpFunction")
    assert failure.response_context.function_error == "Unhandled" and body["version"] == "1.0"


def test_a_filter_drops_what_it_does_not_match(env):
    put(env, "before")  # LATEST: written before the consumer first started, never delivered
    streams = env.sources("function:InsertsFunction:Inserts")
    streams.start()
    wait_until(lambda: (env.state_dir / CHECKPOINTS).exists())
    put(env, "x")
    env.dynamodb.update_item(TableName=env.table, Key={"id": {"S": "x"}}, UpdateExpression="SET n = :one",
                             ExpressionAttributeValues={":one": {"N": "1"}})
    put(env, "y")
    env.dynamodb.delete_item(TableName=env.table, Key={"id": {"S": "x"}})
    last = stream_records(env)[-1]["dynamodb"]["SequenceNumber"]
    wait_until(lambda: json.loads((env.state_dir / CHECKPOINTS).read_text())["function:InsertsFunction:Inserts"]
               ["shards"].popitem()[1]["after"] == last)  # checkpointed past the dropped REMOVE
    streams.stop()
    assert [r for batch in batches(env, "InsertsFunction") for r in batch] == ["INSERT x", "INSERT y"]


def test_reported_batch_item_failures_checkpoint_up_to_the_first_failed_record(env):
    put(env, "a"), put(env, "b", reject=1), put(env, "c")
    env.sources("function:PartialFunction:Changes").start()
    wait_until(lambda: len(batches(env, "PartialFunction")) == 2)
    time.sleep(0.3)
    assert batches(env, "PartialFunction") == [["INSERT a", "INSERT b", "INSERT c"], ["INSERT b", "INSERT c"]]


def test_a_restarted_consumer_resumes_from_its_checkpoint(env):
    consumers = ("function:BatchesFunction:Changes", "function:InsertsFunction:Inserts")
    first = env.sources(*consumers)
    first.start()
    # Both consumers positioned on the stream's shard (LATEST) before anything is written: a
    # consumer's entry appears in the file as soon as another consumer writes it, before its
    # own first look at the shards, and a first look after the writes starts past them.
    wait_until(lambda: (env.state_dir / CHECKPOINTS).exists()
               and [bool(entry["shards"]) for entry in json.loads((env.state_dir / CHECKPOINTS).read_text()).values()]
               == [True, True], timeout=20)
    for key in ("a", "b", "c"):
        put(env, key)
    wait_until(lambda: sum(map(len, batches(env, "BatchesFunction"))) == 3
               and sum(map(len, batches(env, "InsertsFunction"))) == 3, timeout=20)
    first.stop()
    for key in ("d", "e", "f"):
        put(env, key)  # while nothing runs
    time.sleep(0.3)
    assert sum(map(len, batches(env, "BatchesFunction"))) == 3
    env.sources(*consumers).start()  # a new process would build exactly this from streams.json
    wait_until(lambda: sum(map(len, batches(env, "BatchesFunction"))) == 6
               and sum(map(len, batches(env, "InsertsFunction"))) == 6, timeout=20)
    time.sleep(0.4)
    for function_id in ("BatchesFunction", "InsertsFunction"):
        delivered = [r for batch in batches(env, function_id) for r in batch]
        assert delivered == [f"INSERT {k}" for k in "abcdef"], function_id  # each once, in order


def test_a_pipe_puts_one_event_per_record_on_the_bus(env):
    env.sources("pipe:OutboxPipe", "pipe:TemplatedPipe").start()
    put(env, "order-1", cents=5), put(env, "note-1")
    env.dynamodb.update_item(TableName=env.table, Key={"id": {"S": "order-1"}}, UpdateExpression="SET cents = :six",
                             ExpressionAttributeValues={":six": {"N": "6"}})
    put(env, "order-2", cents=7)
    events = [json.loads(m["Body"]) for m in receive(env.sqs, env.stack.queue_urls["BusQueue"], 6)]
    time.sleep(0.3)
    assert env.sqs.receive_message(QueueUrl=env.stack.queue_urls["BusQueue"]).get("Messages", []) == []

    created = [e for e in events if e["detail-type"] == "order.created"]
    assert [e["detail"]["dynamodb"]["Keys"]["id"]["S"] for e in created] == ["order-1", "order-2"]
    event = created[0]
    assert event["source"] == "orders" and event["resources"] == [f"arn:aws:pipes:us-east-1:123456789012:pipe/{env.prefix}-OutboxPipe"]
    assert set(event["detail"]) == RECORD_KEYS and event["detail"]["eventName"] == "INSERT"
    assert event["detail"]["dynamodb"]["NewImage"] == {"id": {"S": "order-1"}, "cents": {"N": "5"}}
    changed = [e["detail"] for e in events if e["detail-type"] == "order.changed"]
    pipe = f"{env.prefix}-TemplatedPipe"
    assert changed == [{"id": "order-1", "change": "INSERT of order-1", "pipe": pipe},
                       {"id": "note-1", "change": "INSERT of note-1", "pipe": pipe},
                       {"id": "order-1", "change": "MODIFY of order-1", "pipe": pipe},
                       {"id": "order-2", "change": "INSERT of order-2", "pipe": pipe}]


def test_a_pipe_gives_a_function_the_batch_and_dead_letters_what_keeps_failing(env):
    put(env, "a"), put(env, "b", poison=1)
    env.sources("pipe:FunctionPipe").start()
    (message,) = receive(env.sqs, env.stack.queue_urls["PipeDeadLetterQueue"], 1)
    put(env, "c")
    wait_until(lambda: ["INSERT c"] in batches(env, "PipeTargetFunction"))
    assert batches(env, "PipeTargetFunction") == [["INSERT a", "INSERT b"]] * 2 + [["INSERT c"]]
    assert all(isinstance(event, list) for _, event, _ in env.calls)  # Pipes send a JSON array

    body = json.loads(message["Body"])
    assert set(body) == {"context", "version", "timestamp", "DDBStreamBatchInfo"}
    assert body["context"] == {"partnerResourceArn": f"arn:aws:pipes:us-east-1:123456789012:pipe/{env.prefix}-FunctionPipe",
                               "condition": "RetryAttemptsExhausted"}
    assert body["DDBStreamBatchInfo"]["batchSize"] == 2


def test_latency_from_a_write_to_its_consumer(env):
    env.sources("function:BatchesFunction:Changes").start()
    written: dict[str, float] = {}
    for n in range(20):
        key = f"k{n}"
        written[key] = time.time()
        put(env, key)
        wait_until(lambda: any(f"INSERT {key}" in batch for batch in batches(env, "BatchesFunction")))
        time.sleep(0.037 * (n % 4))  # land at different points of the idle poll
    invoked = {r["dynamodb"]["Keys"]["id"]["S"]: at for _, event, at in env.calls for r in event["Records"]}
    delays = sorted(invoked[k] - written[k] for k in written)
    print(f"PutItem -> invocation: p50 {statistics.median(delays) * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms")
    assert statistics.median(delays) < 0.3 and delays[-1] < 1.0


def test_bisecting_isolates_the_failing_record(env):
    for key in "abcd":
        put(env, key, **({"poison": 1} if key == "b" else {}))
    env.sources("function:BisectFunction:Changes").start()
    wait_until(lambda: ["INSERT c", "INSERT d"] in batches(env, "BisectFunction"))
    time.sleep(0.3)
    abcd = ["INSERT a", "INSERT b", "INSERT c", "INSERT d"]
    # Halving is not a retry; alone, "b" gets its one attempt (MaximumRetryAttempts 0) and is skipped.
    assert batches(env, "BisectFunction") == [abcd, abcd[:2], abcd[:1], abcd[1:], abcd[1:2], abcd[2:]]


def test_a_stream_enabled_again_is_followed_from_its_first_record(env):
    streams = env.sources("function:InsertsFunction:Inserts")
    streams.start()
    wait_until(lambda: (env.state_dir / CHECKPOINTS).exists())
    put(env, "a")
    wait_until(lambda: batches(env, "InsertsFunction") == [["INSERT a"]])
    old = env.dynamodb.describe_table(TableName=env.table)["Table"]["LatestStreamArn"]
    env.dynamodb.update_table(TableName=env.table, StreamSpecification={"StreamEnabled": False})
    put(env, "b")  # no stream records this
    env.dynamodb.update_table(TableName=env.table, StreamSpecification={"StreamEnabled": True,
                                                                        "StreamViewType": "NEW_AND_OLD_IMAGES"})
    put(env, "c")  # before the consumer noticed the new stream: still delivered (LATEST is for a first start)
    wait_until(lambda: ["INSERT c"] in batches(env, "InsertsFunction"))
    streams.stop()
    assert batches(env, "InsertsFunction") == [["INSERT a"], ["INSERT c"]]
    saved = json.loads((env.state_dir / CHECKPOINTS).read_text())["function:InsertsFunction:Inserts"]
    assert saved["stream"] == env.dynamodb.describe_table(TableName=env.table)["Table"]["LatestStreamArn"] != old
