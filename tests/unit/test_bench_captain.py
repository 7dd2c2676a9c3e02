"""Captain's retrieval benchmark (bench/captain.py) on a slice, so the harness, its data
and its arithmetic cannot rot."""
from __future__ import annotations

from bench import captain


def test_the_data_and_its_split():
    data = captain.load()
    assert len(data["val"]) == 150 and all(len(u) == 20 for u in data["val"].values())
    assert len(data["oos_val"]) == 100 and "CC BY 3.0" in data["licence"]
    parts = captain.split(data)
    assert len(parts["faqs"]) == 1500 and len(parts["tune"]) == len(parts["test"]) == 750
    assert len(parts["oos_tune"]) == len(parts["oos_test"]) == 50
    asked = {q for _, q in parts["tune"]} | {q for _, q in parts["test"]}
    assert not asked & {q for _, q in parts["faqs"]}                  # never asked what is stored
    assert not {q for _, q in parts["tune"]} & {q for _, q in parts["test"]}
    assert not set(parts["oos_tune"]) & set(parts["oos_test"])
    assert captain.split(data) == parts                                # seeded: the same every run
    assert "transfer" not in captain.answer_text(3).lower()             # no intent word in the answers


def test_threshold_rule_and_figures_by_hand():
    in_scope = [(True, 0.9), (True, 0.4), (False, 0.6), (True, 0.2)]
    oos = [0.1, 0.3, 0.5, 0.7, 0.8]
    t = captain.choose_threshold(in_scope, oos, target=0.6)
    assert t == 0.505  # the lowest grid value handing off 3 of 5 (0.1, 0.3, 0.5)
    f = captain.figures(in_scope, oos, t)
    assert f["top1"] == 0.75 and f["answered_right"] == 0.25 and f["answered_wrong"] == 0.25
    assert f["handoff"] == 0.5 and f["oos_handoff"] == 0.6 and f["oos_wrong"] == 0.4
    assert captain.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0


def test_the_harness_on_a_slice(capsys):
    results = captain.run(candidates=("bm25",), intents=6)
    (r,) = results
    assert r["faqs"] == 60 and r["asked"] == 30
    assert 0.5 <= r["test"]["top1"] <= 1.0 and r["p95"] > 0 and r["build_ms"] > 0
    out = capsys.readouterr().out
    assert "Captain retrieval on CLINC150" in out and "bm25" in out
