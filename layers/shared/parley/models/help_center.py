"""The help center's items in the AccountObject table, and their uniqueness claims.

A portal is `portal#<id>`; its categories and articles are keyed under the portal
(`hc_category#<portal>#<id>`, `hc_article#<portal>#<id>`), so one portal's categories or
articles are one Query on a prefix, and a category or article of another portal (or of
another account: the account is the hash key) is simply not found. `hc_state#<portal>`
holds the portal's content version (`id`, bumped by every change the public site or search
shows) and `data.index_version`, the version the newest search snapshot was built from.

Claims (UniqueClaim table): a portal's slug and custom domain are unique in the whole
installation (the public site resolves them with one GetItem), a category's slug per
(portal, locale), an article's slug per portal; `portal.inbox#<account>#<inbox>` finds the
portal a web widget inbox is linked to (the widget's config), one GetItem too."""
from __future__ import annotations

import re

from .account_object import AccountObject

PORTAL = "portal"
CATEGORY = "hc_category"
ARTICLE = "hc_article"
STATE = "hc_state"

DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"
STATUSES = (DRAFT, PUBLISHED, ARCHIVED)  # Chatwoot's enum order: 0, 1, 2

MAX_CONTENT_BYTES = 200_000  # an article's Markdown; more is 413


def portal_key(portal_id: int) -> str:
    return AccountObject.key_for(PORTAL, portal_id)


def portal_prefix() -> str:
    return f"{PORTAL}#"


def category_prefix(portal_id: int) -> str:
    return f"{CATEGORY}#{portal_id:012d}#"


def category_key(portal_id: int, category_id: int) -> str:
    return f"{category_prefix(portal_id)}{category_id:012d}"


def article_prefix(portal_id: int) -> str:
    return f"{ARTICLE}#{portal_id:012d}#"


def article_key(portal_id: int, article_id: int) -> str:
    return f"{article_prefix(portal_id)}{article_id:012d}"


def state_key(portal_id: int) -> str:
    return AccountObject.key_for(STATE, portal_id)


# ---------------------------------------------------------------- claims (UniqueClaim keys)

def portal_slug_claim(slug: str) -> str:
    return f"portal.slug#{slug.lower()}"


def portal_domain_claim(domain: str) -> str:
    return f"portal.custom_domain#{domain.lower()}"


def portal_inbox_claim(account_id: int, inbox_id: int) -> str:
    return f"portal.inbox#{account_id}#{inbox_id}"


def portal_target(account_id: int, portal_id: int) -> str:
    """What a portal's slug and domain claims hold: "<account_id>:<portal_id>"."""
    return f"{account_id}:{portal_id}"


def parse_target(target: str) -> tuple[int, int] | None:
    account, _, portal = (target or "").partition(":")
    return (int(account), int(portal)) if account.isdigit() and portal.isdigit() else None


def category_slug_claim(account_id: int, portal_id: int, locale: str, slug: str) -> str:
    return f"hc_category.slug#{account_id}#{portal_id}#{locale}#{slug.lower()}"


def article_slug_claim(account_id: int, portal_id: int, slug: str) -> str:
    return f"hc_article.slug#{account_id}#{portal_id}#{slug.lower()}"


def views_counter(account_id: int, article_id: int) -> str:
    """The Counter table item the views consumer ADDs an article's page views to."""
    return f"hc_views#{account_id}#{article_id}"


# ---------------------------------------------------------------- locales
# The locales a portal may allow: ISO 639-1 languages, and the regional variants Chatwoot
# ships translations for. A code is written with "_" or "-" (pt_BR, zh-CN), as given.
LANGUAGES = frozenset("""
af am ar az be bg bn bs ca cs cy da de el en eo es et eu fa fi fil fr ga gl gu he hi hr hu hy id is
it ja ka kk km kn ko ky lo lt lv mk ml mn mr ms my nb ne nl nn no pa pl ps pt ro ru si sk sl sq sr
sv sw ta te th tl tr uk ur uz vi zh zu
""".split())
REGIONS = frozenset("""
en_US en_GB en_AU en_CA en_IN es_ES es_MX es_AR es_419 fr_FR fr_CA de_DE de_AT de_CH pt_BR pt_PT
zh_CN zh_TW zh_HK sr_Latn nl_BE it_CH ar_SA ar_EG ko_KR ja_JP
""".split())
LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}([_-][A-Za-z0-9]{2,4})?$")


def known_locale(code: str) -> bool:
    if not isinstance(code, str) or not LOCALE_PATTERN.match(code):
        return False
    canonical = code.replace("-", "_")
    return canonical in LANGUAGES or canonical in REGIONS


def claims_of(item: AccountObject) -> list[str]:
    """The UniqueClaim keys a portal, category or article item holds (account deletion
    removes them with the item: a deleted account's slugs and domains are free again)."""
    kind, data = item.key.split("#", 1)[0], item.data or {}
    if kind == PORTAL:
        keys = [portal_slug_claim(data["slug"])] if data.get("slug") else []
        if data.get("custom_domain"):
            keys.append(portal_domain_claim(data["custom_domain"]))
        if data.get("inbox_id") is not None:
            keys.append(portal_inbox_claim(item.account_id, data["inbox_id"]))
        return keys
    if kind == CATEGORY and data.get("slug"):
        return [category_slug_claim(item.account_id, data.get("portal_id") or 0, data.get("locale") or "", data["slug"])]
    if kind == ARTICLE and data.get("slug"):
        return [article_slug_claim(item.account_id, data.get("portal_id") or 0, data["slug"])]
    return []
