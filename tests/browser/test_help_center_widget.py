"""The help center inside the widget (issue 13, item 4), on the demo page as a visitor sees it.

The website inbox is linked to a portal (the seeded "Acme Help" when the seed has linked
one, else one this module creates), and this module adds its own articles: two published
ones with a per-run word in their titles, so a search finds exactly them (and, once one
is archived, only the other at once), and a draft with another per-run word, so a search
that would find it must find nothing. The
widget's home shows the portal's popular articles and a search box; a search finds the
published article (by a prefix, as the visitor types) and never the draft; the article
opens inside the widget, loaded as a chunk of its own only then, its HTML inert (an image
with an `onerror` and a `javascript:` link are in the Markdown), its links opening a new
tab; "Chat with us" goes to the conversation, where a message starts one. The help center
follows `$chatwoot.setLocale` within the portal's locales (its default otherwise).

Needs the whole issue merged: the widget config's `portal` (routes/widget.py), the account
API's portals and articles, and the public JSON (functions/help_center/app.py) with its
indexer running in the local stack.
"""
from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from .pages import Visitor, api, tag

HOSTILE = ('Open **Settings**, then [Billing](/hc/x/articles/1-billing).\n\n'
           '<img src="x" onerror="window.__pwned = 1">\n\n'
           '[click me](javascript:window.__pwned=2)\n')


@pytest.fixture(scope="module")
def help_center(stack, seed):
    """The portal linked to the website inbox, with this module's articles in it."""
    account = seed["account"]["id"]
    token = seed["administrator"]["access_token"]
    inbox = seed["website_inbox"]
    base = f"/api/v1/accounts/{account}/portals"
    config = f"/api/v1/widget/config?website_token={inbox['website_token']}"
    if not api(stack, "POST", config, token, {})["website_channel_config"].get("portal"):
        api(stack, "POST", base, token, {"portal": {
            "name": "Widget Help", "slug": "widget-help-" + tag(), "color": "#0b7a75", "inbox_id": inbox["id"],
            "config": {"allowed_locales": ["en", "fr"], "default_locale": "en"}}})
    portal = api(stack, "POST", config, token, {})["website_channel_config"]["portal"]
    assert portal and portal["default_locale"] == "en" and "en" in portal["allowed_locales"], portal
    slug = portal["slug"]
    word, hidden = "zq" + tag(), "zr" + tag()  # in these articles' titles only
    made = {}
    for key, title, status, content in (
        ("reset", f"Reset your password {word}", "published", HOSTILE),
        ("billing", f"Change the billing email {word}", "published", "Go to **Billing** and edit the email."),
        ("draft", f"Unreleased roadmap {hidden}", "draft", "Not for customers yet."),
    ):
        made[key] = api(stack, "POST", f"{base}/{slug}/articles", token, {"article": {
            "title": title, "description": title + ", step by step", "content": content,
            "status": status, "locale": "en"}})["payload"]
    # The search index is rebuilt a few seconds after a change (the indexer): wait until
    # the public JSON the widget reads finds both published articles.
    found, deadline = [], time.monotonic() + 30
    while len(found) < 2 and time.monotonic() < deadline:
        with urllib.request.urlopen(f"{stack.base_url}/hc/{slug}/en/articles.json?query={word}&limit=6", timeout=10) as reply:
            found = json.loads(reply.read())["payload"]
        time.sleep(0.5)
    assert sorted(a["slug"] for a in found) == sorted([made["reset"]["slug"], made["billing"]["slug"]]), found
    return {"slug": slug, "portal": portal, "word": word, "hidden": hidden, "account": account, "token": token, **made}


