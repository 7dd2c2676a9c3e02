"""Where the widget may live (allowed_domains) and how many sockets one tenant may hold.

The widget page is the HTTP API's answer to GET /widget?website_token=…: its
`Content-Security-Policy: frame-ancestors` lists the inbox's allowed domains, so the
browser itself refuses to show the widget inside any other site. A $connect beyond the
account's (agents) or inbox's (visitors) open-socket cap is refused with 429."""
from __future__ import annotations

import base64
import logging

import boto3
import pytest

from tests.conftest import LambdaContext, http_event, load_function
from tests.integration.test_realtime import connect, ws_event

BUILT_PAGE = ('<!doctype html><html lang="en"><head><meta charset="UTF-8" /><title>Chat</title>'
              '<script type="module" crossorigin src="/assets/widget-abc.js"></script></head>'
              '<body><div id="app"></div></body></html>')


@pytest.fixture
def built_widget(aws):
    """What `aws s3 sync frontend/dist` puts in the frontend bucket."""
    from parley.settings import get_settings

    boto3.client("s3").put_object(Bucket=get_settings().frontend_bucket, Key="widget/index.html",
                                  Body=BUILT_PAGE.encode(), ContentType="text/html")


def widget_page(website_token: str | None) -> dict:
    query = {"website_token": website_token} if website_token is not None else None
    result = load_function("http_api").lambda_handler(http_event("GET", "/widget", query=query), LambdaContext())
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    return {"status": result["statusCode"], "headers": headers, "body": body}


def directives(csp: str) -> dict[str, list[str]]:
    return {p.split()[0]: p.split()[1:] for p in csp.split(";") if p.strip()}


def set_allowed(api, world, website, value: str):
    return api.patch(f"/api/v1/accounts/{world.account_id}/inboxes/{website.id}", world.admin.token,
                     body={"channel": {"allowed_domains": value}})


