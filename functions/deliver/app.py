"""Agents' replies out to their channels: message.created events (and message.updated of a
message an agent retried), routed by an EventBridge rule to the deliver queue, each sent
by services/messaging/delivery.py (at most once: see there).

A Retryable failure (429, 5xx, timeout: errors.Retry, which the consumer base handles) brings
the record back after a growing delay (30 s, 60 s, 120 s, ...); on the last attempt the
message is marked failed instead. The rest is
the consumer base's (parley/consumers.py): malformed or foreign records are dropped, a
crash fails the record alone and, after maxReceiveCount, dead-letters it (alarmed).

No `from __future__ import annotations`: pydantic resolves the model at import."""

import json

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger
    # parley.consumers before pydantic: Powertools' batch utility builds its parser's pydantic
    # models at import if pydantic is loaded already (tests/unit/test_cold_start_imports.py).
    from parley import consumers
    from pydantic import BaseModel, ConfigDict, Field

    from parley import events
    from parley.services.messaging import delivery
    from parley.settings import get_settings

logger = Logger()
MAX_ATTEMPTS = 5  # below the queue's maxReceiveCount, so a provider outage never reaches the DLQ
BASE_DELAY, MAX_DELAY = 30, 900


class MessageData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int = Field(gt=0)
    account_id: int = Field(gt=0)
    conversation_id: int = Field(gt=0)
    status: str | None = None


def backoff(attempt: int) -> int:
    return consumers.backoff(attempt, BASE_DELAY, MAX_DELAY)


def parse(body: str) -> MessageData | None:
    detail = events.from_bus(json.loads(body))
    if detail is None:
        raise ValueError("not one of our events")
    data = MessageData.model_validate(detail["data"])
    if detail["event"] == "message.updated" and data.status != delivery.RETRIED:
        return None  # a status or content change: only an agent's retry asks for a delivery
    return data


def handle(data: MessageData | None, attempt: int) -> str:
    if data is None:
        return "not a delivery"
    return delivery.deliver(data.account_id, data.conversation_id, data.id, last_attempt=attempt >= MAX_ATTEMPTS)


consumer = consumers.QueueConsumer("delivery", parse=parse, handle=handle, logger=logger, backoff=backoff,
                                   queue_url=lambda: get_settings().required("deliver_queue_url"))


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return consumer(event, context)
