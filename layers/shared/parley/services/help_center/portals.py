"""Portals: a help center's site (name, slug, domain, colours, logos, locales, the web
widget inbox it is linked to, its members). Addressed by slug, as in Chatwoot.

Every write is one transaction (state.commit): the portal item, its claims (slug and
custom domain, unique in the installation; the linked inbox's reverse lookup), its audit
entry, the portal's content version and the internal `help_center.changed` event."""
from __future__ import annotations

import re
import uuid

from ... import audit, aws, filetypes, ids, permissions, storage
from ...errors import Invalid, NotFound
from ...models.account import AccountUser
from ...models.account_object import AccountObject
from ...models.help_center import (PORTAL, article_prefix, article_slug_claim, category_prefix,
                                   category_slug_claim, known_locale, portal_domain_claim, portal_inbox_claim,
                                   portal_key, portal_prefix, portal_slug_claim, portal_target, state_key)
from ...models.unique import UniqueClaim
from ..inbox import inboxes
from . import state

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
MAX_PORTALS = 100
MAX_LOCALES = 30
MAX_MEMBERS = 500
LOGO_BYTES = 2 * 1024 * 1024
TRANSLATED = ("page_title", "header_text")
AUDITED = ("name", "slug", "custom_domain", "color", "homepage_link", "page_title", "header_text", "translations",
           "config", "archived", "inbox_id", "member_ids")


def _audited(data: dict) -> dict:
    return {key: data.get(key) for key in AUDITED}


# ---------------------------------------------------------------- reading

def all_of(account_id: int) -> list[AccountObject]:
    return list(AccountObject.query(account_id, AccountObject.key.startswith(portal_prefix()), limit=MAX_PORTALS))


def get(account_id: int, portal_id: int) -> AccountObject:
    try:
        return AccountObject.get(account_id, portal_key(portal_id))
    except AccountObject.DoesNotExist:
        raise NotFound("Portal not found") from None


def by_slug(account_id: int, slug: str) -> AccountObject:
    """The account's portal with this slug (one GetItem on the claim, one on the portal);
    another account's portal is not found."""
    if not SLUG.match(slug or ""):
        raise NotFound("Portal not found")
    try:
        claim = UniqueClaim.get(portal_slug_claim(slug))
    except UniqueClaim.DoesNotExist:
        raise NotFound("Portal not found") from None
    account, _, portal_id = claim.target.partition(":")
    if account != str(account_id) or not portal_id.isdigit():
        raise NotFound("Portal not found")
    return get(account_id, int(portal_id))


def for_inbox(account_id: int, inbox_id: int) -> AccountObject | None:
    """The portal linked to this inbox, if any (the widget's config): one GetItem on the
    reverse claim, one on the portal; an archived portal is not shown."""
    try:
        claim = UniqueClaim.get(portal_inbox_claim(account_id, inbox_id))
    except UniqueClaim.DoesNotExist:
        return None
    portal_id = claim.target.partition(":")[2]
    try:
        portal = get(account_id, int(portal_id))
    except (NotFound, ValueError):
        return None
    return None if portal.data.get("archived") or portal.data.get("inbox_id") != inbox_id else portal


def contents(portal: AccountObject) -> tuple[list[AccountObject], list[AccountObject]]:
    """(categories, articles) of the portal: two Queries, every page."""
    account_id, portal_id = portal.account_id, portal.id
    categories = list(AccountObject.query(account_id, AccountObject.key.startswith(category_prefix(portal_id))))
    articles = list(AccountObject.query(account_id, AccountObject.key.startswith(article_prefix(portal_id))))
    return categories, articles


# ---------------------------------------------------------------- who may write

def require_writer(member: AccountUser, portal: AccountObject | None) -> AccountUser:
    """Administrators, custom roles with knowledge_base_manage, and the portal's members."""
    return permissions.require_knowledge_base(member, (portal.data.get("member_ids") or []) if portal else [])


# ---------------------------------------------------------------- validating

def _slug(value: str) -> str:
    slug = (value or "").strip().lower()
    if not SLUG.match(slug):
        raise Invalid("Slug may contain only lowercase letters, digits and hyphens (at most 64)", field="slug")
    return slug


