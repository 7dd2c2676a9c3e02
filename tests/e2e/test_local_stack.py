"""`python -m local` end to end: real HTTP and WebSocket clients against the subprocess,
the seeded logins, the management API's 410, and a restart that keeps the data."""
from __future__ import annotations

import asyncio
import json
import signal
import time

import boto3
import httpx
import pytest
import websockets


def sign_in(base_url: str, email: str, password: str) -> httpx.Response:
    return httpx.post(f"{base_url}/auth/sign_in", json={"email": email, "password": password}, timeout=10)


async def frame_where(socket, wanted, timeout: float = 5) -> dict:
    """The next frame for which `wanted(frame)` holds; others (presence, ...) are skipped."""
    async def read():
        while not wanted(frame := json.loads(await socket.recv())):
            pass
        return frame

    return await asyncio.wait_for(read(), timeout)


def test_seed_json_has_the_whole_cast(local_stack):
    seed = local_stack.seed
    assert seed["base_url"] == local_stack.base_url
    assert set(seed) == {"base_url", "super_admin", "account", "administrator", "agent", "other_account",
                         "platform_token", "website_inbox", "help_center", "captain"}
    assert seed["help_center"]["slug"] == "acme-help"
    assert set(seed["captain"]) == {"id", "website_token", "assistant_id"}
    assert set(seed["website_inbox"]) == {"id", "website_token", "hmac_token"}
    assert set(seed["super_admin"]) == {"email", "password", "access_token"}
    for person in (seed["administrator"], seed["agent"], seed["other_account"]["administrator"]):
        assert set(person) == {"id", "email", "password", "access_token"}
    assert seed["account"]["name"] == "Acme" and seed["other_account"]["name"] == "Globex"
    assert seed["account"]["id"] != seed["other_account"]["id"]


def test_demo_page_embeds_the_seeded_inbox_with_chatwoots_snippet(local_stack):
    inbox = local_stack.seed["website_inbox"]
    # Served for the localhost origin: a different origin from the API's 127.0.0.1.
    page = httpx.get(local_stack.base_url.replace("127.0.0.1", "localhost") + "/demo")
    assert page.status_code == 200
    assert f'"{local_stack.base_url}"' in page.text and "/packs/js/sdk.js" in page.text
    assert f'websiteToken: "{inbox["website_token"]}"' in page.text
    agent = local_stack.seed["agent"]
    inboxes = httpx.get(f"{local_stack.base_url}/api/v1/accounts/{local_stack.seed['account']['id']}/inboxes",
                        headers={"api_access_token": agent["access_token"]}).json()["payload"]
    assert [i["id"] for i in inboxes] == [inbox["id"]]  # the agent works in it


def test_the_captain_demo_page_embeds_the_inbox_where_captain_answers(local_stack):
    seed, base = local_stack.seed, local_stack.base_url
    page = httpx.get(base.replace("127.0.0.1", "localhost") + "/demo?with=captain")
    assert page.status_code == 200
    assert f'websiteToken: "{seed["captain"]["website_token"]}"' in page.text
    assert seed["captain"]["website_token"] != seed["website_inbox"]["website_token"]
    admin = {"api_access_token": seed["administrator"]["access_token"]}
    api = f"{base}/api/v1/accounts/{seed['account']['id']}/captain"
    linked = httpx.get(f"{api}/assistants/{seed['captain']['assistant_id']}/inboxes", headers=admin).json()["payload"]
    assert [inbox["id"] for inbox in linked] == [seed["captain"]["id"]]
    faqs = httpx.get(f"{api}/assistant_responses", headers=admin, params={"status": "approved"}).json()
    assert faqs["meta"]["total_count"] >= 6


