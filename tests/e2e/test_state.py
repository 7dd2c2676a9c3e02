"""local/state.py: a snapshot taken from one moto and restored into a fresh one (what a
restart does) keeps every item, object and message, byte for byte."""
from __future__ import annotations

import json
import threading

import boto3
from moto import mock_aws

from local.cfn import build_stack
from local.state import DATA_FORMAT, SNAPSHOT, Snapshots

from .conftest import TOY_TEMPLATE

ITEM = {"id": {"S": "one"}, "raw": {"B": b"\x00\xff"}, "set": {"BS": [b"\x01", b"\x02"]}, "n": {"N": "1.5"},
        "tags": {"SS": ["a", "b"]}, "deep": {"M": {"list": {"L": [{"B": b"\x03"}, {"NULL": True}, {"BOOL": False}]}}}}


def start(state_dir):
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    stack = build_stack(session, prefix="toy", template_path=TOY_TEMPLATE)
    return session, stack, Snapshots(session, threading.RLock(), state_dir)


def test_restart_keeps_items_objects_and_messages(tmp_path):
    with mock_aws():
        session, stack, snapshots = start(tmp_path)
        s3, sqs = session.client("s3"), session.client("sqs")
        session.client("dynamodb").put_item(TableName=stack.names["ThingsTable"], Item=ITEM)
        bucket = stack.names["FilesBucket"]
        s3.put_object(Bucket=bucket, Key="a/photo.png", Body=b"\x89PNG", ContentType="image/png", Metadata={"who": "me"})
        s3.put_object(Bucket=bucket, Key="gone.txt", Body=b"soon deleted")
        sqs.send_message(QueueUrl=stack.queue_urls["WorkQueue"], MessageBody="waiting",
                         MessageAttributes={"bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
        snapshots.save()
        assert len(list((tmp_path / "s3").iterdir())) == 2
        s3.delete_object(Bucket=bucket, Key="gone.txt")
        snapshots.save()
        assert len(list((tmp_path / "s3").iterdir())) == 1  # the deleted object's body is dropped
        assert json.loads((tmp_path / SNAPSHOT).read_text())["sqs"]

    with mock_aws():  # a fresh, empty moto: the restarted process
        session, stack, snapshots = start(tmp_path)
        assert snapshots.restore() == 1
        got = session.client("dynamodb").get_item(TableName=stack.names["ThingsTable"], Key={"id": {"S": "one"}})
        assert got["Item"] == ITEM
        photo = session.client("s3").get_object(Bucket=stack.names["FilesBucket"], Key="a/photo.png")
        assert photo["Body"].read() == b"\x89PNG" and photo["ContentType"] == "image/png"
        assert photo["Metadata"] == {"who": "me"}
        (message,) = session.client("sqs").receive_message(QueueUrl=stack.queue_urls["WorkQueue"],
                                                           MessageAttributeNames=["All"])["Messages"]
        assert message["Body"] == "waiting" and message["MessageAttributes"]["bin"]["BinaryValue"] == b"\x00\x01"


def test_a_snapshot_of_an_older_data_format_is_set_aside(tmp_path, capsys):
    """Items written by older code (no count buckets) would show wrong counts: the stack
    starts fresh instead, and the old snapshot is kept, not deleted."""
    with mock_aws():
        session, stack, snapshots = start(tmp_path)
        session.client("dynamodb").put_item(TableName=stack.names["ThingsTable"], Item=ITEM)
        snapshots.save()
        snapshot = json.loads((tmp_path / SNAPSHOT).read_text())
        assert snapshot["format"] == DATA_FORMAT
        del snapshot["format"]  # what format 1 wrote
        (tmp_path / SNAPSHOT).write_text(json.dumps(snapshot))
    with mock_aws():
        session, stack, snapshots = start(tmp_path)
        assert snapshots.restore() == 0
        assert session.client("dynamodb").scan(TableName=stack.names["ThingsTable"])["Count"] == 0
        assert (tmp_path / f"{SNAPSHOT}.format-1").exists() and not (tmp_path / SNAPSHOT).exists()
        assert "older Parley" in capsys.readouterr().err
