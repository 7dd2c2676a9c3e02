"""Where the widget may live, enforced by the browser: the widget page's
`Content-Security-Policy: frame-ancestors` lists the inbox's allowed domains.

The seeded inbox allows `localhost:<port>` (the demo page); the same customer page served
from a second loopback host (127.0.0.2) is a site the inbox does not allow, and Chromium
must refuse to show the widget there. A returning visitor keeps its conversation although
the cross-site iframe gets no storage of its own: the loader hands the session over by
postMessage from the customer page's first-party storage.
"""
from __future__ import annotations

import http.server
import threading
import urllib.request

import pytest
from playwright.sync_api import expect

from .pages import WIDGET_FRAME, Visitor, api, tag

OTHER_HOST = "127.0.0.2"  # another loopback address: another site, not in allowed_domains


@pytest.fixture(scope="module")
def allowed_demo(stack, seed):
    """The seeded inbox allows only the demo page's host (localhost:<port>)."""
    inbox = f"/api/v1/accounts/{seed['account']['id']}/inboxes/{seed['website_inbox']['id']}"
    token = seed["administrator"]["access_token"]
    host = "localhost:" + stack.base_url.rsplit(":", 1)[1]
    assert api(stack, "PATCH", inbox, token, {"channel": {"allowed_domains": host}})["allowed_domains"] == host
    yield host
    api(stack, "PATCH", inbox, token, {"channel": {"allowed_domains": ""}})


@pytest.fixture(scope="module")
def other_site(stack):
    """The same customer page (Chatwoot's snippet) served from 127.0.0.2."""
    with urllib.request.urlopen(stack.base_url.replace("://127.0.0.1", "://localhost") + "/demo", timeout=10) as reply:
        page = reply.read()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((OTHER_HOST, 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{OTHER_HOST}:{server.server_address[1]}/demo"
    server.shutdown()


def test_widget_is_refused_on_a_site_the_inbox_does_not_allow(new_context, stack, allowed_demo, other_site):
    # Allowed: the demo page on localhost:<port> loads the widget.
    visitor = Visitor(new_context(), stack)
    visitor.open_page()
    visitor.open_chat()

    # Not allowed: the browser refuses to render the iframe, so the widget never says ready.
    page = new_context().new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    with page.expect_response(lambda r: "/widget?" in r.url) as answer:
        page.goto(other_site)
    assert "frame-ancestors " + allowed_demo in answer.value.headers["content-security-policy"]
    page.wait_for_timeout(1500)
    assert page.evaluate("window.$chatwoot && window.$chatwoot.hasLoaded") is False
    expect(page.frame_locator(WIDGET_FRAME).get_by_test_id("widget-message-input")).to_have_count(0)
    assert any("frame-ancestors" in line for line in console), console


def test_returning_visitor_stays_signed_in_without_third_party_storage(new_context, stack, seed, allowed_demo):
    visitor = Visitor(new_context(), stack)
    visitor.open_page()
    key = f"parley.widget.{seed['website_inbox']['website_token']}.auth"
    # The cross-site iframe has no storage of its own that survives (Chromium blocks or
    # partitions third-party storage, as Safari does).
    own = visitor.widget_frame().evaluate(
        f"(() => {{ try {{ return localStorage.getItem({key!r}) }} catch (e) {{ return 'blocked' }} }})()")
    assert own in ("blocked", None), own
    visitor.open_chat()
    text = f"Remember me [{tag()}]"
    visitor.send(text)
    # The session lives on the customer's page (first-party), not in any URL.
    assert visitor.page.evaluate(f"localStorage.getItem({key!r})")
    assert "#auth=" not in (visitor.page.locator(WIDGET_FRAME).get_attribute("src") or "")

    visitor.reload()
    assert "auth=" not in visitor.widget_frame().url
    visitor.open_chat()
    expect(visitor.messages(text)).to_have_count(1)


def test_local_stack_sends_the_templates_edge_headers(stack, seed, allowed_demo):
    """local/ adds the headers of template.yaml's CloudFront policies, and serves /widget
    through the API, as CloudFront does."""
    with urllib.request.urlopen(stack.base_url + "/app/login", timeout=10) as reply:
        dashboard = reply.headers
    csp = dashboard["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert dashboard["X-Frame-Options"] == "DENY" and dashboard["X-Content-Type-Options"] == "nosniff"
    assert dashboard["Strict-Transport-Security"].startswith("max-age=63072000")
    url = f"{stack.base_url}/widget?website_token={seed['website_inbox']['website_token']}"
    with urllib.request.urlopen(url, timeout=10) as reply:
        widget = reply.headers
    assert widget["Content-Security-Policy"].endswith("frame-ancestors " + allowed_demo)
    assert widget["Referrer-Policy"] == "strict-origin-when-cross-origin" and "X-Frame-Options" not in widget
