"""Contact CSV jobs from the contact-jobs queue: one import chunk or one export per message.

A message that fails comes back alone (and, after the queue's maxReceiveCount, goes to its
dead-letter queue); the others in the batch are done. A malformed message is dropped, not
retried (parley/consumers.py).

No `from __future__ import annotations`: pydantic resolves these models at import (the
function is loaded by path, not as a package module)."""

import json
from typing import Literal

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger
    # parley.consumers before pydantic: Powertools' batch utility builds its parser's pydantic
    # models at import if pydantic is loaded already (tests/unit/test_cold_start_imports.py).
    from parley import consumers
    from pydantic import BaseModel, ConfigDict, Field

    from parley.services.contact import contact_jobs

logger = Logger()


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


def parse(body: str) -> ImportChunk | Export:
    data = json.loads(body)
    return (ImportChunk if isinstance(data, dict) and data.get("job") == "import" else Export).model_validate(data)


def handle(job: ImportChunk | Export, attempt: int) -> dict:
    if isinstance(job, ImportChunk):
        return {"import_id": job.import_id, "chunk": job.chunk,
                "done": contact_jobs.process_chunk(job.account_id, job.import_id, job.chunk)}
    return {"export_id": job.export_id, "done": contact_jobs.run_export(job.account_id, job.export_id)}


consumer = consumers.QueueConsumer("contact job", parse=parse, handle=handle, logger=logger)


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return consumer(event, context)
