"""Mentions and the notification bell in a real browser: Aaron mentions Ada in a private
note (picked with the "@" autocomplete); Ada's bell shows it live, opening it goes to the
conversation and marks it read."""
from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from .pages import Agent, tag


def start_conversation(request, stack, seed, text: str) -> int:
    """A visitor's conversation, created through the widget API."""
    token = seed["website_inbox"]["website_token"]
    sent = request.post(f"{stack.base_url}/api/v1/widget/messages?website_token={token}",
                        data={"message": {"content": text}})  # a first message creates the visitor
    assert sent.ok, sent.text()
    return sent.json()["conversation_id"]


def signed_in(context, stack, person: dict) -> Agent:
    """The dashboard with `person`'s session already stored, as after signing in (the
    sign-in form is tested elsewhere; its password hashing is slow on purpose)."""
    profile = context.request.get(f"{stack.base_url}/api/v1/profile",
                                  headers={"api_access_token": person["access_token"]})
    assert profile.ok, profile.text()
    saved = json.dumps({**profile.json(), "access_token": person["access_token"]})
    context.add_init_script(f"try {{ localStorage.setItem('parley.session', {json.dumps(saved)}) }} catch (e) {{}}")
    return Agent(context, stack, person)


def test_a_mention_lights_the_bell_live_and_opening_it_reads_it(new_context, stack, seed):
    t = tag()
    account = seed["account"]["id"]
    ada_context = new_context(viewport={"width": 1440, "height": 900})
    # Start from a clean bell: whatever other tests left for Ada is read.
    cleared = ada_context.request.post(f"{stack.base_url}/api/v1/accounts/{account}/notifications/read_all",
                                       headers={"api_access_token": seed["administrator"]["access_token"]})
    assert cleared.ok, cleared.text()
    number = start_conversation(ada_context.request, stack, seed, f"Where is my parcel? [{t}]")

    ada = signed_in(ada_context, stack, seed["administrator"])
    ada.page.goto(f"{stack.base_url}/app/accounts/{account}/conversations")
    expect(ada.page).to_have_url(re.compile(r"/app/accounts/\d+/conversations"))
    bell = ada.page.get_by_test_id("notifications-bell")
    expect(bell).to_be_visible()
    expect(ada.page.get_by_test_id("notifications-unread")).to_have_count(0)

    aaron = signed_in(new_context(viewport={"width": 1440, "height": 900}), stack, seed["agent"])
    aaron.page.goto(f"{stack.base_url}/app/accounts/{account}/conversations/{number}")
    expect(aaron.messages(f"Where is my parcel? [{t}]")).to_have_count(1)
    aaron.note_mode(True)
    box = aaron.page.get_by_test_id("reply-input")
    box.click()
    box.press_sequentially("Can you check this @Ad")
    option = aaron.page.get_by_test_id("mention-option").filter(has_text="Ada Admin")
    expect(option).to_have_count(1)
    box.press("Enter")
    expect(box).to_have_value(re.compile(r"\[@Ada Admin\]\(mention://user/\d+/Ada%20Admin\) $"))
    box.press_sequentially(f"please [{t}]")
    box.press("Enter")
    note = aaron.messages(f"please [{t}]")
    expect(note).to_have_count(1)
    expect(note).to_have_attribute("data-private", "true")
    expect(note).to_contain_text("@Ada Admin")  # shown as a mention, not as its markdown
    expect(note).not_to_contain_text("mention://")

    # Ada's bell counts it without a reload.
    expect(ada.page.get_by_test_id("notifications-unread")).to_have_text("1")
    bell.click()
    items = ada.page.get_by_test_id("notification-item")
    expect(items).to_have_count(1)  # the mention, and nothing else for Ada
    item = items.filter(has_text=f"(#{number})")
    expect(item).to_have_attribute("data-type", "conversation_mention")
    expect(item).to_have_attribute("data-read", "false")
    item.click()
    expect(ada.page).to_have_url(re.compile(rf"/conversations/{number}$"))
    expect(ada.page.get_by_test_id("notifications-unread")).to_have_count(0)
    bell.click()
    expect(item).to_have_attribute("data-read", "true")

    # The mention made Ada a participant; the conversation view lists and edits them.
    participants = ada.page.get_by_test_id("conversation-participants")
    expect(participants.get_by_test_id("participant")).to_have_count(1)
    expect(participants.get_by_test_id("participant")).to_contain_text("Ada Admin")
    participants.get_by_test_id("participant-add").select_option(str(seed["agent"]["id"]))
    expect(participants.get_by_test_id("participant")).to_have_count(2)
