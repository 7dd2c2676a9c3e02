"""Webhooks in the dashboard: an administrator adds one with chosen events (its secret
shown once), is refused a private address, edits its events and deletes it."""
from __future__ import annotations

from playwright.sync_api import expect

from .pages import open_settings, tag


def test_admin_adds_edits_and_deletes_a_webhook(admin):
    page = admin.page
    url = f"https://hooks.example.com/{tag()}"
    open_settings(admin, "webhooks")

    # The server refuses a private address (SSRF), and says why.
    page.get_by_test_id("webhook-url").fill("http://169.254.169.254/latest/meta-data")
    page.get_by_test_id("webhook-create").click()
    expect(page.get_by_test_id("webhook-error")).to_contain_text("private")

    page.get_by_test_id("webhook-url").fill(url)
    page.get_by_test_id("webhook-name").fill("CRM sync")
    page.get_by_test_id("webhook-event-conversation_updated").uncheck()
    page.get_by_test_id("webhook-event-conversation_typing_on").check()
    page.get_by_test_id("webhook-create").click()
    expect(page.get_by_test_id("webhook-secret")).to_contain_text(url)
    assert len(page.get_by_test_id("webhook-secret-value").inner_text().strip()) >= 32
    row = page.get_by_test_id("webhook-list").locator("li", has_text=url)
    expect(row.get_by_test_id("webhook-row-events")).to_contain_text("Typing started")
    expect(row.get_by_test_id("webhook-row-events")).not_to_contain_text("Conversation updated")
    hook_id = int((row.get_attribute("data-testid") or "").split("-")[-1])

    # Edited: only message events; the change survives a reload and the secret is gone.
    page.get_by_test_id(f"webhook-edit-{hook_id}").click()
    for box in page.locator("[data-testid^='webhook-edit-event-']").all():
        box.uncheck()
    page.get_by_test_id("webhook-edit-event-message_created").check()
    # The reload must wait for the PATCH, or it can cancel the save under load.
    with page.expect_response(lambda r: f"/webhooks/{hook_id}" in r.url and r.request.method in ("PATCH", "PUT")) as saved:
        page.get_by_test_id("webhook-save").click()
    assert saved.value.ok
    page.reload()
    row = page.get_by_test_id(f"webhook-{hook_id}")
    expect(row.get_by_test_id("webhook-row-events")).to_have_text("Message created")
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)

    page.get_by_test_id(f"webhook-delete-{hook_id}").click()
    page.get_by_test_id(f"webhook-delete-{hook_id}-confirm").click()
    expect(page.get_by_test_id(f"webhook-{hook_id}")).to_have_count(0)
