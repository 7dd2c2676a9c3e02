"""local/state.py on the local stack's engines (tests/e2e/toy): what still lives in moto
(S3 objects) survives a restart byte for byte, and a `state.json` written by the
moto-only stack is imported into DynamoDB Local and the queue journal once, then set aside."""
from __future__ import annotations

import base64
import json
import uuid

from local.engines import Engines
from local.state import DATA_FORMAT, IMPORTED_SUFFIX, SNAPSHOT, Snapshots, set_aside_older_data

from .conftest import TOY_TEMPLATE

ITEM = {"id": {"S": "one"}, "raw": {"B": b"\x00\xff"}, "set": {"BS": [b"\x01", b"\x02"]}, "n": {"N": "1.5"},
        "tags": {"SS": ["a", "b"]}, "deep": {"M": {"list": {"L": [{"B": b"\x03"}, {"NULL": True}, {"BOOL": False}]}}}}
# ITEM as the moto-only stack wrote it into state.json: DynamoDB wire JSON, binary in base64.
WIRE_ITEM = {"id": {"S": "one"}, "raw": {"B": base64.b64encode(b"\x00\xff").decode()},
             "set": {"BS": [base64.b64encode(b"\x01").decode(), base64.b64encode(b"\x02").decode()]},
             "n": {"N": "1.5"}, "tags": {"SS": ["a", "b"]},
             "deep": {"M": {"list": {"L": [{"B": base64.b64encode(b"\x03").decode()}, {"NULL": True}, {"BOOL": False}]}}}}


class Started:
    """One run of the stack's engines on a state dir (a start ... a stop), on this test
    worker's DynamoDB Local (which outlives the runs, as the stack's own does on disk)."""

    def __init__(self, state_dir, engine, prefix: str):
        self.engines = Engines(state_dir, template_path=TOY_TEMPLATE, prefix=prefix, dynamodb=engine.server)

    def __enter__(self):
        e = self.engines
        e.start()
        self.snapshots = Snapshots(e.session, e.state_dir, e.aws.endpoint, dynamodb=e.client("dynamodb"),
                                   queues=e.queues, schedule_groups=e.stack.schedule_groups)
        return self

    def __exit__(self, *exc):
        self.engines.stop()


