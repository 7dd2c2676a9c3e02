"""The public help center in a real browser (issue 13, item 2): the seeded "Acme Help"
portal served by `make dev` at /hc/acme-help. A reader opens the home, types in the search
box (search as you type: the page's one inline script, allowed by its CSP hash, fetches
articles.json), submits the search (a URL to share), opens an article, and switches the
language to the article's translation. The page's CSP must report nothing, and the seed's
draft must appear nowhere.

Needs helper backend's seed (Acme Help, in English and Spanish) merged.
"""
from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import expect


@pytest.fixture(scope="module")
def portal(stack, seed):
    if "help_center" not in seed:
        pytest.skip("the seed has no help center (helper backend's seed is not merged)")
    base = f"{stack.base_url}/hc/{seed['help_center']['slug']}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the indexer consumer builds the snapshot a moment after the seed
        if httpx.get(f"{base}/en/articles.json", params={"query": "password"}, timeout=10).json()["payload"]:
            return base
        time.sleep(0.5)
    pytest.fail("the seeded help center was never indexed")


def test_read_search_open_and_switch_language(new_context, portal):
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    beacons = []
    page.on("request", lambda r: beacons.append(r.url) if r.method == "POST" and r.url.endswith("/views") else None)

    page.goto(portal)
    expect(page).to_have_title("Acme Help Center")
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help you today?")
    assert "Connect WhatsApp" not in page.content()

    # search as you type: suggestions under the box, from articles.json
    box = page.get_by_role("searchbox")
    box.press_sequentially("passwo", delay=40)
    suggestion = page.locator("#s a", has_text="Reset your password")
    expect(suggestion).to_be_visible()

    # the form: a search page whose URL can be shared
    box.press("Enter")
    page.wait_for_url(re.compile(r"/hc/acme-help/en/articles\?query=passwo$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("passwo")
    page.get_by_role("link", name="Reset your password").first.click()

    page.wait_for_url(re.compile(r"/hc/acme-help/articles/[0-9]+-reset-your-password$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    expect(page.locator("article strong", has_text="Forgot your password?")).to_be_visible()
    canonical = page.locator('link[rel="canonical"]').get_attribute("href")
    assert canonical == page.url
    assert page.locator('link[rel="alternate"][hreflang="es"]').count() == 1
    deadline = time.monotonic() + 5
    while not beacons and time.monotonic() < deadline:  # the view beacon (sendBeacon)
        page.wait_for_timeout(100)
    assert beacons and beacons[0].endswith("/views")

    # the language switcher leads to the Spanish translation of this article
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Restablece tu contraseña")
    expect(page.locator("html")).to_have_attribute("lang", "es")

    # the search page of the Spanish help center, shared as a URL
    page.goto(f"{portal}/es/articles?query=contrase%C3%B1a")
    expect(page.get_by_role("link", name="Restablece tu contraseña")).to_be_visible()
    assert not problems, problems  # no CSP violation, no script error


def test_works_without_javascript(new_context, portal):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{portal}/en")
    page.get_by_role("searchbox").fill("invoices")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/en/articles\?query=invoices$"))
    expect(page.get_by_role("link", name="Change your plan or cancel")).to_be_visible()
    page.get_by_role("link", name="Change your plan or cancel").click()
    expect(page.locator("article table")).to_be_visible()
