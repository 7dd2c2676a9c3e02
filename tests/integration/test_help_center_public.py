"""The public help center (functions/help_center): pages, the widget's JSON, sitemap, robots,
custom domains, search, the view beacon and its consumer, the indexer, and what must never
show: drafts, archived articles, archived portals, script."""
from __future__ import annotations

import gzip
import re

import pytest

from tests import help_center_support as hc
from tests.conftest import load_function
from tests.unit.test_article_html import PAYLOADS, assert_inert


@pytest.fixture
def site(aws):
    from parley.services.help_center import search, site as sites

    app = load_function("help_center")
    sites.forget()
    search.forget()
    app.forget()
    return hc.Site(app)


@pytest.fixture
def acme(world):
    """A portal with two locales, two categories, published articles, a draft and an archived one."""
    a = world.account_id
    p = hc.portal(a, "acme", locales=("en", "fr"), custom_domain="help.acme.test", name="Acme Help",
                  translations={"fr": {"page_title": "Aide Acme", "header_text": "Comment pouvons-nous aider ?"}})
    billing = hc.category(a, p, "billing", name="Billing", description="Invoices and payments")
    account = hc.category(a, p, "account", name="Your account", position=2)
    facture = hc.category(a, p, "facturation", locale="fr", name="Facturation", associated_category_id=billing)
    reset = hc.article(a, p, "Reset your password", "Open **Settings** and choose *Reset password*.",
                       category_id=account, slug="reset-password", description="Locked out? Start here.")
    invoices = hc.article(a, p, "Download invoices", "Invoices are listed under Billing as PDF files.",
                          category_id=billing, slug="download-invoices", position=2)
    hc.article(a, p, "Télécharger vos factures", "Les factures sont sous Facturation.", locale="fr",
               category_id=facture, slug="telecharger-factures", associated_article_id=invoices["id"])
    draft = hc.article(a, p, "Secret roadmap draft", "Unreleased password vault plans", status="draft",
                       slug="secret-roadmap", category_id=billing)
    archived = hc.article(a, p, "Old password policy", "Passwords expired every 30 days", status="archived",
                          slug="old-policy", category_id=account)
    hc.run_indexer()
    return {"account_id": a, "portal_id": p, "reset": reset, "invoices": invoices, "draft": draft,
            "archived": archived, "billing": billing}


def links(page) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', page.text))


def test_home_page_is_html_with_the_portals_look_and_seo_tags(site, acme):
    page = site.get("/hc/acme")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "public, max-age=0, s-maxage=60"
    html = page.text
    assert "<title>Acme Help</title>" in html and "--c:#0f766e" in html
    assert '<meta name="description" content="How can we help?">' in html
    assert '<link rel="canonical" href="https://parley.test/hc/acme/en">' in html
    assert 'hreflang="fr" href="https://parley.test/hc/acme/fr"' in html
    assert 'hreflang="x-default" href="https://parley.test/hc/acme/en"' in html
    assert '<meta property="og:title" content="Acme Help">' in html
    assert "/hc/acme/articles/reset-password" in html and "/hc/acme/en/categories/billing" in html
    # the search form works without JavaScript: a GET to the search page
    assert '<form id="q" role="search" action="/hc/acme/en/articles" method="get">' in html
    # script only through the CSP's hash: no inline handlers anywhere
    assert "script-src 'sha256-" in page.headers["content-security-policy"]
    assert not re.search(r"\son[a-z]+=", html)
    assert len(gzip.compress(page.body.encode())) < 15_000


def test_translated_title_and_header_per_locale(site, acme):
    page = site.get("/hc/acme/fr")
    assert page.status == 200
    assert "<title>Aide Acme</title>" in page.text and "Comment pouvons-nous aider ?" in page.text
    assert '<html lang="fr"' in page.text and "Facturation" in page.text
    assert "Download invoices" not in page.text  # another locale's article
    # the page's own words follow the locale too
    assert "<button>Rechercher</button>" in page.text and 'placeholder="Rechercher un article"' in page.text
    assert "Résultats pour « factures »" in site.get("/hc/acme/fr/articles", query={"query": "factures"}).text


