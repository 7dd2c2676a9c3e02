"""Work that a one-time schedule says is due (see parley.schedules)."""
from __future__ import annotations

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ValidationError

from parley.services import conversations

logger = Logger()


class ReopenSnoozed(BaseModel):
    task: str
    account_id: int
    conversation_id: int
    snoozed_until: int


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    if not isinstance(event, dict) or event.get("task") != conversations.SNOOZE_TASK:
        # Only Parley creates schedules in this group; anything else cannot be retried into shape.
        logger.warning("ignored unknown scheduled task", extra={"task": (event or {}).get("task")})
        return {"done": False}
    try:
        job = ReopenSnoozed.model_validate(event)
    except ValidationError as exc:
        logger.warning("ignored malformed scheduled task", extra={"errors": exc.errors(include_url=False)})
        return {"done": False}
    reopened = conversations.reopen_snoozed(job.account_id, job.conversation_id, job.snoozed_until)
    logger.info("snooze ended", extra={"conversation_id": job.conversation_id, "reopened": reopened})
    return {"done": reopened}
