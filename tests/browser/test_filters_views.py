"""Custom attributes, conversation filters and saved views, in a real browser.

An administrator defines a conversation attribute in Settings, sets it on a live
conversation from the side panel (an invalid value shows the server's 422), filters the
list by it and by status, saves the filter as a view and reopens it from the sidebar.
Keys and names carry a per-test tag: the stack is shared with other tests.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .pages import Agent, start_chat, tag

@pytest.fixture
def admin(admin) -> Agent:
    """The administrator on every open conversation, as `agent` is."""
    admin.show_all()
    return admin


def add_attribute(page, name: str, kind: str, **fields: str) -> None:
    page.get_by_test_id("attribute-name").fill(name)
    page.get_by_test_id("attribute-type").select_option(kind)
    for field, value in fields.items():
        page.get_by_test_id(f"attribute-{field}").fill(value)
    page.get_by_test_id("attribute-submit").click()
    expect(page.get_by_test_id("attribute-name")).to_have_value("")


def set_condition(page, index: int, attribute: str, operator: str, value: str) -> None:
    row = page.get_by_test_id("filter-row").nth(index)
    row.get_by_test_id("filter-attribute").select_option(attribute)
    row.get_by_test_id("filter-operator").select_option(operator)
    row.get_by_test_id("filter-value").select_option(value)


def test_attribute_filter_and_saved_view(admin, visitor):
    t = tag()
    page = admin.page
    tier, ref = f"tier_{t}", f"ref_{t}"

    # 1. Settings → Custom attributes: the key follows the name.
    page.get_by_test_id("nav-settings").click()
    page.get_by_test_id("settings-nav-custom-attributes").click()
    expect(page).to_have_url(re.compile(r"/settings/custom-attributes$"))
    page.get_by_test_id("attribute-name").fill(f"Tier {t}")
    expect(page.get_by_test_id("attribute-key")).to_have_value(tier)
    add_attribute(page, f"Tier {t}", "list", values="gold, silver")
    add_attribute(page, f"Ref {t}", "text", pattern=r"^[A-Z]{2}\d+$", cue="Two capitals, then digits")
    expect(page.locator(f'[data-testid="attribute-row"][data-attribute-key="{tier}"]')).to_contain_text("gold, silver")
    expect(page.locator(f'[data-testid="attribute-row"][data-attribute-key="{ref}"]')).to_contain_text("Text")

    # 2. A live conversation; its panel edits the attributes with typed inputs.
    page.get_by_test_id("nav-conversations").click()
    page.get_by_test_id("tab-all").click()
    conv_id = start_chat(visitor, admin, f"Gold customer here [{t}]")
    panel = page.get_by_test_id("conversation-attributes")
    tier_item = panel.locator(f'[data-testid="conversation-attribute"][data-attribute-key="{tier}"]')
    tier_item.get_by_test_id("attribute-value-edit").click()
    tier_item.get_by_test_id("attribute-input").select_option("gold")
    tier_item.get_by_test_id("attribute-value-save").click()
    expect(tier_item.get_by_test_id("attribute-value")).to_have_text("gold")

    ref_item = panel.locator(f'[data-testid="conversation-attribute"][data-attribute-key="{ref}"]')
    ref_item.get_by_test_id("attribute-value-edit").click()
    ref_item.get_by_test_id("attribute-input").fill("ab12")
    ref_item.get_by_test_id("attribute-value-save").click()
    expect(ref_item.get_by_test_id("attribute-value-error")).to_contain_text("Two capitals, then digits")
    ref_item.get_by_test_id("attribute-input").fill("AB12")
    ref_item.get_by_test_id("attribute-value-save").click()
    expect(ref_item.get_by_test_id("attribute-value")).to_have_text("AB12")
    expect(tier_item.get_by_test_id("attribute-value")).to_have_text("gold")  # the other value kept

    # 3. Filter: status is open AND tier is gold → only this conversation.
    page.get_by_test_id("filter-open").click()
    set_condition(page, 0, "status", "equal_to", "open")
    page.get_by_test_id("filter-add").click()
    set_condition(page, 1, tier, "equal_to", "gold")
    expect(page.get_by_test_id("filter-join").first).to_have_value("and")
    page.get_by_test_id("filter-apply").click()
    expect(page.get_by_test_id("filter-panel")).to_have_count(0)
    bar = page.get_by_test_id("filter-bar")
    expect(bar).to_be_visible()
    expect(page.get_by_test_id("filter-summary")).to_have_text(f"Status is Open and Tier {t} is gold")
    items = page.get_by_test_id("conversation-item")
    expect(items).to_have_count(1)
    expect(items.first).to_have_attribute("data-conversation-id", conv_id)
    expect(page.get_by_test_id("filter-count")).to_have_text("1 conversation")

    # 4. Save it as a view: it appears in the sidebar.
    page.get_by_test_id("view-save-start").click()
    page.get_by_test_id("view-name").fill(f"Gold {t}")
    page.get_by_test_id("view-save").click()
    view = page.get_by_test_id("saved-view").filter(has_text=f"Gold {t}")
    expect(view).to_have_count(1)
    expect(page.get_by_test_id("filter-title")).to_have_text(f"Gold {t}")
    view_id = view.get_attribute("data-view-id")

    # 5. Clear: the tabs are back; the view reopens from the sidebar, also after a reload.
    page.get_by_test_id("filter-clear").click()
    expect(bar).to_have_count(0)
    expect(page.get_by_test_id("tab-all")).to_be_visible()
    view.click()
    expect(page).to_have_url(re.compile(rf"/conversations\?view={view_id}$"))
    expect(page.get_by_test_id("filter-title")).to_have_text(f"Gold {t}")
    expect(items).to_have_count(1)
    expect(view).to_have_attribute("aria-current", "true")
    page.reload()
    expect(page.get_by_test_id("filter-title")).to_have_text(f"Gold {t}")
    expect(items).to_have_count(1)
    expect(items.first).to_have_attribute("data-conversation-id", conv_id)

    # 6. Delete the view: gone from the sidebar, the filter stays applied (unsaved).
    page.get_by_test_id("view-delete").click()
    page.get_by_test_id("view-delete-confirm").click()
    expect(view).to_have_count(0)
    expect(page.get_by_test_id("filter-title")).to_have_text("Filtered")
    expect(page).to_have_url(re.compile(r"/conversations$"))
    assert not admin.dialogs