def test_category_page_lists_its_published_articles(site, acme):
    page = site.get("/hc/acme/en/categories/billing")
    assert page.status == 200 and "Download invoices" in page.text and "Invoices and payments" in page.text
    assert "Secret roadmap" not in page.text
    # the category's translation is its alternate
    assert 'hreflang="fr" href="https://parley.test/hc/acme/fr/categories/facturation"' in page.text
    assert site.get("/hc/acme/en/categories/nope").status == 404


def test_article_page_renders_markdown_with_alternates_and_open_graph(site, acme):
    page = site.get("/hc/acme/articles/download-invoices")
    assert page.status == 200
    html = page.text
    assert "<h1>Download invoices</h1>" in html and "<title>Download invoices | Acme Help</title>" in html
    assert 'hreflang="fr" href="https://parley.test/hc/acme/articles/telecharger-factures"' in html
    assert 'hreflang="en" href="https://parley.test/hc/acme/articles/download-invoices"' in html
    assert '<meta property="og:type" content="article">' in html
    # the locale switcher leads to the translation
    assert 'href="/hc/acme/articles/telecharger-factures" hreflang="fr"' in html
    # the view beacon: script and no-script variants
    assert 'data-views="/hc/acme/articles/download-invoices/views"' in html
    assert '<noscript><img src="/hc/acme/articles/download-invoices/views.gif"' in html
    reset = site.get("/hc/acme/articles/reset-password").text
    assert "<strong>Settings</strong>" in reset and '<meta name="description" content="Locked out? Start here.">' in reset


def test_drafts_and_archived_articles_never_appear(site, acme):
    for slug in ("secret-roadmap", "old-policy"):
        page = site.get(f"/hc/acme/articles/{slug}")
        assert page.status == 404 and "<!doctype html>" in page.text and "<title>" in page.text
        assert site.get(f"/hc/acme/articles/{slug}.json").status == 404
    everything = "".join(site.get(p).text for p in (
        "/hc/acme", "/hc/acme/en", "/hc/acme/fr", "/hc/acme/en/categories/billing", "/hc/acme/en/categories/account",
        "/hc/acme/sitemap.xml"))
    for words in ("Secret roadmap", "secret-roadmap", "Old password policy", "old-policy"):
        assert words not in everything
    for query in ("password", "roadmap", "vault", "expired", "policy"):
        found = site.get("/hc/acme/en/articles.json", query={"query": query}).json["payload"]
        assert {a["slug"] for a in found} <= {"reset-password", "download-invoices"}, (query, found)
        assert "Secret" not in site.get("/hc/acme/en/articles", query={"query": query}).text


def test_search_page_is_a_shareable_url(site, acme):
    page = site.get("/hc/acme/en/articles", query={"query": "reset passwords"})
    assert page.status == 200
    assert "Reset your password" in page.text and 'value="reset passwords"' in page.text
    assert '<link rel="canonical" href="https://parley.test/hc/acme/en/articles?query=reset%20passwords">' in page.text
    assert '<meta name="robots" content="noindex">' in page.text
    again = site.get("/hc/acme/en/articles", query={"query": "reset passwords"})
    assert again.text == page.text


def test_search_json_for_the_widget(site, acme):
    body = site.get("/hc/acme/en/articles.json", query={"query": "invoic", "limit": "3"}).json
    assert body["meta"] == {"count": 1, "query": "invoic"}
    hit = body["payload"][0]
    assert hit == {"id": acme["invoices"]["id"], "slug": "download-invoices", "title": "Download invoices",
                   "description": "", "link": "https://parley.test/hc/acme/articles/download-invoices",
                   "category": {"name": "Billing", "slug": "billing"}, "views": 0}
    article = site.get("/hc/acme/articles/download-invoices.json").json
    assert article["html"] == "<p>Invoices are listed under Billing as PDF files.</p>"
    assert article["locale"] == "en" and article["link"].endswith("/hc/acme/articles/download-invoices")


@pytest.mark.parametrize("query", ["???", "...!!!", "   ", "—", "%%"])
def test_punctuation_only_queries_find_nothing(site, acme, query):
    assert site.get("/hc/acme/en/articles.json", query={"query": query}).json["payload"] in ([], None) or \
        query.strip() == ""
    page = site.get("/hc/acme/en/articles", query={"query": query})
    assert page.status == 200


