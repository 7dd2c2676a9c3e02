"""EventBridge -> CSAT surveys: when a conversation is resolved in an inbox with CSAT on,
send its survey (services/csat/surveys.py; docs/csat.md).

Invoked asynchronously by DomainEventsToSurveysRule (conversation.status_changed); a
failure is retried by Lambda and then lands in the alarmed dead-letter queue. Safe to run
twice for one event: the survey message is claimed by the event's id."""
from __future__ import annotations

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger

    from parley import events
    from parley.services.csat import surveys

logger = Logger()


def handle(detail: dict, context) -> dict:
    outcome = surveys.handle(detail)
    logger.info("csat survey", extra={"event_id": detail.get("id"), "outcome": outcome})
    return {"outcome": outcome}


consumer = events.BusConsumer(handle, logger=logger, ignored={"outcome": "ignored"})


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return consumer(event, context)
