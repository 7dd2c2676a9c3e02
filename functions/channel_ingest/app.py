"""Channel traffic from the ingest queue: each record is one provider webhook payload (or
an email's S3 notice), turned into messages and status changes by services/messaging/ingest.py
(services/messaging/email_ingest.py for a mail).

Retrying is safe: ingest is idempotent on the provider's message id. A record another
worker holds comes back when that worker's lease may have run out. The rest is the
consumer base's (parley/consumers.py): a malformed record or one the domain refuses
(unknown inbox) is dropped; a failure (DynamoDB throttling, an outage) fails the record
alone and, after maxReceiveCount, dead-letters it (alarmed).

No `from __future__ import annotations`: pydantic resolves the model at import."""

import json
from typing import Any

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger
    # parley.consumers before pydantic: Powertools' batch utility builds its parser's pydantic
    # models at import if pydantic is loaded already (tests/unit/test_cold_start_imports.py).
    from parley import consumers
    from pydantic import BaseModel, ConfigDict, Field

    from parley.services.messaging import ingest

logger = Logger()


class Queued(BaseModel):
    # Extra keys allowed: the email channel's S3 notices carry s3_bucket / s3_key.
    model_config = ConfigDict(extra="allow")
    channel: str = Field(min_length=1, max_length=32)
    inbox_id: int | None = Field(default=None, gt=0)
    payload: Any = None
    received_at: int | None = None


def parse(body: str) -> dict:
    item = json.loads(body)
    # The mail bucket's "Object Created" events arrive as EventBridge sends them.
    if isinstance(item, dict) and item.get("source") == "aws.s3":
        # Imported here, as ingest imports each provider's module (channels.module) when
        # its first record arrives: MIME parsing and the HTML sanitiser are for mail alone.
        from parley.channels import email

        item = email.s3_notice(item) or {}
    return Queued.model_validate(item).model_dump()


def handle(item: dict, attempt: int) -> dict:
    # ingest.InFlight (another worker's lease on a message) is an errors.Retry for the
    # lease's length: the consumer base brings the item back then.
    if "s3_key" in item:  # a mail's S3 notice: stored by services/messaging/email_ingest.py
        from parley.services.messaging import email_ingest

        applied = email_ingest.process(item)
    else:
        applied = ingest.process(item)
    return {"channel": item["channel"], "inbox_id": item.get("inbox_id"), "applied": applied}


consumer = consumers.QueueConsumer("ingest item", parse=parse, handle=handle, queue_url=ingest.queue_url, logger=logger)


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return consumer(event, context)
