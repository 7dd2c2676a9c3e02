"""Account webhooks and API inboxes' webhook_url, first step: EventBridge
(DomainEventsToWebhooksRule) hands a domain event; it fans out to one message per receiver
on the webhook deliveries queue, which functions/webhook_deliveries posts. A failure is
retried by Lambda, then lands in the alarmed dead-letter queue; a retried fan-out queues the
same delivery ids again, which receivers de-duplicate on X-Chatwoot-Delivery."""
from __future__ import annotations

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger

    from parley import events
    from parley.services.rules import webhooks

logger = Logger()


def handle(detail: dict, context) -> dict:
    return {"queued": webhooks.enqueue(webhooks.fan_out(detail))}


consumer = events.BusConsumer(handle, logger=logger, ignored={"queued": 0})


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return consumer(event, context)
