"""A portal's categories: name, description, slug (unique per portal and locale), locale,
position, icon, parent category and the same category in another locale. Each write is one
transaction with its slug claim, audit entry, the portal's version bump and event."""
from __future__ import annotations

import re

from ... import audit, ids
from ...errors import Invalid, NotFound
from ...models.account_object import AccountObject
from ...models.help_center import CATEGORY, article_prefix, category_key, category_prefix, category_slug_claim
from ...models.unique import UniqueClaim
from . import portals, state

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,126}[a-z0-9])?$")
MAX_CATEGORIES = 500
FIELDS = ("name", "description", "slug", "locale", "position", "icon", "parent_category_id", "associated_category_id")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:128].strip("-")


def all_of(portal: AccountObject, locale: str | None = None) -> list[AccountObject]:
    items = AccountObject.query(portal.account_id, AccountObject.key.startswith(category_prefix(portal.id)))
    found = [c for c in items if locale is None or c.data.get("locale") == locale]
    return sorted(found, key=lambda c: (c.data.get("position") or 0, c.id))


def get(portal: AccountObject, category_id: int) -> AccountObject:
    """The portal's category; one of another portal or account is 404."""
    try:
        return AccountObject.get(portal.account_id, category_key(portal.id, category_id))
    except AccountObject.DoesNotExist:
        raise NotFound("Category not found") from None


def _claim(portal: AccountObject, item: AccountObject) -> UniqueClaim:
    return UniqueClaim(category_slug_claim(portal.account_id, portal.id, item.data["locale"], item.data["slug"]),
                       target=item.key)


def _checked(portal: AccountObject, item_id: int | None, data: dict) -> dict:
    data = {key: data.get(key) for key in FIELDS}
    if not (data.get("name") or "").strip():
        raise Invalid("Name can't be blank", field="name")
    data["locale"] = portals.locale_of(portal, data.get("locale"))
    slug = (data.get("slug") or slugify(data["name"])).strip().lower()
    if not SLUG.match(slug):
        raise Invalid("Slug may contain only lowercase letters, digits and hyphens", field="slug")
    data["slug"] = slug
    for field in ("parent_category_id", "associated_category_id"):
        other = data.get(field)
        if other is not None:
            if other == item_id:
                raise Invalid(f"A category cannot be its own {field.removesuffix('_id').replace('_', ' ')}", field=field)
            get(portal, other)  # another portal's (or account's) category: 404
    if data.get("position") is None:
        data["position"] = 0
    return data


def create(portal: AccountObject, data: dict) -> AccountObject:
    existing = all_of(portal)
    if len(existing) >= MAX_CATEGORIES:
        raise Invalid(f"A portal has at most {MAX_CATEGORIES} categories")
    data = _checked(portal, None, data)
    if data["position"] == 0:
        data["position"] = max([c.data.get("position") or 0 for c in existing] or [0]) + 10
    data["portal_id"] = portal.id
    category_id = ids.next_id(ids.account_counter(portal.account_id, CATEGORY))
    item = AccountObject(portal.account_id, category_key(portal.id, category_id), id=category_id, data=data)

    def write(tx):
        tx.save(item, condition=AccountObject.key.does_not_exist())
        audit.add(tx, portal.account_id, "Category", category_id, "create", data)
        state.changed(tx, portal.account_id, portal.id, portal.data["slug"])

    state.commit(write, {"slug": _claim(portal, item)})
    return item


def update(portal: AccountObject, item: AccountObject, changes: dict) -> AccountObject:
    before = dict(item.data)
    after = {**_checked(portal, item.id, {**before, **changes}), "portal_id": portal.id}
    old_claim = _claim(portal, item)
    item.data = after
    new_claim = _claim(portal, item)
    moved = new_claim.key != old_claim.key

    def write(tx):
        if moved:
            tx.delete(old_claim)
        tx.save(item)
        if changes := audit.diff(before, after):
            audit.add(tx, portal.account_id, "Category", item.id, "update", changes)
        state.changed(tx, portal.account_id, portal.id, portal.data["slug"],
                      removed_paths=[f"/hc/{portal.data['slug']}/{before['locale']}/categories/{before['slug']}"]
                      if moved else [])

    try:
        state.commit(write, {"slug": new_claim} if moved else {})
    except Exception:
        item.refresh()
        raise
    return item


def delete(portal: AccountObject, item: AccountObject) -> None:
    """The category goes; its articles stay, without a category (Chatwoot nullifies them),
    and categories that named it as parent or translation forget it."""
    account_id = portal.account_id
    articles = [a for a in AccountObject.query(account_id, AccountObject.key.startswith(article_prefix(portal.id)))
                if a.data.get("category_id") == item.id]
    others = [c for c in all_of(portal)
              if item.id in (c.data.get("parent_category_id"), c.data.get("associated_category_id"))]

    # First the articles and categories that point at it (a portal's may be more than one
    # transaction holds), then the category, the version bump and the event in one
    # transaction: the indexer, woken by the event, sees none of them pointing at it.
    for other in others:
        other.data = {**other.data, **{field: None for field in ("parent_category_id", "associated_category_id")
                                       if other.data.get(field) == item.id}}
        other.save(add_version_condition=False)
    for article in articles:
        article.data = {**article.data, "category_id": None}
        article.save(add_version_condition=False)

    def write(tx):
        tx.delete(UniqueClaim(category_slug_claim(account_id, portal.id, item.data["locale"], item.data["slug"])))
        tx.delete(item)
        audit.add(tx, account_id, "Category", item.id, "destroy", item.data)
        state.changed(tx, account_id, portal.id, portal.data["slug"], article_ids=[a.id for a in articles],
                      removed_paths=[f"/hc/{portal.data['slug']}/{item.data['locale']}/categories/{item.data['slug']}"])

    state.commit(write)


def reorder(portal: AccountObject, positions: dict[int, int]) -> list[AccountObject]:
    """Set the positions of the portal's categories given ({id: position}); an id of
    another portal is 404. One transaction (at most 90 categories at once)."""
    items = [get(portal, category_id) for category_id in positions]

    def write(tx):
        for item in items:
            before = item.data.get("position")
            item.data = {**item.data, "position": positions[item.id]}
            tx.save(item)
            if before != positions[item.id]:
                audit.add(tx, portal.account_id, "Category", item.id, "update", {"position": [before, positions[item.id]]})
        state.changed(tx, portal.account_id, portal.id, portal.data["slug"])

    state.commit(write)
    return all_of(portal)
