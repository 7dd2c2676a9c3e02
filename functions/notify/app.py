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


def handle(detail: dict, context) -> dict:
    created = notifications.handle(detail)
    # Not "created" as the key: LogRecord has an attribute of that name.
    logger.info("notified", extra={"event": detail["event"], "notifications": created})
    return {"created": created}


consumer = events.BusConsumer(handle, logger=logger, ignored={"created": 0})


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return consumer(event, context)