def test_sign_in_and_profile(local_stack):
    admin = local_stack.seed["administrator"]
    reply = sign_in(local_stack.base_url, admin["email"], admin["password"])
    assert reply.status_code == 200, reply.text
    data = reply.json()["data"]
    assert data["id"] == admin["id"] and data["email"] == admin["email"] and data["access_token"]

    profile = httpx.get(f"{local_stack.base_url}/api/v1/profile", headers={"api_access_token": data["access_token"]})
    assert profile.status_code == 200, profile.text
    assert profile.json()["email"] == admin["email"]
    assert httpx.get(f"{local_stack.base_url}/api/v1/profile").status_code == 401


def test_the_root_page_answers(local_stack):
    # The built dashboard, or the page that says how to build it.
    reply = httpx.get(local_stack.base_url + "/")
    assert reply.status_code == 200 and "text/html" in reply.headers["content-type"]


def test_the_seeded_help_center_is_served_at_its_paths(local_stack):
    """/hc/... through HelpCenterFunction (its own route of the template), searched through
    the snapshot the indexer consumer built from the seed's help_center.changed events;
    the seed's draft is nowhere."""
    base = f"{local_stack.base_url}/hc/{local_stack.seed['help_center']['slug']}"
    home = httpx.get(base, timeout=10)
    assert home.status_code == 200 and "<title>Acme Help Center</title>" in home.text, home.text[:500]
    assert home.headers["cache-control"] == "public, max-age=0, s-maxage=60"
    assert "Getting started" in home.text and "Connect WhatsApp" not in home.text
    assert "Centro de ayuda de Acme" in httpx.get(f"{base}/es", timeout=10).text
    deadline, found = time.monotonic() + 20, []
    while time.monotonic() < deadline:  # the indexer runs on the bus, a moment after the seed
        found = httpx.get(f"{base}/en/articles.json", params={"query": "passwor"}, timeout=10).json()["payload"]
        if found:
            break
        time.sleep(0.5)
    assert found and found[0]["title"] == "Reset your password", found
    article = httpx.get(f"{base}/articles/{found[0]['slug']}", timeout=10)
    assert article.status_code == 200 and "<strong>Forgot your password?</strong>" in article.text
    search = httpx.get(f"{base}/en/articles", params={"query": "whatsapp"}, timeout=10)
    assert search.status_code == 200 and "Connect WhatsApp" not in search.text
    assert "Sitemap:" in httpx.get(f"{base}/robots.txt", timeout=10).text
    assert httpx.get(f"{local_stack.base_url}/robots.txt", timeout=10).text.startswith("User-agent: *")
    assert httpx.get(f"{base}/articles/nope", timeout=10).status_code == 404
    # the view beacon: one queue message; the views consumer adds it to the article's count
    assert httpx.post(f"{base}/articles/{found[0]['slug']}/views", timeout=10).status_code == 204
    admin, account = local_stack.seed["administrator"], local_stack.seed["account"]["id"]
    url = f"{local_stack.base_url}/api/v1/accounts/{account}/portals/{local_stack.seed['help_center']['slug']}" \
          f"/articles/{found[0]['id']}"
    # The views queue is polled with a 30 s batching window (template.yaml), which the local
    # pollers honour: the count comes when the window closes.
    deadline, views = time.monotonic() + 50, 0
    while time.monotonic() < deadline and not views:
        views = httpx.get(url, headers={"api_access_token": admin["access_token"]}, timeout=10).json()["payload"]["views"]
        time.sleep(0.5)
    assert views == 1


def test_socket_receives_what_a_service_publishes(local_stack):
    """HTTP request -> service -> its own push: @connections -> socket."""
    seed = local_stack.seed
    token = seed["administrator"]["access_token"]

    async def scenario():
        async with websockets.connect(f"{local_stack.ws_url}?token={token}") as socket, httpx.AsyncClient() as http:
            await socket.send(json.dumps({"action": "heartbeat"}))
            await frame_where(socket, lambda frame: frame == {"event": "pong"})
            me = str(seed["administrator"]["id"])
            for availability in ("busy", "online"):
                reply = await http.post(f"{local_stack.base_url}/api/v1/profile/availability",
                                        headers={"api_access_token": token},
                                        json={"availability": availability, "account_id": seed["account"]["id"]})
                assert reply.status_code == 200, reply.text
                await frame_where(socket, lambda frame: frame.get("event") == "presence.update"
                                  and frame["data"]["users"].get(me) == availability)

    asyncio.run(scenario())