def test_widget_page_may_be_framed_only_by_the_allowed_domains(api, world, website, built_widget):
    reply = set_allowed(api, world, website, " Shop.Acme.test, *.acme-cdn.test ,localhost:8080")
    assert reply.status == 200, reply.json
    assert reply.json["allowed_domains"] == "shop.acme.test, *.acme-cdn.test, localhost:8080"  # normalised

    page = widget_page(website.website_token)
    assert page["status"] == 200
    assert page["headers"]["content-type"].startswith("text/html")
    policy = directives(page["headers"]["content-security-policy"])
    assert policy["frame-ancestors"] == ["shop.acme.test", "*.acme-cdn.test", "localhost:8080"]
    assert policy["script-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    # The built page itself, plus the list the iframe checks postMessage origins against.
    assert '<script type="module" crossorigin src="/assets/widget-abc.js"></script>' in page["body"]
    assert '<meta name="parley-allowed-domains" content="shop.acme.test,*.acme-cdn.test,localhost:8080">' in page["body"]
    # CloudFront keeps it (per website_token) for a short while; browsers revalidate.
    cache = page["headers"]["cache-control"]
    assert "s-maxage=60" in cache and "max-age=0" in cache


def test_widget_page_without_allowed_domains_may_be_framed_anywhere(website, built_widget):
    page = widget_page(website.website_token)
    assert page["status"] == 200
    policy = directives(page["headers"]["content-security-policy"])
    assert "frame-ancestors" not in policy  # Chatwoot's behaviour: an empty list means any site
    assert '<meta name="parley-allowed-domains" content="">' in page["body"]


def test_widget_page_of_an_unknown_or_deleted_inbox_is_not_found(api, world, website, built_widget):
    for token in (None, "", "nope", "x" * 500):
        page = widget_page(token)
        assert page["status"] == 404, token
        assert directives(page["headers"]["content-security-policy"])["frame-ancestors"] == ["'none'"]
    api.delete(f"/api/v1/accounts/{world.account_id}/inboxes/{website.id}", world.admin.token)
    assert widget_page(website.website_token)["status"] == 404


@pytest.mark.parametrize("junk", [
    "javascript:alert(1)", "https://acme.test/path", "acme.test; script-src *", "'none'", "*", "acme .test",
    "acme.test,,other.test", "http://", "*.", "acme.test:99999", "data:", "acme.test\nx-evil: 1",
    "-acme.test", "a" * 64 + ".test", "*.*.acme.test", "acme.test/", "user@acme.test",
])
def test_allowed_domains_refuse_anything_but_host_names(api, world, website, built_widget, junk):
    set_allowed(api, world, website, "acme.test")
    reply = set_allowed(api, world, website, junk)
    assert reply.status == 422, (junk, reply.json)
    assert "frame-ancestors acme.test" in widget_page(website.website_token)["headers"]["content-security-policy"]


def test_allowed_domains_accept_chatwoots_forms(api, world, website):
    for value, stored in (("", ""), ("acme.test", "acme.test"), ("https://acme.test", "https://acme.test"),
                          ("*.acme.test, acme.test", "*.acme.test, acme.test"), ("localhost:*", "localhost:*")):
        reply = set_allowed(api, world, website, value)
        assert reply.status == 200, (value, reply.json)
        assert reply.json["allowed_domains"] == stored


# ---- one tenant cannot hold every socket ---------------------------------------------------------

def disconnect(connection_id: str) -> None:
    load_function("ws_connect").lambda_handler(ws_event("ws_disconnect", connection_id), LambdaContext())


def test_visitor_sockets_are_capped_per_inbox(api, world, website, monkeypatch, caplog):
    from parley.services.access import connections

    monkeypatch.setattr(connections, "MAX_VISITOR_SOCKETS_PER_INBOX", 2)
    other = api.post(f"/api/v1/accounts/{world.other_account_id}/inboxes", world.other_admin.token,
                     body={"name": "Globex site", "channel": {"type": "web_widget"}}).json
    from tests.conftest import Widget

    visitors = [website.widget.start() for _ in range(3)]
    assert connect("v1", pubsub_token=visitors[0].pubsub_token) == 200
    assert connect("v2", pubsub_token=visitors[1].pubsub_token) == 200
    with caplog.at_level(logging.WARNING):
        assert connect("v3", pubsub_token=visitors[2].pubsub_token) == 429
    assert connections.get("v3") is None
    assert any(getattr(r, "security_refusal", None) == "ws_socket_cap" for r in caplog.records)
    # Another tenant's visitors still get in; and a closed socket frees its slot.
    globex = Widget(api, other["website_token"]).start()
    assert connect("g1", pubsub_token=globex.pubsub_token) == 200
    disconnect("v1")
    assert connect("v3", pubsub_token=visitors[2].pubsub_token) == 200
    # A $disconnect that is replayed (or lost and then the record expired) frees nothing twice.
    disconnect("v1")
    assert connect("v4", pubsub_token=visitors[0].pubsub_token) == 429


def test_agent_sockets_are_capped_per_account(world, monkeypatch):
    from parley.services.access import connections

    monkeypatch.setattr(connections, "MAX_AGENT_SOCKETS_PER_ACCOUNT", 2)
    assert connect("a1", token=world.agent.token) == 200
    assert connect("a2", token=world.admin.token) == 200
    assert connect("a3", token=world.agent.token) == 429
    assert connect("o1", token=world.other_admin.token) == 200  # Globex is not Acme's problem


def test_socket_counts_heal_when_disconnects_are_lost(world, monkeypatch):
    """API Gateway closes every socket within 2 hours; a count whose $disconnect never came
    must not keep a tenant locked out after that."""
    import time as real_time

    from parley.services.access import connections

    monkeypatch.setattr(connections, "MAX_AGENT_SOCKETS_PER_ACCOUNT", 1)
    assert connect("a1", token=world.agent.token) == 200
    assert connect("a2", token=world.agent.token) == 429
    later = real_time.time() + 2 * connections.MAX_CONNECTION_SECONDS + 1
    monkeypatch.setattr(connections.time, "time", lambda: later)
    assert connect("a3", token=world.agent.token) == 200
