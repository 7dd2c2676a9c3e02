"""An ongoing campaign in the widget, in Chromium (issue 16): on a page whose URL matches its
glob, the proactive message appears next to the closed bubble after its seconds on the
page and not before; on other pages never; a single-page app's navigation (pushState) to a
matching URL starts the clock. No conversation exists until the visitor answers; then it
holds the campaign's message and the answer, in that order, and carries campaign_id."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from .pages import Visitor, api

SECONDS = 2


@pytest.fixture
def campaign(stack, seed):
    """A campaign on the demo page's URLs that mention pricing, from the administrator."""
    account, token = seed["account"]["id"], seed["administrator"]["access_token"]
    demo = stack.base_url.replace("://127.0.0.1", "://localhost") + "/demo"
    made = api(stack, "POST", f"/api/v1/accounts/{account}/campaigns", token, {
        "title": "Pricing help", "message": "Comparing plans? I can help you pick one.",
        "inbox_id": seed["website_inbox"]["id"], "sender_id": seed["administrator"]["id"],
        "trigger_rules": {"url": demo + "*topic=pricing*", "time_on_page": SECONDS}})
    yield {**made, "demo": demo}
    api(stack, "DELETE", f"/api/v1/accounts/{account}/campaigns/{made['id']}", token)


def conversations_of(stack, seed, campaign_id: int) -> list[dict]:
    account, token = seed["account"]["id"], seed["administrator"]["access_token"]
    listed = api(stack, "GET", f"/api/v1/accounts/{account}/conversations?status=all&inbox_id="
                 f"{seed['website_inbox']['id']}", token)["data"]["payload"]
    return [c for c in listed if c.get("campaign_id") == campaign_id]


def open_at(visitor: Visitor, url: str) -> float:
    visitor.url = url
    visitor.open_page()
    return time.monotonic()


def test_the_campaign_shows_after_its_seconds_on_a_matching_page_and_starts_a_conversation_only_on_answer(
        new_context, new_agent, stack, seed, campaign):
    visitor = Visitor(new_context(), stack)
    loaded = open_at(visitor, campaign["demo"] + "?topic=pricing")
    preview = visitor.page.get_by_test_id("widget-campaign-preview")
    visitor.page.wait_for_timeout(1200)
    assert preview.is_hidden()  # not before its seconds on the page
    expect(preview).to_be_visible(timeout=8000)
    assert time.monotonic() - loaded >= SECONDS
    expect(preview).to_contain_text("Comparing plans? I can help you pick one.")
    sender = api(stack, "GET", "/api/v1/profile", seed["administrator"]["access_token"])
    expect(preview).to_contain_text(sender.get("available_name") or sender["name"])
    # Seen, but nobody talked: no conversation.
    assert conversations_of(stack, seed, campaign["id"]) == []

    preview.locator("button").first.click()
    expect(visitor.page.get_by_test_id("widget-launcher")).to_have_attribute("aria-expanded", "true")
    expect(preview).to_be_hidden()
    shown = visitor.frame.get_by_test_id("widget-campaign-message")
    expect(shown).to_contain_text("Comparing plans? I can help you pick one.")
    assert conversations_of(stack, seed, campaign["id"]) == []

    visitor.send("Yes, which plan has SSO?")
    deadline = time.monotonic() + 10
    while not (started := conversations_of(stack, seed, campaign["id"])) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(started) == 1
    account, token = seed["account"]["id"], seed["administrator"]["access_token"]
    messages = api(stack, "GET", f"/api/v1/accounts/{account}/conversations/{started[0]['id']}/messages",
                   token)["payload"]
    said = [(m["message_type"], m["content"]) for m in messages if m["message_type"] in (0, 1)]
    assert said == [(1, "Comparing plans? I can help you pick one."), (0, "Yes, which plan has SSO?")]
    # The widget now shows the stored campaign message, once, then the answer.
    expect(visitor.messages("Comparing plans?")).to_have_count(1)
    expect(shown).to_have_count(0)

    # The team sees it in the dashboard: the campaign's message, then the visitor's answer.
    admin = new_agent("administrator")
    admin.open_inbox()
    admin.open_conversation("Yes, which plan has SSO?")
    expect(admin.messages("Comparing plans? I can help you pick one.")).to_have_count(1)

    # Shown once per visitor: back on a matching page, no preview.
    visitor.page.goto(campaign["demo"] + "?topic=pricing&again=1")
    visitor.page.wait_for_function("window.$chatwoot && window.$chatwoot.hasLoaded === true")
    visitor.page.wait_for_timeout((SECONDS + 1) * 1000)
    assert visitor.page.get_by_test_id("widget-campaign-preview").is_hidden()


def test_other_pages_never_show_it_and_a_pushstate_navigation_starts_the_clock(new_context, stack, seed, campaign):
    visitor = Visitor(new_context(), stack)
    open_at(visitor, campaign["demo"] + "?topic=about")
    preview = visitor.page.get_by_test_id("widget-campaign-preview")
    visitor.page.wait_for_timeout((SECONDS + 1.5) * 1000)
    assert preview.is_hidden()

    # A single-page app moves to a matching URL: the clock starts there.
    visitor.page.evaluate("history.pushState(null, '', location.pathname + '?topic=pricing')")
    moved = time.monotonic()
    visitor.page.wait_for_timeout(1000)
    assert preview.is_hidden()
    expect(preview).to_be_visible(timeout=8000)
    assert time.monotonic() - moved >= SECONDS
    assert conversations_of(stack, seed, campaign["id"]) == []
