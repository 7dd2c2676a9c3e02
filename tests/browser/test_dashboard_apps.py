"""A dashboard app receives the conversation: an agent opens a conversation, clicks the
app's tab beside it, and the app's page (on its own origin) is told the conversation, its
contact and the agent by postMessage; it asks again (fetch-info) and is answered; a
change of the conversation is sent to it too.

The app is a real page on another origin: a small https server on 127.0.0.1 with a
self-signed certificate made for the test (the browser context accepts it:
`ignore_https_errors`). Dashboard app URLs must be https and public, so nothing is
bypassed: the super admin puts 127.0.0.1 on the installation's WEBHOOK_URL_ALLOWLIST
(the development allowlist the URL check already honours, parley/outbound.py) through the
API, the administrator creates the app through the API, and both are undone afterwards.
"""
from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import re
import ssl
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from local.process import free_port

from .conftest import DASHBOARD_VIEWPORT
from .pages import Agent, api, start_chat, tag

# The app: records every appContext it is sent (data and the sender's origin) into its
# page, and asks once for the context again, as Chatwoot's apps do.
APP_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Test app</title></head>
<body>
<p>Received: <span id="count">0</span></p>
<pre id="origin"></pre>
<pre id="got"></pre>
<script>
var asked = false;
window.addEventListener('message', function (event) {
  var message;
  try { message = JSON.parse(event.data); } catch (e) { return; }
  if (!message || message.event !== 'appContext') return;
  var count = document.getElementById('count');
  count.textContent = String(Number(count.textContent) + 1);
  document.getElementById('origin').textContent = event.origin;
  document.getElementById('got').textContent = JSON.stringify(message.data);
  if (!asked) {
    asked = true;
    window.parent.postMessage('chatwoot-dashboard-app:fetch-info', '*');
  }
});
</script>
</body></html>
"""


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made for this test only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "app.crt", folder / "app.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _AppHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = APP_PAGE.encode()
        self.send_response(200 if self.path.startswith("/app.html") else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def app_server(tmp_path):
    """The app's own origin: https://127.0.0.1:<port>."""
    cert, key = _certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _AppHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


CONFIGS = "/super_admin/api/v1/installation_configs"
ALLOWLIST = f"{CONFIGS}/WEBHOOK_URL_ALLOWLIST"


@pytest.fixture
def dashboard_app(stack, seed, app_server):
    """The app, created by the administrator through the API once the super admin has put
    127.0.0.1 on the development allowlist; both undone afterwards."""
    root, admin = seed["super_admin"]["access_token"], seed["administrator"]["access_token"]
    account_id = seed["account"]["id"]
    before = next(c for c in api(stack, "GET", CONFIGS, root)["payload"] if c["name"] == "WEBHOOK_URL_ALLOWLIST")
    api(stack, "PATCH", ALLOWLIST, root, {"value": "127.0.0.1"})
    path = f"/api/v1/accounts/{account_id}/dashboard_apps"
    body = {"title": f"CRM {tag()}", "content": [{"type": "frame", "url": app_server + "/app.html"}]}
    deadline = time.monotonic() + 40  # another container's config cache may be 30 s old
    while True:
        try:
            app = api(stack, "POST", path, admin, body)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    yield app
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(stack.base_url + f"{path}/{app['id']}", method="DELETE",
                                                  headers={"api_access_token": admin}), timeout=10).close()
    api(stack, "PATCH", ALLOWLIST, root, {"value": (before or {}).get("value") or ""})


