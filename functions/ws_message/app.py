"""Frames a client sends on its socket:
  {"action": "heartbeat"}            -> {"event": "pong"}
  {"action": "resume", "since": N}   -> every event it may see after seq N, then
                                        {"event": "resume.done", "seq": <last seq sent>};
                                        rate-limited per socket ({"event": "error", ...,
                                        "retry_after": s}), rights re-checked each time

Replies go back through the management API, like every other frame, so the protocol is
the same whether or not API Gateway route responses are configured."""
from __future__ import annotations

import json

from aws_lambda_powertools import Logger

from parley import realtime
from parley.errors import TooManyRequests, Unauthorized
from parley.services import connections

logger = Logger()
MAX_FRAME_BYTES = 32_768  # API Gateway's frame limit


def _reply(connection_id: str, payload: dict) -> None:
    realtime.push(connection_id, json.dumps(payload).encode())


def _parse(body: str | None) -> dict | None:
    if not body or len(body) > MAX_FRAME_BYTES:
        return None
    try:
        frame = json.loads(body)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) and isinstance(frame.get("action"), str) else None


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def lambda_handler(event: dict, context) -> dict:
    connection_id = (event.get("requestContext") or {}).get("connectionId")
    connection = connections.get(connection_id)
    if connection is None:
        return {"statusCode": 410}
    frame = _parse(event.get("body"))
    if frame is None:
        _reply(connection_id, {"event": "error", "message": 'Frames must be JSON objects with an "action"'})
        return {"statusCode": 400}
    if frame["action"] == "heartbeat":
        connections.heartbeat(connection)
        _reply(connection_id, {"event": "pong"})
        return {"statusCode": 200}
    if frame["action"] == "resume":
        since = frame.get("since")
        if isinstance(since, bool) or not isinstance(since, int) or since < 0:
            _reply(connection_id, {"event": "error", "message": '"since" must be a whole number of 0 or more'})
            return {"statusCode": 400}
        try:
            missed = connections.resume(connection, since)
        except TooManyRequests as exc:
            _reply(connection_id, {"event": "error", "message": exc.message, "retry_after": exc.retry_after})
            return {"statusCode": 429}
        except Unauthorized:
            return {"statusCode": 410}  # its rights are gone: it was told why and closed
        last = since
        for detail in missed:
            if not realtime.push(connection_id, realtime.frame(detail)):
                return {"statusCode": 410}
            last = max(last, detail["seq"])
        _reply(connection_id, {"event": "resume.done", "seq": last})
        return {"statusCode": 200}
    _reply(connection_id, {"event": "error", "message": f"Unknown action {frame['action'][:64]!r}"})
    return {"statusCode": 400}
