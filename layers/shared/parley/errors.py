"""Domain exceptions: services raise these; the HTTP API maps them to status codes once.

The body is Chatwoot's error shape: `error` (what Chatwoot's controllers answer) plus
`description` and `errors` (the `bad_request_error` schema of its OpenAPI description).
"""
from __future__ import annotations


class Retry(Exception):
    """Not now, maybe later: the one way work says it should be tried again (a provider's
    429, 5xx or timeout, a webhook receiver that did not take it, another worker holding
    the same message). A queue consumer brings its record back after `seconds`, or after
    its own backoff for the attempt when None (parley/consumers.py)."""

    def __init__(self, reason: str, seconds: int | None = None):
        super().__init__(reason)
        self.reason = reason[:500]
        self.seconds = None if seconds is None else max(0, min(int(seconds), 43_200))  # SQS's 12 hours at most


class ParleyError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, errors: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or ([{"field": field, "message": message, "code": self.code}] if field else [])

    def body(self) -> dict:
        return {"error": self.message, "description": self.message, "errors": self.errors}


class Unauthorized(ParleyError):
    status, code = 401, "unauthorized"


class Forbidden(ParleyError):
    status, code = 403, "forbidden"


class AccountSuspended(Forbidden):
    """The account a credential or public identifier resolves to is suspended: 403 (not
    401, so the widget keeps its visitor's token for when the account is reactivated)."""

    def __init__(self, account_id: int):
        super().__init__("Account is suspended")
        self.account_id = account_id


class NotFound(ParleyError):
    status, code = 404, "not_found"

    def __init__(self, message: str = "Resource could not be found", **kw):
        super().__init__(message, **kw)


class Conflict(ParleyError):
    status, code = 409, "conflict"


class PayloadTooLarge(ParleyError):
    status, code = 413, "payload_too_large"


class Invalid(ParleyError):
    status, code = 422, "invalid"


class ProviderUnavailable(ParleyError):
    """A provider Parley must ask first (to prove a claimed number) is down or too slow:
    nothing was changed, and the same request may simply be sent again."""
    status, code = 503, "provider_unavailable"


class TooManyRequests(ParleyError):
    status, code = 429, "too_many_requests"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
