"""Agent availability in a real browser: what one agent chooses, the others see live."""
from __future__ import annotations

from playwright.sync_api import expect


def test_busy_and_back_online_reach_the_administrator_without_a_reload(admin, agent, seed):
    seen_by_admin = admin.page.locator(f'[data-testid="agent-presence"][data-agent-id="{seed["agent"]["id"]}"]')
    expect(seen_by_admin).to_have_attribute("data-availability", "online")  # the agent's socket is open
    select = agent.page.get_by_test_id("availability-select")
    try:
        select.select_option("busy")
        expect(seen_by_admin).to_have_attribute("data-availability", "busy")
    finally:  # other tests share the seeded agent: leave them online
        select.select_option("online")
    expect(seen_by_admin).to_have_attribute("data-availability", "online")
    assert admin.dialogs == [] and agent.dialogs == []
