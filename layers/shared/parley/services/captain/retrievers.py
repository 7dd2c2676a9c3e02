"""Captain's offline retrievers: rank an assistant's passages (FAQs, document chunks, article
excerpts) for a question and say how sure they are, with nothing but packages installed
from the registries (no model host, no download at run time).

A retriever is built from a list of passages (dicts with `title`, `text`, `group`) and
answers `search(question, k)` -> [(passage number, raw score, confidence)], best first,
one per `group` (the FAQs sharing an answer are one group: the group's score is its best
member's, "nearest FAQ question per intent"). `to_dict` / `from_dict` store a built index
(the S3 snapshot) so another container loads it instead of rebuilding.

Candidates (docs/captain.md "Knowledge and retrieval" and docs/benchmarks.md say how each
scored):
- "bm25": Parley's own BM25F (services/help_center/search_index.py: Snowball stemming via
  PyStemmer, accent folding, stop words), pure Python, in the shared layer already.
- "bm25s": the `bm25s` package (sparse-matrix BM25, numpy), same analyzer.
- "wordllama": static word embeddings whose weights ship inside the `wordllama` wheel
  (256 dimensions), cosine similarity of mean-pooled vectors; loaded with downloads disabled.
- "static": `tokenlearn-static-model` (weights baked in the wheel, 64 dimensions, int8).
- "hybrid": "bm25" fused with "wordllama" (a weighted sum of their confidences).

Confidence is in [0, 1] and comparable across questions, so one threshold decides: for the
lexical retrievers it is the share of the question's information (the IDF of its terms,
stop words left out, a term the knowledge never uses counting as the rarest) that the best
passage contains; for the embeddings it is the cosine similarity (clipped at 0). Heavy
packages (numpy, bm25s, wordllama, static_model) are imported here only when a retriever
that needs them is built: only the captain function does.
"""
from __future__ import annotations

import base64
import math
from typing import Callable, Sequence

from ..help_center.search_index import SearchIndex, fold, words

NAMES = ("bm25", "bm25s", "wordllama", "static", "hybrid")
DEFAULT = "hybrid"  # chosen by the benchmark (docs/benchmarks.md "Captain retrieval")
LOCALE = "en"  # the analyzer's language (stemming, stop words); the knowledge's own locale later
MAX_QUERY = 200  # characters of a question a lexical retriever reads (SearchIndex's limit)
HYBRID_WEIGHT = 0.7  # share of the embedding's confidence in "hybrid" (bench/captain.py)
GROUP_TOP = 2  # a group scores the mean of its best GROUP_TOP members
LEXICAL_CANDIDATES = 500  # passages BM25 scores for "hybrid" (the others share no term: coverage 0)

# Calibration: each retriever's raw confidence at which it should start answering, chosen
# on the benchmark's tuning half (bench/captain.py, docs/benchmarks.md). `calibrated` maps
# that raw value to 0.5 (piecewise linear, monotone, 0 -> 0 and 1 -> 1), so one threshold
# (CAPTAIN_CONFIDENCE_THRESHOLD, default 50%) works whichever retriever is configured.
PIVOTS = {"bm25": 0.225, "bm25s": 0.215, "wordllama": 0.32, "static": 0.645, "hybrid": 0.28}
DEFAULT_THRESHOLD = 0.5


def calibrated(name: str, raw: float, pivot: float | None = None) -> float:
    """`raw` mapped so that the retriever's pivot (PIVOTS, or `pivot` given: a provider's
    embedding model, configured) is 0.5."""
    pivot = PIVOTS[name] if pivot is None else min(0.99, max(0.01, float(pivot)))
    raw = max(0.0, min(1.0, float(raw)))
    return raw / (2 * pivot) if raw < pivot else 0.5 + (raw - pivot) / (2 * (1 - pivot))


def raw_of(name: str, confidence: float) -> float:
    """The inverse of `calibrated` (the benchmark reports raw pivots)."""
    pivot = PIVOTS[name]
    return confidence * 2 * pivot if confidence < 0.5 else pivot + (confidence - 0.5) * 2 * (1 - pivot)


