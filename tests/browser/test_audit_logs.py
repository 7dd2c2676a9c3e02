"""Settings > Audit logs: an administrator creates a team and finds its entry at the top of
the account's audit log, filtered to teams; the agent sees no such section."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .pages import open_settings, tag


def test_admin_sees_the_team_they_created_in_the_audit_log(admin):
    page = admin.page
    name = f"Audited {tag()}"
    open_settings(admin, "teams")
    page.get_by_test_id("team-name").fill(name)
    page.get_by_test_id("team-submit").click()
    expect(page).to_have_url(re.compile(r"/settings/teams/\d+$"))
    team_id = int(page.url.rsplit("/", 1)[-1])

    page.get_by_test_id("settings-nav-audit-logs").click()
    expect(page).to_have_url(re.compile(r"/settings/audit-logs$"))
    page.get_by_test_id("audit-filter-type").select_option("Team")
    page.get_by_test_id("audit-filter-action").select_option("create")
    row = page.get_by_test_id("audit-table").locator("tbody tr").first
    expect(row.get_by_test_id("audit-subject")).to_have_text(f"Team #{team_id}")
    expect(row.get_by_test_id("audit-action")).to_have_text("Created")
    expect(row).to_contain_text(f"name: {name}")
    expect(row).to_contain_text(admin.person["email"])


def test_an_agent_has_no_audit_log_section(agent):
    page = agent.page
    page.get_by_test_id("nav-settings").click()
    expect(page).to_have_url(re.compile(r"/settings/[\w-]+"))
    expect(page.get_by_test_id("settings-nav-audit-logs")).to_have_count(0)
