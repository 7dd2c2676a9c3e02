"""What an assistant answers from, searched.

The assistant's knowledge version (services/captain/state.py) changes with every write
that changes what the assistant may answer from. A question reads the version (and the linked
portals' content versions, services/help_center/state.py) with one request and answers
from the index built for exactly those versions, so a change is used, or no longer used,
by every warm container from the next question on.

`Hit` and `Retrieval` are what a search answers: the answering rules
(services/captain/answering.py) decide on them, and the benchmark scores them."""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from ...llm.port import ProviderError
from ...models.account_object import AccountObject
from . import assistants, documents, responses
from .chunks import CHUNK_MAX, pack
from .state import read, state_key

log = logging.getLogger(__name__)

KINDS = ("faq", "document", "article")


@dataclass(frozen=True)
class Hit:
    """One piece of knowledge matching a question. `text` is what may be said (an FAQ's
    answer, a document chunk, an article excerpt); `url` is where it came from (None for
    an FAQ); `confidence` is in [0, 1], comparable across questions."""
    kind: str  # one of KINDS
    id: int  # the FAQ's, document's or article's id
    title: str  # the FAQ's question, the document's name, the article's title
    text: str
    url: str | None
    score: float  # the retriever's raw score
    confidence: float


@dataclass(frozen=True)
class Retrieval:
    hits: tuple[Hit, ...]  # best first
    threshold: float  # the confidence the best hit must reach to be answered from
    retriever: str = ""  # what ranked them: an offline retriever's name, or "remote" (the provider's embeddings)

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def confident(self) -> bool:
        return bool(self.hits) and self.hits[0].confidence >= self.threshold


# ================================================================ searching
#
# An assistant's index is built from its knowledge (read within the bounds below) for
# exactly one version key: (retriever, the assistant's knowledge version, for each inbox it
# answers in the portal linked to it and that portal's content version). A warm container
# checks the key with ONE BatchGetItem per question (the assistant's state item, the
# portal-inbox claims of its inboxes and the linked portals' state items) and answers from
# its cached index while the key is unchanged; a changed key loads the snapshot another
# container stored for it (`captain-index/<account>/<assistant>/<key>.json.gz` in the
# uploads bucket) or rebuilds, stores a snapshot and prunes the assistant's older ones.
# Linking or unlinking an inbox bumps the assistant's version (assistants.py), so the set
# of inboxes read from the cache is never stale past one question.

SNAPSHOT_PREFIX = "captain-index/"
SNAPSHOT_FORMAT = 1

# Bounds on what one build reads (docs/captain.md "Knowledge and retrieval").
MAX_FAQS = 5_000            # approved FAQs of the assistant (the account's FAQ Query stops at 10,000)
MAX_DOCUMENTS = 100         # available documents
MAX_CHUNKS = 5_000          # document chunks, all documents together
MAX_ARTICLES = 2_000        # published articles, all linked portals together
MAX_ARTICLE_CHARS = 20_000  # of one article's text indexed (in excerpts: services/captain/chunks.py)
MAX_QUESTION = 2_000        # characters of a question (and of the history joined to it) searched
MAX_K = 20
BATCH_KEYS = 100            # DynamoDB's BatchGetItem limit

# The provider's embedding model (docs/captain.md "Retrieval with the provider's embedding model").
EMBED_BATCH = 64            # passages sent to the provider at a time while building
EMBED_BUILD_SECONDS = 20.0  # of embedding the knowledge per question; the rest continues at the next one
EMBED_RETRY_SECONDS = 60.0  # after the provider failed a build, questions use the offline index this long
MAX_EMBEDDED_QUESTION = 2_000

# (account, assistant) -> _Built
_cache: dict[tuple[int, int], "_Built"] = {}


@dataclass
class _Built:
    key: str
    inbox_ids: tuple[int, ...]
    portals: dict[int, int]  # portal id -> the inbox it is linked through (first one)
    passages: list
    retriever: object
    embedding: tuple | None = None  # (provider, base URL, model) of a "remote" index