def _query(question: str) -> str:
    """The question as a lexical retriever reads it: at most MAX_QUERY characters (cut at a
    word), ending in a space (no prefix completion: a message is not being typed)."""
    text = " ".join((question or "").split())
    if len(text) > MAX_QUERY - 1:
        text = text[:MAX_QUERY - 1].rsplit(" ", 1)[0]
    return text + " "


class _Base:
    passages: Sequence[dict]

    @property
    def sizes(self) -> dict:
        if not hasattr(self, "_sizes"):
            self._sizes = _sizes(self.passages)
        return self._sizes

    def _n(self, k: int) -> int:
        return _wide(k)


class _Lexical(_Base):
    """What both lexical retrievers share: the analyzer and the coverage confidence."""

    def _setup_terms(self, passages: Sequence[dict]) -> None:
        self._analyzer = SearchIndex.build([], LOCALE)
        self.term_sets = [frozenset(self.terms(p["title"] + " " + p["text"])) for p in passages]
        df: dict[str, int] = {}
        for terms in self.term_sets:
            for t in terms:
                df[t] = df.get(t, 0) + 1
        n = len(passages)
        self.df, self.n = df, n

    def terms(self, text: str) -> list[str]:
        return self._analyzer.terms(text)

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def query_terms(self, question: str) -> list[str]:
        raw = words(question)
        stop = self._analyzer.stop_words
        kept = [w for w in raw if fold(w) not in stop] or raw
        return list(dict.fromkeys(self._analyzer.term(w) for w in kept))

    def coverage(self, qterms: list[str], passage: int) -> float:
        total = sum(self.idf(t) for t in qterms)
        if total <= 0:
            return 0.0
        have = self.term_sets[passage]
        return sum(self.idf(t) for t in qterms if t in have) / total


class Bm25(_Lexical):
    name = "bm25"

    def __init__(self, passages: Sequence[dict], index: SearchIndex | None = None):
        self.passages = passages
        self.index = index or SearchIndex.build(
            ({"id": i, "title": p["title"], "content": p["text"]} for i, p in enumerate(passages)), LOCALE)
        self._setup_terms(passages)

    def scored(self, question: str, n: int) -> list[tuple[int, float, float]]:
        qterms = self.query_terms(question)
        return [(h.id, h.score, self.coverage(qterms, h.id)) for h in self.index.search(_query(question), limit=n)]

    def search(self, question: str, k: int) -> list[tuple[int, float, float]]:
        return _grouped(self.passages, self.scored(question, self._n(k)), k, self.sizes)

    def to_dict(self) -> dict:
        return {"index": self.index.to_dict()}

    @classmethod
    def from_dict(cls, passages: Sequence[dict], body: dict) -> "Bm25":
        return cls(passages, SearchIndex.from_dict(body["index"]))


class Bm25s(_Lexical):
    name = "bm25s"

    def __init__(self, passages: Sequence[dict], body: dict | None = None):
        import bm25s  # captain layer only
        self.passages = passages
        self._setup_terms(passages)
        self.vocab: dict[str, int] = {}
        corpus = []
        for p in passages:
            corpus.append([self.vocab.setdefault(t, len(self.vocab)) for t in self.terms(p["title"] + " " + p["text"])])
        self.retriever = bm25s.BM25()
        if passages:
            self.retriever.index(bm25s.tokenization.Tokenized(ids=corpus, vocab=self.vocab), show_progress=False)

    def scored(self, question: str, n: int) -> list[tuple[int, float, float]]:
        import numpy as np
        qterms = self.query_terms(question)
        ids = [self.vocab[t] for t in qterms if t in self.vocab]
        if not ids or not self.passages:
            return []
        scores = self.retriever.get_scores(ids)
        top = np.argsort(-scores)[:n]
        return [(int(d), float(scores[d]), self.coverage(qterms, int(d))) for d in top if scores[d] > 0]

    def search(self, question: str, k: int) -> list[tuple[int, float, float]]:
        return _grouped(self.passages, self.scored(question, self._n(k)), k, self.sizes)

    def to_dict(self) -> dict:
        return {}  # rebuilt from the passages (sparse BM25 builds in milliseconds)

    @classmethod
    def from_dict(cls, passages: Sequence[dict], body: dict) -> "Bm25s":
        return cls(passages)


# ---------------------------------------------------------------- embeddings

_models: dict[str, object] = {}


