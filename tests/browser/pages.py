"""Page objects and helpers shared by the browser tests (the fixtures are in conftest.py).

- `Visitor`: the customer's page with the widget, as a visitor sees it.
- `Agent`: the dashboard, signed in through the sign-in page (any seeded person).
- `tag()`: a per-test mark for names and messages, so tests sharing a stack never see
  each other's data; `start_chat`: a visitor's first message, opened by an agent;
  `open_settings`: a settings section, through the sidebar as a person clicks; `api`: one
  call to the stack's JSON API, for what a test sets up or checks besides the browser.
"""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid

from playwright.sync_api import Frame, FrameLocator, expect

WIDGET_FRAME = '[data-testid="widget-frame"]'
DASHBOARD = re.compile(r"/app/accounts/\d+/conversations$")  # where signing in lands


def tag() -> str:
    return uuid.uuid4().hex[:8]


def api(stack, method: str, path: str, token: str, body: dict | None = None, timeout: float = 10):
    """One JSON API call as `token` (an `api_access_token`), on a connection of its own: the
    stack closes idle keep-alive connections after 5 s, which a shared client would reuse.
    Fails unless the answer is 200; returns its JSON (None for an empty body)."""
    request = urllib.request.Request(stack.base_url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"api_access_token": token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            status, text = reply.status, reply.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    assert status == 200, f"{method} {path}: {status} {text[:1000]!r}"
    return json.loads(text or b"null")


class _Tab:
    """A new page in `context` that dismisses every dialog and keeps what it said in
    `dialogs` (tests expect none)."""

    def __init__(self, context):
        self.page = context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


class Visitor(_Tab):
    """The customer's page with the widget, as a visitor sees it."""

    def __init__(self, context, stack):
        super().__init__(context)
        # Everything the visitor's browser receives from Parley: widget API bodies and
        # WebSocket frames (private notes must never be in there, not just hidden).
        self.received: list[str] = []
        self.page.on("response", self._response)
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        self.url = stack.base_url.replace("://127.0.0.1", "://localhost") + "/demo"

    def _response(self, response) -> None:
        if "/api/v1/widget/" in response.url:
            try:
                self.received.append(response.text())
            except Exception:  # a body that is gone (navigation) or not text
                pass

    def _frame(self, payload) -> None:
        self.received.append(payload if isinstance(payload, str) else payload.decode("utf-8", "replace"))

    def open_page(self) -> None:
        self.page.goto(self.url)
        assert self.page.url.startswith("http://localhost:")  # not Parley's origin
        self._wait_for_widget()

    def reload(self) -> None:
        """Reload the customer page and wait for the widget to load again, as open_page does."""
        self.page.reload()
        self._wait_for_widget()

    def _wait_for_widget(self) -> None:
        # The loader says the iframe has loaded its config, history and socket.
        self.page.wait_for_function("window.$chatwoot && window.$chatwoot.hasLoaded === true")

    @property
    def frame(self) -> FrameLocator:
        return self.page.frame_locator(WIDGET_FRAME)

    def widget_frame(self) -> Frame:
        frame = self.page.frame(url=re.compile(r"/widget\?"))
        assert frame is not None
        return frame

    def open_chat(self) -> None:
        launcher = self.page.get_by_test_id("widget-launcher")
        launcher.click()
        expect(launcher).to_have_attribute("aria-expanded", "true")
        expect(self.frame.get_by_test_id("widget-message-input")).to_be_enabled()

    def messages(self, text: str | None = None):
        loc = self.frame.get_by_test_id("widget-message")
        return loc if text is None else loc.filter(has_text=text)

    def send(self, text: str) -> None:
        box = self.frame.get_by_test_id("widget-message-input")
        box.fill(text)
        box.press("Enter")
        sent = self.messages(text)
        expect(sent).to_have_count(1)
        expect(sent).to_have_attribute("data-message-type", "0")
        expect(sent).to_have_attribute("data-message-id", re.compile(r"^\d+$"))  # saved, not "sending"

    def expect_agent_message(self, text: str) -> None:
        msg = self.messages(text)
        expect(msg).to_have_count(1)
        expect(msg).to_be_visible()
        expect(msg).to_have_attribute("data-message-type", "1")


class Agent(_Tab):
    """The dashboard, signed in through the sign-in page."""

    def __init__(self, context, stack, person: dict):
        super().__init__(context)
        self.stack, self.person = stack, person

    def sign_in(self, password: str | None = None) -> None:
        self.page.goto(self.stack.base_url + "/app/login")
        self.page.get_by_test_id("signin-email").fill(self.person["email"])
        self.page.get_by_test_id("signin-password").fill(password or self.person["password"])
        self.page.get_by_test_id("signin-submit").click()

    def open_dashboard(self, timeout: float | None = None) -> None:
        """Sign in and wait for the conversations screen (`timeout` in ms: the suite's by default)."""
        self.sign_in()
        expect(self.page).to_have_url(DASHBOARD, timeout=timeout)

    def open_inbox(self) -> None:
        """Sign in and show every open conversation (a new one is unassigned)."""
        self.open_dashboard()
        self.show_all()

    def show_all(self) -> None:
        """The conversation list's "All" tab: every open conversation."""
        tab = self.page.get_by_test_id("tab-all")
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        expect(self.page.get_by_test_id("conversation-list")).to_be_visible()

    def conversation(self, text: str):
        """The list item whose preview shows `text` (the conversation's last message)."""
        return self.page.get_by_test_id("conversation-item").filter(has_text=text)

    def messages(self, text: str | None = None):
        loc = self.page.get_by_test_id("message-list").get_by_test_id("message")
        return loc if text is None else loc.filter(has_text=text)

    def open_conversation(self, text: str) -> str:
        item = self.conversation(text)
        expect(item).to_have_count(1)
        conv_id = item.get_attribute("data-conversation-id")
        item.click()
        expect(self.page).to_have_url(re.compile(rf"/conversations/{conv_id}$"))
        # By id from here: a reply (an automation's, say) changes the row's preview text.
        opened = self.page.locator(f'[data-testid="conversation-item"][data-conversation-id="{conv_id}"]')
        expect(opened).to_have_attribute("aria-current", "page")
        expect(self.messages(text)).to_have_count(1)
        expect(self.page.get_by_test_id("reply-input")).to_be_enabled()
        return conv_id

    def note_mode(self, on: bool) -> None:
        toggle = self.page.get_by_test_id("private-note-toggle")
        if (toggle.get_attribute("aria-pressed") == "true") != on:
            toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true" if on else "false")

    def send(self, text: str, private: bool = False) -> None:
        self.note_mode(private)
        box = self.page.get_by_test_id("reply-input")
        box.fill(text)
        box.press("Enter")
        sent = self.messages(text)
        expect(sent).to_have_count(1)
        expect(sent).to_have_attribute("data-private", "true" if private else "false")
        expect(sent).to_have_attribute("data-message-id", re.compile(r"^\d+$"))


def start_chat(visitor: Visitor, agent: Agent, first: str) -> str:
    """The visitor says `first`; the agent sees it arrive live and opens the conversation."""
    visitor.open_chat()
    visitor.send(first)
    expect(agent.conversation(first)).to_be_visible()
    return agent.open_conversation(first)


def open_settings(person: Agent, section: str) -> None:
    """Through the sidebar, then the settings menu: what a person clicks."""
    page = person.page
    page.get_by_test_id("nav-settings").click()
    expect(page).to_have_url(re.compile(r"/settings/[\w-]+"))
    page.get_by_test_id(f"settings-nav-{section}").click()
    expect(page).to_have_url(re.compile(rf"/settings/{section}$"))
