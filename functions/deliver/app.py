"""Agents' replies out to their channels: message.created events (and message.updated of a
message an agent retried), routed by an EventBridge rule to the deliver queue, each sent
by services/delivery.py.

Retries with backoff: a Retryable failure (429, 5xx, timeout) reports the record as failed
after stretching its visibility timeout (30 s, 60 s, 120 s, ...), so SQS hands it back
later; on the last attempt the message is marked failed instead. Records that crash for
other reasons go to the dead-letter queue after maxReceiveCount (alarmed).

No `from __future__ import annotations`: pydantic resolves the model at import."""

import json

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parley import aws, events
from parley.channels import Retryable
from parley.errors import ParleyError
from parley.services import delivery
from parley.settings import get_settings

logger = Logger()
# A batch that failed entirely is reported item by item too (not raised as one error),
# so each record keeps its own receive count and backoff.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
MAX_ATTEMPTS = 5  # below the queue's maxReceiveCount, so a provider outage never reaches the DLQ
BASE_DELAY, MAX_DELAY = 30, 900


RETRIED = "progress"  # the status services/delivery.retry gives a message to send again


class MessageData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int = Field(gt=0)
    account_id: int = Field(gt=0)
    conversation_id: int = Field(gt=0)
    status: str | None = None


def backoff(attempt: int) -> int:
    return min(MAX_DELAY, BASE_DELAY * 2 ** (attempt - 1))


def _retry_later(record: SQSRecord, attempt: int) -> None:
    aws.client("sqs").change_message_visibility(QueueUrl=get_settings().required("deliver_queue_url"),
                                                ReceiptHandle=record.receipt_handle, VisibilityTimeout=backoff(attempt))


def handle(record: SQSRecord) -> None:
    try:
        detail = events.from_bus(json.loads(record.body))
        if detail is None:
            raise ValueError("not one of our events")
        data = MessageData.model_validate(detail["data"])
        if detail["event"] == "message.updated" and data.status != RETRIED:
            return  # a status or content change: only an agent's retry asks for a delivery
    except (ValueError, ValidationError) as exc:
        logger.warning("dropped a malformed delivery", extra={"message_id": record.message_id, "error": str(exc)[:500]})
        return
    attempt = int(record.attributes.approximate_receive_count or 1)
    try:
        outcome = delivery.deliver(data.account_id, data.conversation_id, data.id, last_attempt=attempt >= MAX_ATTEMPTS)
    except Retryable as exc:
        logger.info("delivery will be retried", extra={"message_id": data.id, "attempt": attempt, "reason": exc.reason})
        _retry_later(record, attempt)
        raise
    except ParleyError as exc:
        logger.warning("delivery dropped", extra={"message_id": data.id, "error": exc.message})
        return
    logger.info("delivery", extra={"message_id": data.id, "outcome": outcome, "attempt": attempt})


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
