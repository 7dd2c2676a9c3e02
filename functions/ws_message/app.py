"""Frames a client sends on its socket:
  {"action": "heartbeat"}            -> {"event": "pong"}
  {"action": "resume", "since": N}   -> every event it may see after seq N, then
                                        {"event": "resume.done", "seq": <last seq sent>};
                                        rate-limited per socket, rights re-checked each time

Every frame, whatever it holds, spends from the socket's frame budget first: past it the
answer is {"event": "error", ..., "retry_after": s}; a socket that keeps sending is told
{"event": "connection.revoked", "reason": "flooding"} and closed.

Replies go back through the management API, like every other frame, so the protocol is
the same whether or not API Gateway route responses are configured."""
from __future__ import annotations

import json

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger

    from parley import realtime
    from parley.errors import TooManyRequests, Unauthorized
    from parley.services.access import connections

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


def _valid_since(since) -> bool:
    return isinstance(since, int) and not isinstance(since, bool) and since >= 0


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def lambda_handler(event: dict, context) -> dict:
    connection_id = (event.get("requestContext") or {}).get("connectionId")
    frame = _parse(event.get("body"))
    action = frame["action"] if frame else None
    connection = connections.get(connection_id, first_frame=action == "resume")
    if connection is None:
        return {"statusCode": 410}
    resuming = action == "resume" and _valid_since(frame.get("since"))
    try:
        if resuming:
            missed = connections.resume(connection, frame["since"])
        else:
            connections.take_frame(connection, heartbeat=action == "heartbeat")
    except TooManyRequests as exc:
        _reply(connection_id, {"event": "error", "message": exc.message, "retry_after": exc.retry_after})
        return {"statusCode": 429}
    except Unauthorized:
        return {"statusCode": 410}  # its rights are gone or it flooded: it was told why and closed
    if frame is None:
        _reply(connection_id, {"event": "error", "message": 'Frames must be JSON objects with an "action"'})
        return {"statusCode": 400}
    if action == "heartbeat":
        _reply(connection_id, {"event": "pong"})
        return {"statusCode": 200}
    if resuming:
        last = frame["since"]
        for detail in missed:
            if not realtime.push(connection_id, realtime.frame(detail)):
                return {"statusCode": 410}
            last = max(last, detail["seq"])
        _reply(connection_id, {"event": "resume.done", "seq": last})
        return {"statusCode": 200}
    if action == "resume":
        _reply(connection_id, {"event": "error", "message": '"since" must be a whole number of 0 or more'})
        return {"statusCode": 400}
    _reply(connection_id, {"event": "error", "message": f"Unknown action {action[:64]!r}"})
    return {"statusCode": 400}
