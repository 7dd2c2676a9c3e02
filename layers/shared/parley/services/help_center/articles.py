"""A portal's articles: title, description, Markdown content (at most 200,000 bytes: 413),
status draft | published | archived, author, slug (`<epoch seconds>-<title slug>` unless
given; unique per portal), position, locale, category, the article it translates and
meta for search engines. Each write is one transaction with its slug claim, audit entry,
the portal's version bump and the internal `help_center.changed` event."""
from __future__ import annotations

import time

from ... import audit, ids
from ...errors import Conflict, Invalid, NotFound, PayloadTooLarge
from ...models.account import AccountUser
from ...models.account_object import AccountObject
from ...models.help_center import (ARCHIVED, ARTICLE, DRAFT, MAX_CONTENT_BYTES, PUBLISHED, STATUSES, article_key,
                                   article_prefix, article_slug_claim)
from ...models.unique import UniqueClaim
from . import categories, portals, state

PER_PAGE = 25
MAX_QUERY = 200
MAX_TAGS = 30
FIELDS = ("title", "description", "content", "status", "author_id", "slug", "position", "locale", "category_id",
          "associated_article_id", "meta")
AUDITED = tuple(f for f in FIELDS if f != "content")


def status_of(value) -> str:
    """Chatwoot's status as a string: "draft|published|archived" or its enum 0|1|2 (422 otherwise)."""
    if isinstance(value, bool):
        raise Invalid("Status must be draft, published or archived", field="status")
    if isinstance(value, int) and 0 <= value < len(STATUSES):
        return STATUSES[value]
    if isinstance(value, str) and value.isdigit() and int(value) < len(STATUSES):
        return STATUSES[int(value)]
    if value in STATUSES:
        return value
    raise Invalid("Status must be draft, published or archived", field="status")


def all_of(portal: AccountObject) -> list[AccountObject]:
    """Every article of the portal (one Query, every page), by position then id."""
    items = AccountObject.query(portal.account_id, AccountObject.key.startswith(article_prefix(portal.id)))
    return sorted(items, key=lambda a: (a.data.get("position") or 0, a.id))


def get(portal: AccountObject, article_id: int) -> AccountObject:
    """The portal's article; one of another portal or account is 404."""
    try:
        return AccountObject.get(portal.account_id, article_key(portal.id, article_id))
    except AccountObject.DoesNotExist:
        raise NotFound("Article not found") from None


def by_ids(portal: AccountObject, article_ids: list[int]) -> dict[int, AccountObject]:
    """These articles of the portal that still exist, by id: one BatchGet (per 100)."""
    keys = [(portal.account_id, article_key(portal.id, article_id)) for article_id in dict.fromkeys(article_ids)]
    return {int(item.id): item for item in AccountObject.batch_get(keys)} if keys else {}


def _audited(data: dict) -> dict:
    return {key: data.get(key) for key in AUDITED}


def _path(portal: AccountObject, slug: str) -> str:
    return f"/hc/{portal.data['slug']}/articles/{slug}"


def _checked(portal: AccountObject, item_id: int | None, data: dict, now: int) -> dict:
    data = {key: data.get(key) for key in FIELDS} | {"created_at": data.get("created_at"), "views": data.get("views")}
    title = (data.get("title") or "").strip()
    if not title:
        raise Invalid("Title can't be blank", field="title")
    content = data.get("content") or ""
    if len(content.encode("utf-8", "surrogatepass")) > MAX_CONTENT_BYTES:
        raise PayloadTooLarge(f"Content is larger than {MAX_CONTENT_BYTES} bytes", field="content")
    data["content"] = content
    data["status"] = status_of(data.get("status") if data.get("status") is not None else DRAFT)
    category = None
    if data.get("category_id") is not None:
        category = categories.get(portal, data["category_id"])  # another portal's: 404
    locale = data.get("locale") or (category.data.get("locale") if category else None)
    data["locale"] = portals.locale_of(portal, locale)
    if category is not None and category.data.get("locale") != data["locale"]:
        raise Invalid("The category is of another locale than the article", field="category_id")
    if data.get("associated_article_id") is not None:
        if data["associated_article_id"] == item_id:
            raise Invalid("An article cannot be its own translation", field="associated_article_id")
        get(portal, data["associated_article_id"])
    slug = (data.get("slug") or f"{now}-{categories.slugify(title)}").strip().lower()
    if not categories.SLUG.match(slug):
        raise Invalid("Slug may contain only lowercase letters, digits and hyphens", field="slug")
    data["slug"] = slug
    meta = data.get("meta") or {}
    tags = meta.get("tags") or []
    if not isinstance(tags, list) or len(tags) > MAX_TAGS or not all(isinstance(t, str) and len(t) <= 100 for t in tags):
        raise Invalid(f"Meta tags must be a list of at most {MAX_TAGS} short strings", field="meta")
    data["meta"] = {"title": meta.get("title"), "description": meta.get("description"), "tags": tags}
    data["position"] = data.get("position") or 0
    data["views"] = data.get("views") or 0
    data["updated_at"] = now
    data["created_at"] = data.get("created_at") or now
    data["portal_id"] = portal.id
    return data