def test_signing_out_closes_the_socket_that_token_opened(local_stack):
    """Service -> management API DELETE @connections -> the gateway closes the real socket."""
    agent = local_stack.seed["agent"]
    token = sign_in(local_stack.base_url, agent["email"], agent["password"]).json()["data"]["access_token"]

    async def scenario():
        async with websockets.connect(f"{local_stack.ws_url}?token={token}") as socket, httpx.AsyncClient() as http:
            await socket.send(json.dumps({"action": "heartbeat"}))
            await frame_where(socket, lambda frame: frame == {"event": "pong"})
            reply = await http.delete(f"{local_stack.base_url}/auth/sign_out", headers={"api_access_token": token})
            assert reply.status_code == 200, reply.text
            revoked = await frame_where(socket, lambda frame: frame.get("event") == "connection.revoked")
            assert revoked == {"event": "connection.revoked", "reason": "token_revoked"}
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 5)

    asyncio.run(scenario())


@pytest.mark.parametrize("query", ["?token=not-a-token", ""])
def test_bad_token_is_refused_at_connect(local_stack, query):
    async def scenario():
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(local_stack.ws_url + query):
                pass
        assert refused.value.response.status_code == 401

    asyncio.run(scenario())


def test_management_api_answers_gone_for_unknown_sockets(local_stack):
    client = boto3.client("apigatewaymanagementapi", endpoint_url=local_stack.base_url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="L0SM9cOFvHcCIhw=", Data=b"{}")
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId="L0SM9cOFvHcCIhw=")


def test_restart_keeps_the_data(local_stack):
    agent = local_stack.seed["agent"]
    first = sign_in(local_stack.base_url, agent["email"], agent["password"]).json()["data"]
    renamed = httpx.put(f"{local_stack.base_url}/api/v1/profile", headers={"api_access_token": first["access_token"]},
                        json={"name": "Renamed Before Restart"})
    assert renamed.status_code == 200, renamed.text

    assert local_stack.stop(signal.SIGINT) == 0
    assert "state saved" in local_stack.log.read_text()
    local_stack.start()

    again = sign_in(local_stack.base_url, agent["email"], agent["password"])
    assert again.status_code == 200, again.text
    assert again.json()["data"]["id"] == first["id"] == agent["id"]
    profile = httpx.get(f"{local_stack.base_url}/api/v1/profile", headers={"api_access_token": first["access_token"]})
    assert profile.json()["name"] == "Renamed Before Restart"
    assert local_stack.seed["agent"]["password"] == agent["password"]  # seeded once, not again


def test_sigterm_stops_cleanly_too(local_stack):
    assert local_stack.stop(signal.SIGTERM) == 0
    local_stack.start()
    assert httpx.get(local_stack.base_url + "/api/v1/profile").status_code == 401


def test_a_snoozed_conversation_reopens_on_time(local_stack):
    seed, base = local_stack.seed, local_stack.base_url
    website = {"website_token": seed["website_inbox"]["website_token"]}
    sent = httpx.post(f"{base}/api/v1/widget/messages", params=website,
                      json={"message": {"content": "ping me later"}}, timeout=10).json()  # a first message creates the visitor
    url = f"{base}/api/v1/accounts/{seed['account']['id']}/conversations/{sent['conversation_id']}"
    agent = {"api_access_token": seed["agent"]["access_token"]}
    until = int(time.time()) + 4  # the request itself may take a second on a busy 2-core machine
    snoozed = httpx.post(f"{url}/toggle_status", headers=agent, json={"status": "snoozed", "snoozed_until": until},
                         timeout=10)
    assert snoozed.json()["payload"]["current_status"] == "snoozed", snoozed.text
    deadline = time.monotonic() + 10
    while httpx.get(url, headers=agent).json()["status"] != "open":
        assert time.monotonic() < deadline, "the snooze schedule did not reopen the conversation"
        time.sleep(0.2)
    assert time.time() >= until


