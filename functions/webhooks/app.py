"""Account webhooks and API inboxes' webhook_url, in two steps of one function:

- EventBridge (DomainEventsToWebhooksRule) -> fan out: one message per receiver on the
  webhook deliveries queue. A failure is retried by Lambda, then lands in the alarmed
  dead-letter queue; a retried fan-out queues the same delivery ids again, which
  receivers de-duplicate on X-Chatwoot-Delivery.
- SQS (WebhookDeliveriesQueue) -> one signed POST per message. A failed attempt is hidden
  for an exponentially growing time (services/webhooks.retry_delay) and reported as a
  batch item failure; after MAX_ATTEMPTS receives SQS moves it to the alarmed DLQ.
"""
from __future__ import annotations

import json

from aws_lambda_powertools import Logger

from parley import events
from parley.services import webhooks

logger = Logger()


def _fan_out(event: dict) -> dict:
    detail = events.from_bus(event)
    if detail is None:
        # Not one of ours: retrying cannot fix it, so log and drop.
        logger.warning("ignored malformed event", extra={"detail_type": event.get("detail-type")})
        return {"queued": 0}
    return {"queued": webhooks.enqueue(webhooks.fan_out(detail))}


def _valid(delivery) -> bool:
    return (isinstance(delivery, dict) and isinstance(delivery.get("delivery_id"), str)
            and isinstance(delivery.get("event"), str) and isinstance(delivery.get("account_id"), int)
            and isinstance(delivery.get("payload"), dict)
            and (isinstance(delivery.get("webhook_id"), int) or isinstance(delivery.get("inbox_id"), int)))


def _deliver(event: dict) -> dict:
    failures = []
    for record in event["Records"]:
        try:
            delivery = json.loads(record.get("body") or "")
        except ValueError:
            delivery = None
        if not _valid(delivery):
            logger.warning("dropped malformed delivery", extra={"message_id": record.get("messageId")})
            continue
        attempt = int((record.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
        where = {"delivery_id": delivery["delivery_id"], "webhook_event": delivery["event"], "attempt": attempt}
        try:
            outcome = webhooks.deliver(delivery)
        except Exception as exc:  # webhooks.Retry, or DynamoDB failing: try again later
            try:
                delay = webhooks.postpone(record["receiptHandle"], attempt)
            except Exception:  # the queue's own visibility timeout applies instead
                logger.exception("could not postpone a webhook delivery", extra=where)
                delay = None
            logger.warning("webhook delivery failed", extra={**where, "reason": str(exc)[:500], "retry_in": delay})
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        if outcome == "blocked":
            logger.warning("webhook destination refused (private or reserved address)", extra=where)
        else:
            logger.info("webhook delivery", extra={**where, "outcome": outcome})
    return {"batchItemFailures": failures}


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    if isinstance(event.get("Records"), list):
        return _deliver(event)
    return _fan_out(event)
