"""/api/v1/accounts/{account_id}/portals (and their categories and articles), and
/search/articles: Chatwoot's help center API.

Portals are addressed by slug, as in Chatwoot. Any member of the account reads; writing
needs knowledge_base_manage (administrators, custom roles granting it) or being one of the
portal's members (creating a portal: the permission). Bodies are accepted flat or wrapped
({"portal": {...}}, {"category": {...}}, {"article": {...}}), as Rails takes them. A
portal renders at the top level (show, create, update) or as {payload: [...]} (index);
categories and articles inside {payload: ...}. Article status is accepted as a string or
Chatwoot's 0|1|2 and rendered as the string."""
from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field, StrictInt, StrictStr

from api import Body, account_member, body, parse, path_id, query
from parley.errors import Invalid
from parley.services.help_center import articles, categories, portals
from parley.services.help_center import site as sites
from parley.views import help_center as view

router = Router()

PORTALS = "/api/v1/accounts/<account_id>/portals"
PORTAL = f"{PORTALS}/<portal_slug>"


# ---------------------------------------------------------------- bodies

class Translation(Body):
    page_title: str | None = Field(default=None, max_length=255)
    header_text: str | None = Field(default=None, max_length=1000)


class PortalConfig(Body):
    allowed_locales: list[str] | None = Field(default=None, max_length=30)
    default_locale: str | None = Field(default=None, max_length=16)


