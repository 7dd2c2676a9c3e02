"""The dashboard's contacts screen in a real browser against the local stack: a CSV import
with its progress (the stack's own SQS consumer does the work), search, the filter
builder, notes, block and merge. Names and emails carry a per-test tag, so tests sharing
the stack never see each other's contacts."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .pages import Agent, tag


@pytest.fixture
def admin(new_agent) -> Agent:
    """The administrator on the contacts screen."""
    a = new_agent("administrator")
    # sign-in hashes the password on purpose (argon2): slow on a busy machine
    a.open_dashboard(timeout=30_000)
    a.page.get_by_test_id("nav-contacts").click()
    expect(a.page).to_have_url(re.compile(r"/app/accounts/\d+/contacts$"))
    return a


def import_csv(page, t: str) -> None:
    csv = (f"name,email,phone_number,city,plan\n"
           f"Alma {t},alma.{t}@import.test,,Oslo{t},gold\n"
           f"Bruno {t},bruno.{t}@import.test,,Rome{t},silver\n"
           f"Alma Duplicate {t},alma.dup.{t}@import.test,,Oslo{t},\n"
           f"Broken {t},not-an-email,,,\n")
    page.get_by_test_id("contacts-import-open").click()
    page.get_by_test_id("import-file").set_input_files(
        files=[{"name": f"contacts-{t}.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    page.get_by_test_id("import-submit").click()
    job = page.get_by_test_id("import-job")
    expect(job).to_have_attribute("data-status", "completed")
    progress = page.get_by_test_id("import-progress")
    expect(progress).to_have_attribute("max", "4")
    assert progress.evaluate("el => el.value") == 4  # the bar is full
    expect(page.get_by_test_id("import-status")).to_contain_text("3 created")
    expect(page.get_by_test_id("import-status")).to_contain_text("1 failed")
    expect(page.get_by_test_id("import-failure")).to_contain_text("Line 5")


def rows(page):
    return page.get_by_test_id("contact-row")


def test_import_search_filter_notes_block_and_merge(admin):
    page, t = admin.page, tag()
    import_csv(page, t)

    # search: only this test's contacts, by a word of their name
    page.get_by_test_id("contacts-search").fill(t)
    expect(rows(page)).to_have_count(3)
    page.get_by_test_id("contacts-search").fill(f"bruno.{t}")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(f"Bruno {t}")
    page.get_by_test_id("contacts-search").fill("")

    # filter builder: city is Oslo<t> OR city is Rome<t> -> all three; AND name contains Dup -> one
    page.get_by_test_id("contacts-filter-toggle").click()
    first = page.get_by_test_id("filter-row").nth(0)
    first.get_by_test_id("filter-attribute").select_option("city")
    first.get_by_test_id("filter-operator").select_option("equal_to")
    first.get_by_test_id("filter-value").fill(f"Oslo{t}")
    page.get_by_test_id("filter-apply").click()
    expect(rows(page)).to_have_count(2)
    page.get_by_test_id("filter-add").click()
    first.get_by_test_id("filter-join").select_option("OR")
    second = page.get_by_test_id("filter-row").nth(1)
    second.get_by_test_id("filter-attribute").select_option("city")
    second.get_by_test_id("filter-operator").select_option("equal_to")
    second.get_by_test_id("filter-value").fill(f"rome{t}")  # case-insensitive, as Chatwoot
    page.get_by_test_id("filter-apply").click()
    expect(rows(page)).to_have_count(3)
    second.get_by_test_id("filter-value").fill("")
    page.get_by_test_id("filter-apply").click()
    expect(page.get_by_test_id("filter-error")).to_contain_text("enter a value")
    page.get_by_test_id("filter-clear").click()

    # detail: a note, then block
    page.get_by_test_id("contacts-search").fill(f"alma.{t}@")
    expect(rows(page)).to_have_count(1)
    rows(page).first.click()
    detail = page.get_by_test_id("contact-detail")
    expect(detail.get_by_test_id("contact-name")).to_have_text(f"Alma {t}")
    expect(detail.locator('[data-testid="contact-attribute"][data-key="plan"]')).to_have_text("gold")
    detail.get_by_test_id("note-input").fill(f"Prefers email [{t}]")
    detail.get_by_test_id("note-submit").click()
    expect(detail.get_by_test_id("contact-note")).to_have_count(1)
    expect(detail.get_by_test_id("contact-note")).to_contain_text(f"Prefers email [{t}]")
    detail.get_by_test_id("contact-block-toggle").click()
    expect(detail.get_by_test_id("contact-blocked")).to_be_visible()
    expect(rows(page).first.get_by_test_id("contact-blocked-badge")).to_be_visible()

    # merge the duplicate into Alma: it leaves the list, Alma keeps her note
    detail.get_by_test_id("merge-search").fill(f"alma.dup.{t}")
    option = detail.get_by_test_id("merge-option")
    expect(option).to_have_count(1)
    option.click()
    detail.get_by_test_id("merge-confirm").click()
    expect(detail.get_by_test_id("merge-option")).to_have_count(0)
    page.get_by_test_id("contacts-search").fill(t)
    expect(rows(page)).to_have_count(2)
    expect(rows(page).filter(has_text="Duplicate")).to_have_count(0)
    expect(detail.get_by_test_id("contact-note")).to_have_count(1)
    assert not admin.dialogs, admin.dialogs


def test_bad_import_file_is_explained(admin):
    page = admin.page
    page.get_by_test_id("contacts-import-open").click()
    page.get_by_test_id("import-file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": b"name,city\nAnn,Oslo\n"}])
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("import-error")).to_contain_text("email, phone_number or identifier column")
    expect(page.get_by_test_id("import-job")).to_have_count(0)
