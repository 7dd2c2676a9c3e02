"""Business hours in a real browser: an administrator closes the demo website inbox all
week with an out-of-office message; a visitor who writes in the widget gets that reply.

The stack is shared with the other browser tests, so the inbox's hours are switched off
again through the API at the end, whatever happened."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .pages import api, open_settings, tag


@pytest.fixture
def closed_inbox_restored(stack, seed):
    yield
    inbox, account = seed["website_inbox"]["id"], seed["account"]["id"]
    api(stack, "PATCH", f"/api/v1/accounts/{account}/inboxes/{inbox}", seed["administrator"]["access_token"],
        {"working_hours_enabled": False})


def test_visitor_gets_the_out_of_office_reply_when_the_inbox_is_closed(admin, visitor, seed, closed_inbox_restored):
    away = f"We are closed today, back tomorrow [{tag()}]"
    page = admin.page
    open_settings(admin, "inboxes")
    row = page.get_by_test_id("inbox-row").filter(has_text="Acme website")
    expect(row).to_have_count(1)
    row.click()
    expect(page).to_have_url(re.compile(rf"/settings/inboxes/{seed['website_inbox']['id']}$"))
    form = page.get_by_test_id("business-hours-form")
    form.get_by_test_id("hours-enabled").check()
    for day in range(7):
        form.get_by_test_id(f"hours-mode-{day}").select_option("closed")
    form.get_by_test_id("hours-away-message").fill(away)
    form.get_by_test_id("hours-save").click()
    expect(form.get_by_test_id("hours-saved")).to_be_visible()
    expect(form.get_by_test_id("hours-error")).to_have_count(0)

    visitor.open_chat()
    visitor.send(f"Hello, is anyone there? [{tag()}]")
    reply = visitor.messages(away)
    expect(reply).to_have_count(1)
    expect(reply).to_be_visible()
    expect(reply).to_have_attribute("data-message-type", "3")