def _wordllama():
    """WordLlama's "l2_supercat" 256-dimension token embeddings, from the files its wheel
    carries (weights/ and tokenizers/), assembled with the package's own inference class:
    its loader would look in ~/.cache and fetch from a model hub when a file is missing;
    this never does (a missing file is an error)."""
    if "wordllama" not in _models:
        from pathlib import Path

        import logging
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        import wordllama  # captain layer only (pure Python + numpy, tokenizers, safetensors)
        root.handlers[:], _ = handlers, root.setLevel(level)  # its import calls logging.basicConfig(INFO)
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.config import Config
        from wordllama.inference import WordLlamaInference

        home = Path(wordllama.__file__).parent
        config = Config._configurations["l2_supercat"]
        tokenizer = Tokenizer.from_file(str(home / "tokenizers" / config.tokenizer.inference.config_filename))
        with safe_open(str(home / "weights" / "l2_supercat_256.safetensors"), framework="np", device="cpu") as f:
            embedding = f.get_tensor("embedding.weight")
        _models["wordllama"] = WordLlamaInference(embedding, config, tokenizer)
    return _models["wordllama"]


def _static():
    if "static" not in _models:
        import static_model  # tokenlearn-static-model: weights baked into the wheel
        _models["static"] = static_model
    return _models["static"]


def embedder(name: str) -> Callable[[list[str]], "object"]:
    """texts -> an (n, d) float32 numpy array of unit vectors."""
    import numpy as np

    def unit(m):
        m = np.asarray(m, dtype=np.float32)
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        return m / np.where(norms == 0, 1, norms)

    if name == "wordllama":
        return lambda texts: unit(_wordllama().embed(list(texts), norm=True)) if texts else np.zeros((0, 256), np.float32)
    if name == "static":
        return lambda texts: unit(_static().get_embeddings(list(texts))) if texts else np.zeros((0, 64), np.float32)
    raise ValueError(f"unknown embedding {name!r}")


class Embedding(_Base):
    """Cosine similarity of the question to each passage's title (an FAQ's question, a
    chunk's title and text), best per group."""

    def __init__(self, name: str, passages: Sequence[dict], vectors=None):
        import numpy as np
        self.name = name
        self.passages = passages
        self.embed = embedder(name)
        self.vectors = vectors if vectors is not None else self.embed([text_of(p) for p in passages])
        self._np = np

    def similarities(self, question: str):
        if not len(self.passages):
            return self._np.zeros(0, self._np.float32)
        q = self.embed([" ".join((question or "").split())[:1000]])[0]
        return self.vectors @ q

    def _n(self, k: int) -> int:
        return len(self.passages)  # a dot product per passage: score them all

    def scored(self, question: str, n: int, sims=None) -> list[tuple[int, float, float]]:
        sims = self.similarities(question) if sims is None else sims
        top = self._np.argsort(-sims)[:n]
        return [(int(d), float(sims[d]), max(0.0, min(1.0, float(sims[d])))) for d in top]

    def search(self, question: str, k: int) -> list[tuple[int, float, float]]:
        return _grouped(self.passages, self.scored(question, self._n(k)), k, self.sizes)

    def to_dict(self) -> dict:
        np = self._np
        v = np.asarray(self.vectors, dtype=np.float16)
        return {"shape": list(v.shape), "vectors": base64.b64encode(v.tobytes()).decode()}

    @classmethod
    def from_dict(cls, name: str, passages: Sequence[dict], body: dict) -> "Embedding":
        import numpy as np
        v = np.frombuffer(base64.b64decode(body["vectors"]), dtype=np.float16).reshape(body["shape"])
        return cls(name, passages, v.astype(np.float32))