@dataclass
class _Seen:
    """What the one BatchGetItem read."""
    version: int
    linked: dict  # inbox -> portal or None
    portal_versions: dict  # portal -> content version
    override: AccountObject | None = None  # the assistant's provider settings
    account: AccountObject | None = None  # the account's


@dataclass
class _Embedding:
    """The provider's embedding model retrieval uses now, and how to reach it."""
    identity: tuple  # (provider, base URL, model)
    provider: Callable[[], object]  # builds the Provider (its key read, cached) when needed
    pivot: float

    @property
    def tag(self) -> str:
        """The identity in the index's version key (and its snapshot's name): a changed
        provider, endpoint or model is another index."""
        return "e" + hashlib.sha256("\n".join(self.identity).encode()).hexdigest()[:12]


# (account, assistant, identity) -> monotonic time of the provider's last failed build
_unavailable: dict[tuple, float] = {}
# (account, assistant, identity) -> {passage text: vector} made so far (a build cut short by
# EMBED_BUILD_SECONDS continues from here at the next question)
_partial: dict[tuple, dict] = {}


def retriever_name() -> str:
    """CAPTAIN_RETRIEVER (an unknown name: the default); one whose packages are not
    installed here falls back to "bm25", which needs none beyond the shared layer."""
    from ... import global_config
    from .retrievers import DEFAULT, NAMES, available
    name = str(global_config.get("CAPTAIN_RETRIEVER", "") or "").strip().lower()
    name = name if name in NAMES else DEFAULT
    if not available(name):
        log.warning("captain retriever %s is not installed here: using bm25", name)
        return "bm25"
    return name


def threshold() -> float:
    """CAPTAIN_CONFIDENCE_THRESHOLD (percent) as a share; confidences are calibrated per
    retriever, so one threshold serves them all."""
    from ... import global_config
    from .retrievers import DEFAULT_THRESHOLD
    try:
        percent = int(global_config.get("CAPTAIN_CONFIDENCE_THRESHOLD", None))
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD
    return max(0, min(100, percent)) / 100


def embedding_pivot(model: str) -> float:
    """CAPTAIN_EMBEDDING_PIVOT: the raw confidence (percent) of the provider's embedding
    model that maps to 0.5, so the one threshold keeps its meaning. "40" for every model, or
    "40, text-embedding-3-small=35, amazon.titan-embed-text-v2:0=45" (a model named gets its
    own; the bare number the rest). Unset or unreadable: retrievers.DEFAULT_REMOTE_PIVOT."""
    from ... import global_config
    from .retrievers import DEFAULT_REMOTE_PIVOT
    pivot = DEFAULT_REMOTE_PIVOT
    own = None
    for part in str(global_config.get("CAPTAIN_EMBEDDING_PIVOT", "") or "").split(","):
        name, _, value = part.strip().rpartition("=")
        try:
            percent = float(value)
        except ValueError:
            continue
        if not 1 <= percent <= 99:
            continue
        if not name:
            pivot = percent / 100
        elif name.strip() == model:
            own = percent / 100
    return own if own is not None else pivot


