"""EventBridge -> the sockets allowed to see each domain event."""
from __future__ import annotations

from aws_lambda_powertools import Logger

from parley import realtime

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    detail = event.get("detail")
    if not isinstance(detail, dict) or "event" not in detail or "data" not in detail:
        # Not one of ours: retrying cannot fix it, so log and drop.
        logger.warning("ignored malformed event", extra={"detail_type": event.get("detail-type")})
        return {"sent": 0}
    sent = realtime.broadcast(detail)
    logger.info("broadcast", extra={"event": detail["event"], "sent": sent})
    return {"sent": sent}
