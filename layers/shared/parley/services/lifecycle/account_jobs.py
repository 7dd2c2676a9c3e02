"""Account jobs on the account-jobs queue (AccountJobsFunction): deleting an account's data,
deleting one conversation's (services/lifecycle/conversation_deletion.py), releasing the
channel traffic held while it was suspended and rebuilding its reports
(services/reporting/rebuild.py), and sending a one-off campaign
(services/rules/campaign_sending.py). Each message does a bounded
chunk of work and queues its own continuation, so no invocation runs long and a failed
one is simply retried from where the data now stands."""
from __future__ import annotations

import json

from ... import aws
from ...models.account import ACTIVE
from ...models.account_object import AccountObject
from .job_queue import enqueue

JOBS = ("delete", "release_held", "delete_conversation", "rebuild_reporting", "campaign_send")
RELEASE_CHUNK = 100


def run(job: str, account_id: int, conversation_id: int | None = None, campaign_id: int | None = None) -> bool:
    """One chunk of `job`; True when the job is finished, else its continuation is queued."""
    if job == "delete":
        from . import account_deletion
        done = account_deletion.run(account_id)
    elif job == "delete_conversation":
        from . import conversation_deletion
        if conversation_id is None:
            raise ValueError("delete_conversation needs a conversation_id")
        done = conversation_deletion.run(account_id, conversation_id)
    elif job == "rebuild_reporting":
        from ..reporting import rebuild
        done = rebuild.run(account_id)
    elif job == "campaign_send":
        from ..rules import campaign_sending
        if campaign_id is None:
            raise ValueError("campaign_send needs a campaign_id")
        done = campaign_sending.run_chunk(account_id, campaign_id)
    else:
        done = release_held(account_id)
    if not done:
        enqueue(job, account_id, conversation_id, campaign_id=campaign_id)
    return done


def release_held(account_id: int, limit: int = RELEASE_CHUNK) -> bool:
    """Put up to `limit` held ingest items back on the ingest queue, oldest first, while
    the account is active. Each is sent before it is deleted: a failure between the two
    sends it twice, which ingest's provider-id claims make harmless."""
    from ..account import accounts
    from ..messaging import ingest

    if accounts.get_account(account_id, deleting=True).status != ACTIVE:
        return True  # suspended again (the items stay held) or being deleted (they go with it)
    held = list(AccountObject.query(account_id, AccountObject.key.startswith(f"{ingest.HELD}#"), limit=limit))
    for item in held:
        aws.client("sqs").send_message(QueueUrl=ingest.queue_url(), MessageBody=json.dumps(item.data))
        item.delete()
    return len(held) < limit
