"""EventBridge -> automation rules: the account's active rules for the event, applied to
the conversation it is about (services/rules/automation.py).

EventBridge delivers at least once and Lambda retries a failed invocation, so each action
of each matching rule runs under a Powertools idempotency record keyed on (event id, rule
id, action index): a retry re-runs only what had not finished, and a duplicate delivery
does nothing."""
from __future__ import annotations

from functools import cache, partial
from typing import Callable

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger

    from parley import aws, events
    from parley.services.rules import automation
    from parley.settings import get_settings

logger = Logger()


@cache
def _idempotency():
    """The idempotency record's config and the step it guards, made when a rule's first
    action runs: most events match no rule, and the utility with its boto3 DynamoDB client
    was a third of this function's cold start."""
    from aws_lambda_powertools.utilities.idempotency import (DynamoDBPersistenceLayer, IdempotencyConfig,
                                                             idempotent_function)

    persistence = DynamoDBPersistenceLayer(table_name=get_settings().required("idempotency_table"),
                                           boto3_client=aws.client("dynamodb"))
    # A day covers EventBridge's and Lambda's retries of one event.
    config = IdempotencyConfig(expires_after_seconds=24 * 60 * 60)

    @idempotent_function(data_keyword_argument="step", config=config, persistence_store=persistence)
    def step(step: dict, work: Callable[[], None]) -> dict:
        work()
        return {"done": True}

    return config, step


def _once(key: str, work: Callable[[], None], context) -> None:
    config, step = _idempotency()
    config.register_lambda_context(context)  # an in-progress record expires with this invocation
    step(step={"key": key}, work=work)


def handle(detail: dict, context) -> dict:
    # SLA clocks first (services/sla/applied.follow): they follow every message and status
    # change of a conversation with an SLA, automation's own included; idempotent, so a
    # retried event evaluates again to the same state.
    sla = _sla_status(detail)
    result = automation.handle(detail, once=partial(_once, context=context))
    if sla is not None:
        result = {**result, "sla": sla}
    if result.get("matched"):
        logger.info("automation", extra={"event": detail["event"], **result})
    return result


def _sla_status(detail: dict) -> str | None:
    data = detail.get("data") if isinstance(detail.get("data"), dict) else {}
    subject = data.get("conversation") if detail.get("event") == "message.created" else data
    if not isinstance(subject, dict) or not subject.get("sla_policy_id"):
        return None  # the SLA service is imported only by accounts that use SLAs
    from parley.services.sla import applied

    return applied.follow(detail)


consumer = events.BusConsumer(handle, logger=logger, ignored={"matched": []})


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return consumer(event, context)
