"""The help center as Chatwoot's API renders it: portals, categories, articles, search hits.

Render only: the routes hand over the items (and what was read with them: the portal's
categories and articles for its counts, the linked inbox, the authors)."""
from __future__ import annotations

from typing import Iterable

from .. import storage
from ..models.account_object import AccountObject
from ..models.user import User


def logo(portal: AccountObject, record: dict | None) -> dict | None:
    if not record:
        return None
    return {"id": record.get("id"), "portal_id": portal.id, "file_type": record.get("content_type") or "image/png",
            "account_id": portal.account_id, "file_url": storage.download_url(record), "blob_id": record.get("id"),
            "filename": record.get("filename") or "logo"}


def portal(item: AccountObject, categories: list[AccountObject], articles: list[AccountObject], *,
           user_id: int | None = None, inbox: dict | None = None) -> dict:
    data = item.data
    config = data.get("config") or {}
    locales = config.get("allowed_locales") or []
    statuses = [a.data.get("status") for a in articles]
    body = {
        "id": item.id, "account_id": item.account_id, "name": data.get("name") or "", "slug": data.get("slug") or "",
        "color": data.get("color") or "", "custom_domain": data.get("custom_domain"),
        "header_text": data.get("header_text") or "", "homepage_link": data.get("homepage_link") or "",
        "page_title": data.get("page_title") or "", "archived": bool(data.get("archived")),
        "config": {"allowed_locales": [{
            "code": code,
            "articles_count": sum(1 for a in articles if a.data.get("locale") == code),
            "categories_count": sum(1 for c in categories if c.data.get("locale") == code)} for code in locales],
            "default_locale": config.get("default_locale")},
        "translations": data.get("translations") or {},
        "inbox_id": data.get("inbox_id"),
        "member_ids": list(data.get("member_ids") or []),
        "meta": {"all_articles_count": len(articles), "archived_articles_count": statuses.count("archived"),
                 "published_count": statuses.count("published"), "draft_articles_count": statuses.count("draft"),
                 "mine_articles_count": sum(1 for a in articles if user_id is not None
                                            and a.data.get("author_id") == user_id),
                 "categories_count": len(categories), "default_locale": config.get("default_locale")},
    }
    if inbox is not None:
        body["inbox"] = inbox
    for field in ("logo", "dark_logo"):
        rendered = logo(item, data.get(field))
        if rendered is not None:
            body[field] = rendered
    return body


def category(item: AccountObject, articles_count: int = 0, related: Iterable[AccountObject] = ()) -> dict:
    data = item.data
    return {"id": item.id, "account_id": item.account_id, "portal_id": data.get("portal_id"),
            "name": data.get("name") or "", "slug": data.get("slug") or "", "locale": data.get("locale") or "",
            "description": data.get("description") or "", "position": data.get("position") or 0,
            "icon": data.get("icon") or "", "parent_category_id": data.get("parent_category_id"),
            "associated_category_id": data.get("associated_category_id"),
            "related_categories": [{"id": c.id, "name": c.data.get("name") or "", "slug": c.data.get("slug") or "",
                                    "locale": c.data.get("locale") or ""} for c in related],
            "meta": {"articles_count": articles_count}}


def author(user: User | None, user_id: int | None) -> dict | None:
    if user is None:
        return None if user_id is None else {"id": user_id, "name": "", "available_name": "", "avatar_url": "",
                                             "thumbnail": ""}
    return {"id": user.id, "name": user.name, "available_name": user.available_name,
            "avatar_url": user.avatar_url or "", "thumbnail": user.avatar_url or ""}


def article(item: AccountObject, *, authors: dict[int, User] | None = None,
            categories: dict[int, AccountObject] | None = None,
            associated: Iterable[AccountObject] = (), views: int | None = None) -> dict:
    data = item.data
    category_item = (categories or {}).get(data.get("category_id"))
    author_id = data.get("author_id")
    body = {
        "id": item.id, "account_id": item.account_id, "portal_id": data.get("portal_id"),
        "category_id": data.get("category_id"), "slug": data.get("slug") or "", "title": data.get("title") or "",
        "description": data.get("description") or "", "content": data.get("content") or "",
        "status": data.get("status") or "draft", "position": data.get("position") or 0,
        "locale": data.get("locale") or "", "author_id": author_id,
        "updated_at": int(data.get("updated_at") or 0), "created_at": int(data.get("created_at") or 0),
        "meta": data.get("meta") or {}, "views": int(views if views is not None else data.get("views") or 0),
        "author": author((authors or {}).get(author_id), author_id),
        "associated_article_id": data.get("associated_article_id"),
        "associated_articles": [{"id": a.id, "title": a.data.get("title") or "", "slug": a.data.get("slug") or "",
                                 "locale": a.data.get("locale") or "", "status": a.data.get("status") or "draft"}
                                for a in associated],
    }
    if category_item is not None:
        body["category"] = {"id": category_item.id, "name": category_item.data.get("name") or "",
                            "slug": category_item.data.get("slug") or "",
                            "locale": category_item.data.get("locale") or ""}
    return body


def search_hit(item: AccountObject, portal_slug: str, category_name: str | None) -> dict:
    """An article in `GET .../search/articles` (Chatwoot's search payload)."""
    data = item.data
    return {"id": item.id, "title": data.get("title") or "", "locale": data.get("locale") or "",
            "content": data.get("content") or "", "slug": data.get("slug") or "", "portal_slug": portal_slug,
            "account_id": item.account_id, "category_name": category_name, "status": data.get("status") or "draft",
            "updated_at": int(data.get("updated_at") or 0)}
