"""Captain's offline retrieval (issue 14): how often the best-matching approved FAQ is the
right one, how often Captain hands off, in scope and out of scope, and how fast, for every
offline retriever candidate.

Data: bench/data/captain/clinc150_val.json, the validation part of CLINC150 (Larson et al.
2019, CC BY 3.0; its README says what was taken): 150 intents x 20 utterances and 100
out-of-scope utterances. Per intent (a seeded shuffle, SEED), 10 utterances become approved
FAQs of one assistant (question = the utterance; answer = a neutral text naming the intent
by number only, "Answer A017", the same for the intent's 10 FAQs, so no intent word leaks
into the index) and the other 10 are asked. The asked in-scope questions (5 per intent) and
the out-of-scope ones are split into a tuning half and a test half: the threshold is chosen
on the tuning half only and every figure reported is on the test half.

Path: the FAQs are stored on the template's tables (moto) as the items
services/captain/responses.create writes (approved; batch-written here: the audited
transaction per FAQ costs ~200 ms on moto, 5 minutes for 1,500; tests/integration/
test_captain_knowledge.py covers that path), and every question goes through knowledge.search (one BatchGetItem, the cached
index) and the offline decision the playground makes (answer the best hit when it is
confident, else hand off). The candidate is switched through the installation key
CAPTAIN_RETRIEVER, as an operator would.

Threshold rule (tuning half): the lowest confidence threshold at which at least
OOS_TARGET of the out-of-scope questions are handed off (answering as many in-scope
questions as that allows); the raw value it corresponds to is the retriever's pivot
(retrievers.PIVOTS), which calibrates its confidences so that 0.5 is that threshold.
"""
from __future__ import annotations

import json
import random
import time
from importlib import metadata
from pathlib import Path

from bench.report import print_table

DATA = Path(__file__).parent / "data" / "captain" / "clinc150_val.json"
SEED = 14
FAQS_PER_INTENT = 10
OOS_TARGET = 0.60
TOP1_TARGET = 0.85
CANDIDATES = ("bm25", "bm25s", "wordllama", "static", "hybrid")
# What each candidate needs installed beyond the shared layer (which has PyStemmer).
PACKAGES = {"bm25": (), "bm25s": ("bm25s", "numpy"),
            "wordllama": ("wordllama", "numpy", "tokenizers", "safetensors", "toml"),
            "static": ("tokenlearn-static-model",), "hybrid": ("wordllama", "numpy", "tokenizers", "safetensors", "toml")}
ARM64 = {"bm25": "yes (pure Python + PyStemmer wheel)", "bm25s": "yes (pure Python + numpy wheel)",
         "wordllama": "yes (0.2.2.post0 is pure Python; 0.4.x ships x86_64 wheels only)",
         "static": "no (x86_64 wheel only)", "hybrid": "yes (as wordllama)"}


def load() -> dict:
    return json.loads(DATA.read_text())


def answer_text(number: int) -> str:
    return f"Answer A{number:03d}"