def search(account_id: int, assistant: AccountObject, question: str, *, k: int = 5,
           history: Sequence[str] = ()) -> Retrieval:
    """The assistant's knowledge best matching `question` (the customer's latest message;
    `history`, their earlier messages, oldest first, helps a short follow-up), k at most,
    best first, one per answer (FAQs sharing an answer count once). One BatchGetItem on a
    warm container whose index is current. With the provider's embedding model, the
    question is embedded too (one call, recorded in the account's usage); a provider that
    fails then is logged and the offline retriever answers instead."""
    from .retrievers import Remote, calibrated
    name = retriever_name()
    needed = threshold()
    k = max(1, min(int(k), MAX_K))
    text = _question(question, history)
    built, embedding = _index(account_id, assistant, name)
    if not text.strip() or not built.passages:
        return Retrieval((), needed, name)
    used, pivot = name, None
    if isinstance(built.retriever, Remote) and embedding is not None:
        try:
            done = embedding.provider().embeddings([text[:MAX_EMBEDDED_QUESTION]], query=True)
            _record(account_id, assistant.id, done)
            if len(done.vectors) != 1:
                raise ProviderError("bad_response", "the embedding model answered no vector for the question")
            found = built.retriever.search_with(text, done.vectors[0], k)
            used, pivot = "remote", embedding.pivot
        except ProviderError as exc:
            log.warning("captain: the provider's embedding model failed on a question (%s: %s); "
                        "answering from the offline retriever", exc.reason, exc.detail)
            found = built.retriever.search(text, k)
            used = built.retriever.offline_name
    else:
        found = built.retriever.search(text, k)
    hits = []
    for d, score, confidence in found:
        p = built.passages[d]
        shown = calibrated(used, confidence, pivot)
        hits.append(Hit(p["kind"], int(p["id"]), p["title"], p["text"], p.get("url"), round(float(score), 4),
                        round(shown, 4)))
    return Retrieval(tuple(hits), needed, used)


def _record(account_id: int, assistant_id: int, done) -> None:
    """Embedding calls in the account's usage (services/captain/usage.record: calls, input
    tokens, cost at the embedding model's price), neither an answer nor a handoff."""
    if not done.calls:
        return
    from types import SimpleNamespace

    from . import usage
    usage.record(account_id, assistant_id, SimpleNamespace(usage=done.usage, model=done.model, calls=done.calls),
                 counted=False)


def _question(question: str, history: Sequence[str]) -> str:
    text = " ".join(str(question or "").split())[:MAX_QUESTION]
    # a short follow-up ("and for France?") is read with the customer's previous message
    room = MAX_QUESTION - len(text) - 1
    if history and len(text.split()) < 4 and room > 0:
        previous = " ".join(str(history[-1] or "").split())[-room:]
        text = f"{previous} {text}".strip()
    return text


# ---------------------------------------------------------------- versions

def _versions(account_id: int, assistant_id: int, inbox_ids: Sequence[int], portal_ids: Sequence[int]) -> _Seen:
    """ONE BatchGetItem: the assistant's state, its provider settings and the account's
    (which embedding model retrieval uses), the portal-inbox claims of `inbox_ids` and the
    state items of `portal_ids`."""
    from ... import aws
    from ...models.help_center import portal_inbox_claim
    from ...models.help_center import state_key as portal_state_key
    from ...models.unique import UniqueClaim
    from . import providers
    objects = AccountObject.Meta.table_name
    uniques = UniqueClaim.Meta.table_name
    override_key = providers.key_of(account_id, assistant_id)
    account_key = providers.key_of(account_id, providers.ACCOUNT_SCOPE)
    object_keys = [state_key(assistant_id), override_key, account_key] + [portal_state_key(p) for p in portal_ids]
    claim_keys = [portal_inbox_claim(account_id, i) for i in inbox_ids]
    keys = [(objects, {"account_id": {"N": str(account_id)}, "key": {"S": key}}) for key in object_keys] + \
        [(uniques, {"key": {"S": key}}) for key in claim_keys]
    found: dict[str, list] = {objects: [], uniques: []}
    client = aws.client("dynamodb")
    # One request: BatchGetItem takes 100 keys, so an assistant answering in more than ~48
    # inboxes with portals costs two. Unprocessed keys (throttling) are asked again.
    for start in range(0, len(keys), BATCH_KEYS):
        request: dict = {}
        for table, key in keys[start:start + BATCH_KEYS]:
            entry = request.setdefault(table, {"Keys": []})
            entry["Keys"].append(key)
        while request:
            answer = client.batch_get_item(RequestItems=request)
            for table, items in answer.get("Responses", {}).items():
                found[table].extend(items)
            request = answer.get("UnprocessedKeys") or {}
    by_key = {item["key"]["S"]: item for item in found[objects]}
    version = int(by_key.get(state_key(assistant_id), {}).get("id", {}).get("N", 0))
    claims = {item["key"]["S"]: item.get("target", {}).get("S", "") for item in found[uniques]}
    linked = {}
    for inbox_id in inbox_ids:
        target = claims.get(portal_inbox_claim(account_id, inbox_id), "")
        owner, _, portal = target.partition(":")
        linked[inbox_id] = int(portal) if owner == str(account_id) and portal.isdigit() else None
    portal_versions = {p: int(by_key.get(portal_state_key(p), {}).get("id", {}).get("N", 0)) for p in portal_ids}

    def settings_item(key: str) -> AccountObject | None:
        return AccountObject.from_raw_data(by_key[key]) if key in by_key else None
    return _Seen(version, linked, portal_versions, settings_item(override_key), settings_item(account_key))


