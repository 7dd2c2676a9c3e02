"""The one low-level DynamoDB connection that transactions share (one per container:
each new pynamodb Connection builds a botocore session, ~150 ms)."""
from __future__ import annotations

from functools import lru_cache

from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

from .settings import get_settings


@lru_cache(maxsize=1)
def connection() -> Connection:
    settings = get_settings()
    return Connection(region=settings.region)


def transaction() -> TransactWrite:
    return TransactWrite(connection=connection())


def cancellation_codes(exc) -> set[str]:
    """Why DynamoDB cancelled a transaction (TransactWriteError), one code per item that
    failed: "ConditionalCheckFailed", "TransactionConflict", ...; empty for other errors."""
    if exc.cause_response_code != "TransactionCanceledException":
        return set()
    return {reason.code for reason in exc.cancellation_reasons or [] if reason is not None}
