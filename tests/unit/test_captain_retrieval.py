"""Captain's offline retrievers (services/captain/retrievers.py) and the pure parts of
knowledge.search: stemming, the confidence and its calibration, one hit per answer,
stored indexes, bounds; and that nothing but the captain function loads the heavy packages."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from local.cfn import ROOT
from parley.services.captain import chunks, knowledge, retrievers

FAQS = [
    ("How do I reset my password?", "Use the link on the sign-in page.", "a"),
    ("Can I get a refund for my order?", "Within 30 days of delivery.", "b"),
    ("Where do you ship to?", "Every country of the European Union.", "c"),
    ("Do you ship to Switzerland?", "Every country of the European Union.", "c"),   # same answer: same group
    ("How long does delivery take?", "Two to four working days.", "d"),
]


def passages():
    return [{"kind": "faq", "id": i + 1, "title": q, "text": a, "url": None, "group": g}
            for i, (q, a, g) in enumerate(FAQS)]


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


LEXICAL = ["bm25"] + (["bm25s"] if installed("bm25s") else [])
EVERY = LEXICAL + (["wordllama", "hybrid"] if installed("wordllama") else []) + \
    (["static"] if installed("static_model") else [])


@pytest.mark.parametrize("name", LEXICAL)
def test_lexical_retrievers_stem_and_cover(name):
    r = retrievers.build(name, passages())
    hits = r.search("could my orders be refunded", 3)
    assert hits[0][0] == 1  # "refunded orders" -> "refund ... order"
    full = r.search("how do I reset my password", 3)
    assert full[0][0] == 0 and full[0][2] == pytest.approx(1.0)  # every informative word matched
    assert r.search("what is the weather on mars", 3) == []  # shares no word: nothing, not a weak guess
    partial = r.search("reset the router", 3)
    assert 0 < partial[0][2] < 0.6  # "reset" matched, "router" (unknown: rarest) not


@pytest.mark.parametrize("name", EVERY)
def test_one_hit_per_answer_and_confidences_in_range(name):
    r = retrievers.build(name, passages())
    hits = r.search("do you ship to switzerland", 5)
    groups = [passages()[d]["group"] for d, _, _ in hits]
    assert len(groups) == len(set(groups))  # the two shipping FAQs count once
    assert groups[0] == "c"
    assert all(0.0 <= c <= 1.0 for _, _, c in hits)
    assert len(r.search("do you ship to switzerland", 1)) == 1


@pytest.mark.parametrize("name", EVERY)
def test_a_stored_index_answers_as_the_built_one(name):
    built = retrievers.build(name, passages())
    body = json.loads(json.dumps(built.to_dict()))  # as the snapshot stores it
    loaded = retrievers.load(name, passages(), body)
    for question in ("reset my password", "refund please", "delivery time"):
        a, b = built.search(question, 3), loaded.search(question, 3)
        assert [d for d, _, _ in a] == [d for d, _, _ in b]
        assert [c for _, _, c in b] == pytest.approx([c for _, _, c in a], abs=0.01)  # float16 vectors


def test_an_empty_knowledge_answers_nothing():
    for name in EVERY:
        assert retrievers.build(name, []).search("anything", 3) == []


def test_unknown_retriever_is_refused():
    with pytest.raises(ValueError):
        retrievers.build("gpt", passages())


@pytest.mark.parametrize("name", retrievers.NAMES)
def test_calibration_puts_each_pivot_at_one_half(name):
    pivot = retrievers.PIVOTS[name]
    assert retrievers.calibrated(name, pivot) == pytest.approx(0.5)
    assert retrievers.calibrated(name, 0) == 0 and retrievers.calibrated(name, 1) == pytest.approx(1)
    values = [retrievers.calibrated(name, x / 100) for x in range(101)]
    assert values == sorted(values)  # monotone: the ranking is the retriever's
    for x in (0.0, 0.1, pivot, 0.9, 1.0):
        assert retrievers.raw_of(name, retrievers.calibrated(name, x)) == pytest.approx(x)
    assert retrievers.calibrated(name, -3) == 0 and retrievers.calibrated(name, 7) == pytest.approx(1)


def test_a_long_question_is_cut_not_refused():
    r = retrievers.build("bm25", passages())
    assert r.search("refund " * 1000, 3)[0][0] == 1  # SearchIndex alone refuses > 200 characters
    assert len(retrievers._query("word " * 100)) <= retrievers.MAX_QUERY


def test_the_question_and_a_short_follow_up():
    assert knowledge._question("  where   do you ship? ", ()) == "where do you ship?"
    assert knowledge._question("and Italy?", ["Do you ship to France?"]) == "Do you ship to France? and Italy?"
    assert knowledge._question("Do you ship to Italy tomorrow?", ["hello"]) == "Do you ship to Italy tomorrow?"
    assert len(knowledge._question("x" * 10_000, ["y" * 10_000])) <= knowledge.MAX_QUESTION


def test_article_excerpts_are_bounded_and_keep_paragraphs():
    text = "\n".join(["Short paragraph."] * 3 + ["word " * 800] + ["Tail."])
    parts = chunks.pack(text.split("\n"))
    assert all(len(p) <= chunks.CHUNK_MAX for p in parts)
    assert parts[0].startswith("Short paragraph.\n\nShort paragraph.")
    assert parts[-1].endswith("Tail.")
    assert "".join(parts).count("word") == 800
    assert knowledge._plain("See [the guide](https://x.test/a) ![img](i.png) <b>bold</b> **now**") \
        .split() == ["See", "the", "guide", "bold", "now"]


def test_version_key_names_every_part():
    assert knowledge._key("bm25", 7, {}) == "bm25_v7"
    assert knowledge._key("wordllama", 7, {12: 3, 4: 9}) == "wordllama_v7_p4v9-p12v3"


HEAVY = ("numpy", "bm25s", "wordllama", "static_model", "tokenizers", "safetensors", "scipy", "pypdf")
PROBE = """
import importlib, json, sys
sys.path[:0] = [{layer!r}, {folder!r}]
import app  # the HttpApi function's init
from parley.services.captain import assistants, knowledge, responses, retrievers  # what its routes import
import routes.captain  # noqa
retrievers.build("bm25", [{{"kind": "faq", "id": 1, "title": "reset password", "text": "x", "group": 1}}]).search("password", 1)
print(json.dumps(sorted(sys.modules)))
"""


def test_the_http_api_never_loads_the_retrieval_packages():
    folder = ROOT / "functions" / "http_api"
    if not (folder / "routes" / "captain.py").exists():
        pytest.skip("no captain routes")
    code = PROBE.format(layer=str(ROOT / "layers" / "shared"), folder=str(folder))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ),
                          cwd=folder, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    for name in HEAVY:
        assert not [m for m in loaded if m == name or m.startswith(name + ".")], f"loads {name}"


@pytest.mark.skipif(not installed("wordllama"), reason="wordllama not installed")
def test_wordllama_reads_only_the_files_its_wheel_carries(monkeypatch, tmp_path):
    """No hub, no cache: HOME points at an empty folder and any socket is refused."""
    import socket

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    retrievers._models.pop("wordllama", None)

    def refuse(*a, **kw):
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    vectors = retrievers.embedder("wordllama")(["move money to savings", "transfer funds", "set a timer"])
    assert vectors.shape == (3, 256)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])
    assert not any(tmp_path.iterdir())  # nothing cached or downloaded
