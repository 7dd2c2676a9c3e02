"""Deleting a conversation from the dashboard: an administrator confirms "Delete
conversation" in the conversation's view and is taken back to the list, which no longer
shows it; an agent who has it open sees it leave live (the conversation.deleted frame:
the list drops it, the view goes back to the list), and has no such button."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .pages import start_chat, tag


def test_admin_deletes_a_conversation_and_an_agents_list_drops_it(visitor, agent, admin, seed):
    hello = f"Please forget this chat [{tag()}]"
    conv_id = start_chat(visitor, agent, hello)
    expect(agent.page.get_by_test_id("conversation-delete")).to_have_count(0)  # agents: no delete
    expect(agent.conversation(hello)).to_have_count(1)

    admin.show_all()
    admin.open_conversation(hello)
    page = admin.page
    page.get_by_test_id("conversation-delete").click()
    expect(page.get_by_role("group", name=re.compile(rf"Delete conversation #{conv_id}"))).to_be_visible()
    page.get_by_test_id("conversation-delete-confirm").click()

    expect(page).to_have_url(re.compile(r"/conversations$"))
    expect(admin.conversation(hello)).to_have_count(0)
    expect(agent.conversation(hello)).to_have_count(0)  # over the socket, no reload
    expect(agent.page).to_have_url(re.compile(r"/conversations$"))  # its open view closed too
    page.goto(f"{admin.stack.base_url}/app/accounts/{seed['account']['id']}/conversations/{conv_id}")
    expect(page.get_by_text("This conversation does not exist or you cannot see it.")).to_be_visible()
