"""Work that a one-time schedule says is due (see parley.schedules)."""
from __future__ import annotations

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger
    from pydantic import BaseModel, ValidationError

    from parley import schedules
    from parley.services.messaging import auto_resolve
    from parley.services.conversation import conversations

logger = Logger()


class ReopenSnoozed(BaseModel):
    task: str
    account_id: int
    conversation_id: int
    snoozed_until: int


class AutoResolve(BaseModel):
    task: str
    account_id: int
    conversation_id: int
    deadline: int


class SlaDeadline(BaseModel):
    task: str
    account_id: int
    conversation_id: int
    deadline: int


class CampaignSend(BaseModel):
    task: str
    account_id: int
    campaign_id: int
    scheduled_at: int


class CaptainIdle(BaseModel):
    task: str
    account_id: int
    conversation_id: int
    message_id: int
    assistant_id: int
    minutes: int = 60


def _reopen(job: ReopenSnoozed) -> bool:
    reopened = conversations.reopen_snoozed(job.account_id, job.conversation_id, job.snoozed_until)
    logger.info("snooze ended", extra={"conversation_id": job.conversation_id, "reopened": reopened})
    return reopened


def _auto_resolve(job: AutoResolve) -> bool:
    outcome = auto_resolve.fire(job.account_id, job.conversation_id, job.deadline)
    logger.info("auto-resolve due", extra={"conversation_id": job.conversation_id, "outcome": outcome})
    return outcome == "resolved"


def _sla_deadline(job: SlaDeadline) -> bool:
    from parley.services.sla import applied  # only this task needs the SLA clocks

    status = applied.fire(job.account_id, job.conversation_id, job.deadline)
    logger.info("sla deadline due", extra={"conversation_id": job.conversation_id, "sla_status": status})
    return status != "missing"


def _captain_idle(job: CaptainIdle) -> bool:
    from parley.services.captain import answering  # only this task needs Captain's rules

    outcome = answering.resolve_idle(job.account_id, job.conversation_id, job.message_id, job.assistant_id,
                                     job.minutes)
    logger.info("captain idle resolution due", extra={"conversation_id": job.conversation_id, "outcome": outcome})
    return outcome == "resolved"


def _campaign_send(job: CampaignSend) -> bool:
    from parley.services.lifecycle import job_queue  # only this task queues account jobs
    from parley.services.rules import campaign_sending

    outcome = campaign_sending.fire(job.account_id, job.campaign_id, job.scheduled_at,
                                    lambda: job_queue.enqueue(campaign_sending.JOB, job.account_id,
                                                              campaign_id=job.campaign_id))
    logger.info("campaign due", extra={"campaign_id": job.campaign_id, "outcome": outcome})
    return outcome == "started"


# The task names: parley/schedules.py callers (answering.IDLE_TASK is "captain_idle_resolve",
# services/sla/applied.TASK is "sla_deadline").
TASKS = {conversations.SNOOZE_TASK: (ReopenSnoozed, _reopen), auto_resolve.TASK: (AutoResolve, _auto_resolve),
         "captain_idle_resolve": (CaptainIdle, _captain_idle), "sla_deadline": (SlaDeadline, _sla_deadline),
         "campaign_send": (CampaignSend, _campaign_send)}


def _own_arn(context) -> None:
    """Auto-resolve may schedule its next deadline from here, targeting this function; its
    ARN cannot be in its own environment (a template cycle), so it comes from the context."""
    arn = getattr(context, "invoked_function_arn", None)
    if arn:
        schedules.target_self(arn)


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    name = event.get("task") if isinstance(event, dict) else None
    task = TASKS.get(name) if isinstance(name, str) else None
    if task is None:
        # Only Parley creates schedules in this group; anything else cannot be retried into shape.
        logger.warning("ignored unknown scheduled task", extra={"task": repr(name)[:100]})
        return {"done": False}
    model, run = task
    try:
        job = model.model_validate(event)
    except ValidationError as exc:
        logger.warning("ignored malformed scheduled task", extra={"errors": exc.errors(include_url=False)})
        return {"done": False}
    _own_arn(context)
    return {"done": run(job)}