def _author(account_id: int, author_id: int) -> int:
    try:
        AccountUser.get(account_id, author_id)
    except AccountUser.DoesNotExist:
        raise Invalid(f"User {author_id} is not a member of this account", field="author_id") from None
    return author_id


def create(portal: AccountObject, author_id: int, data: dict) -> AccountObject:
    now = int(time.time())
    given_author, given_slug = data.get("author_id"), data.get("slug")
    data = _checked(portal, None, data, now)
    data["author_id"] = _author(portal.account_id, given_author) if given_author else author_id
    article_id = ids.next_id(ids.account_counter(portal.account_id, ARTICLE))
    if not data["position"]:
        data["position"] = article_id * 10
    item = AccountObject(portal.account_id, article_key(portal.id, article_id), id=article_id, data=data)

    def write(tx):
        tx.save(item, condition=AccountObject.key.does_not_exist())
        audit.add(tx, portal.account_id, "Article", article_id, "create", _audited(data))
        state.changed(tx, portal.account_id, portal.id, portal.data["slug"], article_ids=[article_id])

    claim = UniqueClaim(article_slug_claim(portal.account_id, portal.id, data["slug"]), target=item.key)
    try:
        state.commit(write, {"slug": claim})
    except Conflict as exc:
        if given_slug or not exc.errors or exc.errors[0].get("field") != "slug":
            raise
        # Two articles of the same title in the same second: the generated slug gets the id.
        data["slug"] = f"{data['slug']}-{article_id}"[:255]
        claim = UniqueClaim(article_slug_claim(portal.account_id, portal.id, data["slug"]), target=item.key)
        state.commit(write, {"slug": claim})
    return item


def update(portal: AccountObject, item: AccountObject, changes: dict) -> AccountObject:
    before = dict(item.data)
    merged = {**before, **changes}
    if changes.get("author_id") is not None and changes["author_id"] != before.get("author_id"):
        _author(portal.account_id, changes["author_id"])
    after = _checked(portal, item.id, merged, int(time.time()))
    after["author_id"] = merged.get("author_id") or before.get("author_id")
    moved = after["slug"] != before["slug"]
    item.data = after
    removed = [_path(portal, before["slug"])] if moved else []
    if before.get("status") == PUBLISHED and after["status"] != PUBLISHED:
        removed.append(_path(portal, after["slug"]))

    def write(tx):
        if moved:
            tx.delete(UniqueClaim(article_slug_claim(portal.account_id, portal.id, before["slug"])))
        tx.save(item)
        if changes := audit.diff(_audited(before), _audited(after)):
            if before.get("content") != after["content"]:
                changes["content"] = "changed"
            audit.add(tx, portal.account_id, "Article", item.id, "update", changes)
        elif before.get("content") != after["content"]:
            audit.add(tx, portal.account_id, "Article", item.id, "update", {"content": "changed"})
        state.changed(tx, portal.account_id, portal.id, portal.data["slug"], article_ids=[item.id],
                      removed_paths=removed)

    claims = {"slug": UniqueClaim(article_slug_claim(portal.account_id, portal.id, after["slug"]), target=item.key)}
    try:
        state.commit(write, claims if moved else {})
    except Exception:
        item.refresh()
        raise
    return item


