"""The help center's benchmarks (bench/help_center_search.py, bench/help_center_cost.py) run
on a tiny slice, so the harness, its labelled set and its arithmetic cannot rot."""
from __future__ import annotations

import re

import pytest

from bench import help_center_cost as cost
from bench import help_center_search as search


@pytest.fixture(scope="module")
def corpus():
    return search.load()


def test_metrics_by_hand():
    assert search.reciprocal_rank([3, 1, 2], [1]) == 0.5
    assert search.reciprocal_rank([3, 1, 2], [2, 3]) == 1.0
    assert search.reciprocal_rank([3, 1, 2], [9]) == 0.0
    assert search.reciprocal_rank(list(range(20)), [12]) == 0.0   # beyond @10
    assert search.recall_at([1, 2, 3, 4, 5, 6], [6, 2]) == 0.5     # 6 is 6th: not in the top 5
    assert search.recall_at([], [4]) == 0.0
    assert search.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert search.percentile([float(i) for i in range(1, 101)], 95) == 95.0


def test_labelled_set(corpus):
    articles, queries = corpus
    by_id = {a["id"]: a for a in articles}
    assert len(by_id) == len(articles)
    assert sum(a["locale"] == "en" for a in articles) >= 60
    for a in articles:
        assert a["title"] and a["description"]
        assert 80 <= len(re.findall(r"\w+", a["content"])) <= 400, a["id"]
    assert len(queries) >= 120
    assert len({q["query"] for q in queries}) == len(queries)
    for q in queries:
        assert q["relevant"], q
        assert all(by_id[r]["locale"] == q["locale"] for r in q["relevant"]), q
        assert len(q["query"]) <= 200
    # not a set of copied titles: a good share of the queries share no word with their title
    hard = [q for q in queries if search.shares_no_title_word(q, by_id)]
    assert len(hard) / len(queries) > 0.2
    assert search.shares_no_title_word({"query": "money back", "relevant": [30]}, by_id)
    assert not search.shares_no_title_word({"query": "refund timing", "relevant": [30]}, by_id)


def test_grown_corpus_is_distinct(corpus):
    articles, _ = corpus
    docs = search.grown(articles, 300)
    assert len({d["id"] for d in docs}) == 300
    assert len({(d["title"], d["content"]) for d in docs}) == 300
    assert docs[:62] == [search.doc(a) for a in articles if a["locale"] == "en"]
    assert "Acme" not in docs[200]["content"] and search.brand(3) in docs[200]["content"]


def test_search_harness_on_a_slice(corpus, capsys):
    figures = search.run(sizes=(80,), repeats=1, queries_limit=15)
    out = capsys.readouterr().out
    assert "MRR@10" in out and "p95 ms" in out
    assert figures["queries"] == 15
    for label in ("stemming", "no stemming"):
        f = figures["relevance"][(label, "all")]
        assert 0 <= f["recall5"] <= 1 and 0 <= f["missed"] <= 1
        # ids map from hits to labels: a broken mapping would give 0
        assert f["mrr10"] > 0.5
    lat = figures["latency"][80]
    assert lat["docs"] == 80 and lat["snapshot_bytes"] > 1000 and lat["searches"] == 15
    assert 0 < lat["p50_ms"] <= lat["p95_ms"] <= lat["max_ms"]


def test_cost_arithmetic(capsys):
    a = cost.Assumptions(hit_ratio=1.0, beacons_per_view=0.0, page_bytes=10 * 1024, header_bytes=0)
    # every page from the cache, no beacon: CloudFront's requests and bytes only
    expected = 1.00 + 1e6 * 10 * 1024 / 1024 ** 3 * 0.085
    assert cost.total(a) == pytest.approx(expected)
    miss = cost.Assumptions(hit_ratio=0.0, beacons_per_view=0.0)
    rru = sum(cost.read_units(kb, False) for _, kb in cost.reads(miss))
    assert rru == 1.5   # claim, account and content version: three items under 4 KB at 0.5 RRU
    items = {what: q for _, what, q, _ in cost.line_items(miss)}
    assert items["read request units (3 GetItems per miss)"] == 1e6 * rru
    figures = cost.run()
    by_ratio = figures["by_hit_ratio"]
    assert list(by_ratio.values()) == sorted(by_ratio.values(), reverse=True)
    assert figures["total"] == pytest.approx(cost.total(cost.Assumptions()))
    assert "hit ratio 90%" in capsys.readouterr().out
