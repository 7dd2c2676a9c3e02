"""One log line per refused attack, in one shape, so an operator can alert on it.

Every refusal that guards trust (a bad signature, a forged identity, a foreign tenant's id,
a throttled sign-in, a socket that lost its rights, a disallowed embed) calls `refused`.
The line is a WARNING whose structured field `security_refusal` names the kind; a
CloudWatch Logs metric filter `{ $.security_refusal = * }` counts them across functions
(docs/security.md)."""
from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(child=True)


def refused(kind: str, reason: str, **context) -> None:
    """Log a refused attempt. `kind` is a short stable name (e.g. "widget_identity",
    "signin_throttled"); `reason` is the human sentence; context holds ids, never secrets."""
    logger.warning(f"refused: {reason}", extra={"security_refusal": kind, **context})
