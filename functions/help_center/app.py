"""The public help center (HTTP API routes `/hc/{proxy+}` and `/robots.txt`): portals' pages,
the widget's JSON, sitemaps, the view beacon and the dashboard's Markdown preview.

- Pages are server-rendered HTML (hc_pages.py) that read without JavaScript; CloudFront
  keeps them 60 s (`s-maxage=60`, the HelpCenterCachePolicy) and the indexer invalidates
  `/hc/<slug>/*` after each change, so a published change shows within a minute and an
  unpublished article is gone at once.
- A request resolves the portal from its slug (or the custom domain in X-Forwarded-Host /
  Host), reads the portal's content version (ONE GetItem) and answers from the container's
  copy of that version (services/help_center/site.py) and its cache of rendered pages keyed
  by (portal, content and index version, host, path, query): a warm page is one GetItem.
- Drafts and archived articles are never in the site's content, so never on a page, in the
  sitemap, in the JSON or in search results; an archived portal answers 404.
- Views: the beacon (`POST .../articles/<slug>/views`, or the `<noscript>` GET `views.gif`)
  sends one SQS message; the views consumer (views.py) adds them up in batches.

The Markdown parser, the sanitiser and the search library are imported on the paths that
need them (an article page, a search), never at init."""

import base64
import json
import re
import threading
import time
from collections import OrderedDict
from urllib.parse import unquote

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger

    import hc_pages as pages
    from parley import aws, edge, storage
    from parley.errors import ParleyError
    from parley.services.help_center import site as sites
    from parley.settings import get_settings

logger = Logger()

MAX_QUERY = 200          # characters of a search query (search_index.MAX_QUERY_LENGTH)
MAX_PREVIEW = 200_000    # bytes of Markdown a preview renders (an article's own limit)
MAX_PATH = 1024
PAGE_CACHE_SIZE = 512
PAGE_CACHE_BYTES = 48 * 1024 * 1024  # of a 512 MB function: the rendered pages it keeps at most
CACHED = "public, max-age=0, s-maxage=60"
UNCACHED = "no-store"
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,254}$")

_pages: "OrderedDict[tuple, dict]" = OrderedDict()
_pages_lock = threading.Lock()
_pages_bytes = 0
# Views already counted: (viewer address, article) -> when. A reader reloading a page, or a
# script replaying the beacon, counts once per VIEW_REPEAT_SECONDS per container.
VIEW_REPEAT_SECONDS = 30 * 60
MAX_RECENT_VIEWS = 50_000
_recent_views: "OrderedDict[tuple[str, int], float]" = OrderedDict()


class Request:
    def __init__(self, event: dict):
        http = (event.get("requestContext") or {}).get("http") or {}
        self.method = str(http.get("method") or "GET").upper()
        self.path = unquote(event.get("rawPath") or http.get("path") or "/")
        self.query = event.get("queryStringParameters") or {}
        self.headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        through_edge = edge.through_edge(self.headers.get("x-parley-edge"))
        # CloudFront passes the viewer's host (a custom domain) as X-Forwarded-Host; from
        # anyone else that header is ignored, as the dashboard API does (api.base_url).
        host = (self.headers.get("x-forwarded-host") if through_edge else None) or self.headers.get("host") or \
            (event.get("requestContext") or {}).get("domainName") or "localhost"
        self.viewer = edge.viewer_address(http.get("sourceIp"), self.headers.get("x-forwarded-for"),
                                          self.headers.get("x-parley-edge"))
        self.host = host.split(",")[0].strip().lower()
        proto = self.headers.get("x-forwarded-proto", "https").split(",")[0].strip()
        self.base = f"{'http' if proto == 'http' else 'https'}://{self.host}"
        body = event.get("body") or ""
        self.body = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


def respond(status: int, body: str | bytes, content_type: str, cache: str = CACHED, headers: dict | None = None,
            head: bool = False) -> dict:
    binary = isinstance(body, bytes)
    out = {"statusCode": status, "headers": {"content-type": content_type, "cache-control": cache,
                                             "x-content-type-options": "nosniff", **(headers or {})}}
    if not head:
        out["body"] = base64.b64encode(body).decode() if binary else body
        out["isBase64Encoded"] = binary
    return out


def html(status: int, body: str, cache: str = CACHED) -> dict:
    return respond(status, body, "text/html; charset=utf-8", cache, {
        "content-security-policy": pages.csp(_img_origin()), "referrer-policy": "strict-origin-when-cross-origin"})