def test_restart_keeps_items_objects_and_messages(tmp_path, dynamodb_local_engine):
    prefix = f"restart{uuid.uuid4().hex[:6]}"
    with Started(tmp_path, dynamodb_local_engine, prefix) as run:
        e = run.engines
        s3 = e.client("s3")
        e.client("dynamodb").put_item(TableName=e.stack.names["ThingsTable"], Item=ITEM)
        bucket = e.stack.names["FilesBucket"]
        s3.put_object(Bucket=bucket, Key="a/photo.png", Body=b"\x89PNG", ContentType="image/png", Metadata={"who": "me"})
        s3.put_object(Bucket=bucket, Key="gone.txt", Body=b"soon deleted")
        e.client("sqs").send_message(QueueUrl=e.stack.queue_urls["WorkQueue"], MessageBody="waiting",
                                     MessageAttributes={"bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
        run.snapshots.save()
        assert len(list((tmp_path / "s3").iterdir())) == 2
        s3.delete_object(Bucket=bucket, Key="gone.txt")
        run.snapshots.save()
        assert len(list((tmp_path / "s3").iterdir())) == 1  # the deleted object's body is dropped
        assert "dynamodb" not in json.loads((tmp_path / SNAPSHOT).read_text())  # items live in DynamoDB Local

    with Started(tmp_path, dynamodb_local_engine, prefix) as run:  # the restarted process
        e = run.engines
        assert run.snapshots.restore() == 0  # nothing to import: the items never left DynamoDB Local
        got = e.client("dynamodb").get_item(TableName=e.stack.names["ThingsTable"], Key={"id": {"S": "one"}})
        assert got["Item"] == ITEM
        photo = e.client("s3").get_object(Bucket=e.stack.names["FilesBucket"], Key="a/photo.png")
        assert photo["Body"].read() == b"\x89PNG" and photo["ContentType"] == "image/png"
        assert photo["Metadata"] == {"who": "me"}
        (message,) = e.client("sqs").receive_message(QueueUrl=e.stack.queue_urls["WorkQueue"],
                                                     MessageAttributeNames=["All"])["Messages"]
        assert message["Body"] == "waiting" and message["MessageAttributes"]["bin"]["BinaryValue"] == b"\x00\x01"


def test_a_snapshot_of_the_moto_only_stack_is_imported_once(tmp_path, capsys, dynamodb_local_engine):
    p = f"import{uuid.uuid4().hex[:6]}"
    (tmp_path / "s3").mkdir()
    (tmp_path / "s3" / "etag1").write_bytes(b"\x89PNG")
    (tmp_path / SNAPSHOT).write_text(json.dumps({
        "format": DATA_FORMAT,
        "dynamodb": {f"{p}-ThingsTable": [WIRE_ITEM], f"{p}-GoneTable": [WIRE_ITEM]},
        "sqs": {f"{p}-WorkQueue": [{"body": "queued before the upgrade", "attributes": {}, "group_id": None,
                                   "deduplication_id": None}]},
        "s3": {f"{p}-filesbucket": {"photo.png": {"etag": "etag1", "content_type": "image/png", "metadata": {}}}},
    }))
    with Started(tmp_path, dynamodb_local_engine, p) as run:
        e = run.engines
        assert run.snapshots.restore() == 1
        assert e.client("dynamodb").get_item(TableName=f"{p}-ThingsTable", Key={"id": {"S": "one"}})["Item"] == ITEM
        (message,) = e.queues.receive(f"{p}-WorkQueue")
        assert message["Body"] == "queued before the upgrade"
        e.queues.change_visibility(f"{p}-WorkQueue", message["ReceiptHandle"], 0)
        assert e.client("s3").get_object(Bucket=f"{p}-filesbucket", Key="photo.png")["Body"].read() == b"\x89PNG"
        assert (tmp_path / (SNAPSHOT + IMPORTED_SUFFIX)).exists()
        assert "dynamodb" not in json.loads((tmp_path / SNAPSHOT).read_text())
        e.client("dynamodb").delete_item(TableName=f"{p}-ThingsTable", Key={"id": {"S": "one"}})
    err = capsys.readouterr().err
    assert f"{p}-GoneTable is no longer in template.yaml" in err and "imported 1 items" in err

    with Started(tmp_path, dynamodb_local_engine, p) as run:  # the next start does not import it again
        assert run.snapshots.restore() == 0
        assert "Item" not in run.engines.client("dynamodb").get_item(TableName=f"{p}-ThingsTable", Key={"id": {"S": "one"}})
        assert [m["Body"] for m in run.engines.queues.receive(f"{p}-WorkQueue")] == ["queued before the upgrade"]


def test_data_of_an_older_data_format_is_set_aside(tmp_path, capsys):
    """Items written by older code (no count buckets) would show wrong counts: before the
    engines open their files, the old data is moved aside (kept, not deleted) and the
    stack starts fresh."""
    (tmp_path / SNAPSHOT).write_text(json.dumps({"dynamodb": {"toy-ThingsTable": [WIRE_ITEM]}}))  # what format 1 wrote
    (tmp_path / "dynamodb").mkdir()
    (tmp_path / "dynamodb" / "shared-local-instance.db").write_bytes(b"older tables")
    assert set_aside_older_data(tmp_path)
    assert not (tmp_path / SNAPSHOT).exists() and not (tmp_path / "dynamodb").exists()
    assert (tmp_path / f"{SNAPSHOT}.format-1").exists()
    assert (tmp_path / "dynamodb.format-1" / "shared-local-instance.db").read_bytes() == b"older tables"
    assert "older Parley" in capsys.readouterr().err
    assert not set_aside_older_data(tmp_path)  # nothing left to move: a fresh start
