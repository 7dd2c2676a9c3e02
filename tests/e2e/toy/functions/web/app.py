"""Answers with the event it got, so tests can see what API Gateway would have sent; and
misbehaves on request, as real functions sometimes do (hang, die, write its environment)."""
import base64
import json
import os
import time


def lambda_handler(event, context):
    path = event["rawPath"]
    if path == "/boom":
        raise RuntimeError("boom")
    if path == "/sleep":  # longer than the function's Timeout, or just slow
        time.sleep(float(event.get("queryStringParameters", {}).get("s", "1")))
        return {"pid": os.getpid()}
    if path == "/exit":  # the process dies mid-invocation (out of memory, a segfault)
        os._exit(3)
    if path == "/pid":
        os.environ["TOY_WRITTEN"] = event.get("queryStringParameters", {}).get("value", "")
        return {"pid": os.getpid(), "toy": os.environ.get("TOY"), "written": os.environ["TOY_WRITTEN"]}
    if path == "/things":  # DynamoDB work whose billed units are known (tests/e2e/test_usage.py)
        return things(event["queryStringParameters"])
    if path == "/bare":
        return {"hello": "world"}  # payload 2.0: no statusCode means a 200 JSON body
    if path == "/png":
        return {"statusCode": 200, "headers": {"content-type": "image/png"},
                "body": base64.b64encode(b"\x89PNG\r\n").decode(), "isBase64Encoded": True}
    return {"statusCode": 201, "headers": {"content-type": "application/json", "x-toy": "1"},
            "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
            "body": json.dumps({"event": event, "function_name": context.function_name,
                                "remaining_ms": context.get_remaining_time_in_millis()})}


def things(query: dict) -> dict:
    """Through boto3: a Put of a `size`-byte item, then an eventually consistent Get of it;
    through pynamodb (its own botocore session): a consistent Get of the same item."""
    import boto3
    from pynamodb.attributes import UnicodeAttribute
    from pynamodb.models import Model

    class Thing(Model):
        class Meta:
            table_name = query["table"]
            region = "us-east-1"

        id = UnicodeAttribute(hash_key=True)
        data = UnicodeAttribute(null=True)

    table = boto3.resource("dynamodb", region_name="us-east-1").Table(query["table"])
    # "id" + its value (2 bytes) + "data" + the value: `size` bytes in all
    table.put_item(Item={"id": "t1", "data": "x" * (int(query["size"]) - len("id") - 2 - len("data"))})
    table.get_item(Key={"id": "t1"})
    Thing.get("t1", consistent_read=True)
    return {"ok": True}