class Hybrid(_Base):
    """BM25 ranking and coverage fused with the embedding's similarity: confidence =
    (1 - w) * coverage + w * cosine over the union of both candidate lists."""
    name = "hybrid"

    def __init__(self, passages: Sequence[dict], lexical: Bm25 | None = None, dense: Embedding | None = None):
        self.passages = passages
        self.lexical = lexical or Bm25(passages)
        self.dense = dense or Embedding("wordllama", passages)

    def scored(self, question: str, n: int) -> list[tuple[int, float, float]]:
        if not self.passages:
            return []
        np = self.dense._np
        sims = self.dense.similarities(question)
        fused = HYBRID_WEIGHT * np.maximum(sims, 0.0)
        # coverage is 0 but for passages sharing a term with the question: BM25's candidates
        for d, _, coverage in self.lexical.scored(question, max(n, LEXICAL_CANDIDATES)):
            fused[d] += (1 - HYBRID_WEIGHT) * coverage
        top = np.argsort(-fused, kind="stable")[:n]
        return [(int(d), float(fused[d]), float(fused[d])) for d in top]

    def _n(self, k: int) -> int:
        return len(self.passages)

    def search(self, question: str, k: int) -> list[tuple[int, float, float]]:
        return _grouped(self.passages, self.scored(question, self._n(k)), k, self.sizes)

    def to_dict(self) -> dict:
        return {"lexical": self.lexical.to_dict(), "dense": self.dense.to_dict()}

    @classmethod
    def from_dict(cls, passages: Sequence[dict], body: dict) -> "Hybrid":
        return cls(passages, Bm25.from_dict(passages, body["lexical"]),
                   Embedding.from_dict("wordllama", passages, body["dense"]))


# ---------------------------------------------------------------- the provider's embedding model

DEFAULT_REMOTE_PIVOT = 0.40  # CAPTAIN_EMBEDDING_PIVOT's default: docs/captain.md "Retrieval with the provider's embedding model"


def _unit(matrix):
    import numpy as np
    m = np.asarray(matrix, dtype=np.float32)
    if m.ndim != 2:
        raise ValueError("embeddings must be a matrix")
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1, norms)


class Remote(_Base):
    """The assistant's provider's embedding model (Bedrock Titan v2 or Cohere Embed, an
    OpenAI-compatible `/embeddings`) fused with BM25's coverage exactly as "hybrid" fuses
    WordLlama's similarity: confidence = (1 - HYBRID_WEIGHT) * coverage + HYBRID_WEIGHT *
    cosine. The passages' vectors are made once per index (and kept in its snapshot); the
    question is embedded by the caller (knowledge.search), which falls back to `offline`
    (the installation's offline retriever, built alongside) when the provider fails."""
    name = "remote"

    def __init__(self, passages: Sequence[dict], offline_name: str, offline, vectors):
        import numpy as np
        self._np = np
        self.passages = passages
        self.offline_name = offline_name
        self.offline = offline
        self.vectors = np.asarray(vectors, dtype=np.float32).reshape(len(passages), -1) if len(passages) \
            else np.zeros((0, 0), np.float32)
        if isinstance(offline, Hybrid):
            self.lexical = offline.lexical
        elif isinstance(offline, Bm25):
            self.lexical = offline
        else:
            self.lexical = Bm25(passages)

    @classmethod
    def build(cls, passages: Sequence[dict], offline_name: str, made: dict) -> "Remote":
        """`made`: each passage's text (`text_of`) -> its vector, from the provider."""
        vectors = [made[text_of(p)] for p in passages]
        if vectors and len({len(v) for v in vectors}) != 1:
            from ...llm.port import ProviderError
            raise ProviderError("bad_response", "the embedding model's vectors differ in length")
        return cls(passages, offline_name, build(offline_name, passages), _unit(vectors) if vectors else [])

    def vector_of(self) -> dict:
        """Each passage's text -> its vector (what `build` may reuse)."""
        return {text_of(p): v for p, v in zip(self.passages, self.vectors)}

    def scored_with(self, question: str, query_vector, n: int) -> list[tuple[int, float, float]]:
        np = self._np
        if not len(self.passages):
            return []
        q = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        if q.shape[0] != self.vectors.shape[1]:
            from ...llm.port import ProviderError
            raise ProviderError("bad_response", "the question's embedding has another length than the knowledge's")
        norm = float(np.linalg.norm(q))
        sims = self.vectors @ (q / norm if norm else q)
        fused = HYBRID_WEIGHT * np.maximum(sims, 0.0)
        for d, _, coverage in self.lexical.scored(question, max(n, LEXICAL_CANDIDATES)):
            fused[d] += (1 - HYBRID_WEIGHT) * coverage
        top = np.argsort(-fused, kind="stable")[:n]
        return [(int(d), float(fused[d]), float(min(1.0, fused[d]))) for d in top]

    def search_with(self, question: str, query_vector, k: int) -> list[tuple[int, float, float]]:
        return _grouped(self.passages, self.scored_with(question, query_vector, len(self.passages)), k, self.sizes)

    def search(self, question: str, k: int) -> list[tuple[int, float, float]]:
        """Without the question's vector: the offline retriever's answer."""
        return self.offline.search(question, k)

    def to_dict(self) -> dict:
        np = self._np
        v = np.asarray(self.vectors, dtype=np.float16)
        return {"offline_name": self.offline_name, "offline": self.offline.to_dict(), "shape": list(v.shape),
                "vectors": base64.b64encode(v.tobytes()).decode()}

    @classmethod
    def from_dict(cls, passages: Sequence[dict], body: dict) -> "Remote":
        import numpy as np
        v = np.frombuffer(base64.b64decode(body["vectors"]), dtype=np.float16).reshape(body["shape"])
        offline_name = body["offline_name"]
        return cls(passages, offline_name, load(offline_name, passages, body["offline"]), v.astype(np.float32))