def as_json(status: int, body, cache: str = CACHED) -> dict:
    return respond(status, json.dumps(body, ensure_ascii=False, separators=(",", ":")), "application/json", cache,
                   {"access-control-allow-origin": "*"})


def _img_origin() -> str:
    endpoint = get_settings().s3_public_endpoint
    return re.sub(r"^(https?://[^/]+).*$", r"\1", endpoint) if endpoint else ""


def not_found(site=None, links=None, locale=None, message=None) -> dict:
    return html(404, pages.not_found_page(site, links, locale, message))


# ---------------------------------------------------------------- routing

def lambda_handler(event: dict, context) -> dict:
    request = Request(event)
    try:
        result = route(request)
    except ParleyError as exc:  # bad input: a clear 4xx, never a 500
        result = as_json(exc.status, exc.body(), UNCACHED) if request.path.endswith(".json") or \
            request.method == "POST" else html(exc.status, pages.not_found_page(message=exc.message, status_text=""),
                                               UNCACHED)
    if request.method == "HEAD":
        result.pop("body", None)
        result.pop("isBase64Encoded", None)
    return result


def route(request: Request) -> dict:
    if len(request.path) > MAX_PATH:
        return not_found(message="Address too long")
    if request.method not in ("GET", "HEAD", "POST"):
        return respond(405, "Method Not Allowed", "text/plain", UNCACHED, {"allow": "GET, HEAD, POST"})
    parts = [p for p in request.path.split("/") if p]
    if request.path == "/robots.txt":
        return robots_for_host(request)
    if not parts or parts[0] != "hc":
        return not_found()
    parts = parts[1:]
    if request.method == "POST" and parts == ["preview"]:
        return preview(request)
    domain_site = sites.by_domain(request.host)
    if not parts or parts == ["_"]:  # the root of a portal's own domain (CloudFront sends it to /hc/_)
        if domain_site is not None:
            return respond(302, "", "text/plain", CACHED, {"location": f"/hc/{domain_site.slug}"})
        return not_found()
    slug = parts[0]
    if not SLUG.match(slug):
        return not_found()
    if domain_site is not None:
        # a portal's own domain shows that portal only
        site = domain_site if domain_site.slug.lower() == slug.lower() else None
    else:
        site = sites.by_slug(slug)
    if site is None:
        return not_found()
    links = pages.Links(request.base, site.slug)
    rest = parts[1:]
    if request.method == "POST":
        if len(rest) == 3 and rest[0] == "articles" and rest[2] == "views":
            return count_view(site, rest[1], request.viewer, beacon=True)
        return respond(405, "Method Not Allowed", "text/plain", UNCACHED, {"allow": "GET, HEAD"})
    if len(rest) == 3 and rest[0] == "articles" and rest[2] == "views.gif":
        return count_view(site, rest[1], request.viewer, beacon=False)
    if len(rest) == 2 and rest[0] in ("logo", "dark_logo"):
        return logo(site, rest[0], rest[1])
    query = request.query.get("query") or ""
    if len(query) > MAX_QUERY:
        from parley.errors import Invalid
        raise Invalid(f"The search query is longer than {MAX_QUERY} characters", field="query")
    # keyed by the index version too: a search answered before the indexer caught up with
    # this content version is answered again once it has
    key = (site.account_id, site.portal_id, site.version, site.index_version, request.base, tuple(rest), query,
           request.query.get("limit") or "")
    cached = _pages.get(key)
    if cached is not None:
        with _pages_lock:
            _pages.move_to_end(key)
        return dict(cached, headers=dict(cached["headers"]))
    result = render(site, links, rest, request)
    size = len(result.get("body") or "")
    if result["statusCode"] in (200, 404) and size <= PAGE_CACHE_BYTES // 64:
        global _pages_bytes
        with _pages_lock:
            if key not in _pages:
                _pages[key] = result
                _pages_bytes += size
            while len(_pages) > PAGE_CACHE_SIZE or _pages_bytes > PAGE_CACHE_BYTES:
                _pages_bytes -= len(_pages.popitem(last=False)[1].get("body") or "")
    return dict(result, headers=dict(result["headers"]))


