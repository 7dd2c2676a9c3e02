"""Contact CSV jobs from the contact-jobs queue: one import chunk or one export per message.

Partial batch failures: a message that fails comes back alone (and, after the queue's
maxReceiveCount, goes to its dead-letter queue); the others in the batch are done. A
message that can never succeed (malformed) is logged and dropped, not retried.

No `from __future__ import annotations`: pydantic resolves these models at import (the
function is loaded by path, not as a package module)."""

import json
from typing import Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parley.services import contact_jobs

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


class ImportChunk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job: Literal["import"]
    account_id: int = Field(gt=0)
    import_id: int = Field(gt=0)
    chunk: int = Field(ge=0)


class Export(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job: Literal["export"]
    account_id: int = Field(gt=0)
    export_id: int = Field(gt=0)


def handle(record: SQSRecord) -> None:
    try:
        data = json.loads(record.body)
        job = (ImportChunk if isinstance(data, dict) and data.get("job") == "import" else Export).model_validate(data)
    except (ValueError, ValidationError) as exc:
        logger.warning("dropped a malformed contact job", extra={"message_id": record.message_id, "error": str(exc)[:500]})
        return
    if isinstance(job, ImportChunk):
        done = contact_jobs.process_chunk(job.account_id, job.import_id, job.chunk)
        logger.info("import chunk", extra={"import_id": job.import_id, "chunk": job.chunk, "done": done})
    else:
        done = contact_jobs.run_export(job.account_id, job.export_id)
        logger.info("export", extra={"export_id": job.export_id, "done": done})


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
