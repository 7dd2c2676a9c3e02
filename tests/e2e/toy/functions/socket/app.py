"""$connect lets in `?token=good` only; `echo` frames come back through the route response,
$default frames are answered with a body that API Gateway drops (no route response)."""


def lambda_handler(event, context):
    ctx = event["requestContext"]
    if ctx["eventType"] == "CONNECT":
        token = (event.get("queryStringParameters") or {}).get("token")
        return {"statusCode": 200 if token == "good" else 403}
    if ctx["eventType"] == "MESSAGE" and ctx["routeKey"] == "echo":
        return {"statusCode": 200, "body": event["body"]}
    if ctx["eventType"] == "MESSAGE" and event.get("body") == "crash":
        raise RuntimeError("crash")
    return {"statusCode": 200, "body": "never sent"}