def test_visitor_finds_and_reads_an_article_in_the_widget_then_chats(new_context, stack, help_center):
    visitor = Visitor(new_context(viewport={"width": 1280, "height": 800}), stack)
    requested: list[str] = []
    visitor.page.on("request", lambda r: requested.append(r.url))
    visitor.open_page()
    visitor.open_chat()
    widget = visitor.frame
    hc = widget.get_by_test_id("widget-help-center")
    word, slug = help_center["word"], help_center["slug"]

    # The home: the portal's popular articles (published ones only) and a search box.
    expect(hc).to_have_attribute("data-locale", "en")
    popular = widget.get_by_test_id("widget-help-popular").get_by_test_id("widget-help-article")
    expect(popular.first).to_be_visible()
    assert popular.count() <= 6
    expect(popular.filter(has_text="roadmap")).to_have_count(0)
    assert not any("/assets/HelpArticle-" in url for url in requested)  # the article view is not loaded yet
    # "All articles": the portal's public home in that locale, in a new tab.
    all_articles = widget.get_by_test_id("widget-help-all")
    expect(all_articles).to_have_attribute("href", f"/hc/{slug}/en")
    expect(all_articles).to_have_attribute("target", "_blank")
    with urllib.request.urlopen(f"{stack.base_url}/hc/{slug}/en", timeout=10) as reply:
        assert reply.status == 200 and "text/html" in reply.headers["Content-Type"]

    # Search as the visitor types: a prefix of the titles' word finds both published
    # articles, with a request when the visitor pauses, not one per key.
    search = widget.get_by_test_id("widget-help-search")
    search.press_sequentially(word[:-2], delay=40)
    results = widget.get_by_test_id("widget-help-results").get_by_test_id("widget-help-article")
    expect(results.filter(has_text="Reset your password")).to_have_count(1)
    expect(results.filter(has_text="Change the billing email")).to_have_count(1)
    searches = [url for url in requested if re.search(rf"/hc/{slug}/en/articles\.json\?query=", url)]
    assert 1 <= len(searches) < len(word[:-2]) and f"query={word[:-2]}&" in searches[-1], searches  # debounced
    # The draft is never found, whatever is typed.
    search.fill(help_center["hidden"])
    expect(widget.get_by_test_id("widget-help-empty")).to_be_visible()
    expect(widget.get_by_test_id("widget-help-article").filter(has_text="roadmap")).to_have_count(0)

    # Archived now: gone from the widget's next search at once (not when the index catches up).
    api(stack, "PATCH", f"/api/v1/accounts/{help_center['account']}/portals/{slug}/articles/{help_center['billing']['id']}",
        help_center["token"], {"article": {"status": "archived"}})

    # Open one: inside the widget, the article view's chunk loaded only now.
    search.fill(word)
    expect(results.filter(has_text="Reset your password")).to_have_count(1)
    expect(results.filter(has_text="Change the billing email")).to_have_count(0)
    results.filter(has_text="Reset your password").click()
    article = widget.get_by_test_id("widget-article")
    expect(article).to_have_attribute("data-state", "loaded")
    assert any("/assets/HelpArticle-" in url for url in requested)
    expect(widget.get_by_test_id("widget-article-title")).to_have_text(help_center["reset"]["title"])
    content = widget.get_by_test_id("widget-article-content")
    expect(content).to_contain_text("Settings")
    expect(content.locator("[onerror], script, a[href^='javascript']")).to_have_count(0)
    settings_link = content.get_by_role("link", name="Billing")
    expect(settings_link).to_have_attribute("target", "_blank")
    expect(settings_link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    content.get_by_text("click me").click()  # no longer a link, and nothing runs
    assert visitor.widget_frame().evaluate("window.__pwned") is None
    full = widget.get_by_test_id("widget-article-full")
    expect(full).to_have_attribute("href", re.compile(rf"/hc/{slug}/articles/{re.escape(help_center['reset']['slug'])}$"))
    expect(full).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    expect(widget.get_by_test_id("widget-message-input")).to_have_count(0)  # the article replaces the chat

    # Back keeps the search; then "Chat with us" opens the conversation, where a message starts one.
    widget.get_by_test_id("widget-article-back").click()
    expect(results.filter(has_text="Reset your password")).to_have_count(1)
    results.filter(has_text="Reset your password").click()
    widget.get_by_test_id("widget-article-chat").click()
    expect(article).to_have_count(0)
    box = widget.get_by_test_id("widget-message-input")
    expect(box).to_be_focused()
    visitor.send("The article did not help " + word)
    assert visitor.dialogs == []


def test_help_center_follows_the_widget_locale_within_the_portals(new_context, stack, help_center):
    """`$chatwoot.setLocale` on the customer's page: the portal's locale when it has it,
    its default when it does not."""
    slug, portal = help_center["slug"], help_center["portal"]
    visitor = Visitor(new_context(viewport={"width": 1280, "height": 800}), stack)
    visitor.open_page()
    visitor.open_chat()
    hc = visitor.frame.get_by_test_id("widget-help-center")
    expect(hc).to_have_attribute("data-locale", "en")
    # The seeded portal is in English and Spanish; a portal this module made, English and French.
    other = next(code for code in portal["allowed_locales"] if code != "en")
    with urllib.request.urlopen(f"{stack.base_url}/hc/{slug}/{other}/articles.json?limit=6", timeout=10) as reply:
        titles = [a["title"] for a in json.loads(reply.read())["payload"]]
    visitor.page.evaluate("code => window.$chatwoot.setLocale(code)", other)
    expect(hc).to_have_attribute("data-locale", other)
    popular = visitor.frame.get_by_test_id("widget-help-popular").get_by_test_id("widget-help-article")
    if titles:
        expect(popular).to_have_count(len(titles))
        expect(popular.first).to_contain_text(titles[0])
    visitor.page.evaluate("window.$chatwoot.setLocale('tlh')")  # a locale the portal does not have
    expect(hc).to_have_attribute("data-locale", "en")
