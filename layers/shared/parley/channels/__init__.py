"""Channels: one module per provider, each exposing what applies of

- `verify(inbox, headers, raw_body, url)`: raise errors.Unauthorized on a bad signature;
- `parse(inbox, payload) -> list[inbound.Inbound]`: pure, no I/O;
- `send(inbox, conversation, message, contact_inbox) -> str`: the provider's message id,
  or raise Retryable (429, 5xx, timeouts) / Permanent (anything a retry cannot fix).

`CHANNELS` maps an inbox's channel_type to its module (imported on first use, so a
function pays only for the providers it touches).
"""
from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import Retry

CHANNELS = {
    "telegram": "parley.channels.telegram",
    "whatsapp": "parley.channels.whatsapp",
    "email": "parley.channels.email",
    "sms": "parley.channels.twilio_sms",
}

TIMEOUT_SECONDS = 10.0
# Campaign sending (services/rules/campaign_sending.py) paces each inbox's messages at its
# channel module's SEND_RATE (messages per second), unless the inbox's settings say
# otherwise (`campaign_send_rate`, from MIN_SEND_RATE to MAX_SEND_RATE).
MIN_SEND_RATE, MAX_SEND_RATE = 0.1, 1000.0
CHECK_TIMEOUT_SECONDS = 4.0
_client = None


class DeliveryError(Exception):
    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.reason = reason[:500]
        self.status = status  # the provider's HTTP status, when it answered


class Retryable(DeliveryError, Retry):
    """Worth trying again later (rate limits, provider outages, timeouts): the one retry
    type (errors.Retry) with the provider's status, so a consumer retries it as any other."""

    def __init__(self, reason: str, status: int | None = None):
        DeliveryError.__init__(self, reason, status)
        self.seconds = None


class Permanent(DeliveryError):
    """A retry would fail the same way (bad request, revoked token, closed window)."""


def send_rate_setting(value) -> float:
    """A `campaign_send_rate` given in an inbox's settings, checked (Invalid names it)."""
    from ..errors import Invalid

    if isinstance(value, bool) or not isinstance(value, (int, float)) or not MIN_SEND_RATE <= value <= MAX_SEND_RATE:
        raise Invalid(f"campaign_send_rate must be a number of messages per second from {MIN_SEND_RATE:g} to "
                      f"{MAX_SEND_RATE:g}", field="channel.campaign_send_rate")
    return float(value)


def send_rate(inbox) -> float:
    """Messages per second campaigns may send through this inbox: its own setting, else
    its provider's default (the channel module's SEND_RATE), else one a second."""
    given = (inbox.channel or {}).get("campaign_send_rate")
    if given is not None:
        return float(given)
    found = module(inbox.channel_type)
    return float(getattr(found, "SEND_RATE", 1.0))


def module(channel_type: str) -> ModuleType | None:
    name = CHANNELS.get(channel_type)
    return importlib.import_module(name) if name else None


# The providers' API hosts: on the local stack (settings.provider_sandbox_url, set by the
# runner only, never by template.yaml) their requests go to its stand-ins (local/providers.py).
SANDBOXED_HOSTS = ("api.twilio.com", "messaging.twilio.com", "graph.facebook.com", "api.telegram.org")


def client():
    """One httpx client per container: providers' connections are reused between sends.
    Tests replace `_client` with one on an httpx.MockTransport."""
    global _client
    if _client is None:
        import httpx

        from ..settings import get_settings

        sandbox = get_settings().provider_sandbox_url
        _client = httpx.Client(timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=5.0),
                               transport=_sandboxed(httpx, sandbox) if sandbox else None)
    return _client


def _sandboxed(httpx, base: str):
    """A transport that sends the providers' requests to the local stack's stand-ins
    (`<base>/<host>/<path>?<query>`) and nothing else anywhere."""

    class Sandbox(httpx.HTTPTransport):
        def handle_request(self, request):
            if request.url.host not in SANDBOXED_HOSTS:
                raise httpx.ConnectError(f"the local stack sends only to its providers' stand-ins, not {request.url.host}")
            request.url = httpx.URL(f"{base.rstrip('/')}/{request.url.host}{request.url.raw_path.decode('ascii')}")
            request.headers["host"] = request.url.netloc.decode("ascii")
            return super().handle_request(request)

    return Sandbox()


def post_json(url: str, payload: dict, *, headers: dict | None = None) -> dict:
    """POST JSON and return the JSON answer (see `post`)."""
    return post(url, json=payload, headers=headers)


def post(url: str, *, provider: str = "the provider", explain=None, **request) -> dict:
    """POST (`json=` or `data=`, `auth=`, `headers=`) and return the JSON answer. Provider
    failures become Retryable (timeouts, unreachable, 429, 5xx) or Permanent (other 4xx),
    with the provider's own words as the reason: `explain(status, body)`, by default
    "Provider answered <status>: <description>"."""
    return _call("POST", url, provider, explain, **request)


def get(url: str, *, provider: str = "the provider", explain=None, **request) -> dict:
    """GET (`params=`, `auth=`, `headers=`), failures as for `post`. A GET is a check made
    while someone waits in the API (10 s function timeout), so it gets a shorter timeout."""
    import httpx

    request.setdefault("timeout", httpx.Timeout(CHECK_TIMEOUT_SECONDS, connect=2.0))
    return _call("GET", url, provider, explain, **request)


def _call(method: str, url: str, provider: str, explain, **request) -> dict:
    import httpx

    explain = explain or (lambda status, body: f"Provider answered {status}: {describe(body)}")
    try:
        response = client().request(method, url, **request)
    except httpx.TimeoutException:
        raise Retryable(f"{provider[0].upper()}{provider[1:]} did not answer in time") from None
    except httpx.TransportError as exc:
        raise Retryable(f"Could not reach {provider}: {type(exc).__name__}") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code == 429 or response.status_code >= 500:
        raise Retryable(explain(response.status_code, body), response.status_code)
    if response.status_code >= 400:
        raise Permanent(explain(response.status_code, body), response.status_code)
    return body


def describe(body: dict) -> str:
    """The human part of a provider's error body (Telegram `description`, Meta `error.message`)."""
    error = body.get("error")
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return str(body.get("description") or body.get("message") or "no details")
