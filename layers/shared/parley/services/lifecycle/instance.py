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
- the event bus name and the age of the oldest unprocessed event. SQS has no age
  attribute and CloudWatch's ApproximateAgeOfOldestMessage would need
  cloudwatch:GetMetricData, which takes no resource-level grant (Resource "*", which this
  project's policies never use). What is measured instead, exactly: the backlog the bus
  left in the queues it feeds (deliver, webhook deliveries: waiting + delayed), and the
  oldest event that will not be processed without an operator, i.e. the oldest
  SentTimestamp among up to 10 messages peeked from each dead-letter queue of the bus's
  consumers (the event-log pipe, automation, notify, webhook fan-out, deliver). For a
  redriven SQS DLQ (deliver) SentTimestamp is the original send; for a rule's or the
  pipe's DLQ it is when the target gave up. It does not see events waiting in Lambda's
  own asynchronous queue for the rules that invoke a function directly.
"""
from __future__ import annotations

import datetime
import json
import time

from ... import VERSION, aws
from ...settings import get_settings
from ...views.accounts import VERSION as API_VERSION

PEEK = 3  # newest messages shown per non-empty DLQ
BODY_CHARS = 500
BUS_FED = ("deliver", "webhook_deliveries")
BUS_DEAD_LETTERS = ("event_log_pipe", "automation", "notify", "webhook_events", "deliver")
COUNTS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")


def queues() -> dict[str, tuple[str, str]]:
    """STATUS_QUEUES: "name=<work queue url>|<dlq url> ..." (the work URL is empty for a
    rule's direct Lambda target, which has only a DLQ)."""
    found = {}
    for part in get_settings().status_queues.split():
        name, _, urls = part.partition("=")
        work, _, dlq = urls.partition("|")
        found[name] = (work, dlq)
    return found


def status() -> dict:
    from botocore.exceptions import BotoCoreError, ClientError

    settings = get_settings()
    sqs = aws.client("sqs")
    rows, errors, oldest = [], [], None
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
            peeked = _peek(sqs, name, dlq)
            errors += peeked[:PEEK]
            sent = [e["sent_millis"] for e in peeked if e.get("sent_millis")]
            if name in BUS_DEAD_LETTERS and sent and (oldest is None or min(sent) < oldest[0]):
                oldest = (min(sent), name)
        rows.append(row)
    errors.sort(key=lambda e: e.get("sent_millis") or 0, reverse=True)
    for error in errors:
        error.pop("sent_millis", None)
    backlog = {q["name"]: (q.get("queue") or {}).get("waiting", 0) + (q.get("queue") or {}).get("delayed", 0)
               for q in rows if q["name"] in BUS_FED}
    return {
        "version": VERSION,
        "api_version": API_VERSION,
        "stage": settings.stage,
        "region": settings.region,
        "stack": _stack(),
        "queues": rows,
        "last_errors": errors[:20],
        "event_bus": {
            "name": settings.event_bus_name,
            "backlog": backlog,
            "oldest_unprocessed_event_age_seconds": int(time.time() - oldest[0] / 1000) if oldest else None,
            "oldest_unprocessed_event_queue": oldest[1] if oldest else None,
            "measure": "the oldest message (SentTimestamp, up to 10 peeked per queue) in the dead-letter queues "
                       "of the bus's consumers; null when they are empty. Backlog: messages waiting or delayed in "
                       "the queues the bus feeds.",
        },
    }


def _peek(sqs, name: str, url: str) -> list[dict]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                       AttributeNames=["SentTimestamp", "ApproximateReceiveCount"]).get("Messages", [])
    except (BotoCoreError, ClientError) as exc:
        return [{"queue": name, "sent_at": None, "sent_millis": None, "body": f"could not be read: {str(exc)[:200]}"}]
    messages.sort(key=lambda m: int(m.get("Attributes", {}).get("SentTimestamp", 0)), reverse=True)
    return [{"queue": name, "message_id": m["MessageId"], "sent_at": _iso(m.get("Attributes", {}).get("SentTimestamp")),
             "sent_millis": int(m.get("Attributes", {}).get("SentTimestamp", 0)) or None,
             "receive_count": int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0)),
             "body": _summary(m.get("Body") or "")} for m in messages]


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

    name = get_settings().stack_name
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