def test_overlong_queries_and_bad_limits_are_a_clear_4xx(site, acme):
    long = "password " * 1200  # ~10 KB
    json_reply = site.get("/hc/acme/en/articles.json", query={"query": long})
    assert json_reply.status == 422 and json_reply.json["errors"][0]["field"] == "query"
    page = site.get("/hc/acme/en/articles", query={"query": long})
    assert page.status == 422 and page.headers["content-type"].startswith("text/html")
    for limit in ("0", "500", "x"):
        assert site.get("/hc/acme/en/articles.json", query={"limit": limit}).status == 422


def test_unpublishing_removes_an_article_from_search_at_once(site, acme):
    a, p = acme["account_id"], acme["portal_id"]
    assert "reset-password" in {x["slug"] for x in site.get("/hc/acme/en/articles.json",
                                                             query={"query": "password"}).json["payload"]}
    hc.update_article(a, p, acme["reset"]["id"], status="draft")
    # the indexer has not run: the snapshot still has it, the content version says otherwise
    for path in ("/hc/acme/en/articles.json", "/hc/acme/en/articles"):
        page = site.get(path, query={"query": "password"})
        assert "reset-password" not in page.text and "Reset your password" not in page.text
    assert site.get("/hc/acme/articles/reset-password").status == 404
    assert "reset-password" not in site.get("/hc/acme/sitemap.xml").text
    # the dashboard's search (scope internal) still finds the draft; the public one not
    from parley.services.help_center import search

    assert [h.id for h in search.search_articles(a, p, "password", locale="en", scope="internal")] != []
    assert search.search_articles(a, p, "password", locale="en", scope="public") == []
    hc.run_indexer()
    assert search.search_articles(a, p, "password", locale="en", scope="public") == []
    # published again: back in search once indexed
    hc.update_article(a, p, acme["reset"]["id"], status="published")
    hc.run_indexer()
    assert [h.doc_meta["slug"] for h in search.search_articles(a, p, "password", locale="en")] == ["reset-password"]


def test_deleted_article_leaves_search_before_the_indexer_runs(site, acme):
    a, p = acme["account_id"], acme["portal_id"]
    hc.delete_article(a, p, acme["invoices"]["id"])
    from parley.services.help_center import search

    assert search.search_articles(a, p, "invoices", locale="en") == []
    assert site.get("/hc/acme/en/articles.json", query={"query": "invoices"}).json["payload"] == []


def test_xss_payloads_are_inert_on_the_public_page(site, world):
    a = world.account_id
    p = hc.portal(a, "xss")
    content = "\n\n".join(PAYLOADS)
    hc.article(a, p, 'Title <script>alert(1)</script>', content, slug="xss-article",
               description='"><img src=x onerror=alert(1)>')
    page = site.get("/hc/xss/articles/xss-article")
    assert page.status == 200
    assert_inert(page.text.split("<article>", 1)[1].split("</article>", 1)[0])
    # the whole page: no event handler attribute anywhere, the only script is the page's
    # own (hash-pinned) one, the title and description are escaped text
    from tests.unit.test_article_html import elements

    assert not [(tag, name) for tag, attrs in elements(page.text) for name in attrs if name.startswith("on")]
    assert page.text.count("<script") == 1 and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'content="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in page.text
    assert_inert(site.get("/hc/xss/articles/xss-article.json").json["html"])


def test_preview_renders_sanitised_html_and_caps_size(site):
    reply = site.call("POST", "/hc/preview", body='{"content": "**hi** <script>alert(1)</script>"}')
    assert reply.status == 200 and reply.json["html"].startswith("<p><strong>hi</strong>")
    assert "alert" not in reply.json["html"]
    assert reply.headers["cache-control"] == "no-store"
    for payload in PAYLOADS:
        import json as _json

        assert_inert(site.call("POST", "/hc/preview", body=_json.dumps({"content": payload})).json["html"])
    big = site.call("POST", "/hc/preview", body='{"content": "' + "a" * 210_000 + '"}')
    assert big.status == 413
    assert site.call("POST", "/hc/preview", body="not json").status == 422
    assert site.call("POST", "/hc/preview", body='{"content": 5}').status == 422


