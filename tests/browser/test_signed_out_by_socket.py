"""The dashboard follows a revoked socket: when the server revokes an agent's socket
(`connection.revoked`, then a close) for a reason its token cannot outlive, the dashboard
stops reconnecting, drops the session and shows the sign-in page saying why."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .pages import Agent, api, tag


def platform_call(stack, seed, method: str, path: str, body: dict):
    """One Platform API call (not through the browser's request context: see `api`)."""
    return api(stack, method, path, seed["platform_token"], body, timeout=30)


def test_an_agent_removed_from_its_account_is_signed_out_with_a_reason(new_context, stack, seed):
    # A user of its own (a platform app's account), so no other test's user is touched.
    context = new_context(viewport={"width": 1280, "height": 800})
    name = tag()
    account = platform_call(stack, seed, "POST", "/platform/api/v1/accounts", {"name": f"Revoked {name}"})
    person = {"email": f"revoked-{name}@parley.test", "password": "Revoked-secret-1!"}
    user = platform_call(stack, seed, "POST", "/platform/api/v1/users", {"name": "Rhea", **person})
    platform_call(stack, seed, "POST", f"/platform/api/v1/accounts/{account['id']}/account_users",
                  {"user_id": user["id"], "role": "administrator"})

    agent = Agent(context, stack, person)
    sockets, resumed = [], []

    def opened(ws):
        sockets.append(ws)
        ws.on("framereceived", lambda payload: resumed.append(1) if '"resume.done"' in str(payload) else None)

    agent.page.on("websocket", opened)
    agent.sign_in()
    expect(agent.page).to_have_url(re.compile(rf"/app/accounts/{account['id']}/conversations$"))
    # The socket is registered once the server has answered the dashboard's resume on it
    # (a fixed pause lost the race on a loaded machine: the removal found no socket).
    for _ in range(200):
        if resumed:
            break
        agent.page.wait_for_timeout(100)
    assert len(sockets) == 1 and resumed

    platform_call(stack, seed, "DELETE", f"/platform/api/v1/accounts/{account['id']}/account_users",
                  {"user_id": user["id"]})
    expect(agent.page).to_have_url(re.compile(r"/app/login"))
    expect(agent.page.get_by_test_id("signin-error")).to_have_text(
        "You were signed out: you were removed from the account.")
    assert agent.page.evaluate("localStorage.getItem('parley.session')") is None
    opened = len(sockets)
    agent.page.wait_for_timeout(3000)  # longer than the first reconnect delay
    assert len(sockets) == opened  # no reconnect with the old token
