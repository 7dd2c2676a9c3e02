"""Account jobs from the account-jobs queue: `delete` (an account marked deleting loses all
its data, services/lifecycle/account_deletion.py), `delete_conversation` (one conversation's
messages, files and claims, services/lifecycle/conversation_deletion.py) and `release_held` (channel traffic held while the
account was suspended goes back to the ingest queue) and `rebuild_reporting` (the account's
reporting events and rollups from its stored conversations, services/reporting/rebuild.py) and
`campaign_send` (a one-off campaign's messages, services/rules/campaign_sending.py). Each message is one bounded chunk
that queues its own continuation.

A message that fails (a fault midway through a chunk) comes back alone and runs again from
what is left; after the queue's maxReceiveCount it lands in the alarmed dead-letter queue,
and re-sending it resumes the job. A malformed message is dropped (parley/consumers.py).

No `from __future__ import annotations`: pydantic resolves the model at import."""

from typing import Literal

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger
    # parley.consumers before pydantic: Powertools' batch utility builds its parser's pydantic
    # models at import if pydantic is loaded already (tests/unit/test_cold_start_imports.py).
    from parley import consumers
    from pydantic import BaseModel, ConfigDict, Field, model_validator

    from parley.services.lifecycle import account_jobs

logger = Logger()


class Job(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job: Literal["delete", "release_held", "delete_conversation", "rebuild_reporting", "campaign_send"]
    account_id: int = Field(gt=0)
    conversation_id: int | None = Field(default=None, gt=0)  # delete_conversation's display id
    campaign_id: int | None = Field(default=None, gt=0)  # campaign_send's campaign

    @model_validator(mode="after")
    def _conversation(self):
        if (self.job == "delete_conversation") != (self.conversation_id is not None):
            raise ValueError("conversation_id is given with delete_conversation, and only with it")
        if (self.job == "campaign_send") != (self.campaign_id is not None):
            raise ValueError("campaign_id is given with campaign_send, and only with it")
        return self


def handle(job: Job, attempt: int) -> dict:
    return {"job": job.job, "account_id": job.account_id, "conversation_id": job.conversation_id,
            "campaign_id": job.campaign_id,
            "done": account_jobs.run(job.job, job.account_id, job.conversation_id, job.campaign_id)}


consumer = consumers.QueueConsumer("account job", parse=Job.model_validate_json, handle=handle, logger=logger)


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return consumer(event, context)