def test_sitemap_and_robots(site, acme):
    sitemap = site.get("/hc/acme/sitemap.xml")
    assert sitemap.status == 200 and sitemap.headers["content-type"].startswith("application/xml")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap.text)
    assert "https://parley.test/hc/acme/articles/reset-password" in locs
    assert "https://parley.test/hc/acme/fr/categories/facturation" in locs
    assert "https://parley.test/hc/acme/en" in locs
    robots = site.get("/hc/acme/robots.txt").text
    assert "Sitemap: https://parley.test/hc/acme/sitemap.xml" in robots
    main = site.get("/robots.txt").text
    assert "Disallow: /app" in main and "Sitemap" not in main


def test_custom_domain_serves_its_portal_only(site, acme, world):
    hc.portal(world.account_id, "other")
    page = site.get("/hc/acme/articles/reset-password", host="help.acme.test")
    assert page.status == 200
    assert '<link rel="canonical" href="https://help.acme.test/hc/acme/articles/reset-password">' in page.text
    # forwarded by CloudFront as X-Forwarded-Host (with the stack's edge secret) ...
    import os

    forwarded = site.get("/hc/acme", host="abc.execute-api.us-east-1.amazonaws.com",
                         headers={"x-forwarded-host": "HELP.acme.test", "x-parley-edge": os.environ["EDGE_SECRET"]})
    assert "https://help.acme.test/hc/acme/en" in forwarded.text
    # ... and from anyone else ignored: a direct caller cannot have links made for its host
    spoofed = site.get("/hc/acme", host="abc.execute-api.us-east-1.amazonaws.com",
                       headers={"x-forwarded-host": "evil.example"})
    assert "evil.example" not in spoofed.text and "https://abc.execute-api.us-east-1.amazonaws.com/hc/acme/en" in spoofed.text
    assert site.get("/hc/other", host="help.acme.test").status == 404
    root = site.get("/hc/_", host="help.acme.test")
    assert root.status == 302 and root.headers["location"] == "/hc/acme"
    assert site.get("/hc/_").status == 404
    robots = site.get("/robots.txt", host="help.acme.test").text
    assert "Sitemap: https://help.acme.test/hc/acme/sitemap.xml" in robots


def test_archived_portals_and_unknown_things_answer_real_404_pages(site, acme):
    for path in ("/hc/nobody", "/hc/acme/de", "/hc/acme/en/whatever", "/hc/acme/articles/nope", "/hc/bad%20slug!"):
        page = site.get(path)
        assert page.status == 404 and "<!doctype html>" in page.text.lower(), path
    hc.update_portal(acme["account_id"], acme["portal_id"], archived=True)
    for path in ("/hc/acme", "/hc/acme/articles/reset-password", "/hc/acme/sitemap.xml", "/hc/acme/en/articles.json"):
        assert site.get(path).status == 404, path
    assert site.call("DELETE", "/hc/acme").status == 405


def test_a_suspended_accounts_help_center_goes_dark_like_its_widget(site, acme):
    from parley.models.account import ACTIVE, SUSPENDED, Account
    from parley.services.help_center import site as sites

    account = Account.get(acme["account_id"])
    assert site.get("/hc/acme/articles/reset-password").status == 200
    account.update(actions=[Account.status.set(SUSPENDED)])
    sites.forget()  # the container re-reads an account's status once a minute
    for path in ("/hc/acme/en", "/hc/acme/articles/reset-password", "/hc/acme/en/articles.json",
                 "/hc/acme/sitemap.xml"):
        assert site.get(path).status == 404, path
    account.update(actions=[Account.status.set(ACTIVE)])
    sites.forget()
    assert site.get("/hc/acme/articles/reset-password").status == 200


def test_a_warm_page_costs_one_get_item(site, acme, monkeypatch):
    from botocore.client import BaseClient

    site.get("/hc/acme/articles/reset-password")
    site.get("/hc/acme/en/articles", query={"query": "password"})
    calls = []
    original = BaseClient._make_api_call

    def counting(self, operation, params):
        calls.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    assert site.get("/hc/acme/articles/reset-password").status == 200
    assert calls == ["GetItem"]
    calls.clear()
    assert "Reset your password" in site.get("/hc/acme/en/articles", query={"query": "password"}).text
    assert calls == ["GetItem"]
    # a change: the next request sees the new version (and reloads the content once)
    hc.update_article(acme["account_id"], acme["portal_id"], acme["reset"]["id"], title="Reset a password")
    calls.clear()
    assert "Reset a password" in site.get("/hc/acme/articles/reset-password").text
    assert calls.count("GetItem") == 2 and calls.count("Query") == 2