def delete(portal: AccountObject, item: AccountObject) -> None:
    def write(tx):
        tx.delete(UniqueClaim(article_slug_claim(portal.account_id, portal.id, item.data["slug"])))
        tx.delete(item)
        audit.add(tx, portal.account_id, "Article", item.id, "destroy", _audited(item.data))
        state.changed(tx, portal.account_id, portal.id, portal.data["slug"], article_ids=[item.id],
                      removed_paths=[_path(portal, item.data["slug"])])

    state.commit(write)


def reorder(portal: AccountObject, positions: dict[int, int]) -> list[AccountObject]:
    """Set the positions of the portal's articles given ({id: position}) in one
    transaction; an id of another portal is 404."""
    items = [get(portal, article_id) for article_id in positions]

    def write(tx):
        for item in items:
            before = item.data.get("position")
            item.data = {**item.data, "position": positions[item.id]}
            tx.save(item)
            if before != positions[item.id]:
                audit.add(tx, portal.account_id, "Article", item.id, "update", {"position": [before, positions[item.id]]})
        state.changed(tx, portal.account_id, portal.id, portal.data["slug"], article_ids=[i.id for i in items])

    state.commit(write)
    return items


# ---------------------------------------------------------------- the dashboard's list

def counts(articles: list[AccountObject], user_id: int | None) -> dict:
    statuses = [a.data.get("status") for a in articles]
    return {"all_articles_count": len(articles), "archived_articles_count": statuses.count(ARCHIVED),
            "published_count": statuses.count(PUBLISHED), "draft_articles_count": statuses.count(DRAFT),
            "mine_articles_count": sum(1 for a in articles if user_id is not None and a.data.get("author_id") == user_id)}


def listing(portal: AccountObject, *, user_id: int, query: str | None = None, author_id: int | None = None,
            status: str | None = None, locale: str | None = None, category_slug: str | None = None,
            page: int = 1) -> tuple[list[AccountObject], dict]:
    """One page of the dashboard's article list and its meta (Chatwoot's counts are of
    the whole portal, in the locale asked for). `query` is the help center's ranked
    search over every status (services/help_center/search.py, scope "internal")."""
    every = all_of(portal)
    if locale:
        locale = portals.locale_of(portal, locale)
        every = [a for a in every if a.data.get("locale") == locale]
    meta = counts(every, user_id)
    found = every
    if status is not None:
        status = status_of(status)
        found = [a for a in found if a.data.get("status") == status]
    if author_id is not None:
        found = [a for a in found if a.data.get("author_id") == author_id]
    if category_slug:
        wanted = {c.id for c in categories.all_of(portal, locale) if c.data.get("slug") == category_slug}
        found = [a for a in found if a.data.get("category_id") in wanted]
    if query is not None and query.strip():
        ranked = search(portal, query, locale=locale, limit=100)
        by_id = {a.id: a for a in found}
        found = [by_id[article_id] for article_id, _ in ranked if article_id in by_id]
    start = (max(page, 1) - 1) * PER_PAGE
    return found[start:start + PER_PAGE], {**meta, "current_page": max(page, 1), "articles_count": len(found)}


def search(portal: AccountObject, query: str, *, locale: str | None = None, limit: int = 25) -> list[tuple[int, float]]:
    """(article id, score) of the portal's articles matching `query`, best first, every
    status (the dashboard's search: scope "internal"; at most 100). A query over 200
    characters is 422; only punctuation finds nothing."""
    if len(query) > MAX_QUERY:
        raise Invalid(f"The search query is longer than {MAX_QUERY} characters", field="q")
    from . import search as engine  # the search library loads on the searching path only

    hits = engine.search_articles(portal.account_id, portal.id, query, locale=locale, scope="internal", limit=limit)
    return [(int(hit.id), hit.score) for hit in hits]


def authors_of(items: list[AccountObject]) -> dict:
    """The users who wrote these articles: one BatchGet."""
    from ...models.user import User

    user_ids = {a.data.get("author_id") for a in items if a.data.get("author_id") is not None}
    return {u.id: u for u in User.batch_get(list(user_ids))} if user_ids else {}
