"""The dashboard's settings and the conversation tools built on them, in a real browser.

An administrator changes settings through the Settings screens; the seeded agent uses them
in a live conversation with a visitor on the demo page. Names carry a per-test tag so tests
sharing the stack never collide (short codes, team and inbox names are unique per account).
Only endpoints that exist today are used (labels and contacts screens are not driven here).
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .pages import open_settings, start_chat, tag

# ---- canned responses: made in Settings, used with "/" ------------------------------------------

def test_canned_response_from_settings_is_inserted_with_slash_and_sent(admin, visitor, agent):
    t = tag()
    code, content = f"thx{t}", f"Thanks for waiting, it ships today [{t}-canned]"
    page = admin.page
    open_settings(admin, "canned-responses")
    page.get_by_test_id("canned-short-code").fill(code)
    page.get_by_test_id("canned-content").fill(content)
    page.get_by_test_id("canned-submit").click()
    row = page.locator(f'[data-testid="canned-row"][data-short-code="{code}"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text(content)
    expect(page.get_by_test_id("canned-short-code")).to_have_value("")

    # The same short code again: the server's 409, inline, and nothing added.
    page.get_by_test_id("canned-short-code").fill(code)
    page.get_by_test_id("canned-content").fill("a second one")
    page.get_by_test_id("canned-submit").click()
    expect(page.get_by_test_id("canned-error")).to_have_text("Short code has already been taken")
    expect(row).to_have_count(1)

    # The agent, in a live conversation, types "/" and the code.
    start_chat(visitor, agent, f"Where is my parcel? [{t}]")
    box = agent.page.get_by_test_id("reply-input")
    box.press_sequentially(f"/{code[:-2]}", delay=15)
    option = agent.page.locator(f'[data-testid="canned-option"][data-short-code="{code}"]')
    expect(option).to_be_visible()
    expect(option).to_contain_text(content)
    # Narrow it to exactly this one, pick it with the arrow keys + Enter.
    box.press_sequentially(code[-2:], delay=15)
    expect(agent.page.get_by_test_id("canned-option")).to_have_count(1)
    box.press("ArrowDown")  # wraps around to the same, only option
    expect(option).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value(content)
    expect(agent.page.get_by_test_id("canned-picker")).to_have_count(0)
    expect(agent.messages(content)).to_have_count(0)  # inserted, not sent

    box.press("Enter")
    sent = agent.messages(content)
    expect(sent).to_have_count(1)
    expect(sent).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    expect(sent).to_have_attribute("data-private", "false")
    expect(box).to_have_value("")
    visitor.expect_agent_message(content)
    assert admin.dialogs == [] and agent.dialogs == []


def test_agent_sees_only_the_read_only_settings(agent, stack, seed):
    page = agent.page
    page.get_by_test_id("nav-settings").click()
    expect(page).to_have_url(re.compile(r"/settings/canned-responses$"))
    expect(page.get_by_test_id("settings-nav-inboxes")).to_have_count(0)
    expect(page.get_by_test_id("settings-nav-agents")).to_have_count(0)
    expect(page.get_by_test_id("settings-nav-teams")).to_have_count(0)
    expect(page.get_by_test_id("canned-form")).to_have_count(0)
    # Typing an administrator's address leads back to what an agent may see.
    page.goto(f"{stack.base_url}/app/accounts/{seed['account']['id']}/settings/inboxes")
    expect(page).to_have_url(re.compile(r"/settings/canned-responses$"))


# ---- teams ------------------------------------------------------------------------------------------

def test_admin_creates_a_team_and_adds_the_agent(admin, seed):
    t = tag()
    name = f"Billing {t}"
    agent_id = seed["agent"]["id"]
    page = admin.page
    open_settings(admin, "teams")
    page.get_by_test_id("team-name").fill(name)
    page.get_by_test_id("team-description").fill("Invoices and refunds")
    page.get_by_test_id("team-submit").click()

    # The new team opens in the editor, with nobody in it yet.
    expect(page).to_have_url(re.compile(r"/settings/teams/\d+$"))
    team_id = page.url.rsplit("/", 1)[1]
    editor = page.get_by_test_id("team-editor")
    expect(editor).to_have_attribute("data-team-id", team_id)
    expect(page.locator(f'[data-testid="team-row"][data-team-id="{team_id}"]')).to_contain_text(name)
    member = page.locator(f'[data-testid="team-member-option"][data-agent-id="{agent_id}"]')
    expect(member).not_to_be_checked()
    save = page.get_by_test_id("team-members-save")
    expect(save).to_be_disabled()

    member.check()
    save.click()
    expect(page.get_by_test_id("team-members-saved")).to_have_text("Members saved (1)")
    expect(save).to_be_disabled()

    # Saved on the server: a reload shows the same.
    page.reload()
    expect(page.get_by_test_id("team-editor")).to_have_attribute("data-team-id", team_id)
    expect(page.locator(f'[data-testid="team-member-option"][data-agent-id="{agent_id}"]')).to_be_checked()
    expect(page.locator(f'[data-testid="team-member-option"][data-agent-id="{seed["administrator"]["id"]}"]')).not_to_be_checked()
    assert admin.dialogs == []


# ---- inboxes ----------------------------------------------------------------------------------------

def test_admin_creates_a_website_inbox_and_sees_its_embed_snippet(admin, stack):
    t = tag()
    name = f"Shop {t}"
    page = admin.page
    open_settings(admin, "inboxes")
    page.get_by_test_id("inbox-add").click()
    expect(page).to_have_url(re.compile(r"/settings/inboxes/new$"))
    expect(page.get_by_test_id("inbox-channel-web_widget")).to_have_attribute("aria-checked", "true")
    page.get_by_test_id("inbox-name").fill(name)
    page.get_by_test_id("inbox-website-url").fill("not a url")
    page.get_by_test_id("inbox-submit").click()
    expect(page.get_by_test_id("inbox-error")).to_contain_text("http")  # checked before sending
    page.get_by_test_id("inbox-website-url").fill(f"https://shop-{t}.example")
    page.get_by_test_id("inbox-welcome-title").fill("Hello from the shop")
    page.get_by_test_id("inbox-submit").click()

    expect(page).to_have_url(re.compile(r"/settings/inboxes/\d+\?created=1$"))
    expect(page.get_by_test_id("inbox-created")).to_contain_text(name)
    token = page.get_by_test_id("inbox-website-token").inner_text().strip()
    assert re.fullmatch(r"[\w-]{8,}", token), token  # token_urlsafe: letters, digits, - and _
    snippet = page.get_by_test_id("inbox-embed-snippet")
    expect(snippet).to_be_visible()
    text = snippet.inner_text()
    assert f'var BASE_URL="{stack.base_url}";' in text
    assert 'g.src=BASE_URL+"/packs/js/sdk.js";' in text
    assert f'websiteToken: "{token}"' in text
    page.get_by_test_id("inbox-copy-snippet").click()
    expect(page.get_by_test_id("inbox-copy-status")).to_be_visible()  # copied, or selected for Ctrl+C

    # Its settings are what was typed, and it is in the list.
    expect(page.get_by_test_id("inbox-website-url")).to_have_value(f"https://shop-{t}.example")
    expect(page.get_by_test_id("inbox-welcome-title")).to_have_value("Hello from the shop")
    page.get_by_test_id("settings-nav-inboxes").click()
    row = page.get_by_test_id("inbox-row").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-channel", "web_widget")
    assert admin.dialogs == []


# ---- keyboard shortcuts -----------------------------------------------------------------------------

def test_shortcut_e_resolves_the_open_conversation(visitor, agent):
    t = tag()
    start_chat(visitor, agent, f"Sorted, thanks! [{t}]")
    page = agent.page
    status = page.get_by_test_id("conversation-status")
    expect(status).to_have_text("open")

    # In the reply box a letter is a letter: "r" focuses it, then "e" is typed, not run.
    page.get_by_test_id("message-list").click()
    page.keyboard.press("r")
    box = page.get_by_test_id("reply-input")
    expect(box).to_be_focused()
    page.keyboard.press("e")
    expect(box).to_have_value("e")
    expect(status).to_have_text("open")

    # Escape leaves the box; now "e" resolves.
    page.keyboard.press("Escape")
    expect(box).not_to_be_focused()
    page.keyboard.press("e")
    expect(status).to_have_text("resolved")
    expect(page.get_by_test_id("toggle-status-button")).to_have_text("Reopen")
    # On the server too: a reload shows it resolved.
    page.reload()
    expect(page.get_by_test_id("conversation-status")).to_have_text("resolved")

    # "?" lists the shortcuts.
    page.get_by_test_id("message-list").click()
    page.keyboard.press("?")
    expect(page.get_by_test_id("shortcut-help")).to_contain_text("Resolve the open conversation")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("shortcut-help")).to_have_count(0)