def render(site, links, rest: list[str], request: Request) -> dict:
    query = request.query.get("query") or ""
    if not rest:
        return home(site, links, site.default_locale, canonical=True)
    if rest == ["sitemap.xml"]:
        return respond(200, pages.sitemap(site, links), "application/xml; charset=utf-8")
    if rest == ["robots.txt"]:
        return respond(200, pages.robots(links, [f"{links.root}/sitemap.xml"]), "text/plain; charset=utf-8")
    if len(rest) == 2 and rest[0] == "articles":
        if rest[1].endswith(".json"):
            return article_json(site, links, rest[1][:-5])
        return article_page(site, links, rest[1])
    locale = rest[0]
    if locale not in site.locales:
        return not_found(site, links, None)
    if len(rest) == 1:
        return home(site, links, locale)
    if len(rest) == 3 and rest[1] == "categories":
        return category_page(site, links, locale, rest[2])
    if rest[1:] == ["articles"]:
        return search_page(site, links, locale, query)
    if rest[1:] == ["articles.json"]:
        return articles_json(site, links, locale, query, request.query.get("limit"))
    return not_found(site, links, locale)


# ---------------------------------------------------------------- pages

def _switch(site, links, paths: dict[str, str]) -> list[tuple[str, str]]:
    """The locale switcher: each allowed locale's version of this page, or its home."""
    return [(code, paths.get(code) or links.home(code)) for code in site.locales]


def home(site, links, locale: str, canonical: bool = False) -> dict:
    title, header = pages.texts(site.portal, locale)
    homes = {code: links.home(code) for code in site.locales}
    return html(200, pages.page(
        site=site, links=links, locale=locale, title=title, description=header or title,
        canonical=links.home(locale), alternates=list(homes.items()) if len(homes) > 1 else [],
        switch=_switch(site, links, homes), body=pages.home_body(site, links, locale)))


def category_page(site, links, locale: str, slug: str) -> dict:
    category = site.category(locale, slug)
    if category is None:
        return not_found(site, links, locale)
    same = {c.get("locale"): links.category(str(c.get("locale")), str(c.get("slug")))
            for c in site.category_translations(category)}
    return html(200, pages.page(
        site=site, links=links, locale=locale, title=str(category.get("name") or ""),
        description=str(category.get("description") or category.get("name") or ""),
        canonical=links.category(locale, slug), alternates=list(same.items()) if len(same) > 1 else [],
        switch=_switch(site, links, same), body=pages.category_body(site, links, locale, category)))


def article_page(site, links, slug: str) -> dict:
    article = site.article_by_slug.get(slug)
    if article is None:
        return not_found(site, links, None)
    from parley.views import article_html

    locale = str(article.get("locale") or site.default_locale)
    meta = article.get("meta") or {}
    body_html = article_html.render(str(article.get("content") or ""))
    description = meta.get("description") or article.get("description") or article_html.text(
        str(article.get("content") or ""))
    same = {a.get("locale"): links.article(str(a.get("slug"))) for a in site.translations(article)}
    return html(200, pages.page(
        site=site, links=links, locale=locale if locale in site.locales else site.default_locale,
        title=str(meta.get("title") or article.get("title") or ""), description=str(description or ""),
        canonical=links.article(slug), alternates=list(same.items()) if len(same) > 1 else [],
        switch=_switch(site, links, same), og_type="article", views_url=links.article(slug) + "/views",
        body=pages.article_body(site, links, article, body_html)))


def _search(site, locale: str, query: str, limit: int) -> list[dict]:
    """Published articles of the locale matching `query`, best first (services/help_center/search)."""
    from parley.services.help_center import search

    def current(hits):
        return [h for h in hits if int(h.id) in site.article_by_id]

    hits = search.search_articles(site.account_id, site.portal_id, query, locale=locale, scope="public",
                                  limit=limit, known_state=(site.version, site.index_version), check=current)
    # the site's content is of the current version: show its articles as they are now
    return [site.article_by_id[int(h.id)] for h in current(hits)]


def search_page(site, links, locale: str, query: str) -> dict:
    hits = _search(site, locale, query, 20) if query.strip() else []
    title = pages.t(locale, "results_for", q=query) if query else pages.t(locale, "search")
    return html(200, pages.page(
        site=site, links=links, locale=locale, title=title, description=pages.texts(site.portal, locale)[1] or title,
        canonical=links.search(locale, query or None), switch=_switch(site, links, {}), noindex=True,
        body=pages.search_body(site, links, locale, query, hits)))


# ---------------------------------------------------------------- JSON (the widget)

def _limit(value) -> int:
    from parley.errors import Invalid

    if value in (None, ""):
        return 6
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise Invalid("limit must be a number from 1 to 20", field="limit") from None
    if not 1 <= limit <= 20:
        raise Invalid("limit must be a number from 1 to 20", field="limit")
    return limit


