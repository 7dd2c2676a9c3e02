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

Cost: the batch's plain message counts (most events: a message that is no response) are
first recorded together (recorder.record_counts: one transaction per account holds their
claims and each rollup item once), and the per-event handler then skips them; the rule's
queue is polled with a batching window so batches fill at low traffic too.

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


# Count keys recorded together at the start of the batch being handled.
_counted: set[tuple[int, int]] = set()


def handle(detail: dict, attempt: int) -> str:
    from parley.services.reporting import recorder

    if recorder.count_key(detail) in _counted:
        return "recorded with its batch"
    return recorder.handle(detail)


def _record_counts_together(records: list[dict]) -> None:
    """The batch's plain message counts in as few transactions as possible; whatever this
    leaves (or a failure here) the per-record handler records alone."""
    details = []
    for record in records:
        try:
            details.append(parse(record["body"]))
        except (ValueError, TypeError, KeyError):
            continue  # the consumer drops it with its reason
    if not details:
        return
    from parley.services.reporting import recorder

    try:
        _counted.update(recorder.record_counts(details))
    except Exception:  # noqa: BLE001 - the per-record path retries each one on its own
        logger.exception("recording the batch's counts together failed; recording them one by one")


consumer = consumers.QueueConsumer("reporting event", parse=parse, handle=handle, logger=logger)


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    _counted.clear()
    _record_counts_together(event.get("Records") or [])
    try:
        return consumer(event, context)
    finally:
        _counted.clear()