def _key(name: str, version: int, portal_versions: dict[int, int], embedding: _Embedding | None = None) -> str:
    portals = "-".join(f"p{p}v{v}" for p, v in sorted(portal_versions.items()))
    named = f"{name}-{embedding.tag}" if embedding is not None else name
    return f"{named}_v{version}" + (f"_{portals}" if portals else "")


def _embedding(account_id: int, assistant_id: int, seen: _Seen) -> _Embedding | None:
    """The provider's embedding model retrieval uses for this assistant, if its provider
    has one (providers.embedding_of), numpy is here, and the provider did not fail a build
    in the last EMBED_RETRY_SECONDS."""
    from . import providers, retrievers
    settings, source, item = providers.resolved(seen.override, seen.account)
    identity = providers.embedding_of(settings)
    if identity is None or not retrievers.available("remote"):
        return None
    failed = _unavailable.get((account_id, assistant_id, identity))
    if failed is not None and time.monotonic() - failed < EMBED_RETRY_SECONDS:
        return None
    return _Embedding(identity, lambda: providers.built(account_id, settings, source, item),
                      embedding_pivot(identity[2]))


def _index(account_id: int, assistant: AccountObject, name: str) -> tuple[_Built, _Embedding | None]:
    cached = _cache.get((account_id, assistant.id))
    if cached is not None:
        seen = _versions(account_id, assistant.id, cached.inbox_ids, list(cached.portals))
        embedding = _embedding(account_id, assistant.id, seen)
        if set(p for p in seen.linked.values() if p) == set(cached.portals) \
                and cached.key == _key(name, seen.version, seen.portal_versions, embedding):
            return cached, embedding
    # cold, or something changed: the version first (a link made after this read bumps it,
    # so the next question rebuilds), then the inboxes, their portals and those versions
    version = read(account_id, assistant.id)
    inbox_ids = tuple(sorted(assistants.inbox_ids(assistant)))
    seen = _versions(account_id, assistant.id, inbox_ids, [])
    portals: dict[int, int] = {}
    for inbox_id, portal_id in seen.linked.items():
        if portal_id:
            portals.setdefault(portal_id, inbox_id)
    portal_versions = _versions(account_id, assistant.id, (), list(portals)).portal_versions
    embedding = _embedding(account_id, assistant.id, seen)
    key = _key(name, version, portal_versions, embedding)
    built = _load_snapshot(account_id, assistant.id, key, name, inbox_ids, portals, embedding)
    if built is None:
        passages = _knowledge(account_id, assistant.id, portals)
        from . import retrievers
        retriever = None
        if embedding is not None:
            retriever = _remote(account_id, assistant.id, name, passages, embedding,
                                cached if cached is not None and cached.embedding == embedding.identity else None)
            if retriever is None:  # the provider failed or ran out of time: the offline index, this time
                embedding = None
                key = _key(name, version, portal_versions)
                built = _load_snapshot(account_id, assistant.id, key, name, inbox_ids, portals, None)
        if built is None:
            built = _Built(key, inbox_ids, portals, passages, retriever or retrievers.build(name, passages),
                           embedding.identity if embedding is not None else None)
            _store_snapshot(account_id, assistant.id, built, name)
    _cache[(account_id, assistant.id)] = built
    return built, embedding


