"""Account webhooks and API inboxes' webhook_url, second step: the webhook deliveries queue
(filled by functions/webhooks), one signed POST per message, through the consumer base
(parley/consumers.py). A failed attempt (errors.Retry) comes back after an exponentially
growing time (services/rules/webhooks.retry_delay); after MAX_ATTEMPTS receives SQS moves it to
the alarmed DLQ. A malformed message is dropped."""
from __future__ import annotations

import json

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger

    from parley import consumers
    from parley.errors import Retry
    from parley.services.rules import webhooks

logger = Logger()


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
    except Exception as exc:  # the receiver failed (errors.Retry), or DynamoDB did: try again later
        raise Retry(f"{where}: {str(exc)[:400]}", webhooks.retry_delay(attempt)) from exc
    if outcome == "blocked":
        logger.warning("webhook destination refused (private or reserved address)", extra=where)
    return {**where, "outcome": outcome}


consumer = consumers.QueueConsumer("webhook delivery", parse=parse, handle=deliver, queue_url=webhooks.queue_url,
                                   logger=logger)


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return consumer(event, context)
