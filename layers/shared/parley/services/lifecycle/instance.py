"""The super-admin console's instance status: what the installation runs and how its
queues are doing, read from AWS at request time (nothing cached, nothing made up).

- version: parley.VERSION, and the Chatwoot API version Parley answers as;
- stack: CloudFormation DescribeStacks of the stack the function belongs to (STACK_NAME):
  its status and outputs. Where there is no CloudFormation (the local stack, tests) the
  answer says it is not available, with the reason;
- queues: for each work queue and dead-letter queue in STATUS_QUEUES (template.yaml),
  SQS GetQueueAttributes: messages waiting (ApproximateNumberOfMessages), in flight
  (...NotVisible) and delayed (...Delayed). A DLQ's waiting count is its failures;
- last errors: the newest messages of each non-empty DLQ, peeked with ReceiveMessage and
  VisibilityTimeout 0 (they stay in the queue, visible; a DLQ has no redrive of its own,
  so the receive count this adds changes nothing). Work queues are never peeked: a
  receive counts toward their maxReceiveCount and could push a message to its DLQ;
- the event bus name, and the age of the oldest unprocessed event: the largest
  CloudWatch AWS/SQS ApproximateAgeOfOldestMessage (Maximum over the last 5 minutes) of
  the queues the bus feeds (deliver and webhook deliveries). SQS itself has no age
  attribute; CloudWatch publishes it every minute for an active queue. It does not see
  events waiting in Lambda's own asynchronous queue for the rules that invoke a function
  directly (automation, notify, webhook fan-out): their failures show in their DLQs."""
from __future__ import annotations

import datetime
import json
import os

from ... import VERSION, aws
from ...settings import get_settings
from ...views.accounts import VERSION as API_VERSION

PEEK = 3  # newest messages shown per non-empty DLQ
BODY_CHARS = 500
BUS_FED = ("deliver", "webhook_deliveries")
COUNTS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")


def queues() -> dict[str, tuple[str, str]]:
    """STATUS_QUEUES: "name=<work queue url>|<dlq url> ..." (the work URL is empty for a
    rule's direct Lambda target, which has only a DLQ)."""
    found = {}
    for part in (os.environ.get("STATUS_QUEUES") or "").split():
        name, _, urls = part.partition("=")
        work, _, dlq = urls.partition("|")
        found[name] = (work, dlq)
    return found


def status() -> dict:
    from botocore.exceptions import BotoCoreError, ClientError

    settings = get_settings()
    sqs = aws.client("sqs")
    rows, errors = [], []
    for name, (work, dlq) in sorted(queues().items()):
        row = {"name": name}
        for key, url in (("queue", work), ("dead_letter_queue", dlq)):
            if not url:
                continue
            try:
                found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(COUNTS))["Attributes"]
                row[key] = {"name": url.rsplit("/", 1)[-1], "waiting": int(found[COUNTS[0]]),
                            "in_flight": int(found[COUNTS[1]]), "delayed": int(found[COUNTS[2]])}
            except (BotoCoreError, ClientError) as exc:
                row[key] = {"name": url.rsplit("/", 1)[-1], "error": str(exc)[:300]}
        dead = row.get("dead_letter_queue") or {}
        row["dlq_count"] = dead.get("waiting")
        if dead.get("waiting"):
            errors += _peek(sqs, name, dlq)
        rows.append(row)
    errors.sort(key=lambda e: e["sent_at"] or "", reverse=True)
    return {
        "version": VERSION,
        "api_version": API_VERSION,
        "stage": settings.stage,
        "region": settings.region,
        "stack": _stack(),
        "queues": rows,
        "last_errors": errors[:20],
        "event_bus": {"name": settings.event_bus_name, **_oldest_event([queues().get(n, ("", ""))[0] for n in BUS_FED])},
    }