def test_views_are_queued_then_counted_in_batches(site, acme):
    from parley.models.counter import Counter
    from parley.models.help_center import views_counter

    for reader in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert site.call("POST", "/hc/acme/articles/reset-password/views", viewer=reader).status == 204
    # a reader's repeat (a reload, a replayed beacon) is answered alike and not counted
    assert site.call("POST", "/hc/acme/articles/reset-password/views", viewer="198.51.100.3").status == 204
    gif = site.get("/hc/acme/articles/reset-password/views.gif")
    assert gif.status == 200 and gif.headers["content-type"] == "image/gif" and gif.headers["cache-control"] == "no-store"
    assert site.call("POST", "/hc/acme/articles/download-invoices/views").status == 204
    assert site.call("POST", "/hc/acme/articles/secret-roadmap/views").status == 404  # a draft counts nothing
    a = acme["account_id"]
    with pytest.raises(Counter.DoesNotExist):  # nothing written on the request path
        Counter.get(views_counter(a, acme["reset"]["id"]))
    hc.run_views()
    assert Counter.get(views_counter(a, acme["reset"]["id"])).value == 4
    assert Counter.get(views_counter(a, acme["invoices"]["id"])).value == 1
    # no query: the widget's home lists the most viewed first
    from parley.services.help_center import site as sites

    sites.forget()
    payload = site.get("/hc/acme/en/articles.json").json["payload"]
    assert [x["slug"] for x in payload] == ["reset-password", "download-invoices"] and payload[0]["views"] == 4


def test_views_consumer_groups_by_article_and_drops_malformed(aws):
    from parley.models.counter import Counter
    from parley.models.help_center import views_counter

    views = hc.load_handler("views")
    records = [{"messageId": f"m{i}", "body": body} for i, body in enumerate([
        '{"account_id": 1, "article_id": 7}', '{"account_id": 1, "article_id": 7}', "not json",
        '{"account_id": 1, "article_id": 8}', '{"account_id": -1, "article_id": 8}', '{"account_id": 1}'])]
    assert views.count(records) == {"batchItemFailures": []}
    assert Counter.get(views_counter(1, 7)).value == 2 and Counter.get(views_counter(1, 8)).value == 1


def test_indexer_is_idempotent_per_version(site, acme, monkeypatch):
    import boto3

    from parley import storage
    from parley.services.help_center import search, state

    a, p = acme["account_id"], acme["portal_id"]
    version, index_version = state.read(a, p)
    assert version == index_version > 0
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(
        Bucket=storage.bucket(), Prefix=f"help_center/{a}/{p}/").get("Contents", [])]
    assert f"help_center/{a}/{p}/{version}/public.json.gz" in keys
    assert f"help_center/{a}/{p}/{version}/internal.json.gz" in keys
    # the same version again (a redelivered event) builds nothing
    assert search.rebuild(a, p) == {"built": False, "version": version, "index_version": version}
    # an older event arriving late never lowers the index version
    assert search._raise_index_version(a, p, version - 1) is False
    assert state.read(a, p) == (version, version)
    # a change, then its event handled twice
    hc.update_article(a, p, acme["invoices"]["id"], title="Download your invoices")
    assert hc.run_indexer() == 1
    assert state.read(a, p) == (version + 1, version + 1)
    assert search.rebuild(a, p)["built"] is False


