"""Article search for the public site, the widget and the dashboard: versioned snapshots of
search_index.SearchIndex, cached in the container's memory.

The indexer (functions/help_center/indexer.py, on `help_center.changed`) calls `rebuild`:
it reads the portal's content version, Queries the portal's articles, builds one index per
locale for both scopes ("public": published articles of a portal that is not archived;
"internal": every article, for the dashboard), stores each scope as one gzip'd JSON object
`help_center/<account>/<portal>/<version>/<scope>.json.gz` in the storage bucket and then
raises the state's `data.index_version` to that version (conditionally: never lowered).

`search_articles` costs ONE GetItem (the state) on a warm container: the cached snapshot
is used while its version is the newest built; a newer index_version loads the new
snapshot (one S3 GET, once per container and version). While the content version is ahead
of the newest snapshot (a change the indexer has not caught up with, a few seconds), hits
are checked against the article items (one BatchGet), so an article unpublished or deleted
a moment ago is never found, in any warm container.
"""
from __future__ import annotations

import time
from typing import Callable, Iterable

from ... import aws, storage
from ...errors import Invalid
from ...models.account_object import AccountObject
from ...models.help_center import PUBLISHED, article_key, article_prefix, portal_key, state_key
from . import state
from .search_index import MAX_QUERY_LENGTH, Hit, SearchIndex, pack, unpack

SCOPES = ("public", "internal")
SNAPSHOT_FORMAT = 1
# what a hit carries for rendering (search_index keeps doc_meta verbatim)
PUBLIC_META = ("id", "slug", "title", "description", "locale", "category_id", "position", "updated_at")
INTERNAL_META = PUBLIC_META + ("status", "author_id")

# (account, portal, scope) -> (index_version, {locale: SearchIndex})
_cache: dict[tuple[int, int, str], tuple[int, dict[str, SearchIndex]]] = {}


def snapshot_prefix(account_id: int, portal_id: int) -> str:
    return f"help_center/{account_id}/{portal_id}/"


def snapshot_key(account_id: int, portal_id: int, version: int, scope: str) -> str:
    return f"{snapshot_prefix(account_id, portal_id)}{version}/{scope}.json.gz"


def check_query(query: str | None) -> str:
    query = query or ""
    if len(query) > MAX_QUERY_LENGTH:
        raise Invalid(f"query is too long (at most {MAX_QUERY_LENGTH} characters)", field="query")
    return query


# ---------------------------------------------------------------- searching

