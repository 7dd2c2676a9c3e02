"""Agent bots in the dashboard: an administrator creates a bot (its token shown once),
connects it to an inbox, and deletes it."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .pages import open_settings, tag


def test_admin_creates_a_bot_and_connects_it_to_an_inbox(admin, stack, seed):
    page = admin.page
    name = f"Helper {tag()}"
    open_settings(admin, "agent-bots")
    page.get_by_test_id("bot-name").fill(name)
    page.get_by_test_id("bot-url").fill("ftp://nope")
    page.get_by_test_id("bot-create").click()
    expect(page.get_by_role("alert")).to_contain_text("http")  # checked before sending
    page.get_by_test_id("bot-url").fill("https://bot.example.com/hook")
    page.get_by_test_id("bot-create").click()
    expect(page.get_by_test_id("bot-token")).to_contain_text(name)
    token = page.get_by_test_id("bot-token-value").inner_text().strip()
    assert len(token) > 30
    row = page.get_by_test_id("bot-list").locator("li", has_text=name)
    expect(row).to_contain_text("https://bot.example.com/hook")
    bot_id = int((row.get_attribute("data-testid") or "").split("-")[-1])

    # Connect it to the seeded website inbox; the choice survives a reload.
    account_id, inbox_id = seed["account"]["id"], seed["website_inbox"]["id"]
    page.goto(f"{stack.base_url}/app/accounts/{account_id}/settings/inboxes/{inbox_id}")
    page.get_by_test_id("inbox-bot").select_option(str(bot_id))
    page.get_by_test_id("inbox-bot-save").click()
    expect(page.get_by_test_id("inbox-bot-saved")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("inbox-bot")).to_have_value(str(bot_id))
    page.get_by_test_id("inbox-bot").select_option("")
    page.get_by_test_id("inbox-bot-save").click()
    expect(page.get_by_test_id("inbox-bot-saved")).to_be_visible()

    # Deleted: gone from the list; the token was shown only once.
    open_settings(admin, "agent-bots")
    expect(page.get_by_test_id("bot-token")).to_have_count(0)
    page.get_by_test_id(f"bot-delete-{bot_id}").click()
    page.get_by_test_id(f"bot-delete-{bot_id}-confirm").click()
    expect(page.get_by_test_id(f"bot-{bot_id}")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/settings/agent-bots$"))