class PortalFields(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    slug: str | None = Field(default=None, min_length=1, max_length=64)
    custom_domain: str | None = Field(default=None, max_length=255)
    color: str | None = Field(default=None, max_length=7)
    homepage_link: str | None = Field(default=None, max_length=2048, pattern=r"^(https?://\S+)?$")
    page_title: str | None = Field(default=None, max_length=255)
    header_text: str | None = Field(default=None, max_length=1000)
    archived: bool | None = None
    config: PortalConfig | None = None
    translations: dict[str, Translation] | None = Field(default=None, max_length=30)
    inbox_id: int | None = None
    member_ids: list[int] | None = Field(default=None, max_length=500)
    account_id: int | None = None  # Chatwoot permits it; the path's account is the one used


class PortalCreate(PortalFields):
    name: str = Field(min_length=1, max_length=255)
    slug: str = Field(min_length=1, max_length=64)


class CategoryFields(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=5000)
    slug: str | None = Field(default=None, max_length=128)
    locale: str | None = Field(default=None, max_length=16)
    position: int | None = Field(default=None, ge=0, le=1_000_000_000)
    icon: str | None = Field(default=None, max_length=64)
    parent_category_id: int | None = None
    associated_category_id: int | None = None


class CategoryCreate(CategoryFields):
    name: str = Field(min_length=1, max_length=255)


class ArticleMeta(Body):
    title: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    tags: list[str] | None = Field(default=None, max_length=30)


class ArticleFields(Body):
    # Content is checked in bytes by the service (over 200,000: 413), not here (422).
    model_config = {**Body.model_config, "str_max_length": 1_000_000}
    title: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    content: str | None = None
    status: StrictStr | StrictInt | None = None  # draft|published|archived or 0|1|2: the service checks
    author_id: int | None = None
    slug: str | None = Field(default=None, max_length=255)
    position: int | None = Field(default=None, ge=0, le=1_000_000_000)
    locale: str | None = Field(default=None, max_length=16)
    category_id: int | None = None
    associated_article_id: int | None = None
    meta: ArticleMeta | None = None


class ArticleCreate(ArticleFields):
    title: str = Field(min_length=1, max_length=255)


class Reorder(Body):
    positions_hash: dict[str, int] = Field(min_length=1, max_length=45)


class ArticleList(Body):
    query: str | None = Field(default=None, max_length=articles.MAX_QUERY)
    author_id: int | None = None
    status: Literal["draft", "published", "archived", "0", "1", "2"] | None = None
    locale: str | None = Field(default=None, max_length=16)
    category_slug: str | None = Field(default=None, max_length=128)
    page: int = Field(default=1, ge=1, le=10_000)


class SearchQuery(Body):
    q: str = Field(default="", max_length=articles.MAX_QUERY)
    page: int = Field(default=1, ge=1, le=100)


class ShowQuery(Body):
    locale: str | None = Field(default=None, max_length=16)


# ---------------------------------------------------------------- helpers

def _portal(account_id: str, slug: str):
    """(member, portal) for a reader: any member of the account."""
    account, member = account_member(router, account_id)
    return member, portals.by_slug(account, slug)


def _writable(account_id: str, slug: str):
    member, portal = _portal(account_id, slug)
    portals.require_writer(member, portal)
    return member, portal


def _render_portal(portal, member) -> dict:
    cats, arts = portals.contents(portal)
    inbox = None
    if portal.data.get("inbox_id") is not None:
        from parley.models.inbox import Inbox
        from parley.views.inboxes import inbox as inbox_view

        try:
            found = Inbox.get(portal.data["inbox_id"])
            inbox = inbox_view(found) if found.account_id == portal.account_id else None
        except Inbox.DoesNotExist:
            inbox = None
    return view.portal(portal, cats, arts, user_id=member.user_id, inbox=inbox)


def _changes(model: type[Body], wrapper: str) -> dict:
    return body(router, model, wrapper=wrapper).model_dump(exclude_unset=True)


def _positions(payload: Reorder) -> dict[int, int]:
    try:
        return {path_id(key): value for key, value in payload.positions_hash.items()}
    except Exception:
        raise Invalid("positions_hash must map ids to positions", field="positions_hash") from None


def _articles_payload(portal, items) -> list[dict]:
    cats = {c.id: c for c in categories.all_of(portal)}
    authors = articles.authors_of(items)
    views = sites.views_of(portal.account_id, [a.id for a in items])
    return [view.article(a, authors=authors, categories=cats, views=views.get(a.id, a.data.get("views"))) for a in items]


def _article_payload(portal, item) -> dict:
    every = articles.all_of(portal)
    root = item.data.get("associated_article_id") or item.id
    associated = [a for a in every if a.id != item.id and (a.id == root or a.data.get("associated_article_id") == root)]
    cats = {c.id: c for c in categories.all_of(portal)}
    views = sites.views_of(portal.account_id, [item.id])
    return view.article(item, authors=articles.authors_of([item]), categories=cats, associated=associated,
                        views=views.get(item.id, item.data.get("views")))


def _category_payload(portal, item) -> dict:
    every = categories.all_of(portal)
    root = item.data.get("associated_category_id") or item.id
    related = [c for c in every if c.id != item.id and (c.id == root or c.data.get("associated_category_id") == root)]
    count = sum(1 for a in articles.all_of(portal) if a.data.get("category_id") == item.id)
    return view.category(item, count, related)


# ---------------------------------------------------------------- portals

@router.get(PORTALS)
def portal_index(account_id: str):
    account, member = account_member(router, account_id)
    every = portals.all_of(account)
    return {"payload": [_render_portal(p, member) for p in every], "meta": {"current_page": 1, "portals_count": len(every)}}


@router.post(PORTALS)
def portal_create(account_id: str):
    account, member = account_member(router, account_id)
    portals.require_writer(member, None)
    changes = _changes(PortalCreate, "portal")
    changes.pop("account_id", None)
    return _render_portal(portals.create(account, changes), member)


@router.get(PORTAL)
def portal_show(account_id: str, portal_slug: str):
    member, portal = _portal(account_id, portal_slug)
    return _render_portal(portal, member)


@router.route(PORTAL, method=["PATCH", "PUT"])
def portal_update(account_id: str, portal_slug: str):
    member, portal = _writable(account_id, portal_slug)
    changes = _changes(PortalFields, "portal")
    changes.pop("account_id", None)
    if changes.get("config") is not None:
        changes["config"] = {k: v for k, v in changes["config"].items() if v is not None}
    if "member_ids" in changes and sorted(set(changes["member_ids"] or [])) != sorted(portal.data.get("member_ids") or []):
        portals.require_writer(member, None)  # who the members are is the permission's to change, not a member's
    return _render_portal(portals.update(portal, changes), member)


class Members(Body):
    member_ids: list[int] = Field(min_length=1, max_length=500)


@router.post(f"{PORTAL}/add_members")
def portal_add_members(account_id: str, portal_slug: str):
    """Adds agents to the portal's members (the ones given; PATCH `member_ids` sets the whole list)."""
    member, portal = _portal(account_id, portal_slug)
    portals.require_writer(member, None)
    given = body(router, Members, wrapper="portal").member_ids
    merged = sorted(set(portal.data.get("member_ids") or []) | set(given))
    return _render_portal(portals.update(portal, {"member_ids": merged}), member)


@router.delete(PORTAL)
def portal_delete(account_id: str, portal_slug: str):
    member, portal = _writable(account_id, portal_slug)
    portals.require_writer(member, None)  # a member edits the portal's content, not its existence
    portals.delete(portal)
    return {}


class Archive(Body):
    archived: bool = True


@router.route(f"{PORTAL}/archive", method=["PATCH", "POST"])
def portal_archive(account_id: str, portal_slug: str):
    """Archives the portal (Chatwoot's); `{archived: false}` brings it back."""
    member, portal = _writable(account_id, portal_slug)
    archived = body(router, Archive, wrapper="portal").archived
    return _render_portal(portals.archive(portal, archived), member)


@router.post(f"{PORTAL}/logo")
def portal_logo_upload(account_id: str, portal_slug: str):
    import forms  # multipart parsing, on this path only

    member, portal = _writable(account_id, portal_slug)
    if not forms.is_multipart(router):
        raise Invalid("Upload the logo as multipart/form-data in the field `logo`", field="logo")
    fields, files, uploads = forms.parse(router, ("logo",))
    if len(files) != 1 or uploads:
        raise Invalid("Upload exactly one file, in the field `logo`", field="logo")
    dark = fields.get("dark") in ("true", "1") or _dark_query()
    return _render_portal(portals.set_logo(portal, files[0].data, files[0].filename, dark=dark), member)


def _dark_query() -> bool:
    params = router.current_event.query_string_parameters or {}
    return params.get("dark") in ("true", "1")


@router.delete(f"{PORTAL}/logo")
def portal_logo_delete(account_id: str, portal_slug: str):
    member, portal = _writable(account_id, portal_slug)
    return _render_portal(portals.remove_logo(portal, dark=_dark_query()), member)


# ---------------------------------------------------------------- categories

@router.get(f"{PORTAL}/categories")
def category_index(account_id: str, portal_slug: str):
    _, portal = _portal(account_id, portal_slug)
    locale = query(router, ShowQuery).locale
    every = categories.all_of(portal, portals.locale_of(portal, locale) if locale else None)
    counts: dict[Any, int] = {}
    for a in articles.all_of(portal):
        counts[a.data.get("category_id")] = counts.get(a.data.get("category_id"), 0) + 1
    return {"payload": [view.category(c, counts.get(c.id, 0)) for c in every],
            "meta": {"current_page": 1, "categories_count": len(every)}}


@router.post(f"{PORTAL}/categories")
def category_create(account_id: str, portal_slug: str):
    _, portal = _writable(account_id, portal_slug)
    item = categories.create(portal, _changes(CategoryCreate, "category"))
    return {"payload": _category_payload(portal, item)}


@router.post(f"{PORTAL}/categories/reorder")
def category_reorder(account_id: str, portal_slug: str):
    _, portal = _writable(account_id, portal_slug)
    items = categories.reorder(portal, _positions(body(router, Reorder)))
    return {"payload": [view.category(c) for c in items]}


@router.get(f"{PORTAL}/categories/<item_id>")
def category_show(account_id: str, portal_slug: str, item_id: str):
    _, portal = _portal(account_id, portal_slug)
    return {"payload": _category_payload(portal, categories.get(portal, path_id(item_id)))}


@router.route(f"{PORTAL}/categories/<item_id>", method=["PATCH", "PUT"])
def category_update(account_id: str, portal_slug: str, item_id: str):
    _, portal = _writable(account_id, portal_slug)
    item = categories.get(portal, path_id(item_id))
    item = categories.update(portal, item, _changes(CategoryFields, "category"))
    return {"payload": _category_payload(portal, item)}


@router.delete(f"{PORTAL}/categories/<item_id>")
def category_delete(account_id: str, portal_slug: str, item_id: str):
    _, portal = _writable(account_id, portal_slug)
    categories.delete(portal, categories.get(portal, path_id(item_id)))
    return {}


# ---------------------------------------------------------------- articles

@router.get(f"{PORTAL}/articles")
def article_index(account_id: str, portal_slug: str):
    member, portal = _portal(account_id, portal_slug)
    params = router.current_event.query_string_parameters or {}
    # Chatwoot's dashboard sends its filters flat; its older clients nest them in payload[...].
    flat = {key.removeprefix("payload[").removesuffix("]"): value for key, value in params.items()}
    filters = parse(ArticleList, {k: v for k, v in flat.items() if k in ArticleList.model_fields})
    items, meta = articles.listing(portal, user_id=member.user_id, query=filters.query, author_id=filters.author_id,
                                   status=filters.status, locale=filters.locale,
                                   category_slug=filters.category_slug, page=filters.page)
    return {"payload": _articles_payload(portal, items), "meta": meta}


@router.post(f"{PORTAL}/articles")
def article_create(account_id: str, portal_slug: str):
    member, portal = _writable(account_id, portal_slug)
    changes = _changes(ArticleCreate, "article")
    if changes.get("meta") is not None:
        changes["meta"] = {k: v for k, v in changes["meta"].items() if v is not None}
    item = articles.create(portal, member.user_id, changes)
    return {"payload": _article_payload(portal, item)}


@router.post(f"{PORTAL}/articles/reorder")
def article_reorder(account_id: str, portal_slug: str):
    _, portal = _writable(account_id, portal_slug)
    items = articles.reorder(portal, _positions(body(router, Reorder)))
    return {"payload": _articles_payload(portal, items)}


@router.get(f"{PORTAL}/articles/<item_id>")
def article_show(account_id: str, portal_slug: str, item_id: str):
    _, portal = _portal(account_id, portal_slug)
    return {"payload": _article_payload(portal, articles.get(portal, path_id(item_id)))}


@router.route(f"{PORTAL}/articles/<item_id>", method=["PATCH", "PUT"])
def article_update(account_id: str, portal_slug: str, item_id: str):
    _, portal = _writable(account_id, portal_slug)
    item = articles.get(portal, path_id(item_id))
    changes = _changes(ArticleFields, "article")
    if changes.get("meta") is not None:
        changes["meta"] = {**(item.data.get("meta") or {}), **{k: v for k, v in changes["meta"].items() if v is not None}}
    return {"payload": _article_payload(portal, articles.update(portal, item, changes))}


@router.delete(f"{PORTAL}/articles/<item_id>")
def article_delete(account_id: str, portal_slug: str, item_id: str):
    _, portal = _writable(account_id, portal_slug)
    articles.delete(portal, articles.get(portal, path_id(item_id)))
    return {}


# ---------------------------------------------------------------- search

@router.get("/api/v1/accounts/<account_id>/search/articles")
def search_articles(account_id: str):
    """Chatwoot's dashboard search over the account's articles, every portal and status."""
    account, _ = account_member(router, account_id)
    params = query(router, SearchQuery)
    ranked = []
    if params.q.strip():
        for portal in portals.all_of(account):
            found = articles.search(portal, params.q, limit=min(articles.PER_PAGE * params.page, 100))
            if not found:
                continue
            names = {c.id: c.data.get("name") for c in categories.all_of(portal)}
            by_id = articles.by_ids(portal, [article_id for article_id, _ in found])
            ranked += [(score, view.search_hit(by_id[i], portal.data["slug"], names.get(by_id[i].data.get("category_id"))))
                       for i, score in found if i in by_id]
    ranked.sort(key=lambda pair: -pair[0])  # best first across the account's portals
    start = (params.page - 1) * articles.PER_PAGE
    return {"payload": {"articles": [hit for _, hit in ranked[start:start + articles.PER_PAGE]]}}
