"""Live chat in a real browser: a visitor on a customer's page (another origin) talks to an
agent signed in to the dashboard, both apps updated over the WebSocket only.

Every test opens its own browser contexts, so its visitor is a new anonymous contact with
a new conversation; messages carry a per-test tag so nothing is confused with what other
tests on the same stack wrote. No fixed sleeps: Playwright's `expect` waits (10 s).
"""
from __future__ import annotations

import json
import re

from playwright.sync_api import Frame, Page, expect

from .pages import Agent, start_chat, tag

XSS = "<img src=x onerror=alert(1)>"
STAY = "parleyNoReload"  # set on window at start; still there at the end = never reloaded


def mark_no_reload(target: Page | Frame) -> None:
    target.evaluate(f"window.{STAY} = true")


def assert_not_reloaded(target: Page | Frame) -> None:
    assert target.evaluate(f"window.{STAY} === true"), "the page was reloaded"


# ---- 1. the round trip ---------------------------------------------------------------------

def test_visitor_and_agent_chat_live(visitor, agent):
    t = tag()
    mark_no_reload(agent.page)
    mark_no_reload(visitor.page)
    mark_no_reload(visitor.widget_frame())
    hello, reply = f"Hello, my order is late [{t}]", f"Sorry about that, looking now [{t}]"

    # The agent is already looking at the list when the visitor writes.
    expect(agent.conversation(t)).to_have_count(0)
    visitor.open_chat()
    visitor.send(hello)

    item = agent.conversation(hello)
    expect(item).to_be_visible()  # conversation and message arrive over the socket
    expect(item).to_contain_text(hello)
    agent.open_conversation(hello)
    expect(agent.messages(hello)).to_have_attribute("data-message-type", "0")
    agent.send(reply)

    visitor.expect_agent_message(reply)
    expect(visitor.messages()).to_have_count(2)
    expect(visitor.messages().nth(0)).to_contain_text(hello)
    expect(visitor.messages().nth(1)).to_contain_text(reply)
    # The list preview follows the latest message.
    expect(agent.conversation(reply)).to_be_visible()

    assert_not_reloaded(agent.page)
    assert_not_reloaded(visitor.page)
    assert_not_reloaded(visitor.widget_frame())
    assert visitor.dialogs == [] and agent.dialogs == []


# ---- 2. private notes stay private -----------------------------------------------------------

def test_private_note_never_reaches_the_widget(visitor, agent):
    t = tag()
    hello, note = f"Can I pay by invoice? [{t}]", f"INTERNAL: check credit limit first [{t}-note]"
    reply = f"Yes, invoices are fine [{t}-reply]"
    start_chat(visitor, agent, hello)

    agent.send(note, private=True)
    agent.send(reply)
    expect(agent.messages(note)).to_have_attribute("data-private", "true")

    # The public reply sent after the note has arrived, so the note had every chance to.
    visitor.expect_agent_message(reply)
    expect(visitor.messages(f"{t}-note")).to_have_count(0)
    expect(visitor.frame.locator("body")).not_to_contain_text(f"{t}-note")
    expect(visitor.messages()).to_have_count(2)
    # Not merely hidden: the visitor's browser never received it (API bodies, socket frames),
    # though it did receive the reply that way.
    assert any(f"{t}-reply" in r for r in visitor.received)
    assert not [r for r in visitor.received if f"{t}-note" in r]

    # Nor after a reload, when the history comes from the REST API.
    received = len(visitor.received)
    visitor.reload()
    visitor.open_chat()
    visitor.expect_agent_message(reply)
    expect(visitor.frame.locator("body")).not_to_contain_text(f"{t}-note")
    history = [r for r in visitor.received[received:] if f"{t}-reply" in r]
    assert history, "the reloaded widget did not fetch its history"
    assert not [r for r in visitor.received if f"{t}-note" in r]


# ---- 3. history survives a reload -------------------------------------------------------------

def test_reload_keeps_the_widget_history(visitor, agent):
    t = tag()
    first, second = f"First question [{t}-1]", f"And a second one [{t}-2]"
    reply = f"Both answered [{t}-r]"
    start_chat(visitor, agent, first)
    visitor.send(second)
    expect(agent.messages(second)).to_have_count(1)
    agent.send(reply)
    visitor.expect_agent_message(reply)

    visitor.reload()
    # Same contact and conversation after the reload; nothing sent, nothing duplicated.
    visitor.open_chat()
    msgs = visitor.messages()
    expect(msgs).to_have_count(3)
    expect(msgs.nth(0)).to_contain_text(first)
    expect(msgs.nth(0)).to_have_attribute("data-message-type", "0")
    expect(msgs.nth(1)).to_contain_text(second)
    expect(msgs.nth(1)).to_have_attribute("data-message-type", "0")
    expect(msgs.nth(2)).to_contain_text(reply)
    expect(msgs.nth(2)).to_have_attribute("data-message-type", "1")
    expect(agent.messages()).to_have_count(3)  # the agent saw nothing new either

    # And the conversation goes on: the reloaded widget is live again.
    live = f"Still there after the reload [{t}-live]"
    agent.send(live)
    visitor.expect_agent_message(live)


# ---- 4. message text is text --------------------------------------------------------------------