def test_an_invited_agent_reads_the_link_at_local_mail_and_signs_in(local_stack):
    """moto's SES sends only from verified identities: the stack verifies its sender on
    start, and /_local/mail shows what was "sent" (no mailbox receives it locally)."""
    import re

    base, admin = local_stack.base_url, local_stack.seed["administrator"]
    email = f"invited-{time.time_ns()}@acme.test"
    reply = httpx.post(f"{base}/api/v1/accounts/{local_stack.seed['account']['id']}/agents",
                       headers={"api_access_token": admin["access_token"]},
                       json={"name": "Invited", "email": email, "role": "agent"}, timeout=10)
    assert reply.status_code == 200, reply.text
    page = httpx.get(f"{base}/_local/mail", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    mail = next(part for part in page.text.split("-" * 72) if f"To: {email}" in part)
    token = re.search(r"/app/auth/reset\?token=([A-Za-z0-9_-]+)", mail).group(1)
    assert mail.count(base) == 1  # the link opens this stack's dashboard
    password = "Invited-pass-42!"
    reply = httpx.put(f"{base}/auth/password", json={"reset_password_token": token, "password": password,
                                                     "password_confirmation": password}, timeout=10)
    assert reply.status_code == 200, reply.text
    assert sign_in(base, email, password).status_code == 200


def test_an_sms_reply_reaches_twilios_stand_in_at_local_providers(local_stack):
    """Twilio has no local engine: the stack's stand-in (local/providers.py) checks the
    number when the inbox is made, takes the reply the deliver consumer sends, and
    /_local/providers shows it; the message is then `sent`.
    Nothing reaches the real provider (the functions' provider calls go to the stand-in)."""
    base, admin = local_stack.base_url, local_stack.seed["administrator"]
    account = local_stack.seed["account"]["id"]
    auth = {"api_access_token": admin["access_token"]}
    number, customer = "+15550001234", f"+1555{time.time_ns() % 10_000_000:07d}"
    inbox = httpx.post(f"{base}/api/v1/accounts/{account}/inboxes", headers=auth, timeout=10, json={
        "name": "Local SMS", "channel": {"type": "sms", "account_sid": "AC" + "0" * 32, "auth_token": "f" * 32,
                                         "phone_number": number}})
    assert inbox.status_code == 200, inbox.text
    contact = httpx.post(f"{base}/api/v1/accounts/{account}/contacts", headers=auth, timeout=10,
                         json={"name": "Texting customer", "phone_number": customer})
    assert contact.status_code == 200, contact.text
    contact_id = contact.json()["payload"]["contact"]["id"]
    started = httpx.post(f"{base}/api/v1/accounts/{account}/conversations", headers=auth, timeout=10, json={
        "inbox_id": inbox.json()["id"], "contact_id": contact_id, "source_id": customer,
        "message": {"content": "Your parcel left the warehouse"}})
    assert started.status_code == 200, started.text
    deadline = time.monotonic() + 20
    while not (shown := [m for m in httpx.get(f"{base}/_local/providers.json", timeout=10).json()["messages"]
                         if m["to"] == customer]):
        assert time.monotonic() < deadline, "the reply never reached the stand-in"
        time.sleep(0.2)
    (message,) = shown
    assert (message["provider"], message["from"], message["body"]) == ("twilio", number, "Your parcel left the warehouse")
    assert message["id"].startswith("SM")
    page = httpx.get(f"{base}/_local/providers", timeout=10)
    assert page.headers["content-type"].startswith("text/plain") and customer in page.text