def _peek(sqs, name: str, url: str) -> list[dict]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                       AttributeNames=["SentTimestamp", "ApproximateReceiveCount"]).get("Messages", [])
    except (BotoCoreError, ClientError) as exc:
        return [{"queue": name, "sent_at": None, "body": f"could not be read: {str(exc)[:200]}"}]
    messages.sort(key=lambda m: int(m.get("Attributes", {}).get("SentTimestamp", 0)), reverse=True)
    return [{"queue": name, "message_id": m["MessageId"], "sent_at": _iso(m.get("Attributes", {}).get("SentTimestamp")),
             "receive_count": int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0)),
             "body": _summary(m.get("Body") or "")} for m in messages[:PEEK]]


def _summary(body: str) -> str:
    """The message as stored, cut short; a Lambda destination's record keeps its error."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:BODY_CHARS]
    if isinstance(data, dict) and isinstance(data.get("responsePayload"), dict):
        payload = data["responsePayload"]
        return f"{payload.get('errorType', 'Error')}: {payload.get('errorMessage', '')}"[:BODY_CHARS]
    return json.dumps(data)[:BODY_CHARS]


def _iso(millis) -> str | None:
    if not millis:
        return None
    return datetime.datetime.fromtimestamp(int(millis) / 1000, datetime.timezone.utc).isoformat()


def _stack() -> dict:
    from botocore.exceptions import BotoCoreError, ClientError

    name = os.environ.get("STACK_NAME") or ""
    if not name:
        return {"available": False, "reason": "STACK_NAME is not set for this function"}
    try:
        found = aws.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    except (BotoCoreError, ClientError) as exc:
        return {"name": name, "available": False,
                "reason": f"CloudFormation has no such stack here (not available locally): {str(exc)[:200]}"}
    return {"name": name, "available": True, "status": found.get("StackStatus"),
            "updated_at": (found.get("LastUpdatedTime") or found.get("CreationTime")).isoformat()
            if (found.get("LastUpdatedTime") or found.get("CreationTime")) else None,
            "outputs": [{"key": o["OutputKey"], "value": o.get("OutputValue"), "description": o.get("Description")}
                        for o in found.get("Outputs", [])]}


def _oldest_event(urls: list[str]) -> dict:
    """The largest ApproximateAgeOfOldestMessage of the bus-fed queues, in seconds."""
    from botocore.exceptions import BotoCoreError, ClientError

    names = [url.rsplit("/", 1)[-1] for url in urls if url]
    if not names:
        return {"oldest_unprocessed_event_age_seconds": None, "age_note": "no bus-fed queue is configured"}
    now = datetime.datetime.now(datetime.timezone.utc)
    queries = [{"Id": f"q{i}", "MetricStat": {"Metric": {"Namespace": "AWS/SQS", "MetricName": "ApproximateAgeOfOldestMessage",
                                                         "Dimensions": [{"Name": "QueueName", "Value": n}]},
                                              "Period": 60, "Stat": "Maximum"}} for i, n in enumerate(names)]
    try:
        results = aws.client("cloudwatch").get_metric_data(MetricDataQueries=queries, StartTime=now - datetime.timedelta(minutes=5),
                                                           EndTime=now, ScanBy="TimestampDescending")["MetricDataResults"]
    except (BotoCoreError, ClientError) as exc:
        return {"oldest_unprocessed_event_age_seconds": None, "age_note": f"CloudWatch could not be read: {str(exc)[:200]}"}
    values = [r["Values"][0] for r in results if r.get("Values")]
    if not values:
        return {"oldest_unprocessed_event_age_seconds": None,
                "age_note": "CloudWatch has no datapoint for the last 5 minutes (a queue idle for hours publishes none; "
                            "locally there is no CloudWatch metric at all)"}
    return {"oldest_unprocessed_event_age_seconds": int(max(values)),
            "age_note": "largest ApproximateAgeOfOldestMessage (CloudWatch, last 5 minutes) of the deliver and "
                        "webhook deliveries queues"}
