"""Raises for events whose detail asks it to (so EventBridge retries them), and publishes
a follow-up event when asked to (to time the delivery)."""
import json
import time

import boto3


def lambda_handler(event, context):
    if event["detail"].get("fail"):
        raise RuntimeError("asked to fail")
    if "publish" in event["detail"]:
        boto3.client("events", region_name="us-east-1").put_events(Entries=[{
            "EventBusName": "toy-bus", "Source": "toy", "DetailType": "timed",
            "Detail": json.dumps({"sent_at": time.time()})}])
    return {"ok": True}
