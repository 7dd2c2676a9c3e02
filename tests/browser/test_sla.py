"""SLA policies in a real browser: an administrator adds one in Settings, an agent applies
it from a live conversation's header, and the SLA's badge shows its running clock in the
header and in the list, then "SLA met" once the conversation is resolved."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .pages import open_settings, start_chat, tag


def test_policy_from_settings_applied_by_hand_shows_its_clock(admin, visitor, agent):
    t = tag()
    name = f"Gold {t}"
    page = admin.page
    open_settings(admin, "sla")
    page.get_by_test_id("sla-name").fill(name)
    page.get_by_test_id("sla-frt").fill("-3")
    page.get_by_test_id("sla-submit").click()
    expect(page.get_by_test_id("sla-error")).to_contain_text("First response")
    page.get_by_test_id("sla-frt").fill("30")
    page.get_by_test_id("sla-rt").fill("2")
    page.get_by_test_id("sla-rt-unit").select_option("hours")
    page.get_by_test_id("sla-submit").click()
    row = page.get_by_test_id("sla-row").filter(has_text=name)
    expect(row.get_by_test_id("sla-row-thresholds")).to_contain_text("FRT 30m")
    expect(row.get_by_test_id("sla-row-thresholds")).to_contain_text("RT 2h")

    conv_id = start_chat(visitor, agent, f"Is anyone there? [{t}]")
    agent.page.get_by_test_id("sla-select").select_option(label=name)
    badge = agent.page.locator(".conv-head").get_by_test_id("sla-badge")
    expect(badge).to_have_attribute("data-sla-status", "active")
    expect(badge).to_have_text(re.compile(r"FRT (29|30)m"))
    expect(agent.page.get_by_test_id("sla-select")).to_have_count(0)  # applied once, for good
    listed = agent.page.locator(f'[data-testid="conversation-item"][data-conversation-id="{conv_id}"]')
    expect(listed.get_by_test_id("sla-badge")).to_have_attribute("data-sla-status", "active")

    agent.send(f"Yes, here to help [{t}]")
    agent.page.get_by_test_id("toggle-status-button").click()
    expect(agent.page.get_by_test_id("conversation-status")).to_have_text("resolved")
    expect(badge).to_have_text("SLA met")
    assert admin.dialogs == [] and agent.dialogs == []
