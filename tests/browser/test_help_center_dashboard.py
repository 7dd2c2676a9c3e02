"""The dashboard's Help Center: an administrator creates a portal, a category and an article
whose Markdown carries XSS payloads, publishes it, finds it with the list's search, and
the editor's preview (the server's sanitised HTML) runs none of the payloads. A plain agent
reads the help center (to look up articles to send) without any write control, until an
administrator makes them one of the portal's members: then they edit its articles."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .pages import api, tag

# Each payload would set window.__xss (or open a dialog) if it ever ran in the dashboard.
XSS = "\n\n".join([
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss = 'img'\">",
    "<svg onload=\"window.__xss = 'svg'\"></svg>",
    "[click me](javascript:window.__xss='link')",
    "<a href=\"javascript:window.__xss='a'\">a link</a>",
    "<iframe src=\"javascript:window.__xss='iframe'\"></iframe>",
    "<details open ontoggle=\"window.__xss='details'\">x</details>",
])


def test_admin_writes_and_publishes_an_article_whose_preview_stays_inert(admin, stack, seed):
    page = admin.page
    account = seed["account"]["id"]
    token = seed["administrator"]["access_token"]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    slug = f"docs-{tag()}"
    title = f"Refund policy {tag()}"

    page.get_by_test_id("nav-help-center").click()
    expect(page).to_have_url(re.compile(rf"/app/accounts/{account}/help-center$"))
    try:
        # A portal: created with a name and slug, then opened on its settings.
        page.get_by_test_id("hc-portal-name").fill("Docs " + slug)
        page.get_by_test_id("hc-portal-slug").fill(slug)
        page.get_by_test_id("hc-portal-create").click()
        expect(page).to_have_url(re.compile(rf"/help-center/portals/{slug}/settings$"))
        page.get_by_test_id("hc-portal-header").fill("How can we help?")
        page.get_by_test_id("hc-portal-save").click()
        expect(page.get_by_test_id("hc-portal-saved")).to_be_visible()

        # A category.
        page.get_by_test_id("hc-nav-categories").click()
        page.get_by_test_id("hc-category-name").fill("Billing")
        page.get_by_test_id("hc-category-create").click()
        expect(page.get_by_test_id("hc-category-row-name")).to_have_text(["Billing"])

        # An article with the payloads, in that category, published.
        page.get_by_test_id("hc-nav-articles").click()
        page.get_by_test_id("hc-article-new").click()
        page.get_by_test_id("hc-article-title").fill(title)
        page.get_by_test_id("hc-article-content").fill("# Refunds\n\nMoney back within **30 days**.\n\n" + XSS)
        page.get_by_test_id("hc-article-category").select_option(label="Billing")
        page.get_by_test_id("hc-article-seo").click()
        page.get_by_test_id("hc-article-meta-tags").fill("refunds, billing")
        page.get_by_test_id("hc-article-save").click()
        expect(page).to_have_url(re.compile(rf"/help-center/portals/{slug}/articles/\d+$"))
        article_id = int(page.url.rsplit("/", 1)[1])
        page.get_by_test_id("hc-article-publish").click()
        expect(page.get_by_test_id("hc-article-saved")).to_be_visible()
        expect(page.get_by_test_id("hc-article-status")).to_have_value("published")

        stored = api(stack, "GET", f"/api/v1/accounts/{account}/portals/{slug}/articles/{article_id}", token)["payload"]
        assert stored["status"] == "published" and stored["category"]["name"] == "Billing"
        assert stored["meta"]["tags"] == ["refunds", "billing"]

        # The list finds it by a word of its content (stemmed: "refunded" -> "refund") and
        # counts it as published. The search index follows a change within seconds (the
        # indexer): search again (Enter) until it has.
        page.get_by_test_id("hc-article-back").click()
        expect(page.get_by_test_id("hc-count-published")).to_have_text("1")
        search = page.get_by_test_id("hc-article-search")
        search.fill("refunded money")
        expect(page).to_have_url(re.compile(r"query=refunded\+money|query=refunded%20money"))
        links = page.get_by_test_id("hc-article-link")
        for _ in range(40):
            if links.count() == 1 and links.first.inner_text() == title:
                break
            page.wait_for_timeout(500)
            search.press("Enter")
        expect(links).to_have_text([title])

        # The preview: the server's rendering of the Markdown, with none of the payloads live.
        page.get_by_test_id("hc-article-link").click()
        preview = page.get_by_test_id("hc-article-preview")
        expect(preview.locator("h1")).to_have_text("Refunds")
        expect(preview.locator("strong")).to_have_text("30 days")
        for selector in ("script", "iframe", "svg", "[onerror]", "[onload]", "[ontoggle]", "a[href^='javascript:' i]"):
            expect(preview.locator(selector)).to_have_count(0)
        page.wait_for_timeout(500)  # an onerror would have fired by now
        assert page.evaluate("window.__xss") is None
        assert dialogs == []
    finally:
        # Leave the shared seed as the other browser tests expect it.
        try:
            api(stack, "DELETE", f"/api/v1/accounts/{account}/portals/{slug}", token)
        except Exception:  # the portal may not have been created
            pass


# A 1x1 PNG.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c63f8cfc0f01f0005000201e2266e4d0000000049454e44ae426082")


def test_portal_settings_logos_category_order_and_a_translation_side_by_side(admin, stack, seed):
    page = admin.page
    account = seed["account"]["id"]
    token = seed["administrator"]["access_token"]
    slug = f"guides-{tag()}"
    base = f"/api/v1/accounts/{account}/portals/{slug}"
    api(stack, "POST", f"/api/v1/accounts/{account}/portals", token, {"name": "Guides", "slug": slug})
    try:
        page.goto(f"{stack.base_url}/app/accounts/{account}/help-center/portals/{slug}/settings")
        # French allowed, with its own header; the title falls back to the default one.
        page.get_by_test_id("hc-locale-fr").check()
        page.get_by_test_id("hc-portal-header-fr").fill("Comment pouvons-nous aider ?")
        page.get_by_test_id("hc-portal-save").click()
        expect(page.get_by_test_id("hc-portal-saved")).to_be_visible()
        portal = api(stack, "GET", base, token)
        assert [loc["code"] for loc in portal["config"]["allowed_locales"]] == ["en", "fr"]
        assert portal["translations"]["fr"]["header_text"] == "Comment pouvons-nous aider ?"

        # Both logos: a preview before the upload, the server's image after it.
        for testid in ("hc-logo", "hc-dark-logo"):
            box = page.get_by_test_id(testid)
            box.get_by_test_id(f"{testid}-file").set_input_files({"name": "logo.png", "mimeType": "image/png", "buffer": PNG})
            expect(box.get_by_test_id(f"{testid}-image")).to_have_attribute("src", re.compile(r"^blob:"))
            box.get_by_test_id(f"{testid}-upload").click()
            expect(box.get_by_test_id(f"{testid}-image")).not_to_have_attribute("src", re.compile(r"^blob:"))
            expect(box.get_by_test_id(f"{testid}-remove")).to_be_visible()
        portal = api(stack, "GET", base, token)
        assert portal["logo"]["file_url"] and portal["dark_logo"]["file_url"]
        dark = page.get_by_test_id("hc-dark-logo")
        dark.get_by_test_id("hc-dark-logo-remove").click()
        expect(dark.get_by_test_id("hc-dark-logo-image")).to_have_count(0)
        assert "dark_logo" not in api(stack, "GET", base, token)
        expect(page.get_by_test_id("hc-logo-image")).to_be_visible()

        # Categories: the second moved up; the order is the server's after a reload.
        page.get_by_test_id("hc-nav-categories").click()
        for name in ("Accounts", "Payments"):
            page.get_by_test_id("hc-category-name").fill(name)
            page.get_by_test_id("hc-category-create").click()
            expect(page.get_by_test_id("hc-category-row-name").last).to_have_text(name)
        payments = page.locator("[data-testid='hc-category-row']", has_text="Payments").get_attribute("data-category-id")
        # The rows move at once; the reload waits for the order's save, or it could cancel it.
        with page.expect_response(lambda r: "/categories/reorder" in r.url) as saved:
            page.get_by_test_id(f"hc-category-up-{payments}").click()
        assert saved.value.ok
        expect(page.get_by_test_id("hc-category-row-name")).to_have_text(["Payments", "Accounts"])
        page.reload()
        expect(page.get_by_test_id("hc-category-row-name")).to_have_text(["Payments", "Accounts"])

        # An English article and its French translation, side by side.
        article = api(stack, "POST", f"{base}/articles", token, {"title": "Reset your password", "content": "Click *Forgot*."})["payload"]
        page.goto(f"{stack.base_url}/app/accounts/{account}/help-center/portals/{slug}/articles/{article['id']}")
        page.get_by_test_id("hc-translation-locale").select_option("fr")
        page.get_by_test_id("hc-translation-create").click()
        side = page.get_by_test_id("hc-translation")
        side.get_by_test_id("hc-translation-article-title").fill("Réinitialiser votre mot de passe")
        side.get_by_test_id("hc-translation-article-save").click()
        expect(side.get_by_test_id("hc-translation-article-saved")).to_be_visible()
        expect(page.get_by_test_id("hc-article-title")).to_have_value("Reset your password")
        french = api(stack, "GET", f"{base}/articles", token)["payload"]
        french = [a for a in french if a["locale"] == "fr"]
        assert [(a["title"], a["associated_article_id"], a["status"]) for a in french] == \
            [("Réinitialiser votre mot de passe", article["id"], "draft")]
        # Opened again, the translation is found, not offered for creation.
        page.reload()
        page.get_by_test_id("hc-translation-locale").select_option("fr")
        expect(page.get_by_test_id("hc-translation-article-title")).to_have_value("Réinitialiser votre mot de passe")

        # Archived: the settings say so.
        page.goto(f"{stack.base_url}/app/accounts/{account}/help-center/portals/{slug}/settings")
        page.get_by_test_id("hc-portal-archive").click()
        expect(page.get_by_test_id("hc-portal-archived")).to_be_visible()
        assert api(stack, "GET", base, token)["archived"] is True
    finally:
        api(stack, "DELETE", base, token)


def test_a_plain_agent_reads_the_help_center_and_writes_once_a_portal_member(new_agent, stack, seed):
    account = seed["account"]["id"]
    token = seed["administrator"]["access_token"]
    agent_id = seed["agent"]["id"]
    slug = f"faq-{tag()}"
    base = f"/api/v1/accounts/{account}/portals/{slug}"
    title = f"Change your plan {tag()}"
    api(stack, "POST", f"/api/v1/accounts/{account}/portals", token, {"name": "FAQ " + slug, "slug": slug})
    try:
        category = api(stack, "POST", f"{base}/categories", token, {"name": "Plans", "slug": "plans", "locale": "en"})["payload"]
        article = api(stack, "POST", f"{base}/articles", token, {
            "title": title, "description": "Upgrade or downgrade", "category_id": category["id"], "status": "published",
            "content": "# Plans\n\nOpen **Billing** and pick a plan."})["payload"]
        assert agent_id not in api(stack, "GET", base, token)["member_ids"]

        agent = new_agent("agent")
        agent.open_dashboard()
        page = agent.page
        # The section is there for an agent; the portal is listed, nothing to add or set up.
        page.get_by_test_id("nav-help-center").click()
        expect(page).to_have_url(re.compile(rf"/app/accounts/{account}/help-center$"))
        row = page.locator(f"[data-testid='hc-portal-row'][data-slug='{slug}']")
        expect(row).to_be_visible()
        expect(page.get_by_test_id("hc-portal-form")).to_have_count(0)
        expect(row.get_by_test_id(f"hc-portal-settings-{slug}")).to_have_count(0)

        # The articles: listed and searchable, no New article; one opens as a read view with
        # the server's rendering of its Markdown, and no field, save, publish or delete.
        row.get_by_test_id(f"hc-portal-articles-{slug}").click()
        expect(page.get_by_test_id("hc-article-link")).to_have_text([title])
        expect(page.get_by_test_id("hc-article-new")).to_have_count(0)
        expect(page.get_by_test_id("hc-nav-settings")).to_have_count(0)
        page.get_by_test_id("hc-article-link").click()
        expect(page.get_by_test_id("hc-article-read-title")).to_have_text(title)
        expect(page.get_by_test_id("hc-article-read")).to_contain_text("Plans")  # its category
        preview = page.get_by_test_id("hc-article-preview")
        expect(preview.locator("h1")).to_have_text("Plans")
        expect(preview.locator("strong")).to_have_text("Billing")
        expect(page.get_by_test_id("hc-article-view")).to_have_attribute("href", f"/hc/{slug}/articles/{article['slug']}")
        for testid in ("hc-article-form", "hc-article-title", "hc-article-content", "hc-article-save", "hc-article-publish",
                       "hc-article-delete-confirm", "hc-article-delete"):
            expect(page.get_by_test_id(testid)).to_have_count(0)

        # Categories: the list, no form, no row actions.
        page.get_by_test_id("hc-nav-categories").click()
        expect(page.get_by_test_id("hc-category-row-name")).to_have_text(["Plans"])
        expect(page.get_by_test_id("hc-category-form")).to_have_count(0)
        expect(page.get_by_test_id(f"hc-category-edit-{category['id']}")).to_have_count(0)
        expect(page.get_by_test_id(f"hc-category-delete-{category['id']}")).to_have_count(0)

        # The settings' address: read only.
        page.goto(f"{stack.base_url}/app/accounts/{account}/help-center/portals/{slug}/settings")
        expect(page.get_by_test_id("hc-portal-readonly")).to_be_visible()
        expect(page.get_by_test_id("hc-portal-edit-name")).to_be_disabled()
        expect(page.get_by_test_id("hc-portal-save")).to_have_count(0)
        expect(page.get_by_test_id("hc-portal-archive")).to_have_count(0)

        # An administrator makes the agent one of the portal's members.
        api(stack, "PATCH", base, token, {"member_ids": [agent_id]})

        # Now the agent writes: the article's editor saves; the portal's settings save too,
        # but who its members are and deleting it stay the administrators'.
        page.goto(f"{stack.base_url}/app/accounts/{account}/help-center/portals/{slug}/articles/{article['id']}")
        expect(page.get_by_test_id("hc-article-read")).to_have_count(0)
        page.get_by_test_id("hc-article-title").fill(title + " (updated)")
        page.get_by_test_id("hc-article-save").click()
        expect(page.get_by_test_id("hc-article-saved")).to_be_visible()
        stored = api(stack, "GET", f"{base}/articles/{article['id']}", token)["payload"]
        assert stored["title"] == title + " (updated)" and stored["status"] == "published"

        page.get_by_test_id("hc-nav-settings").click()
        expect(page.get_by_test_id("hc-portal-readonly")).to_have_count(0)
        expect(page.get_by_test_id("hc-portal-members").locator("input[type=checkbox]").first).to_be_disabled()
        expect(page.get_by_test_id("hc-portal-delete")).to_have_count(0)
        page.get_by_test_id("hc-portal-header").fill("Ask us anything")
        page.get_by_test_id("hc-portal-save").click()
        expect(page.get_by_test_id("hc-portal-saved")).to_be_visible()
        portal = api(stack, "GET", base, token)
        assert portal["header_text"] == "Ask us anything" and portal["member_ids"] == [agent_id]
    finally:
        api(stack, "DELETE", base, token)
