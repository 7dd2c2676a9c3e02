"""Account jobs from the account-jobs queue: `delete` (an account marked deleting loses all
its data, services/account_deletion.py) and `release_held` (channel traffic held while the
account was suspended goes back to the ingest queue). Each message is one bounded chunk
that queues its own continuation.

Partial batch failures: a message that fails (a fault midway through a chunk) comes back
alone and runs again from what is left; after the queue's maxReceiveCount it lands in the
alarmed dead-letter queue, and re-sending it resumes the job. A malformed message is
logged and dropped.

No `from __future__ import annotations`: pydantic resolves the model at import."""

import json
from typing import Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parley.services import account_jobs

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class Job(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job: Literal["delete", "release_held"]
    account_id: int = Field(gt=0)


def handle(record: SQSRecord) -> None:
    try:
        job = Job.model_validate(json.loads(record.body))
    except (ValueError, ValidationError) as exc:
        logger.warning("dropped a malformed account job", extra={"message_id": record.message_id, "error": str(exc)[:500]})
        return
    done = account_jobs.run(job.job, job.account_id)
    logger.info("account job", extra={"job": job.job, "account_id": job.account_id, "done": done})


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
