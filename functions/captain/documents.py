"""Captain document ingest jobs from the CaptainDocumentsQueue (CaptainDocumentsFunction):
one document a message, read into chunks by services/captain/ingest.py.

A job is idempotent (it acts only on the revision it names, while still in progress). An
error that is not the document's (an outage, a bug) fails the record, and SQS brings it
back after the visibility timeout; on the queue's last attempt (MAX_ATTEMPTS, the
template's maxReceiveCount) the document is marked failed instead, so no document waits
forever. A malformed message is dropped (parley/consumers.py).

No `from __future__ import annotations`: pydantic resolves these models at import (the
function is loaded by path, not as a package module)."""

import json

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger
    # parley.consumers before pydantic (tests/unit/test_cold_start_imports.py).
    from parley import consumers
    from pydantic import BaseModel, ConfigDict, Field

    from parley.services.captain import ingest

logger = Logger()
MAX_ATTEMPTS = 3  # template.yaml: CaptainDocumentsQueue's maxReceiveCount


class Job(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_id: int = Field(gt=0)
    document_id: int = Field(gt=0)
    revision: str = Field(min_length=1, max_length=64)


def parse(body: str) -> Job:
    return Job.model_validate(json.loads(body))


def _model_of(document):
    """The document's assistant's model (asked only once the document is available, to
    propose FAQs from it; the offline provider proposes nothing)."""
    from parley.services.captain import assistants, providers
    return providers.for_assistant(document.account_id, assistants.get(document.account_id, document.data["assistant_id"]))


def handle(job: Job, attempt: int, **reading) -> dict:
    reading.setdefault("provider_for", _model_of)
    try:
        outcome = ingest.run(job.account_id, job.document_id, job.revision, **reading)
    except Exception as exc:
        if attempt < MAX_ATTEMPTS:
            raise
        logger.exception("document ingest failed on its last attempt")
        outcome = ingest.give_up(job.account_id, job.document_id, job.revision,
                                 f"Processing failed after {attempt} attempts ({type(exc).__name__})")
    return {"document_id": job.document_id, "outcome": outcome}


consumer = consumers.QueueConsumer("captain document", parse=parse, handle=handle, logger=logger)


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return consumer(event, context)