def _remote(account_id: int, assistant_id: int, name: str, passages: list, embedding: _Embedding,
            previous: _Built | None):
    """A "remote" index: the passages embedded by the provider (in batches of EMBED_BATCH,
    for at most EMBED_BUILD_SECONDS; vectors of the previous index of the same model, and
    of a build cut short, are reused), every call recorded in usage. None when the provider
    failed (then it is left alone for EMBED_RETRY_SECONDS) or the time ran out (the next
    question continues)."""
    import numpy as np

    from .retrievers import Remote, text_of
    pending_key = (account_id, assistant_id, embedding.identity)
    made = dict(_partial.get(pending_key) or {})
    if previous is not None and isinstance(previous.retriever, Remote):
        made.update(previous.retriever.vector_of())
    wanted = list(dict.fromkeys(text_of(p) for p in passages))
    missing = [t for t in wanted if t not in made]
    deadline = time.monotonic() + EMBED_BUILD_SECONDS
    try:
        if missing:
            provider = embedding.provider()
            for start in range(0, len(missing), EMBED_BATCH):
                if time.monotonic() > deadline:
                    _partial[pending_key] = {t: made[t] for t in wanted if t in made}
                    log.info("captain: embedding the knowledge of assistant %s continues at the next question "
                             "(%d of %d passages done)", assistant_id, sum(t in made for t in wanted), len(wanted))
                    return None
                batch = missing[start:start + EMBED_BATCH]
                done = provider.embeddings(batch)
                _record(account_id, assistant_id, done)
                if len(done.vectors) != len(batch):
                    raise ProviderError("bad_response", "the embedding model answered a wrong number of vectors")
                made.update((t, np.asarray(v, dtype=np.float32)) for t, v in zip(batch, done.vectors))
        retriever = Remote.build(passages, name, made)
    except ProviderError as exc:
        log.warning("captain: the provider's embedding model failed while indexing assistant %s (%s: %s); "
                    "the offline retriever answers for the next %d s", assistant_id, exc.reason, exc.detail,
                    EMBED_RETRY_SECONDS)
        _unavailable[pending_key] = time.monotonic()
        _partial[pending_key] = {t: made[t] for t in wanted if t in made}
        return None
    _partial.pop(pending_key, None)
    _unavailable.pop(pending_key, None)
    return retriever


# ---------------------------------------------------------------- reading the knowledge

def _knowledge(account_id: int, assistant_id: int, portals: dict[int, int]) -> list[dict]:
    """The passages: approved FAQs, available documents' chunks, published articles'
    excerpts, each bounded (MAX_*)."""
    passages: list[dict] = []
    faqs = 0
    for item in responses.of_assistant(account_id, assistant_id):
        data = item.data or {}
        if data.get("status") != "approved":
            continue
        answer = str(data.get("answer") or "")
        passages.append({"kind": "faq", "id": int(item.id), "title": str(data.get("question") or ""),
                         "text": answer, "url": None, "group": "faq:" + " ".join(answer.casefold().split())})
        faqs += 1
        if faqs >= MAX_FAQS:
            break
    chunks = 0
    for document in documents.available_of(account_id, assistant_id)[:MAX_DOCUMENTS]:
        for chunk in documents.chunks_of(document):
            if chunks >= MAX_CHUNKS:
                break
            text = str(chunk.get("text") or "")[:CHUNK_MAX * 2]
            if not text.strip():
                continue
            n = int(chunk.get("n") or 0)
            passages.append({"kind": "document", "id": int(document.id),
                             "title": str(chunk.get("title") or (document.data or {}).get("name") or ""),
                             "text": text, "url": chunk.get("url") or (document.data or {}).get("external_link"),
                             "group": f"document:{document.id}:{n}"})
            chunks += 1
    articles = 0
    for portal_id in sorted(portals):
        for article, portal in _published(account_id, portal_id):
            if articles >= MAX_ARTICLES:
                break
            articles += 1
            data = article.data or {}
            url = f"/hc/{portal.data.get('slug')}/articles/{data.get('slug')}"
            body = _plain(str(data.get("content") or ""))[:MAX_ARTICLE_CHARS]
            title = str(data.get("title") or "")
            for n, excerpt in enumerate(pack((str(data.get("description") or "") + "\n" + body).split("\n"))):
                passages.append({"kind": "article", "id": int(article.id), "title": title, "text": excerpt,
                                 "url": url, "group": f"article:{article.id}:{n}"})
    return passages


