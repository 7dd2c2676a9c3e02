"""Channel traffic from the ingest queue: each record is one provider webhook payload (or
an email's S3 notice), turned into messages and status changes by services/ingest.py.

Partial batch failures: a record that fails (DynamoDB throttling, an outage) comes back
alone and, after the queue's maxReceiveCount, lands in its dead-letter queue (alarmed);
the rest of the batch is done. Retrying is safe: ingest is idempotent on the provider's
message id. A record that can never succeed (malformed, unknown inbox) is logged and dropped.

No `from __future__ import annotations`: pydantic resolves the model at import."""

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parley import aws
from parley.errors import ParleyError
from parley.channels import email
from parley.services import ingest

logger = Logger()
# A batch that failed entirely is reported item by item too (not raised as one error),
# so each record keeps its own receive count and backoff.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class Queued(BaseModel):
    # Extra keys allowed: the email channel's S3 notices carry s3_bucket / s3_key.
    model_config = ConfigDict(extra="allow")
    channel: str = Field(min_length=1, max_length=32)
    inbox_id: int | None = Field(default=None, gt=0)
    payload: Any = None
    received_at: int | None = None


def handle(record: SQSRecord) -> None:
    try:
        body = json.loads(record.body)
        # The mail bucket's "Object Created" events arrive as EventBridge sends them.
        if isinstance(body, dict) and body.get("source") == "aws.s3":
            body = email.s3_notice(body) or {}
        item = Queued.model_validate(body).model_dump()
    except (ValueError, ValidationError) as exc:
        logger.warning("dropped a malformed ingest item", extra={"message_id": record.message_id, "error": str(exc)[:500]})
        return
    try:
        applied = ingest.process(item)
    except ingest.InFlight as exc:
        # Another worker's lease on this message: come back when it has run out, not after
        # the queue's whole visibility timeout (a worker that died mid-write, e.g. in a
        # restart, would otherwise hold its messages back for minutes).
        _come_back_in(record, exc.retry_after)
        raise
    except ParleyError as exc:
        logger.warning("dropped an ingest item", extra={"message_id": record.message_id, "error": exc.message})
        return
    logger.info("ingested", extra={"channel": item["channel"], "inbox_id": item.get("inbox_id"), "applied": applied})


def _come_back_in(record: SQSRecord, seconds: int) -> None:
    aws.client("sqs").change_message_visibility(QueueUrl=ingest.queue_url(), ReceiptHandle=record.receipt_handle,
                                                VisibilityTimeout=seconds)


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
