"""The one shape of a queue consumer (deliver, channel_ingest, contact_jobs, account_jobs,
webhook deliveries): SQS hands a batch; each record is parsed, handled and reported on its
own (a partial batch response), so one bad record never holds back or repeats the others.

- A record that can never succeed is logged and dropped, not retried: its body does not
  parse or validate (`parse` raised ValueError / ValidationError), it is not one of our
  events, or the domain refused it (ParleyError).
- `errors.Retry(reason, seconds)` (the one retry type: a provider's Retryable, webhooks'
  failed attempt, ingest's InFlight are all one): this record should come back after
  `seconds`, or after the consumer's `backoff(attempt)` when the raiser left it to the
  consumer: its visibility is set to that, and it is reported failed, so SQS counts the
  attempt; after the queue's maxReceiveCount it moves to the alarmed dead-letter queue.
- Anything else (a DynamoDB outage, a bug) fails the record alone; it comes back after the
  queue's visibility timeout, and after maxReceiveCount lands in the dead-letter queue.

Each record's attempt number (its receive count) is handed to `handle`, for backoff and
for giving up on the last attempt. Idempotency stays the handler's: each makes its repeat
harmless its own way (ingest's claims, deliver's send claim, webhooks' delivery ids)."""
from __future__ import annotations

from typing import Any, Callable

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from . import aws
from .errors import ParleyError, Retry


def backoff(attempt: int, base: int, cap: int) -> int:
    """Seconds before attempt `attempt` + 1: base, 2 × base, 4 × base ... at most cap."""
    return min(cap, base * 2 ** (max(attempt, 1) - 1))


class QueueConsumer:
    """`parse(body) -> item` validates a record's body (raise ValueError or ValidationError
    for one that can never succeed); `handle(item, attempt)` does the work and returns what
    to log. `queue_url()` names the queue, for a handler that raises `Retry`; `backoff(attempt)`
    is the wait after a failed attempt when the Retry names none (without it, the queue's
    visibility timeout)."""

    def __init__(self, what: str, *, parse: Callable[[str], Any], handle: Callable[[Any, int], Any],
                 logger: Logger, queue_url: Callable[[], str] | None = None,
                 backoff: Callable[[int], int] | None = None):
        self.what, self.parse, self.handle, self.queue_url, self.logger = what, parse, handle, queue_url, logger
        self.backoff = backoff
        # A batch that failed entirely is reported item by item too (not raised as one
        # error), so each record keeps its own receive count and backoff.
        self.processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def record(self, record: SQSRecord) -> None:
        where = {"message_id": record.message_id}
        try:
            item = self.parse(record.body)
        except (ValueError, ValidationError) as exc:
            self.logger.warning(f"dropped a malformed {self.what}", extra={**where, "error": str(exc)[:500]})
            return
        attempt = int(record.attributes.approximate_receive_count or 1)
        try:
            outcome = self.handle(item, attempt)
        except Retry as exc:
            seconds = exc.seconds if exc.seconds is not None or self.backoff is None else self.backoff(attempt)
            self.logger.info(f"{self.what} will be retried", extra={**where, "attempt": attempt, "reason": exc.reason,
                                                                      "retry_in": seconds})
            if seconds is not None:
                aws.client("sqs").change_message_visibility(QueueUrl=self.queue_url(), ReceiptHandle=record.receipt_handle,
                                                            VisibilityTimeout=max(0, min(int(seconds), 43_200)))
            raise
        except ParleyError as exc:
            self.logger.warning(f"dropped a {self.what}", extra={**where, "error": exc.message})
            return
        self.logger.info(self.what, extra={**where, "attempt": attempt, "outcome": outcome})

    def __call__(self, event: dict, context) -> dict:
        return process_partial_response(event=event, record_handler=self.record, processor=self.processor,
                                        context=context)