def test_a_dashboard_app_receives_the_conversation(new_context, stack, seed, visitor, dashboard_app, app_server):
    agent = Agent(new_context(viewport=DASHBOARD_VIEWPORT, ignore_https_errors=True), stack, seed["agent"])
    agent.open_inbox()
    first = f"Where is my order? {tag()}"
    conv_id = int(start_chat(visitor, agent, first))
    page = agent.page

    # Beside the conversation: the contact first, then a tab per app.
    expect(page.get_by_test_id("side-tab-contact")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("contact-panel")).to_be_visible()
    tab = page.get_by_test_id(f"side-tab-app-{dashboard_app['id']}")
    expect(tab).to_have_text(dashboard_app["title"])
    # Nothing is framed (nor told anything) until the agent opens the app's tab.
    expect(page.get_by_test_id(f"dashboard-app-iframe-{dashboard_app['id']}")).to_have_count(0)
    tab.click()
    expect(page.get_by_test_id("contact-panel")).to_be_hidden()

    iframe = page.get_by_test_id(f"dashboard-app-iframe-{dashboard_app['id']}")
    expect(iframe).to_have_attribute("sandbox", re.compile(r"allow-scripts"))
    assert "allow-top-navigation" not in (iframe.get_attribute("sandbox") or "")
    app = page.frame_locator(f"[data-testid='dashboard-app-iframe-{dashboard_app['id']}']")
    # On load, then once more in answer to the app's fetch-info request.
    expect(app.locator("#count")).to_have_text("2")
    expect(app.locator("#origin")).to_have_text(stack.base_url)  # sent by the dashboard's origin
    got = json.loads(app.locator("#got").inner_text())
    conversation = api(stack, "GET", f"/api/v1/accounts/{seed['account']['id']}/conversations/{conv_id}",
                       seed["agent"]["access_token"])
    sender = conversation["meta"]["sender"]
    assert got["conversation"]["id"] == conv_id
    assert got["conversation"]["inbox_id"] == conversation["inbox_id"]
    assert got["contact"]["id"] == sender["id"] and got["contact"]["name"] == sender["name"]
    assert got["currentAgent"] == {"id": seed["agent"]["id"], "name": got["currentAgent"]["name"],
                                   "email": seed["agent"]["email"]}
    assert "access_token" not in json.dumps(got)

    # The conversation changes: the app is told.
    page.get_by_test_id("toggle-status-button").click()
    expect(page.get_by_test_id("conversation-status")).to_have_text("resolved")
    expect(app.locator("#got")).to_contain_text('"status":"resolved"')
    assert json.loads(app.locator("#got").inner_text())["conversation"]["id"] == conv_id
    assert agent.dialogs == []


def test_admin_manages_dashboard_apps_and_sees_the_integrations(admin):
    """Settings: an administrator is refused an http and a private address, adds an app,
    renames it, sees Dashboard apps enabled among the integrations, and deletes it."""
    from .pages import open_settings

    page = admin.page
    title = f"Orders {tag()}"
    open_settings(admin, "dashboard-apps")

    page.get_by_test_id("dashboard-app-title").fill(title)
    page.get_by_test_id("dashboard-app-url").fill("http://apps.example.com/orders")
    page.get_by_test_id("dashboard-app-create").click()
    expect(page.get_by_test_id("dashboard-app-error")).to_contain_text("https")
    # The server's check (SSRF rules): the metadata service's address is refused.
    page.get_by_test_id("dashboard-app-url").fill("https://169.254.169.254/latest/meta-data")
    page.get_by_test_id("dashboard-app-create").click()
    expect(page.get_by_test_id("dashboard-app-error")).to_contain_text("private")

    page.get_by_test_id("dashboard-app-url").fill("https://apps.example.com/orders")
    page.get_by_test_id("dashboard-app-create").click()
    row = page.get_by_test_id("dashboard-app-list").locator("li", has_text=title)
    expect(row.get_by_test_id("dashboard-app-row-url")).to_have_text("https://apps.example.com/orders")
    app_id = int((row.get_attribute("data-testid") or "").split("-")[-1])

    page.get_by_test_id(f"dashboard-app-edit-{app_id}").click()
    page.get_by_test_id("dashboard-app-edit-title").fill(title + " (EU)")
    # The reload must wait for the PATCH: reloading first cancelled it under load.
    with page.expect_response(lambda r: f"/dashboard_apps/{app_id}" in r.url and r.request.method in ("PATCH", "PUT")) as saved:
        page.get_by_test_id("dashboard-app-save").click()
    assert saved.value.ok
    page.reload()
    expect(page.get_by_test_id(f"dashboard-app-{app_id}")).to_contain_text(title + " (EU)")

    page.get_by_test_id("settings-nav-integrations").click()
    expect(page.get_by_test_id("integration-dashboard_apps")).to_have_attribute("data-enabled", "true")
    expect(page.get_by_test_id("integration-website")).to_have_attribute("data-enabled", "true")  # the seed's inbox
    # Channels are enabled by the shared stack's inboxes, which other browser tests add to:
    # each row shows what the API says now (a Telegram inbox may or may not exist yet).
    listed = api(admin.stack, "GET", f"/api/v1/accounts/{admin.stack.seed['account']['id']}/integrations/apps",
                 admin.person["access_token"])
    telegram = next(app for app in listed["payload"] if app["id"] == "telegram")
    expect(page.get_by_test_id("integration-telegram")).to_have_attribute("data-enabled", str(telegram["enabled"]).lower())
    page.get_by_test_id("integration-configure-dashboard_apps").click()
    expect(page).to_have_url(re.compile(r"/settings/dashboard-apps$"))

    page.get_by_test_id(f"dashboard-app-delete-{app_id}").click()
    page.get_by_test_id(f"dashboard-app-delete-{app_id}-confirm").click()
    expect(page.get_by_test_id(f"dashboard-app-{app_id}")).to_have_count(0)
    assert admin.dialogs == []