def articles_json(site, links, locale: str, query: str, limit) -> dict:
    limit = _limit(limit)
    views = sites.views(site, locale)
    if query.strip():
        found = _search(site, locale, query, limit)
    else:  # the widget's home: most viewed, then by position
        found = sorted(site.articles_of(locale), key=lambda a: (-views.get(a["id"], 0), a.get("position") or 0,
                                                                 a["id"]))[:limit]
    payload = []
    for a in found:
        c = site.category_by_id.get(a.get("category_id"))
        payload.append({"id": a["id"], "slug": a.get("slug"), "title": a.get("title") or "",
                        "description": a.get("description") or "", "link": links.absolute(links.article(str(a.get("slug")))),
                        "category": {"name": c.get("name"), "slug": c.get("slug")} if c else None,
                        "views": views.get(a["id"], 0)})
    return as_json(200, {"payload": payload, "meta": {"count": len(payload), "query": query}})


def article_json(site, links, slug: str) -> dict:
    article = site.article_by_slug.get(slug)
    if article is None:
        return as_json(404, {"error": "Article not found"})
    from parley.views import article_html

    return as_json(200, {"id": article["id"], "slug": article.get("slug"), "title": article.get("title") or "",
                         "description": article.get("description") or "",
                         "html": article_html.render(str(article.get("content") or "")),
                         "locale": article.get("locale"), "link": links.absolute(links.article(slug)),
                         "updated_at": article.get("updated_at")})


# ---------------------------------------------------------------- the rest

def count_view(site, slug: str, viewer: str, *, beacon: bool) -> dict:
    """One SQS message per view (no database write here); the views consumer adds them up.
    A viewer's repeat within VIEW_REPEAT_SECONDS is answered alike and not counted."""
    article = site.article_by_slug.get(slug)
    if article is None:
        return respond(404, "", "text/plain", UNCACHED)
    if _first_view(viewer, article["id"]):
        aws.client("sqs").send_message(
        QueueUrl=aws.queue_url(get_settings().required("help_center_views_queue")),
            MessageBody=json.dumps({"account_id": site.account_id, "portal_id": site.portal_id,
                                    "article_id": article["id"]}))
    if beacon:
        return respond(204, "", "text/plain", UNCACHED)
    return respond(200, GIF, "image/gif", UNCACHED)


def _first_view(viewer: str, article_id: int) -> bool:
    now = time.monotonic()
    key = (viewer, article_id)
    with _pages_lock:
        seen = _recent_views.get(key)
        if seen is not None and now - seen < VIEW_REPEAT_SECONDS:
            return False
        _recent_views[key] = now
        _recent_views.move_to_end(key)
        while len(_recent_views) > MAX_RECENT_VIEWS:
            _recent_views.popitem(last=False)
    return True


def logo(site, field: str, record_id: str) -> dict:
    """The portal's logo: a redirect to a short-lived URL of the private bucket's object
    (the page links the record's id, so a new logo is a new address)."""
    record = site.portal.get(field) or {}
    if not record.get("key") or str(record.get("id")) != record_id:
        return respond(404, "", "text/plain", CACHED)
    return respond(302, "", "text/plain", "public, max-age=300", {"location": storage.download_url(record)})


def preview(request: Request) -> dict:
    """The dashboard's Markdown preview: {content} -> {html}, no data read, never cached."""
    from parley.errors import Invalid, PayloadTooLarge

    if len(request.body) > MAX_PREVIEW + 1024:
        raise PayloadTooLarge(f"The content is larger than {MAX_PREVIEW // 1000} KB", field="content")
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise Invalid("The body is not JSON", field="content") from None
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, str):
        raise Invalid("content must be a string", field="content")
    if len(content.encode()) > MAX_PREVIEW:
        raise PayloadTooLarge(f"The content is larger than {MAX_PREVIEW // 1000} KB", field="content")
    from parley.views import article_html

    return as_json(200, {"html": article_html.render(content)}, UNCACHED)


def robots_for_host(request: Request) -> dict:
    site = sites.by_domain(request.host)
    if site is None:  # Parley's own domain: the help centers are public, the app is not
        return respond(200, pages.robots(None), "text/plain; charset=utf-8")
    links = pages.Links(request.base, site.slug)
    return respond(200, pages.robots(links, [f"{links.root}/sitemap.xml"]), "text/plain; charset=utf-8")


def forget() -> None:
    """Empty the container's page cache (tests)."""
    global _pages_bytes
    with _pages_lock:
        _pages.clear()
        _pages_bytes = 0
        _recent_views.clear()
