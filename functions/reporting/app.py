"""The reporting consumer (docs/reports.md): the ReportingQueue (SQS, fed by an EventBridge
rule with the events that can add an occurrence: conversation.created, message.created,
conversation.status_changed, conversation.bot_handoff) hands batches; each event's
conversation is read with its messages, its occurrences computed
(services/reporting/timeline.py) and the ones not recorded yet written, each with its
rollups and its natural key's claim in one transaction (services/reporting/recorder.py).
Idempotent: a repeated, replayed or late event records nothing twice, and a lost one is
repaired by the conversation's next event. A record that fails (a DynamoDB outage, a
transaction conflict with a concurrent event of the same conversation) comes back alone
(partial batch response) and after the queue's maxReceiveCount lands in the alarmed DLQ.

Cold start: the init imports the queue consumer and the event reader only; the recorder
(models, business hours, rollups) loads with the first event that concerns reporting."""
from __future__ import annotations

import json

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger

    # parley.consumers before pydantic (tests/unit/test_cold_start_imports.py)
    from parley import consumers, events

logger = Logger()
EVENTS = ("conversation.created", "message.created", "conversation.status_changed", "conversation.bot_handoff")


def parse(body: str) -> dict:
    detail = events.from_bus(json.loads(body))
    if detail is None or detail.get("event") not in EVENTS:
        raise ValueError("not an event reporting reads")
    if not isinstance(detail.get("account_id"), int) or not isinstance(detail.get("data"), dict):
        raise ValueError("an event without its account or its object")
    return detail


def handle(detail: dict, attempt: int) -> str:
    from parley.services.reporting import recorder

    return recorder.handle(detail)


consumer = consumers.QueueConsumer("reporting event", parse=parse, handle=handle, logger=logger)


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return consumer(event, context)
