"""Account webhooks and API inboxes' webhook_url, in two steps of one function:

- EventBridge (DomainEventsToWebhooksRule) -> fan out: one message per receiver on the
  webhook deliveries queue. A failure is retried by Lambda, then lands in the alarmed
  dead-letter queue; a retried fan-out queues the same delivery ids again, which
  receivers de-duplicate on X-Chatwoot-Delivery.
- SQS (WebhookDeliveriesQueue) -> one signed POST per message, through the consumer base
  (parley/consumers.py). A failed attempt comes back after an exponentially growing time
  (services/webhooks.retry_delay); after MAX_ATTEMPTS receives SQS moves it to the alarmed
  DLQ. A malformed message is dropped.
"""
from __future__ import annotations

import json

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger

    from parley import consumers, events
    from parley.services import webhooks

logger = Logger()


def _fan_out(event: dict) -> dict:
    detail = events.from_bus(event)
    if detail is None:
        # Not one of ours: retrying cannot fix it, so log and drop.
        logger.warning("ignored malformed event", extra={"detail_type": event.get("detail-type")})
        return {"queued": 0}
    return {"queued": webhooks.enqueue(webhooks.fan_out(detail))}


def parse(body: str) -> dict:
    delivery = json.loads(body)
    if not (isinstance(delivery, dict) and isinstance(delivery.get("delivery_id"), str)
            and isinstance(delivery.get("event"), str) and isinstance(delivery.get("account_id"), int)
            and isinstance(delivery.get("payload"), dict)
            and (isinstance(delivery.get("webhook_id"), int) or isinstance(delivery.get("inbox_id"), int))):
        raise ValueError("not a webhook delivery")
    return delivery


def deliver(delivery: dict, attempt: int) -> dict:
    where = {"delivery_id": delivery["delivery_id"], "webhook_event": delivery["event"]}
    try:
        outcome = webhooks.deliver(delivery)
    except Exception as exc:  # webhooks.Retry, or DynamoDB failing: try again later
        raise consumers.Later(f"{where}: {str(exc)[:500]}", webhooks.retry_delay(attempt)) from exc
    if outcome == "blocked":
        logger.warning("webhook destination refused (private or reserved address)", extra=where)
    return {**where, "outcome": outcome}


consumer = consumers.QueueConsumer("webhook delivery", parse=parse, handle=deliver, queue_url=webhooks.queue_url,
                                   logger=logger)


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    if isinstance(event.get("Records"), list):
        return consumer(event, context)
    return _fan_out(event)
