"""Custom roles in the dashboard: an administrator defines a role under Settings > Roles,
gives it to the agent on the Agents screen, and the agent's dashboard follows it (no
Contacts without contact_manage); deleting the role gives the agent their usual rights."""
from __future__ import annotations

from playwright.sync_api import expect

from .pages import api, open_settings, tag


def test_admin_defines_a_role_and_the_agent_dashboard_follows_it(admin, new_agent, stack, seed):
    page = admin.page
    name = f"Conversations only {tag()}"
    account = seed["account"]["id"]
    open_settings(admin, "roles")

    page.get_by_test_id("role-name").fill(name)
    page.get_by_test_id("role-description").fill("Answers, never edits contacts")
    page.get_by_test_id("role-permission-contact_manage").check()
    page.get_by_test_id("role-permission-conversation_unassigned_manage").check()
    page.get_by_test_id("role-create").click()
    row = page.get_by_test_id("role-list").locator("li", has_text=name)
    expect(row.get_by_test_id("role-row-permissions")).to_contain_text("unassigned")
    role_id = int((row.get_attribute("data-testid") or "").split("-")[-1])

    # Edited: contacts taken away; the change survives a reload.
    page.get_by_test_id(f"role-edit-{role_id}").click()
    page.get_by_test_id("role-edit-permission-contact_manage").uncheck()
    page.get_by_test_id("role-save").click()
    permissions = page.get_by_test_id(f"role-{role_id}").get_by_test_id("role-row-permissions")
    expect(permissions).not_to_contain_text("contacts")  # saved (the reload must not race the PATCH)
    page.reload()
    expect(permissions).not_to_contain_text("contacts")

    try:
        open_settings(admin, "agents")
        agent_row = page.locator(f"[data-testid='agent-row'][data-agent-id='{seed['agent']['id']}']")
        # The choice is saved by a request of its own: wait for it before reloading (reloading
        # first cancelled it under load, and the reloaded page showed no role).
        with page.expect_response(lambda r: "/agents/" in r.url and r.request.method in ("PATCH", "PUT")) as saved:
            agent_row.get_by_test_id("agent-custom-role-select").select_option(str(role_id))
        assert saved.value.ok
        expect(agent_row.get_by_test_id("agent-row-error")).to_have_count(0)
        page.reload()
        expect(agent_row.get_by_test_id("agent-custom-role-select")).to_have_value(str(role_id))

        agent = new_agent("agent")
        agent.open_dashboard()
        expect(agent.page.get_by_test_id("nav-conversations")).to_be_visible()
        expect(agent.page.get_by_test_id("nav-contacts")).to_have_count(0)
        agent.page.goto(f"{stack.base_url}/app/accounts/{account}/contacts")
        expect(agent.page).to_have_url(f"{stack.base_url}/app/accounts/{account}/conversations")
    finally:
        # Deleting the role gives the agent an agent's usual rights again (and leaves the
        # shared seed as the other browser tests expect it).
        api(stack, "DELETE", f"/api/v1/accounts/{account}/custom_roles/{role_id}", seed["administrator"]["access_token"])
    profile = api(stack, "GET", "/api/v1/profile", seed["agent"]["access_token"])
    assert [a["permissions"] for a in profile["accounts"] if a["id"] == account] == [["agent"]]