def _published(account_id: int, portal_id: int):
    from ...models.help_center import PUBLISHED, article_prefix, portal_key
    try:
        portal = AccountObject.get(account_id, portal_key(portal_id))
    except AccountObject.DoesNotExist:
        return []
    if (portal.data or {}).get("archived"):
        return []
    return [(item, portal) for item in AccountObject.query(
        account_id, AccountObject.key.startswith(article_prefix(portal_id)), limit=MAX_ARTICLES)
        if (item.data or {}).get("status") == PUBLISHED]


def _plain(markdown: str) -> str:
    """Markdown as readable text: link targets, images, tags and emphasis marks dropped."""
    import re
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>\n]{1,500}>", " ", text)
    text = re.sub(r"[*_`#>]+", "", text)
    return text


# ---------------------------------------------------------------- snapshots

def snapshot_prefix(account_id: int, assistant_id: int) -> str:
    return f"{SNAPSHOT_PREFIX}{account_id}/{assistant_id}/"


def snapshot_key(account_id: int, assistant_id: int, key: str) -> str:
    return f"{snapshot_prefix(account_id, assistant_id)}{key}.json.gz"


def _load_snapshot(account_id: int, assistant_id: int, key: str, name: str, inbox_ids, portals,
                   embedding: _Embedding | None = None) -> _Built | None:
    from ... import aws, storage
    from ..help_center.search_index import unpack
    try:
        body = unpack(aws.client("s3").get_object(Bucket=storage.bucket(),
                                                  Key=snapshot_key(account_id, assistant_id, key))["Body"].read())
        if body.get("format") != SNAPSHOT_FORMAT or body.get("key") != key:
            return None
        from . import retrievers
        passages = body["passages"]
        if embedding is not None:
            retriever = retrievers.Remote.from_dict(passages, body["index"])
        else:
            retriever = retrievers.load(name, passages, body["index"])
        return _Built(key, tuple(inbox_ids), dict(portals), passages, retriever,
                      embedding.identity if embedding is not None else None)
    except Exception:  # none stored yet (NoSuchKey), or unreadable: rebuild
        return None


def _store_snapshot(account_id: int, assistant_id: int, built: _Built, name: str) -> None:
    """Store the built index for other containers, then delete the assistant's other
    snapshots (older keys: a container still holding one in memory rebuilds if it needs it)."""
    from ... import aws, storage
    from ..help_center.search_index import pack
    s3 = aws.client("s3")
    own = snapshot_key(account_id, assistant_id, built.key)
    s3.put_object(Bucket=storage.bucket(), Key=own, ContentType="application/json", ContentEncoding="gzip",
                  Body=pack({"format": SNAPSHOT_FORMAT, "key": built.key, "retriever": name,
                             "passages": built.passages, "index": built.retriever.to_dict()}))
    prune(account_id, assistant_id, keep=own)


def prune(account_id: int, assistant_id: int, keep: str | None = None) -> int:
    """Delete the assistant's snapshots but `keep`: one List per 1,000 objects, one Delete each."""
    from ... import aws, storage
    s3 = aws.client("s3")
    doomed = [entry["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=storage.bucket(), Prefix=snapshot_prefix(account_id, assistant_id))
        for entry in page.get("Contents") or () if entry["Key"] != keep]
    for key in doomed:
        s3.delete_object(Bucket=storage.bucket(), Key=key)
    return len(doomed)


def forget() -> None:
    """Empty this container's cache (tests: a second container)."""
    _cache.clear()
    _unavailable.clear()
    _partial.clear()