def test_html_in_messages_is_shown_as_text(visitor, agent):
    t = tag()
    from_visitor, from_agent = f"{XSS} visitor [{t}]", f"{XSS} agent [{t}]"
    start_chat(visitor, agent, from_visitor)
    agent.send(from_agent)
    visitor.expect_agent_message(from_agent)

    for text in (from_visitor, from_agent):
        # Verbatim, as text, in both apps (and in the dashboard's list preview).
        expect(visitor.messages(text)).to_be_visible()
        expect(visitor.messages(text).locator(".pw-bubble")).to_have_text(text)
        expect(agent.messages(text)).to_be_visible()
        expect(agent.messages(text).locator(".msg-bubble")).to_have_text(text)
    expect(agent.conversation(from_agent)).to_contain_text(from_agent)

    # No element was made from it anywhere.
    expect(visitor.frame.locator('img[src="x"]')).to_have_count(0)
    expect(visitor.page.locator('img[src="x"]')).to_have_count(0)
    expect(agent.page.get_by_test_id("message-list").locator('img[src="x"]')).to_have_count(0)
    expect(agent.page.locator('img[src="x"]')).to_have_count(0)

    # Reloaded from the REST API it is still text, and nothing ever ran.
    visitor.reload()
    visitor.open_chat()
    expect(visitor.messages()).to_have_count(2)
    expect(visitor.messages(from_visitor).locator(".pw-bubble")).to_have_text(from_visitor)
    expect(visitor.frame.locator('img[src="x"]')).to_have_count(0)
    agent.page.reload()
    expect(agent.messages(from_agent)).to_be_visible()
    expect(agent.page.locator('img[src="x"]')).to_have_count(0)
    assert visitor.dialogs == []
    assert agent.dialogs == []


# ---- 5. typing, super admin, sign-in errors ----------------------------------------------------

def test_agent_typing_shows_in_the_widget(visitor, agent, new_agent):
    t = tag()
    start_chat(visitor, agent, f"Anyone there? [{t}]")
    name = agent.page.evaluate("JSON.parse(localStorage.getItem('parley.session')).name")
    typing = visitor.frame.get_by_test_id("widget-typing")
    expect(typing).to_have_count(0)

    box = agent.page.get_by_test_id("reply-input")
    box.press_sequentially("Let me chec", delay=20)
    expect(typing).to_be_visible()
    expect(typing).to_have_text(f"{name} is typing…")
    box.fill("")  # emptied: typing off
    expect(typing).to_have_count(0)

    # Writing a private note: the administrator's dashboard shows it, the widget never does.
    admin = new_agent("administrator")
    admin.open_inbox()
    admin.open_conversation(t)
    watching = admin.page.get_by_test_id("typing-indicator")
    agent.note_mode(True)
    box.press_sequentially("internal", delay=20)
    expect(watching).to_have_text(f"{name} is writing a private note…")
    expect(typing).to_have_count(0)
    # Back to a reply (the click on the toggle ends the note's typing), typing on: now the
    # visitor sees it.
    agent.note_mode(False)
    box.press_sequentially(" but reply", delay=20)
    expect(watching).to_have_text(f"{name} is typing…")
    expect(typing).to_be_visible()
    # That frame came after the note's; the visitor's socket never carried the note's.
    frames = [json.loads(r) for r in visitor.received if r.startswith("{") and '"conversation.typing_' in r]
    assert any(not f["data"].get("is_private") for f in frames)
    assert not [f for f in frames if f["data"].get("is_private")]
    box.fill("")
    expect(typing).to_have_count(0)
    expect(watching).to_have_count(0)


def test_super_admin_changes_an_installation_setting(new_agent, new_context, stack):
    admin = new_agent("super_admin")
    admin.sign_in()
    page = admin.page
    nav = page.get_by_test_id("nav-super-admin")
    expect(nav).to_be_visible()
    if not page.url.endswith("/app/super_admin"):
        nav.click()
    expect(page).to_have_url(re.compile(r"/app/super_admin$"))

    brand = f"Acme Support {tag()}"
    page.get_by_test_id("config-filter").fill("BRAND_NAME")
    row = page.get_by_test_id("config-row-BRAND_NAME")
    expect(row).to_be_visible()
    field = page.get_by_test_id("config-input-BRAND_NAME")
    save = page.get_by_test_id("config-save-BRAND_NAME")
    expect(save).to_be_disabled()  # nothing changed yet
    field.fill(brand)
    save.click()
    expect(row.get_by_role("status")).to_have_text("Saved")
    expect(page.get_by_test_id("config-error-BRAND_NAME")).to_have_count(0)
    expect(save).to_be_disabled()

    # Saved on the server: a reload shows it, and so does the public sign-in page.
    page.reload()
    expect(page.get_by_test_id("config-input-BRAND_NAME")).to_have_value(brand)
    anonymous = new_context().new_page()
    anonymous.goto(stack.base_url + "/app/login")
    expect(anonymous.get_by_role("heading", level=1)).to_have_text(f"Sign in to {brand}")
    assert admin.dialogs == []


def test_wrong_password_shows_an_error(new_context, stack, seed):
    person = seed["administrator"]
    user = Agent(new_context(), stack, person)
    user.sign_in(password=person["password"] + "-wrong")
    error = user.page.get_by_test_id("signin-error")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(user.page).to_have_url(re.compile(r"/app/login"))
    expect(user.page.get_by_test_id("signin-submit")).to_be_enabled()

    # The right password then works from the same form.
    user.page.get_by_test_id("signin-password").fill(person["password"])
    user.page.get_by_test_id("signin-submit").click()
    expect(user.page).to_have_url(re.compile(r"/app/accounts/\d+/conversations$"))
    expect(error).to_have_count(0)
