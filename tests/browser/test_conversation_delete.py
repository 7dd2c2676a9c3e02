"""Deleting a conversation from the dashboard: an administrator confirms "Delete
conversation" in the conversation's view and is taken back to the list, which no longer
shows it; an agent who has it open sees it leave live (the conversation.deleted frame:
the list drops it, the open view says it was deleted), and has no such button."""
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
    # Its open view stays where it is and says why the conversation is gone.
    expect(agent.page.get_by_test_id("conversation-deleted")).to_have_text("This conversation was deleted.")
    page.goto(f"{admin.stack.base_url}/app/accounts/{seed['account']['id']}/conversations/{conv_id}")
    # Opened from its URL afterwards: the view says it is gone and stays. Which words depend
    # on whether the socket's resume has replayed conversation.deleted yet (then it was
    # deleted) or not (then the server's 404: it does not exist); never the conversation.
    expect(page.get_by_text(re.compile(r"This conversation (does not exist or you cannot see it|was deleted)\."))
           ).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/conversations/{conv_id}$"))
    expect(page.get_by_test_id("message-list").get_by_text(hello)).to_have_count(0)
