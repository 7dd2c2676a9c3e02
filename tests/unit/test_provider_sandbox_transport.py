"""parley.channels on the local stack (PROVIDER_SANDBOX_URL): the providers' calls go
to the stand-ins (local/providers.py), anything else is refused, and without the variable
(AWS: template.yaml never sets it) the client is a plain one."""
from __future__ import annotations

import httpx
import pytest

from parley import channels
from parley.settings import get_settings


@pytest.fixture
def fresh_client(monkeypatch):
    monkeypatch.setattr(channels, "_client", None)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
    if channels._client is not None:
        channels._client.close()


def test_provider_calls_go_to_the_stand_in_with_path_and_query(fresh_client, monkeypatch):
    monkeypatch.setenv("PROVIDER_SANDBOX_URL", "http://127.0.0.1:9/_local/providers")
    seen = []
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request",
                        lambda self, request: seen.append(str(request.url)) or httpx.Response(200, json={"ok": True}))
    client = channels.client()
    client.get("https://api.twilio.com/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json",
               params={"PhoneNumber": "+15550001234"})
    client.post("https://graph.facebook.com/v20.0/15550001234/messages", json={})
    assert seen == ["http://127.0.0.1:9/_local/providers/api.twilio.com/2010-04-01/Accounts/AC1/"
                    "IncomingPhoneNumbers.json?PhoneNumber=%2B15550001234",
                    "http://127.0.0.1:9/_local/providers/graph.facebook.com/v20.0/15550001234/messages"]
    with pytest.raises(httpx.ConnectError, match="stand-ins"):
        client.get("https://example.com/anything")


def test_without_the_variable_the_client_goes_to_the_providers(fresh_client, monkeypatch):
    monkeypatch.delenv("PROVIDER_SANDBOX_URL", raising=False)
    assert type(channels.client()._transport) is httpx.HTTPTransport