def text_of(passage: dict) -> str:
    """What an embedding reads of a passage: an FAQ's question, a chunk's title and text."""
    if passage.get("kind") == "faq":
        return passage["title"]
    return f"{passage['title']}\n{passage['text']}"[:2000]


def _wide(k: int) -> int:
    """Passages scored before grouping: enough for a group's second-best member to count."""
    return max(k * 10, 50)


def _sizes(passages: Sequence[dict]) -> dict:
    sizes: dict = {}
    for d, p in enumerate(passages):
        group = p.get("group", d)
        sizes[group] = sizes.get(group, 0) + 1
    return sizes


def _grouped(passages: Sequence[dict], scored, k: int, sizes: dict | None = None) -> list[tuple[int, float, float]]:
    """One hit per group (the FAQs sharing an answer are one intent), k at most, best first.
    A group's score and confidence are the mean of its two best members' (its best alone
    when it has one among the candidates): with ten example questions an intent is
    recognised by its nearest two, which is steadier than the single nearest (bench/captain.py);
    the hit shown is the group's best member. A member missing from `scored` (not a
    candidate: it matched nothing) counts 0 when `sizes` says the group has it."""
    members: dict = {}
    for d, score, conf in scored:
        members.setdefault(passages[d].get("group", d), []).append((d, float(score), float(conf)))
    ranked = []
    for group, found in members.items():
        top = sorted(found, key=lambda m: (-m[1], m[0]))[:GROUP_TOP]
        count = min(GROUP_TOP, (sizes or {}).get(group, len(top)))
        count = max(count, len(top))
        ranked.append((top[0][0], sum(m[1] for m in top) / count, sum(m[2] for m in top) / count))
    ranked.sort(key=lambda r: (-r[1], -r[2], r[0]))
    return ranked[:k]


# The modules each retriever imports (layers/captain/requirements.txt installs them).
REQUIRES = {"bm25": (), "bm25s": ("bm25s", "numpy"), "wordllama": ("wordllama", "numpy", "tokenizers", "safetensors"),
            "static": ("static_model", "numpy"), "hybrid": ("wordllama", "numpy", "tokenizers", "safetensors"),
            "remote": ("numpy",)}


def available(name: str) -> bool:
    """Whether the retriever's packages are installed (found, not imported)."""
    import importlib.util
    return all(importlib.util.find_spec(module) is not None for module in REQUIRES[name])


def build(name: str, passages: Sequence[dict]):
    if name == "bm25":
        return Bm25(passages)
    if name == "bm25s":
        return Bm25s(passages)
    if name in ("wordllama", "static"):
        return Embedding(name, passages)
    if name == "hybrid":
        return Hybrid(passages)
    raise ValueError(f"unknown retriever {name!r}")


def load(name: str, passages: Sequence[dict], body: dict):
    if name == "bm25":
        return Bm25.from_dict(passages, body)
    if name == "bm25s":
        return Bm25s.from_dict(passages, body)
    if name in ("wordllama", "static"):
        return Embedding.from_dict(name, passages, body)
    if name == "hybrid":
        return Hybrid.from_dict(passages, body)
    raise ValueError(f"unknown retriever {name!r}")
