"""The super-admin console in the dashboard: a super admin creates an account and a user,
makes the user its administrator, and (once the user has a website inbox) suspends the
account from the console, with confirmation: the account's widget page and widget config
refuse; reactivated, both work again. Then the console's other sections answer."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .pages import api, tag

SUSPENDED_PAGE = "This chat is not available."


def _widget(page, stack, website_token: str) -> tuple[int, str]:
    """The widget config's status, and the text of the widget page, for the website inbox."""
    config = page.request.post(f"{stack.base_url}/api/v1/widget/config?website_token={website_token}")
    page.goto(f"{stack.base_url}/widget?website_token={website_token}")
    return config.status, page.content()


def test_super_admin_creates_an_account_and_a_user_suspends_and_reactivates(new_agent, new_context, stack):
    root = new_agent("super_admin")
    page = root.page
    root.sign_in()
    expect(page).to_have_url(re.compile(r"/app/super_admin$"))
    mark = tag()

    # An account, with a feature flag and a limit.
    page.get_by_test_id("sa-nav-accounts").click()
    expect(page).to_have_url(re.compile(r"/app/super_admin/accounts$"))
    page.get_by_test_id("sa-account-create-toggle").locator("summary").click()
    page.get_by_test_id("sa-account-create").click()
    expect(page.get_by_test_id("sa-account-form").get_by_role("alert")).to_contain_text("name")  # checked before sending
    name = f"Console {mark}"
    page.get_by_test_id("sa-account-name").fill(name)
    page.get_by_test_id("sa-account-domain").fill(f"{mark}.example")
    page.get_by_test_id("sa-account-agents").fill("5")
    page.get_by_test_id("sa-account-feature-help_center").check()
    page.get_by_test_id("sa-account-create").click()
    row = page.get_by_test_id("sa-account-list").locator("li", has_text=name)
    expect(row).to_contain_text("active")
    expect(row).to_contain_text("0 members")
    account_id = int((row.get_attribute("data-testid") or "").split("-")[-1])

    # A user with a password.
    page.get_by_test_id("sa-nav-users").click()
    email, password = f"owner-{mark}@console.test", f"Owner-{mark}-pass!"
    page.get_by_test_id("sa-user-create-toggle").locator("summary").click()
    page.get_by_test_id("sa-user-name").fill(f"Owner {mark}")
    page.get_by_test_id("sa-user-email").fill(email)
    page.get_by_test_id("sa-user-password").fill(password)
    page.get_by_test_id("sa-user-create").click()
    expect(page.get_by_test_id("sa-user-list").locator("li", has_text=email)).to_be_visible()

    # The user becomes the account's administrator.
    page.get_by_test_id("sa-nav-accounts").click()
    page.get_by_test_id("sa-account-search").fill(name)
    page.get_by_test_id("sa-account-search-go").click()
    expect(page.get_by_test_id("sa-account-list").locator("li.s-row")).to_have_count(1)
    page.get_by_test_id(f"sa-account-members-{account_id}").click()
    members = page.get_by_test_id(f"sa-members-{account_id}")
    members.get_by_test_id("sa-member-email").fill(email)
    members.get_by_test_id("sa-member-role").select_option("administrator")
    members.get_by_test_id("sa-member-add").click()
    expect(members).to_contain_text("administrator")

    # The new administrator (through the API) adds a website inbox: the widget works.
    token = api(stack, "POST", "/auth/sign_in", "", {"email": email, "password": password})["data"]["access_token"]
    inbox = api(stack, "POST", f"/api/v1/accounts/{account_id}/inboxes", token,
                {"name": "Site", "channel": {"type": "web_widget", "website_url": "https://console.example"}})
    widget_tab = new_context().new_page()
    status, html = _widget(widget_tab, stack, inbox["website_token"])
    assert status == 200 and SUSPENDED_PAGE not in html

    # Suspended from the console (it asks first): the widget is refused.
    page.get_by_test_id(f"sa-account-suspend-{account_id}").click()
    expect(page.get_by_test_id(f"sa-account-status-{account_id}")).to_have_text("active")  # not before confirming
    page.get_by_test_id(f"sa-account-suspend-{account_id}-confirm").click()
    expect(page.get_by_test_id(f"sa-account-status-{account_id}")).to_have_text("suspended")
    status, html = _widget(widget_tab, stack, inbox["website_token"])
    assert status == 403 and SUSPENDED_PAGE in html

    # Reactivated: the widget works again.
    page.get_by_test_id(f"sa-account-reactivate-{account_id}").click()
    expect(page.get_by_test_id(f"sa-account-status-{account_id}")).to_have_text("active")
    status, html = _widget(widget_tab, stack, inbox["website_token"])
    assert status == 200 and SUSPENDED_PAGE not in html

    # What the form set is stored.
    from_api = api(stack, "GET", f"/super_admin/api/v1/accounts/{account_id}", stack.seed["super_admin"]["access_token"])
    assert from_api["features"] == ["help_center"] and from_api["limits"] == {"agents": 5}

    # A platform app's token is shown once; the status section answers.
    page.get_by_test_id("sa-nav-platform-apps").click()
    page.get_by_test_id("sa-app-name").fill(f"App {mark}")
    page.get_by_test_id("sa-app-create").click()
    expect(page.get_by_test_id("sa-app-token")).to_contain_text(f"App {mark}")
    assert len(page.get_by_test_id("sa-app-token-value").inner_text().strip()) > 30
    page.get_by_test_id("sa-nav-status").click()
    expect(page.get_by_test_id("sa-status-queues")).to_contain_text("ingest")
    expect(page.get_by_test_id("sa-status-stack")).to_contain_text("not available locally")
