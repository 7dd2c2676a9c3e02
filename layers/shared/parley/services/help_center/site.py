"""What the public help center shows of a portal, read the cheap way (functions/help_center).

- A slug or custom domain resolves to (account, portal) with ONE GetItem on its claim,
  remembered by the container for `RESOLVE_SECONDS` (a renamed slug is caught below: the
  portal's current slug must still be the one asked for).
- The portal's content (the portal, its categories, its PUBLISHED articles) is loaded once
  per content version: each request reads the state item (one GetItem) and reuses the
  container's copy while the version is the same; a new version (any change the site shows
  bumps it in the change's own transaction) reloads it with one GetItem and two Queries.
  So a warm page costs one GetItem, and an unpublished article is gone from every warm
  container on the next request, not when the container is recycled.
- Drafts and archived articles never enter `Site`; an archived or deleted portal has none.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ...models.account_object import AccountObject
from ...models.help_center import (
    PUBLISHED, article_prefix, category_prefix, parse_target, portal_domain_claim, portal_key,
    portal_slug_claim, views_counter,
)
from ...models.unique import UniqueClaim
from . import state

RESOLVE_SECONDS = 60
ACCOUNT_SECONDS = 60  # a suspended account's portals go dark within this (plus CloudFront's TTL)
VIEWS_SECONDS = 60
MAX_SITES = 64  # portals whose content a container keeps


@dataclass
class Site:
    account_id: int
    portal_id: int
    version: int
    index_version: int
    portal: dict                      # the portal's data, with "id"
    categories: list[dict]            # data + "id", by (locale, position)
    articles: list[dict]              # published only: data + "id", by (locale, position, id)
    article_by_slug: dict[str, dict] = field(default_factory=dict)
    article_by_id: dict[int, dict] = field(default_factory=dict)
    category_by_id: dict[int, dict] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.portal.get("slug") or ""

    @property
    def locales(self) -> list[str]:
        config = self.portal.get("config") or {}
        allowed = [str(x) for x in (config.get("allowed_locales") or []) if x]
        return allowed or [self.default_locale]

    @property
    def default_locale(self) -> str:
        config = self.portal.get("config") or {}
        return str(config.get("default_locale") or (config.get("allowed_locales") or ["en"])[0])

    def category(self, locale: str, slug: str) -> dict | None:
        return next((c for c in self.categories if c.get("locale") == locale and c.get("slug") == slug), None)

    def articles_of(self, locale: str | None = None, category_id: int | None = None) -> list[dict]:
        return [a for a in self.articles if (locale is None or a.get("locale") == locale)
                and (category_id is None or a.get("category_id") == category_id)]

    def translations(self, article: dict) -> list[dict]:
        """The published articles of the same translation group (the article itself included):
        linked through associated_article_id to a common root."""
        root = article.get("associated_article_id") or article["id"]
        return [a for a in self.articles if a["id"] == root or a.get("associated_article_id") == root
                or (a["id"] == article.get("associated_article_id"))]

    def category_translations(self, category: dict) -> list[dict]:
        root = category.get("associated_category_id") or category["id"]
        return [c for c in self.categories if c["id"] == root or c.get("associated_category_id") == root]


_lock = threading.Lock()
_resolved: dict[str, tuple[float, tuple[int, int] | None]] = {}
_sites: dict[tuple[int, int], Site] = {}
_views: dict[tuple[int, int, str], tuple[float, dict[int, int]]] = {}
_accounts: dict[int, tuple[float, bool]] = {}


def _remembered(cache: dict, key, seconds: float, read):
    """`read()`, or what it gave within the last `seconds` in this container."""
    now = time.monotonic()
    cached = cache.get(key)
    if cached and now - cached[0] < seconds:
        return cached[1]
    value = read()
    with _lock:
        if len(cache) > 4096:
            cache.clear()
        cache[key] = (now, value)
    return value


def _claim(key: str) -> tuple[int, int] | None:
    def read():
        try:
            return parse_target(UniqueClaim.get(key).target)
        except UniqueClaim.DoesNotExist:
            return None

    return _remembered(_resolved, key, RESOLVE_SECONDS, read)


def by_slug(slug: str) -> Site | None:
    """The site of the portal with this slug, or None (unknown, archived, deleted)."""
    if not slug or len(slug) > 255:
        return None
    found = _claim(portal_slug_claim(slug))
    site = load(*found) if found else None
    return site if site is not None and site.slug.lower() == slug.lower() else None


def by_domain(host: str) -> Site | None:
    """The site of the portal whose custom domain is `host` (port dropped), or None."""
    host = (host or "").split(":", 1)[0].strip().lower().rstrip(".")
    if not host or len(host) > 253:
        return None
    found = _claim(portal_domain_claim(host))
    site = load(*found) if found else None
    return site if site is not None and (site.portal.get("custom_domain") or "").lower() == host else None


def _account_open(account_id: int) -> bool:
    """Whether the account's help center may be served: a suspended account's site is dark,
    like its widget; one deleted or being deleted is gone. One GetItem a minute per account."""
    from ...models.account import ACTIVE, Account

    def read():
        try:
            return Account.get(account_id).status == ACTIVE
        except Account.DoesNotExist:
            return False

    return _remembered(_accounts, account_id, ACCOUNT_SECONDS, read)


def load(account_id: int, portal_id: int) -> Site | None:
    if not _account_open(account_id):
        return None
    version, index_version = state.read(account_id, portal_id)
    cached = _sites.get((account_id, portal_id))
    if cached is not None and cached.version == version:
        cached.index_version = max(cached.index_version, index_version)
        return cached if not cached.portal.get("archived") else None
    try:
        portal = AccountObject.get(account_id, portal_key(portal_id))
    except AccountObject.DoesNotExist:
        _sites.pop((account_id, portal_id), None)
        return None
    data = {**(portal.data or {}), "id": int(portal.id)}
    if data.get("archived"):
        categories, articles = [], []
    else:
        categories = [{**(c.data or {}), "id": int(c.id)} for c in AccountObject.query(
            account_id, AccountObject.key.startswith(category_prefix(portal_id)))]
        articles = [{**(a.data or {}), "id": int(a.id)} for a in AccountObject.query(
            account_id, AccountObject.key.startswith(article_prefix(portal_id)))
            if (a.data or {}).get("status") == PUBLISHED]
    categories.sort(key=lambda c: (str(c.get("locale")), c.get("position") or 0, c["id"]))
    articles.sort(key=lambda a: (str(a.get("locale")), a.get("position") or 0, a["id"]))
    site = Site(account_id, portal_id, version, index_version, data, categories, articles,
                article_by_slug={str(a.get("slug")): a for a in articles},
                article_by_id={a["id"]: a for a in articles},
                category_by_id={c["id"]: c for c in categories})
    with _lock:
        if len(_sites) >= MAX_SITES:
            _sites.pop(next(iter(_sites)))
        _sites[(account_id, portal_id)] = site
    return None if data.get("archived") else site


def views_of(account_id: int, article_ids: list[int]) -> dict[int, int]:
    """Page views counted so far (the views consumer's Counter items): one BatchGet per 100."""
    from ...models.counter import Counter

    names = {views_counter(account_id, article_id): article_id for article_id in set(article_ids)}
    return {names[c.name]: int(c.value or 0) for c in Counter.batch_get(list(names))} if names else {}


def views(site: Site, locale: str) -> dict[int, int]:
    """Page views of the locale's published articles, remembered for `VIEWS_SECONDS`: the
    widget's "popular articles"."""
    return _remembered(_views, (site.account_id, site.portal_id, locale), VIEWS_SECONDS,
                       lambda: views_of(site.account_id, [a["id"] for a in site.articles_of(locale)]))


def forget() -> None:
    """Empty the container's caches (tests)."""
    with _lock:
        _resolved.clear()
        _sites.clear()
        _views.clear()
        _accounts.clear()
