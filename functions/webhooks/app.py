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


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    detail = events.from_bus(event)
    if detail is None:
        # Not one of ours: retrying cannot fix it, so log and drop.
        logger.warning("ignored malformed event", extra={"detail_type": event.get("detail-type")})
        return {"queued": 0}
    return {"queued": webhooks.enqueue(webhooks.fan_out(detail))}