def search_articles(account_id: int, portal_id: int, query: str, *, locale: str | None = None,
                    scope: str = "public", limit: int = 10, known_state: tuple[int, int] | None = None,
                    check: Callable[[list[Hit]], list[Hit]] | None = None) -> list[Hit]:
    """Ranked hits (search_index.Hit; doc_meta = the article's id, slug, title, description,
    locale, category_id, position, updated_at, and for "internal" its status and author_id).
    `known_state` = (version, index_version) when the caller has just read it; `check`, a
    caller holding the articles of the current version already (the public site), filters
    stale hits itself instead of the BatchGet."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    query = check_query(query)
    limit = max(0, min(int(limit), 100))
    version, index_version = known_state or state.read(account_id, portal_id)
    indexes = _indexes(account_id, portal_id, scope, index_version)
    chosen = [indexes[locale]] if locale is not None and locale in indexes else \
        ([] if locale is not None else list(indexes.values()))
    stale = version > index_version
    # while stale some hits may be dropped below: ask for a few more
    want = limit + 10 if stale else limit
    hits: list[Hit] = []
    for index in chosen:
        hits.extend(index.search(query, limit=want))
    hits.sort(key=lambda h: -h.score)
    if stale and hits:
        hits = check(hits) if check is not None else _recheck(account_id, portal_id, scope, hits)
    return hits[:limit]


def _indexes(account_id: int, portal_id: int, scope: str, index_version: int) -> dict[str, SearchIndex]:
    cached = _cache.get((account_id, portal_id, scope))
    if cached is not None and cached[0] >= index_version:
        return cached[1]
    if index_version <= 0:
        return {}
    try:
        body = aws.client("s3").get_object(Bucket=storage.bucket(),
                                           Key=snapshot_key(account_id, portal_id, index_version, scope))["Body"].read()
    except aws.client("s3").exceptions.NoSuchKey:
        return cached[1] if cached else {}
    snapshot = unpack(body)
    indexes = {loc: SearchIndex.from_dict(ix) for loc, ix in (snapshot.get("locales") or {}).items()}
    _cache[(account_id, portal_id, scope)] = (index_version, indexes)
    return indexes


def _recheck(account_id: int, portal_id: int, scope: str, hits: list[Hit]) -> list[Hit]:
    """Drop hits whose article is gone (or, in public, no longer published, or whose portal
    is archived) and show the current title and description: one BatchGet."""
    keys = [(account_id, article_key(portal_id, int(h.id))) for h in hits]
    if scope == "public":
        keys.append((account_id, portal_key(portal_id)))
    items = {item.key: item for item in AccountObject.batch_get(keys)}
    if scope == "public":
        portal = items.get(portal_key(portal_id))
        if portal is None or (portal.data or {}).get("archived"):
            return []
    fields = PUBLIC_META if scope == "public" else INTERNAL_META
    fresh: list[Hit] = []
    for h in hits:
        item = items.get(article_key(portal_id, int(h.id)))
        if item is None or (scope == "public" and (item.data or {}).get("status") != PUBLISHED):
            continue
        fresh.append(Hit(h.id, h.score, {**h.doc_meta, **_meta(item, fields)}))
    return fresh


# ---------------------------------------------------------------- building (the indexer)

def _meta(item: AccountObject, fields: Iterable[str]) -> dict:
    data = item.data or {}
    values = {**data, "id": int(item.id)}
    return {f: values.get(f) for f in fields}


def _doc(item: AccountObject, fields: Iterable[str]) -> dict:
    data = item.data or {}
    meta = data.get("meta") or {}
    tags = " ".join(str(t) for t in (meta.get("tags") or []) if isinstance(t, str))
    # SEO description and tags are searched with the description
    description = " ".join(x for x in (data.get("description") or "", meta.get("description") or "", tags) if x)
    return {**_meta(item, fields), "description": description.strip() or None,
            "content": data.get("content") or "", "_description": data.get("description")}


def build_snapshots(portal: AccountObject) -> dict[str, dict]:
    """Both scopes' snapshots (plain data) of the portal's articles as they are now."""
    account_id, portal_id = portal.account_id, int(portal.id)
    articles = list(AccountObject.query(account_id, AccountObject.key.startswith(article_prefix(portal_id))))
    public_open = not (portal.data or {}).get("archived")
    out = {}
    for scope in SCOPES:
        fields = PUBLIC_META if scope == "public" else INTERNAL_META
        by_locale: dict[str, list[dict]] = {}
        for item in articles:
            data = item.data or {}
            if scope == "public" and (not public_open or data.get("status") != PUBLISHED):
                continue
            by_locale.setdefault(str(data.get("locale") or "en"), []).append(_doc(item, fields))
        locales = {}
        for loc, docs in by_locale.items():
            docs.sort(key=lambda d: (d.get("position") or 0, d["id"]))
            index = SearchIndex.build(docs, loc)
            for meta in index.docs:  # hits show the article's own description, not the SEO text
                meta["description"] = meta.pop("_description", None)
            locales[loc] = index.to_dict()
        out[scope] = {"format": SNAPSHOT_FORMAT, "locales": locales}
    return out


def rebuild(account_id: int, portal_id: int) -> dict:
    """Build and store the snapshots of the portal's current content version unless one as
    new is stored already (idempotent per version). Returns what it did."""
    version, index_version = state.read(account_id, portal_id)
    if 0 < version <= index_version:
        return {"built": False, "version": version, "index_version": index_version}
    # A deletion bumps the version (or its state is gone already): it always gets here.
    portal = _portal(account_id, portal_id) if version else None
    if portal is None:  # a deleted portal: its snapshots go
        return {"built": False, "version": version, "pruned": prune(account_id, portal_id, keep_from=None)}
    started = time.monotonic()
    snapshots = build_snapshots(portal)
    s3 = aws.client("s3")
    sizes = {}
    for scope, snapshot in snapshots.items():
        body = pack(snapshot)
        sizes[scope] = len(body)
        s3.put_object(Bucket=storage.bucket(), Key=snapshot_key(account_id, portal_id, version, scope), Body=body,
                      ContentType="application/json", ContentEncoding="gzip")
    raised = _raise_index_version(account_id, portal_id, version)
    # Versions older than the one just replaced are read by no one: a container reads the
    # state, then the snapshot it names, so the replaced one is kept for those mid-switch.
    pruned = prune(account_id, portal_id, keep_from=index_version) if raised else 0
    return {"built": True, "version": version, "raised": raised, "bytes": sizes, "pruned": pruned,
            "ms": round((time.monotonic() - started) * 1000)}


def _portal(account_id: int, portal_id: int) -> AccountObject | None:
    try:
        return AccountObject.get(account_id, portal_key(portal_id))
    except AccountObject.DoesNotExist:
        return None


def prune(account_id: int, portal_id: int, keep_from: int | None) -> int:
    """Delete the portal's stored snapshots of versions below `keep_from` (every one when
    None); returns how many objects went. One List per 1,000 objects, one Delete each."""
    s3 = aws.client("s3")
    prefix = snapshot_prefix(account_id, portal_id)
    doomed = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=storage.bucket(), Prefix=prefix):
        for entry in page.get("Contents") or ():
            version = entry["Key"][len(prefix):].split("/", 1)[0]
            if version.isdigit() and (keep_from is None or int(version) < keep_from):
                doomed.append(entry["Key"])
    for key in doomed:
        s3.delete_object(Bucket=storage.bucket(), Key=key)
    return len(doomed)


def _raise_index_version(account_id: int, portal_id: int, version: int) -> bool:
    """Set data.index_version = version unless it is already as high. The state item's
    version attribute makes it a compare-and-set: a change that bumps the content version
    meanwhile makes this retry from a fresh read."""
    from pynamodb.exceptions import UpdateError

    for _ in range(8):
        try:
            item = AccountObject.get(account_id, state_key(portal_id), consistent_read=True)
        except AccountObject.DoesNotExist:
            return False
        data = dict(item.data or {})
        if int(data.get("index_version") or 0) >= version:
            return False
        data["index_version"] = version
        try:  # only `data`: the content version (`id`) is the changes' own
            item.update(actions=[AccountObject.data.set(data)])
            return True
        except UpdateError as exc:
            if "ConditionalCheckFailed" not in str(exc):
                raise
    return False


def forget() -> None:
    """Empty the container's snapshot cache (tests)."""
    _cache.clear()