def _domain(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    domain = value.strip().lower()
    if "://" in domain:  # a URL given: its host, as Chatwoot keeps it
        domain = domain.split("://", 1)[1]
    domain = domain.split("/", 1)[0].rstrip(".")
    if not DOMAIN.match(domain):
        raise Invalid("Custom domain is not a valid host name", field="custom_domain")
    return domain


def _config(config: dict, translations: dict) -> dict:
    locales = config.get("allowed_locales") or ["en"]
    if not isinstance(locales, list) or len(locales) > MAX_LOCALES:
        raise Invalid(f"Allowed locales must be a list of at most {MAX_LOCALES} locale codes", field="config")
    locales = list(dict.fromkeys(locales))
    for code in locales:
        if not known_locale(code):
            raise Invalid(f"{str(code)[:20]!r} is not a known locale code", field="config")
    default = config.get("default_locale") or locales[0]
    if default not in locales:
        raise Invalid("The default locale must be one of the allowed locales", field="config")
    for code in translations:
        if code not in locales:
            raise Invalid(f"Translation {code[:20]!r} is not one of the portal's locales", field="translations")
    return {"allowed_locales": locales, "default_locale": default}


def _members(account_id: int, user_ids: list[int]) -> list[int]:
    user_ids = sorted(set(user_ids))
    if len(user_ids) > MAX_MEMBERS:
        raise Invalid(f"A portal has at most {MAX_MEMBERS} members", field="member_ids")
    found = {m.user_id for m in AccountUser.batch_get([(account_id, u) for u in user_ids])} if user_ids else set()
    if missing := [u for u in user_ids if u not in found]:
        raise Invalid(f"User {missing[0]} is not a member of this account", field="member_ids")
    return user_ids


def _inbox(account_id: int, inbox_id: int | None) -> int | None:
    if inbox_id is None:
        return None
    inbox = inboxes.get_inbox(account_id, inbox_id)  # another account's inbox: 404
    if inbox.channel_type != "web_widget":
        raise Invalid("A portal can be linked to a website inbox only", field="inbox_id")
    return inbox.id


def _checked(account_id: int, data: dict) -> dict:
    data = dict(data)
    data["slug"] = _slug(data.get("slug") or "")
    data["custom_domain"] = _domain(data.get("custom_domain"))
    if data.get("color") and not COLOR.match(data["color"]):
        raise Invalid("Color must be a hex colour like #1f93ff", field="color")
    translations = data.get("translations") or {}
    for code, texts in translations.items():
        if not isinstance(texts, dict) or set(texts) - set(TRANSLATED):
            raise Invalid("A translation has page_title and header_text only", field="translations")
    data["translations"] = translations
    data["config"] = _config(data.get("config") or {}, translations)
    data["inbox_id"] = _inbox(account_id, data.get("inbox_id"))
    data["member_ids"] = _members(account_id, data.get("member_ids") or [])
    data["archived"] = bool(data.get("archived"))
    return data


def _claims(portal: AccountObject, before: dict) -> tuple[dict[str, UniqueClaim], list[str]]:
    """New claims (field -> claim) and the keys of the claims it gives up."""
    target = portal_target(portal.account_id, portal.id)
    new, old = {}, []
    for field, key_of in (("slug", portal_slug_claim), ("custom_domain", portal_domain_claim)):
        value, previous = portal.data.get(field), before.get(field)
        if value != previous:
            if value:
                new[field] = UniqueClaim(key_of(value), target=target)
            if previous:
                old.append(key_of(previous))
    inbox, previous_inbox = portal.data.get("inbox_id"), before.get("inbox_id")
    if inbox != previous_inbox:
        if inbox is not None:
            new["inbox_id"] = UniqueClaim(portal_inbox_claim(portal.account_id, inbox), target=target)
        if previous_inbox is not None:
            old.append(portal_inbox_claim(portal.account_id, previous_inbox))
    return new, old


def _removed(before: dict, after: dict) -> list[str]:
    """Public paths a change takes away (the slug it gave up: the indexer invalidates them)."""
    gone = []
    if before.get("slug") and before.get("slug") != after.get("slug"):
        gone.append(f"/hc/{before['slug']}/*")
    return gone


# ---------------------------------------------------------------- writing

def create(account_id: int, data: dict) -> AccountObject:
    if len(all_of(account_id)) >= MAX_PORTALS:
        raise Invalid(f"An account has at most {MAX_PORTALS} portals")
    data = _checked(account_id, {"color": "#1f93ff", "homepage_link": None, "page_title": None, "header_text": None,
                                 "logo": None, "dark_logo": None, **data})
    portal_id = ids.next_id(ids.account_counter(account_id, PORTAL))
    portal = AccountObject(account_id, portal_key(portal_id), id=portal_id, data=data)
    claims, _ = _claims(portal, {})

    def write(tx):
        tx.save(portal, condition=AccountObject.key.does_not_exist())
        audit.add(tx, account_id, "Portal", portal_id, "create", _audited(data))
        state.changed(tx, account_id, portal_id, data["slug"])

    state.commit(write, claims)
    return portal


def update(portal: AccountObject, changes: dict) -> AccountObject:
    before = dict(portal.data)
    merged = {**before, **changes}
    if "config" in changes and changes["config"] is not None:
        merged["config"] = {**(before.get("config") or {}), **changes["config"]}
    after = _checked(portal.account_id, merged)
    return _save(portal, before, after)


def _save(portal: AccountObject, before: dict, after: dict, *, action: str = "update") -> AccountObject:
    claims, released = _claims(AccountObject(portal.account_id, portal.key, id=portal.id, data=after), before)
    portal.data = after

    def write(tx):
        for key in released:
            tx.delete(UniqueClaim(key))
        tx.save(portal)
        changes = audit.diff(_audited(before), _audited(after))
        if changes or action != "update":
            audit.add(tx, portal.account_id, "Portal", portal.id, action, changes)
        state.changed(tx, portal.account_id, portal.id, after["slug"], removed_paths=_removed(before, after))

    try:
        state.commit(write, claims)
    except Exception:
        portal.refresh()
        raise
    return portal


def archive(portal: AccountObject, archived: bool = True) -> AccountObject:
    return _save(portal, dict(portal.data), {**portal.data, "archived": archived})


def delete(portal: AccountObject) -> None:
    """The portal, its claims and state go in one transaction (its public pages are gone
    at once); its categories and articles, and their slug claims, are deleted after it,
    in batches, as nothing can reach them any more."""
    data, account_id = portal.data, portal.account_id
    claims = [portal_slug_claim(data["slug"])]
    if data.get("custom_domain"):
        claims.append(portal_domain_claim(data["custom_domain"]))
    if data.get("inbox_id") is not None:
        claims.append(portal_inbox_claim(account_id, data["inbox_id"]))
    categories, articles = contents(portal)

    def write(tx):
        for key in claims:
            tx.delete(UniqueClaim(key))
        tx.delete(portal)
        audit.add(tx, account_id, "Portal", portal.id, "destroy", _audited(data))
        state.changed(tx, account_id, portal.id, data["slug"], article_ids=[a.id for a in articles],
                      removed_paths=[f"/hc/{data['slug']}/*"] + _removed(data, {}))

    state.commit(write)
    with AccountObject.batch_write() as batch:
        for item in categories + articles:
            batch.delete(item)
        batch.delete(AccountObject(account_id, state_key(portal.id)))
    with UniqueClaim.batch_write() as batch:
        for item in categories:
            batch.delete(UniqueClaim(category_slug_claim(account_id, portal.id, item.data.get("locale") or "",
                                                         item.data.get("slug") or "")))
        for item in articles:
            batch.delete(UniqueClaim(article_slug_claim(account_id, portal.id, item.data.get("slug") or "")))
    _delete_files([record for record in (data.get("logo"), data.get("dark_logo")) if record])


# ---------------------------------------------------------------- logos

def set_logo(portal: AccountObject, content: bytes, filename: str | None, *, dark: bool = False) -> AccountObject:
    """Store an uploaded logo (raster images only, by their bytes: 422 otherwise)."""
    if not content:
        raise Invalid("The logo is empty", field="logo")
    if len(content) > LOGO_BYTES:
        raise Invalid(f"The logo is larger than {LOGO_BYTES // 1024 // 1024} MB", field="logo")
    kind = filetypes.sniff(content[:filetypes.SNIFF_BYTES])
    if kind not in filetypes.RASTER:
        raise Invalid("The logo must be a PNG, JPEG, GIF or WebP image", field="logo")
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", (filename or "logo").rsplit("/", 1)[-1])[:100] or "logo"
    key = f"help_center/{portal.account_id}/{portal.id}/logos/{uuid.uuid4().hex}/{name}"
    served_as, inline = filetypes.serving(kind)
    aws.client("s3").put_object(Bucket=storage.bucket(), Key=key, Body=content, ContentType=served_as,
                                ContentDisposition=storage.disposition(name, inline))
    field = "dark_logo" if dark else "logo"
    record = {"id": ids.next_id("Attachment"), "key": key, "kind": kind, "content_type": served_as,
              "file_type": "image", "filename": name, "file_size": len(content)}
    previous = portal.data.get(field)
    try:
        saved = _save(portal, dict(portal.data), {**portal.data, field: record})
    except Exception:
        _delete_files([record])
        raise
    if previous:
        _delete_files([previous])
    return saved


def remove_logo(portal: AccountObject, *, dark: bool = False) -> AccountObject:
    field = "dark_logo" if dark else "logo"
    previous = portal.data.get(field)
    if not previous:
        return portal
    saved = _save(portal, dict(portal.data), {**portal.data, field: None})
    _delete_files([previous])
    return saved


def _delete_files(records: list[dict]) -> None:
    keys = [record["key"] for record in records if record.get("key")]
    if keys:
        aws.client("s3").delete_objects(Bucket=storage.bucket(), Delete={"Objects": [{"Key": k} for k in keys],
                                                                         "Quiet": True})


def locale_of(portal: AccountObject, locale: str | None) -> str:
    """`locale` if the portal allows it (422 otherwise), or the portal's default."""
    config = portal.data.get("config") or {}
    if locale is None or locale == "":
        return config.get("default_locale") or "en"
    if locale not in (config.get("allowed_locales") or []):
        raise Invalid(f"Locale {str(locale)[:20]!r} is not one of the portal's locales", field="locale")
    return locale