def split(data: dict, seed: int = SEED, intents: int | None = None) -> dict:
    """{faqs: [(intent, question)], tune: [(intent, q)], test: [(intent, q)], oos_tune: [q], oos_test: [q]}."""
    rng = random.Random(seed)
    faqs, tune, test = [], [], []
    names = list(data["val"])[:intents] if intents else list(data["val"])
    for intent in names:
        utterances = list(data["val"][intent])
        rng.shuffle(utterances)
        faqs += [(intent, u) for u in utterances[:FAQS_PER_INTENT]]
        held = utterances[FAQS_PER_INTENT:]
        tune += [(intent, u) for u in held[:len(held) // 2]]
        test += [(intent, u) for u in held[len(held) // 2:]]
    oos = list(data["oos_val"])
    rng.shuffle(oos)
    if intents:
        oos = oos[:max(10, intents * 2)]
    return {"faqs": faqs, "tune": tune, "test": test, "oos_tune": oos[:len(oos) // 2], "oos_test": oos[len(oos) // 2:]}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def installed_mb(packages) -> float:
    """Unpacked size of the installed distributions (their RECORD files), in MB."""
    total = 0
    for name in packages:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for f in dist.files or ():
            try:
                total += f.locate().stat().st_size
            except OSError:
                pass
    return total / 1e6


def choose_threshold(in_scope: list[tuple[bool, float]], oos: list[float], target: float = OOS_TARGET) -> float:
    """The lowest threshold (0.00-1.00, by 0.005) handing off >= target of `oos` (confidences);
    if none does, the one maximising answered-correct in scope + handed-off out of scope."""
    grid = [i / 200 for i in range(201)]
    for t in grid:
        if oos and sum(c < t for c in oos) / len(oos) >= target:
            return t
    return max(grid, key=lambda t: sum(ok and c >= t for ok, c in in_scope) / max(1, len(in_scope))
               + sum(c < t for c in oos) / max(1, len(oos)))


def figures(in_scope: list[tuple[bool, float]], oos: list[float], t: float) -> dict:
    n, m = max(1, len(in_scope)), max(1, len(oos))
    return {"top1": sum(ok for ok, _ in in_scope) / n,
            "answered_right": sum(ok and c >= t for ok, c in in_scope) / n,
            "answered_wrong": sum((not ok) and c >= t for ok, c in in_scope) / n,
            "handoff": sum(c < t for _, c in in_scope) / n,
            "oos_handoff": sum(c < t for c in oos) / m,
            "oos_wrong": sum(c >= t for c in oos) / m}


def measure(candidates=CANDIDATES, intents: int | None = None) -> list[dict]:
    """Store the FAQs on moto, then ask every question through knowledge.search per candidate."""
    from moto import mock_aws

    from tests import conftest

    data = load()
    parts = split(data, intents=intents)
    results = []
    with mock_aws():
        conftest.build_stack(conftest._session, prefix="test", parameters=conftest.PARAMETERS)
        from parley import global_config, ids
        from parley.models.account_object import AccountObject
        from parley.services.account import accounts
        from parley.services.captain import assistants, knowledge, responses, retrievers

        global_config.invalidate()
        global_config._cache["items"] = {}
        account = accounts.create_account(name="Bench")
        assistant = assistants.create(account.id, {"name": "Bench", "description": "CLINC150"})
        numbers = {intent: i for i, intent in enumerate(dict.fromkeys(i for i, _ in parts["faqs"]))}
        intent_of: dict[int, str] = {}
        started = time.perf_counter()
        with AccountObject.batch_write() as batch:
            for intent, question in parts["faqs"]:
                faq_id = ids.next_id(ids.account_counter(account.id, responses.KIND))
                batch.save(AccountObject(account.id, AccountObject.key_for(responses.KIND, faq_id), id=faq_id, data={
                    "question": question, "answer": answer_text(numbers[intent]), "assistant_id": assistant.id,
                    "status": "approved", "document_id": None}))
                intent_of[faq_id] = intent
        store_s = time.perf_counter() - started
        for name in candidates:
            try:
                retrievers.build(name, [{"kind": "faq", "id": 0, "title": "warm up", "text": "x", "group": 0}])
            except ImportError as exc:
                results.append({"name": name, "missing": str(exc)})
                continue
            global_config.update("CAPTAIN_RETRIEVER", name)
            knowledge.forget()
            passages = knowledge._knowledge(account.id, assistant.id, {})
            started = time.perf_counter()
            retrievers.build(name, passages)
            build_s = time.perf_counter() - started
            started = time.perf_counter()
            knowledge.search(account.id, assistant, "hello")  # cold: reads the FAQs, builds, stores the snapshot
            first_s = time.perf_counter() - started
            knowledge.forget()
            started = time.perf_counter()
            knowledge.search(account.id, assistant, "hello")  # another container: loads the snapshot
            snapshot_s = time.perf_counter() - started

            latencies: list[float] = []

            def ask(question: str) -> tuple[str | None, float]:
                t0 = time.perf_counter()
                found = knowledge.search(account.id, assistant, question)
                latencies.append((time.perf_counter() - t0) * 1000)
                best = found.best
                return (intent_of.get(best.id) if best else None), (best.confidence if best else 0.0)

            def in_scope(rows):
                out = []
                for intent, q in rows:
                    got, conf = ask(q)
                    out.append((got == intent, retrievers.raw_of(name, conf)))
                return out

            tune, test = in_scope(parts["tune"]), in_scope(parts["test"])
            oos_tune = [retrievers.raw_of(name, ask(q)[1]) for q in parts["oos_tune"]]
            oos_test = [retrievers.raw_of(name, ask(q)[1]) for q in parts["oos_test"]]
            pivot = choose_threshold(tune, oos_tune)
            curve = {t: figures(test, oos_test, retrievers.raw_of(name, t)) for t in CURVE}
            results.append({"curve": curve, "cold_ms": cold_load_ms(name),
                "name": name, "pivot": pivot, "test": figures(test, oos_test, pivot),
                "tune": figures(tune, oos_tune, pivot),
                "at_current": figures(test, oos_test, retrievers.PIVOTS[name]),
                "build_ms": build_s * 1000, "first_ms": first_s * 1000, "snapshot_ms": snapshot_s * 1000,
                "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
                "mb": installed_mb(PACKAGES[name]), "passages": len(passages)})
    return [dict(r, store_s=store_s, faqs=len(parts["faqs"]), asked=len(parts["test"]),
                 oos_asked=len(parts["oos_test"])) for r in results]


CURVE = (0.3, 0.4, 0.5, 0.6, 0.7)  # calibrated thresholds shown on the test half (with the shipped pivots)


def cold_load_ms(name: str) -> float:
    """A new process: import the retriever and build it over 10 passages (the model load a
    cold container pays on its first question), in ms."""
    import subprocess
    import sys
    code = ("import sys, time; sys.path.insert(0, 'layers/shared'); t = time.perf_counter();"
            "from parley.services.captain import retrievers as r;"
            f"x = r.build({name!r}, [{{'kind': 'faq', 'id': i, 'title': f'question {{i}}', 'text': 'a', 'group': i}}"
            " for i in range(10)]); x.search('question 3', 3);"
            "print((time.perf_counter() - t) * 1000)")
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120)
    try:
        return float(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return float("nan")


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def run(candidates=CANDIDATES, intents: int | None = None) -> list[dict]:
    results = measure(candidates, intents)
    done = [r for r in results if "missing" not in r]
    if not done:
        print("Captain retrieval: no candidate installed")
        return results
    first = done[0]
    rows = []
    for r in done:
        f = r["test"]
        rows.append([r["name"], pct(f["top1"]), pct(f["answered_right"]), pct(f["answered_wrong"]), pct(f["handoff"]),
                     pct(f["oos_handoff"]), pct(f["oos_wrong"]), f"{r['pivot']:.3f}",
                     f"{r['build_ms']:.0f}", f"{r['p50']:.1f}", f"{r['p95']:.1f}", f"{r['mb']:.1f}", ARM64[r["name"]]])
    print_table(
        f"Captain retrieval on CLINC150 (test half: {first['asked']} in-scope, {first['oos_asked']} out-of-scope "
        f"questions; {first['faqs']} approved FAQs)",
        ["retriever", "top-1", "answered right", "answered wrong", "in-scope handoff", "OOS handoff", "OOS answered",
         "pivot", "build ms", "p50 ms", "p95 ms", "extra MB", "Lambda arm64"], rows,
        [f"threshold per retriever chosen on the tuning half: the lowest handing off >= {OOS_TARGET:.0%} of its "
         "out-of-scope questions (pivot = that raw confidence; calibrated confidence 0.5)",
         "top-1: the best hit is one of the right intent's FAQs, whatever its confidence; answered right/wrong: "
         "confident and right/wrong; OOS answered = confidently wrong out of scope",
         f"p50/p95: knowledge.search warm on moto (one BatchGetItem + the search); build: the index alone over "
         f"{first['passages']} FAQs; extra MB: unpacked packages beyond the shared layer",
         f"targets: top-1 >= {TOP1_TARGET:.0%}, OOS handoff >= {OOS_TARGET:.0%}; FAQs stored in {first['store_s']:.1f} s"])
    print_table("Captain index: cold process, cold build, snapshot load",
                ["retriever", "new process: import + model ms", "first question ms (read + build + store)",
                 "other container ms (snapshot)", "tune top-1", "tune OOS handoff"],
                [[r["name"], f"{r['cold_ms']:.0f}", f"{r['first_ms']:.0f}", f"{r['snapshot_ms']:.0f}",
                  pct(r["tune"]["top1"]), pct(r["tune"]["oos_handoff"])] for r in done])
    print_table("Captain trade-off on the test half with the shipped calibration: answered right / OOS handed off, "
                "per CAPTAIN_CONFIDENCE_THRESHOLD",
                ["retriever"] + [f"{int(t * 100)}%" for t in CURVE],
                [[r["name"]] + [f"{pct(r['curve'][t]['answered_right'])} / {pct(r['curve'][t]['oos_handoff'])}"
                                for t in CURVE] for r in done])
    for r in results:
        if "missing" in r:
            print(f"  * {r['name']}: not installed ({r['missing']})")
    return results