def test_indexer_keeps_two_versions_of_snapshots_and_none_of_a_deleted_portal(site, acme):
    import boto3

    from parley import storage
    from parley.models.account_object import AccountObject
    from parley.models.help_center import portal_key
    from parley.services.help_center import portals, search, state

    a, p = acme["account_id"], acme["portal_id"]

    def stored_versions():
        listed = boto3.client("s3").list_objects_v2(Bucket=storage.bucket(), Prefix=f"help_center/{a}/{p}/")
        return sorted({int(o["Key"].split("/")[3]) for o in listed.get("Contents", [])})

    for title in ("Invoices, one", "Invoices, two", "Invoices, three"):
        hc.update_article(a, p, acme["invoices"]["id"], title=title)
        hc.run_indexer()
    version, index_version = state.read(a, p)
    assert version == index_version and stored_versions() == [version - 1, version]
    # the replaced version is still there for a container that read the state just before
    assert "Invoices, three" in site.get("/hc/acme/en/articles", query={"query": "invoices"}).text
    # the portal deleted (its version bumped, its state removed): its event's build removes every snapshot
    portals.delete(AccountObject.get(a, portal_key(p)))
    assert hc.run_indexer() == 1 and stored_versions() == []
    assert search.rebuild(a, p) == {"built": False, "version": 0, "pruned": 0}


def test_indexer_invalidates_the_portals_pages_when_a_distribution_is_configured(aws, monkeypatch):
    indexer = hc.load_handler("indexer")
    from parley.settings import get_settings

    change = indexer.Changed(account_id=1, portal_id=2, slug="acme", version=3, removed_paths=["/hc/old-slug/*"])
    assert get_settings().distribution_id == ""  # the local stack and the tests: no CDN
    assert indexer.invalidate(change) is None
    sent = []

    class CloudFront:
        def create_invalidation(self, **kw):
            sent.append(kw)

    from dataclasses import replace

    monkeypatch.setattr(indexer, "get_settings", lambda: replace(get_settings(), distribution_id="E123"))
    monkeypatch.setattr(indexer.aws, "client", lambda service: CloudFront() if service == "cloudfront" else None)
    assert indexer.invalidate(change) == ["/hc/acme", "/hc/acme/*", "/hc/old-slug/*"]
    assert sent[0]["DistributionId"] == "E123"
    assert sent[0]["InvalidationBatch"]["Paths"] == {"Quantity": 3, "Items": ["/hc/acme", "/hc/acme/*", "/hc/old-slug/*"]}
    many = indexer.Changed(account_id=1, portal_id=2, slug="acme", version=3,
                           removed_paths=[f"/hc/acme/articles/{i}" for i in range(40)])
    assert indexer.invalidation_paths(many) == ["/hc/*"]


def test_indexer_drops_foreign_and_malformed_events(aws):
    indexer = hc.load_handler("indexer")
    with pytest.raises(ValueError):
        indexer.parse('{"source": "parley", "detail": {"id": "x", "event": "message.created", "data": {}}}')
    with pytest.raises(Exception):
        indexer.parse('{"source": "parley", "detail": {"id": "x", "event": "help_center.changed", "data": {}}}')


def test_a_search_answered_before_the_indexer_ran_is_answered_again_after(site, world):
    """The page cache is keyed by the index version too: an empty answer given while the
    indexer was behind is not served once it has caught up (same content version)."""
    a = world.account_id
    p = hc.portal(a, "fresh")
    hc.article(a, p, "Export your contacts", "A CSV file.", slug="export-contacts")
    assert site.get("/hc/fresh/en/articles.json", query={"query": "export"}).json["payload"] == []
    hc.run_indexer()
    found = site.get("/hc/fresh/en/articles.json", query={"query": "export"}).json["payload"]
    assert [x["slug"] for x in found] == ["export-contacts"]


def test_indexer_invalidates_after_a_build_or_for_paths_given_up(site, world, monkeypatch):
    indexer = hc.load_handler("indexer")
    sent = []
    monkeypatch.setattr(indexer, "invalidate", lambda change: sent.append(change.removed_paths) or ["x"])
    a = world.account_id
    p = hc.portal(a, "inv")
    change = indexer.Changed(account_id=a, portal_id=p, slug="inv", version=1)
    assert indexer.handle(change, 1)["invalidated"] == ["x"]        # built: its pages go
    assert indexer.handle(change, 1)["invalidated"] is None          # the same version again: nothing new
    renamed = indexer.Changed(account_id=a, portal_id=p, slug="inv", version=1, removed_paths=["/hc/old/*"])
    assert indexer.handle(renamed, 1)["invalidated"] == ["x"]        # an old slug's pages still go
    assert sent == [[], ["/hc/old/*"]]
