"""Messages of the account-jobs queue, which AccountJobsFunction runs (account_jobs.run).
Apart from the runner so that a job's own module (conversation_deletion) can queue its
next chunk without importing the runner that imports it."""
from __future__ import annotations

import json

from ... import aws
from ...settings import get_settings


def enqueue(job: str, account_id: int, conversation_id: int | None = None, delay: int = 0, *,
            campaign_id: int | None = None) -> None:
    """`delay`: seconds before the message may be received (SQS allows up to 900)."""
    url = get_settings().required("account_jobs_queue")
    message = {"job": job, "account_id": account_id}
    if conversation_id is not None:  # delete_conversation: which one
        message["conversation_id"] = conversation_id
    if campaign_id is not None:  # campaign_send: which one
        message["campaign_id"] = campaign_id
    aws.client("sqs").send_message(QueueUrl=url, DelaySeconds=delay, MessageBody=json.dumps(message))
