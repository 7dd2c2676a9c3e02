"""Fails the records whose body is "fail", reporting them as batch item failures."""


def lambda_handler(event, context):
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "fail"]}
