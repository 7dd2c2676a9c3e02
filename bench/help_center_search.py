"""The help center's article search (parley/services/help_center/search_index.py): how
often it finds the right article, and how fast, as the help center grows.

Relevance: bench/data/help_center/ holds the help center of Acme, a fictional online shop
and SaaS (62 English articles, 4 of them also in Spanish), and 171 queries typed the way
customers type them (short keywords, long questions, misspellings, words the article does
not use: "money back" for the refunds article), each with the id(s) of the article(s) that
answer it. The queries were written and committed before any index was built over the
articles and are never changed after seeing results (git log bench/data/help_center). One
index per locale, as the public site builds them; MRR@10 (1/rank of the first relevant
article in the top 10, 0 if none) and recall@5 (share of a query's relevant articles in its
top 5), with Snowball stemming and without. The share of queries that share no word with
any of their articles' titles says how far the set is from copied titles; the same figures
for those queries alone show how the search does when the title does not help.

Latency: the English articles grown to 100, 1,000 and 5,000 distinct documents (each copy
of an article gets its own brand, model number, numbers and a few synonyms, so the
vocabulary and the postings grow as a real catalogue's would), every query searched warm,
in-process: p50/p95 per query, the time to build the index, the snapshot's size
(`to_bytes()`, gzip'd JSON: what the indexer puts in S3) and the time to load it
(`from_bytes()`: what a warm container pays once per new index version).
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from bench.report import print_table

DATA = Path(__file__).parent / "data" / "help_center"
SIZES = (100, 1000, 5000)
REPEATS = 5        # timed passes over every query at each size (after one warm-up pass)
LIMIT = 10         # results asked for, as the public search page asks
TARGET_MS = 20.0   # the target for one search at 5,000 articles

# Words too common to count as "sharing a word with the title" (the overlap share only;
# the search has its own stop words).
OVERLAP_STOP_WORDS = frozenset((
    "a an and are as at be by can do does for from how i in is it me my of on or so the this to "
    "was what when where which who why will with you your not no our we get got "
    "a al como con de del el en es la las lo los mi mis para por que se su sus un una y").split())
_WORD = re.compile(r"[^\W_]+")


def load() -> tuple[list[dict], list[dict]]:
    articles = json.loads((DATA / "articles.json").read_text())["articles"]
    queries = json.loads((DATA / "queries.json").read_text())["queries"]
    return articles, queries


def doc(article: dict) -> dict:
    """An article as the indexer hands it to SearchIndex.build."""
    return {"id": article["id"], "title": article["title"], "description": article["description"],
            "content": article["content"], "locale": article["locale"], "category": article["category"]}


# ---- relevance -------------------------------------------------------------------------------

def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in OVERLAP_STOP_WORDS}


def shares_no_title_word(query: dict, by_id: dict[int, dict]) -> bool:
    """True when no word of the query (stop words aside, unstemmed, case-folded) is in the
    title of any article that answers it."""
    words = content_words(query["query"])
    return not any(words & content_words(by_id[a]["title"]) for a in query["relevant"])


def reciprocal_rank(ranked: list, relevant: list, k: int = 10) -> float:
    for rank, hit in enumerate(ranked[:k], 1):
        if hit in relevant:
            return 1.0 / rank
    return 0.0


def recall_at(ranked: list, relevant: list, k: int = 5) -> float:
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def indexes(articles: list[dict], stemming: bool) -> dict:
    from parley.services.help_center.search_index import SearchIndex
    locales = sorted({a["locale"] for a in articles})
    return {loc: SearchIndex.build([doc(a) for a in articles if a["locale"] == loc], loc, stemming=stemming)
            for loc in locales}


def relevance(articles: list[dict], queries: list[dict], stemming: bool) -> list[dict]:
    """Per query: its ranking (article ids, best first), RR@10 and recall@5."""
    by_locale = indexes(articles, stemming)
    out = []
    for q in queries:
        ranked = [hit.id for hit in by_locale[q["locale"]].search(q["query"], limit=LIMIT)]
        out.append({"query": q, "ranked": ranked, "rr": reciprocal_rank(ranked, q["relevant"]),
                    "recall5": recall_at(ranked, q["relevant"])})
    return out


def summary(results: list[dict]) -> tuple[float, float, float, float]:
    """(MRR@10, recall@5, share found at rank 1, share with nothing relevant in the top 10)."""
    n = len(results) or 1
    return (sum(r["rr"] for r in results) / n, sum(r["recall5"] for r in results) / n,
            sum(r["rr"] == 1.0 for r in results) / n, sum(r["rr"] == 0.0 for r in results) / n)


# ---- the grown corpus ------------------------------------------------------------------------

_SYLLABLES = ("zor", "vik", "lum", "ta", "nex", "qua", "ri", "bel", "mon", "sa", "dor", "fi",
              "kal", "pe", "tro", "ven", "hal", "ox", "mi", "ru")
# (word, its substitute): variant k uses the pairs whose bit is set in k, so copies of one
# article differ in wording too, not only in names.
_SYNONYMS = (("order", "purchase"), ("parcel", "package"), ("email", "e-mail"), ("refund", "reimbursement"),
             ("account", "profile"), ("click", "select"), ("delivery", "shipment"), ("workspace", "organisation"))


def brand(k: int) -> str:
    """A made-up brand name per variant, e.g. 1 -> "Vikzor"."""
    parts = [_SYLLABLES[(k * 7 + i * 3) % len(_SYLLABLES)] for i in range(2 + k % 2)]
    parts[0] = _SYLLABLES[k % len(_SYLLABLES)]
    parts[-1] = _SYLLABLES[(k // len(_SYLLABLES) + 1) % len(_SYLLABLES)]
    return "".join(parts).capitalize()


def variant(article: dict, k: int) -> dict:
    """Copy k of an article: its own brand, model number, shifted numbers and synonyms.
    Copy 0 is the article itself."""
    if k == 0:
        return doc(article)
    name, model = brand(k), f"{brand(k)[:2].upper()}-{1000 + k * 37}"

    def rewrite(text: str) -> str:
        text = text.replace("Acme", name).replace("acme", name.lower())
        text = re.sub(r"\b\d+\b", lambda m: str(int(m.group()) + k % 9), text)
        for bit, (word, other) in enumerate(_SYNONYMS):
            if k >> bit & 1:
                text = re.sub(rf"\b{word}", other, text)
        return text

    d = doc(article)
    return {**d, "id": f"{article['id']}-{k}", "title": f"{rewrite(article['title'])} ({model})",
            "description": rewrite(article["description"]),
            "content": f"{rewrite(article['content'])}\nApplies to {name} model {model} and later.\n"}


def grown(articles: list[dict], size: int) -> list[dict]:
    """`size` distinct documents made from the English articles."""
    english = [a for a in articles if a["locale"] == "en"]
    return [variant(english[i % len(english)], i // len(english)) for i in range(size)]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latency(docs: list[dict], queries: list[str], repeats: int = REPEATS) -> dict:
    from parley.services.help_center.search_index import SearchIndex
    started = time.perf_counter()
    index = SearchIndex.build(docs, "en")
    build_ms = (time.perf_counter() - started) * 1000
    snapshot = index.to_bytes()
    started = time.perf_counter()
    loaded = SearchIndex.from_bytes(snapshot)
    load_ms = (time.perf_counter() - started) * 1000
    for q in queries:  # warm: caches (stems, folds) filled as a warm container's are
        loaded.search(q, limit=LIMIT)
    typing = [typed(q) for q in queries]
    for q in typing:
        loaded.search(q, limit=LIMIT)
    times, typing_times = [], []
    for _ in range(repeats):
        for batch, into in ((queries, times), (typing, typing_times)):
            for q in batch:
                t0 = time.perf_counter()
                loaded.search(q, limit=LIMIT)
                into.append((time.perf_counter() - t0) * 1000)
    return {"docs": len(index), "build_ms": build_ms, "snapshot_bytes": len(snapshot), "load_ms": load_ms,
            "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "max_ms": max(times),
            "searches": len(times), "typing_p50_ms": percentile(typing_times, 50),
            "typing_p95_ms": percentile(typing_times, 95)}


def typed(query: str) -> str:
    """The query as it is being typed: its last word cut to two letters, the shortest prefix
    that is completed, so the one that expands to the most terms ("how do i make an ac")."""
    head, _, last = query.rpartition(" ")
    return f"{head} {last[:2]}".strip() if len(last) > 2 else query


# ---- the report ------------------------------------------------------------------------------

def run(sizes: tuple[int, ...] = SIZES, repeats: int = REPEATS, queries_limit: int | None = None) -> dict:
    """Print the figures; return them (the unit test runs a tiny slice)."""
    articles, queries = load()
    queries = queries[:queries_limit] if queries_limit else queries
    by_id = {a["id"]: a for a in articles}
    hard = [q for q in queries if shares_no_title_word(q, by_id)]
    hard_ids = {q["id"] for q in hard}
    figures: dict = {"queries": len(queries), "no_title_overlap": len(hard) / len(queries), "relevance": {},
                     "latency": {}}
    rows, missed_queries = [], []
    for stemming in (True, False):
        results = relevance(articles, queries, stemming)
        if stemming:
            missed_queries = [r["query"]["query"] for r in results if r["rr"] == 0.0]
        label = "stemming" if stemming else "no stemming"
        for subset, chosen in (("all", results), ("no title word", [r for r in results if r["query"]["id"] in hard_ids])):
            mrr, r5, top1, missed = summary(chosen)
            figures["relevance"][(label, subset)] = {"mrr10": mrr, "recall5": r5, "top1": top1, "missed": missed}
            rows.append([f"{label}, {subset} queries", str(len(chosen)), f"{mrr:.3f}", f"{r5:.3f}", f"{top1:.0%}",
                         f"{missed:.0%}"])
    locales = sorted({a["locale"] for a in articles})
    print_table("Help center search relevance (bench/data/help_center: Acme's articles, labelled queries)",
                ["index", "queries", "MRR@10", "recall@5", "first hit right", "nothing in top 10"], rows,
                [f"{sum(a['locale'] == loc for a in articles)} {loc} articles" for loc in locales]
                + [f"{len(hard)} of {len(queries)} queries ({len(hard) / len(queries):.0%}) share no word with "
                   "the title of any article that answers them (stop words aside, unstemmed)",
                   "queries written and committed before any index was built over the articles; never changed since",
                   "nothing relevant in the top 10 (stemming): " + ("; ".join(f'"{q}"' for q in missed_queries) or "none")])
    english = [q["query"] for q in queries if q["locale"] == "en"]
    rows = []
    for size in sizes:
        f = latency(grown(articles, size), english, repeats)
        figures["latency"][size] = f
        rows.append([f"{f['docs']:,}", f"{f['p50_ms']:.2f}", f"{f['p95_ms']:.2f}", f"{f['max_ms']:.2f}",
                     f"{f['typing_p50_ms']:.2f}", f"{f['typing_p95_ms']:.2f}",
                     f"{f['build_ms']:.0f}", f"{f['snapshot_bytes'] / 1024:.0f}", f"{f['load_ms']:.0f}"])
    print_table("Help center search latency (warm, in-process, one locale's index)",
                ["articles", "p50 ms", "p95 ms", "max ms", "typing p50", "typing p95", "build ms", "snapshot KB (gz)", "load ms"], rows,
                [f"each size: the {len(english)} English queries x {repeats} passes after a warm-up pass, "
                 f"limit {LIMIT}; the last word also matched as a prefix (search as you type)",
                 "typing: the same queries with the last word cut to 2 letters (the widest prefix completion)",
                 "articles beyond the 62 real ones are copies with their own brand, model number, numbers and "
                 "synonyms (bench/help_center_search.py grown()), all distinct",
                 f"target: <= {TARGET_MS:g} ms per search at 5,000 articles; build = SearchIndex.build, "
                 "snapshot = to_bytes() (what the indexer stores), load = from_bytes() (once per new version "
                 "in a warm container)"])
    return figures
