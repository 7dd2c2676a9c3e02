"""EventBridge -> agents' notifications (mentions, assignments, new messages).

Invoked asynchronously by DomainEventsToNotifyRule; a failure is retried by Lambda and
then lands in the alarmed dead-letter queue. Safe to run twice for one event: each
notification is claimed per (event, user)."""
from __future__ import annotations

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger

    from parley import events
    from parley.services.conversation import notifications

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    detail = events.from_bus(event)
    if detail is None:
        # Not one of ours: retrying cannot fix it, so log and drop.
        logger.warning("ignored malformed event", extra={"detail_type": event.get("detail-type")})
        return {"created": 0}
    created = notifications.handle(detail)
    # Not "created" as the key: LogRecord has an attribute of that name.
    logger.info("notified", extra={"event": detail["event"], "notifications": created})
    return {"created": created}
