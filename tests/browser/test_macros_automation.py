"""Macros and automation rules in a real browser: made in Settings by an administrator,
a macro run from a live conversation by the agent, a rule acting on a visitor's message
(the local stack runs the automation consumer from the template's EventBridge rule)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .pages import open_settings, start_chat, tag


def add_label(person, title: str) -> None:
    page = person.page
    open_settings(person, "labels")
    page.get_by_test_id("label-title").fill(title)
    page.get_by_test_id("label-submit").click()
    expect(page.locator(f'[data-testid="label-row"][data-title="{title}"]')).to_have_count(1)


def test_macro_from_settings_runs_on_a_live_conversation(admin, visitor, agent):
    t = tag().lower()
    label, name = f"vip{t}", f"VIP and done {t}"
    add_label(admin, label)
    page = admin.page
    open_settings(admin, "macros")
    page.get_by_test_id("macro-name").fill(name)
    page.get_by_test_id("macro-global").check()
    first = page.get_by_test_id("action-row").nth(0)
    first.get_by_test_id("action-name").select_option("add_label")
    first.get_by_test_id("action-labels").select_option(label)
    page.get_by_test_id("action-add").click()
    second = page.get_by_test_id("action-row").nth(1)
    second.get_by_test_id("action-name").select_option("resolve_conversation")
    page.get_by_test_id("macro-submit").click()
    row = page.locator(f'[data-testid="macro-row"][data-name="{name}"]')
    expect(row).to_contain_text(f"Add labels: {label} → Resolve")

    start_chat(visitor, agent, f"Please treat me well [{t}]")
    agent.page.get_by_test_id("macros-button").click()
    agent.page.locator(f'[data-testid="macro-item"][data-name="{name}"]').click()
    expect(agent.page.get_by_test_id("macro-note")).to_have_text(f"{name} ran.")
    expect(agent.page.get_by_test_id("conversation-label").filter(has_text=label)).to_have_count(1)
    expect(agent.page.get_by_test_id("conversation-status")).to_have_text("resolved")
    assert admin.dialogs == [] and agent.dialogs == []


def test_automation_rule_answers_a_new_message(admin, visitor, agent):
    t = tag().lower()
    word, answer, name = f"refund{t}", f"Billing will write to you today [{t}]", f"Refunds {t}"
    page = admin.page
    open_settings(admin, "automation")
    page.get_by_test_id("rule-name").fill(name)
    page.get_by_test_id("rule-event").select_option("message_created")
    condition = page.get_by_test_id("condition-row").nth(0)
    condition.get_by_test_id("condition-key").select_option("content")
    condition.get_by_test_id("condition-operator").select_option("contains")
    condition.get_by_test_id("condition-text").fill(word)
    action = page.get_by_test_id("action-row").nth(0)
    action.get_by_test_id("action-name").select_option("send_message")
    action.get_by_test_id("action-text").fill(answer)
    page.get_by_test_id("rule-submit").click()
    row = page.locator(f'[data-testid="rule-row"][data-name="{name}"]')
    expect(row).to_contain_text("Message created")
    expect(row.get_by_test_id("rule-toggle")).to_be_checked()

    # Not start_chat: the rule answers within a second, and the row's preview (its newest
    # message) then no longer shows the question; a slow poll never found the row by it.
    question = f"I want a {word} please"
    visitor.open_chat()
    visitor.send(question)
    agent.open_conversation(answer)  # arrived live, and its newest message is the rule's answer
    expect(agent.messages(question)).to_have_count(1)
    expect(agent.messages(answer)).to_have_count(1)
    expect(agent.messages(answer)).to_have_attribute("data-message-type", "1")
    visitor.expect_agent_message(answer)

    # Switched off, the rule leaves the next message alone.
    # (the box changes at once; the reload must wait for the PATCH, or it races the save)
    with page.expect_response(lambda r: "/automation_rules/" in r.url and r.request.method in ("PATCH", "PUT")) as saved:
        row.get_by_test_id("rule-toggle").uncheck()
    assert saved.value.ok
    expect(row.get_by_test_id("rule-toggle")).not_to_be_checked()
    page.reload()
    expect(page.locator(f'[data-testid="rule-row"][data-name="{name}"]').get_by_test_id("rule-toggle")).not_to_be_checked()
    assert admin.dialogs == [] and agent.dialogs == []
    assert re.search(r"/settings/automation$", page.url)
