"""Captain (docs/captain.md): answers customers from the business's approved knowledge,
or hands the conversation to the team.

Two doors, one function (it carries the captain layer's retrieval libraries):
- The CaptainQueue (SQS, fed by an EventBridge rule with `message.created`): each
  customer message in a pending conversation of an inbox with an assistant is answered or
  handed off (services/captain/answering.respond). Every other message is dropped after
  one look at the payload (no read). Idempotent per customer message: the reply's claim
  commits with the reply, so a duplicate delivery, even a concurrent one, writes nothing.
  A record that keeps failing (a DynamoDB outage) is retried with backoff; on its last
  attempt the conversation is handed to the team (`provider_error`) instead of being
  dropped, so the customer's message is never lost.
- HTTP (API Gateway's routes for the playground, more specific than HttpApi's
  `{proxy+}`): playground.py, imported on a request's first use.

Cold start: the init imports the queue consumer and the domain's conversation code only;
retrieval (numpy and the offline model), the providers' SDKs and the playground's
route load on the path that needs them. Budget: docs/benchmarks.md."""
from __future__ import annotations

import json

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger

    # parley.consumers before pydantic (tests/unit/test_cold_start_imports.py)
    from parley import consumers, events
    from parley.errors import Retry

logger = Logger()
LAST_ATTEMPT = 5  # the CaptainQueue's maxReceiveCount (template.yaml)


EVENTS = ("message.created", "conversation.status_changed")


def parse(body: str) -> dict:
    detail = events.from_bus(json.loads(body))
    if detail is None or detail.get("event") not in EVENTS:
        raise ValueError("not an event Captain reads")
    if not isinstance(detail.get("account_id"), int) or not isinstance(detail.get("data"), dict):
        raise ValueError("an event without its account or its object")
    return detail


def handle(detail: dict, attempt: int) -> str:
    if detail["event"] == "conversation.status_changed":
        from parley.services.captain import mining

        return mining.mine_resolved(detail["account_id"], detail["data"])
    from parley.services.captain import answering

    data = detail["data"]
    if not answering.customer_message(data):
        return "not_a_customer_message"
    try:
        return answering.respond(detail["account_id"], data)
    except Retry:
        raise
    except Exception:
        if attempt < LAST_ATTEMPT:
            raise
        logger.exception("answering failed on its last attempt: handing off")
        return answering.hand_off_after_failure(detail["account_id"], data)


consumer = consumers.QueueConsumer("captain question", parse=parse, handle=handle, logger=logger)


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    if isinstance(event, dict) and isinstance(event.get("requestContext"), dict):
        import copilot  # the HTTP routes: only a request pays for their imports
        import playground
        import web

        return web.dispatch(event, playground.ROUTES + copilot.ROUTES, logger)
    return consumer(event, context)
