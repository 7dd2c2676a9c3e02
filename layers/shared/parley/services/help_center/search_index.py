"""The help center's article search: a small, pure, in-memory full-text index (no I/O).

A help center holds tens to a few thousand articles, so one portal's index for one locale
fits in a few hundred kilobytes: it is rebuilt whole on every publish (the indexer), stored
as one gzip'd JSON snapshot and held in a warm container's memory (services/help_center/
search.py). Nothing here needs a search engine.

Text -> terms: Unicode words (letters and digits; `_` and punctuation split), lower-cased,
stemmed per locale with Snowball (PyStemmer) when the locale's language has a stemmer,
then accent-folded (é -> e, ß -> ss) in the Latin, Greek and Cyrillic scripts only (in
Devanagari or Arabic the combining marks are letters). Han, Hiragana and Katakana, written
without spaces, are indexed as overlapping character pairs.

Ranking: BM25F over three fields, title weighted above description above content, each
with its own length normalisation; each (term, document) contribution is computed at build
time, so a search only adds integers. The last query word also matches as a prefix (search
as you type: "passw" finds "password"); a small per-language stop-word list is dropped
from queries unless that would leave nothing to search.
"""
from __future__ import annotations

import gzip
import heapq
import json
import math
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

MAX_QUERY_LENGTH = 200
FORMAT = 1

# BM25F: field weights (title > description > content) and per-field length normalisation.
FIELDS = ("title", "description", "content")
WEIGHTS = {"title": 4.0, "description": 2.0, "content": 1.0}
B = {"title": 0.5, "description": 0.6, "content": 0.75}
K1 = 1.2
SCALE = 1000            # contributions are stored as integers (score * SCALE)
PREFIX_WEIGHT = 0.7     # a word that only starts with the last query word counts this much
PREFIX_MIN = 2          # a one-letter prefix would match half the vocabulary
PREFIX_MAX_TERMS = 64   # at most this many completions of the last word

# Locale (ISO 639-1 language, the part before "_" or "-") -> Snowball algorithm of PyStemmer.
STEMMERS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "fa": "persian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "st": "sesotho", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}

# Function words dropped from a query (never from the index: a query made of them only is
# searched as written). Accent-folded, unstemmed.
STOP_WORDS = {
    "en": "a an and are as at be by can do does for from how i in is it me my of on or so "
          "the this to was what when where which who why will with you your",
    "fr": "a au aux avec ce ces comment dans de des du en est et il je la le les mon ma mes "
          "ne ou par pas pour qu que qui sa se son sur un une vos votre",
    "de": "am an auf aus bei das dem den der des die ein eine einen er es fur ich im in ist "
          "mit nicht oder sie und von was wie wo zu zum zur",
    "es": "a al como con de del el en es la las lo los mi mis para por que se su sus un una y",
    "pt": "a ao as com como da das de do dos e em o os para por que se sua seu um uma",
    "it": "a al alla come con da del della di e il in la le lo per che un una",
    "nl": "de een en het hoe ik in is met op te van voor wat",
}

_WORD = re.compile(r"[^\W_]+")
_CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{_CJK_CLASS}]")
_CJK_RUNS = re.compile(f"[{_CJK_CLASS}]+|[^{_CJK_CLASS}]+")
# Markdown noise that is not the article's words: link and image targets, HTML tags, bare URLs.
_MARKDOWN_NOISE = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)|<[^>\n]{1,500}>|https?://\S+")


@dataclass(frozen=True)
class Hit:
    id: Any
    score: float
    doc_meta: dict


def stemmer_name(locale: str | None) -> str | None:
    """The Snowball algorithm for a locale code ("pt_BR" -> "portuguese"), or None."""
    if not locale:
        return None
    return STEMMERS.get(re.split(r"[_\-]", str(locale).strip().lower(), maxsplit=1)[0])


@lru_cache(maxsize=None)
def _stemmer(name: str):
    import Stemmer  # PyStemmer: loaded only where articles are indexed or searched
    return Stemmer.Stemmer(name)


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Case- and accent-fold one word; combining marks go only after Latin, Greek and
    Cyrillic letters (elsewhere they are part of the letter)."""
    word = word.casefold()
    if word.isascii():
        return word
    out = []
    for ch in unicodedata.normalize("NFD", word):
        if unicodedata.combining(ch) and out and ord(out[-1][-1]) < 0x0530:
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def words(text: str) -> list[str]:
    """Unicode words of a text, lower-cased, unstemmed, unfolded; runs of Han/kana split
    into overlapping character pairs."""
    out: list[str] = []
    for w in _WORD.findall(text.lower()):
        if _CJK.search(w):
            out.extend(_cjk_pieces(w))
        else:
            out.append(w)
    return out


def _cjk_pieces(w: str) -> list[str]:
    """"iPhone设置说明" -> ["iphone", "设置", "置说", "说明"]: Han/kana runs as overlapping
    pairs (a lone character as itself), other letters glued to them as words of their own."""
    pieces: list[str] = []
    for run in _CJK_RUNS.findall(w):
        if not _CJK.match(run):
            pieces.append(run)
        elif len(run) == 1:
            pieces.append(run)
        else:
            pieces.extend(run[i:i + 2] for i in range(len(run) - 1))
    return pieces


class _Analyzer:
    def __init__(self, locale: str | None, stemming: bool):
        name = stemmer_name(locale) if stemming else None
        self.stem = _stemmer(name).stemWord if name else None
        lang = re.split(r"[_\-]", str(locale or "").lower(), maxsplit=1)[0]
        self.stop = frozenset(STOP_WORDS.get(lang, "").split())

    def term(self, word: str) -> str:
        return fold(self.stem(word) if self.stem else word)

    def terms(self, text: str) -> list[str]:
        return [self.term(w) for w in words(text)]


def _plain(markdown: str) -> str:
    return _MARKDOWN_NOISE.sub(" ", markdown or "")


class SearchIndex:
    """One portal's articles of one locale. Build with `SearchIndex.build(docs, locale)`,
    query with `search(query)`, store with `to_bytes()` / `SearchIndex.from_bytes(b)`."""

    def __init__(self, locale: str | None, stemming: bool, docs: list[dict],
                 postings: dict[str, list[int]], surfaces: dict[str, str]):
        self.locale = locale
        self.stemming = stemming
        self.docs = docs                  # doc_meta per document number
        self.postings = postings          # term -> [doc, contribution, doc, contribution, ...]
        self.surfaces = surfaces          # folded unstemmed word -> its term (prefix matching)
        self._sorted_surfaces = sorted(surfaces)
        self._analyzer = _Analyzer(locale, stemming)

    def __len__(self) -> int:
        return len(self.docs)

    # the analyzer, for callers ranking with these terms themselves (Captain's retrieval)
    def terms(self, text: str) -> list[str]:
        return self._analyzer.terms(text)

    def term(self, word: str) -> str:
        return self._analyzer.term(word)

    @property
    def stop_words(self) -> frozenset[str]:
        return self._analyzer.stop

    # ---- building -------------------------------------------------------------------------

    @classmethod
    def build(cls, docs: Iterable[dict], locale: str | None, stemming: bool = True) -> "SearchIndex":
        analyzer = _Analyzer(locale, stemming)
        metas: list[dict] = []
        field_tfs: list[dict[str, Counter]] = []
        lengths: list[dict[str, int]] = []
        surfaces: dict[str, str] = {}
        for doc in docs:
            metas.append({k: v for k, v in doc.items() if k != "content"})
            tfs, lens = {}, {}
            for field in FIELDS:
                text = str(doc.get(field) or "")
                ws = words(_plain(text) if field == "content" else text)
                terms = []
                for w in ws:
                    t = analyzer.term(w)
                    terms.append(t)
                    surfaces.setdefault(fold(w), t)
                tfs[field] = Counter(terms)
                lens[field] = len(terms)
            field_tfs.append(tfs)
            lengths.append(lens)
        n = len(metas)
        avg = {f: (sum(l[f] for l in lengths) / n if n else 0.0) or 1.0 for f in FIELDS}
        weighted: dict[str, dict[int, float]] = {}
        for d, tfs in enumerate(field_tfs):
            norm = {f: 1 - B[f] + B[f] * lengths[d][f] / avg[f] for f in FIELDS}
            for f in FIELDS:
                w = WEIGHTS[f] / norm[f]
                for term, tf in tfs[f].items():
                    per_doc = weighted.setdefault(term, {})
                    per_doc[d] = per_doc.get(d, 0.0) + w * tf
        postings: dict[str, list[int]] = {}
        for term, per_doc in weighted.items():
            df = len(per_doc)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            flat: list[int] = []
            for d in sorted(per_doc):
                tf = per_doc[d]
                flat += [d, max(1, round(SCALE * idf * tf / (K1 + tf)))]
            postings[term] = flat
        return cls(locale, stemming, metas, postings, surfaces)

    # ---- searching ------------------------------------------------------------------------

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        query = query or ""
        if len(query) > MAX_QUERY_LENGTH:
            from parley.errors import Invalid
            raise Invalid(f"query is too long (at most {MAX_QUERY_LENGTH} characters)", field="query")
        raw = words(query)
        if not raw or limit <= 0 or not self.docs:
            return []
        kept = [w for w in raw if fold(w) not in self._analyzer.stop] or raw
        # the last word completes as a prefix while it is being typed (no space after it)
        prefix_last = not query[-1:].isspace() and raw[-1] == kept[-1]
        groups: list[dict[str, float]] = []
        seen: set[str] = set()
        for i, w in enumerate(kept):
            variants = {self._analyzer.term(w): 1.0}
            if prefix_last and i == len(kept) - 1:
                for t in self._completions(fold(w)):
                    variants.setdefault(t, PREFIX_WEIGHT)
            key = "\x00".join(sorted(variants))
            if key in seen:
                continue
            seen.add(key)
            groups.append(variants)
        scores: dict[int, float] = {}
        matched: Counter = Counter()
        for variants in groups:
            best: dict[int, float] = {}
            for term, weight in variants.items():
                flat = self.postings.get(term)
                if not flat:
                    continue
                it = iter(flat)
                for d, c in zip(it, it):
                    s = c * weight
                    if s > best.get(d, 0.0):
                        best[d] = s
            for d, s in best.items():
                scores[d] = scores.get(d, 0.0) + s
                matched[d] += 1
        if not scores:
            return []
        total = len(groups)
        # a document matching more of the query's words ranks above one matching fewer
        ranked = heapq.nlargest(
            limit, scores, key=lambda d: (scores[d] * (0.5 + 0.5 * matched[d] / total), -d))
        return [Hit(self.docs[d].get("id"),
                    round(scores[d] * (0.5 + 0.5 * matched[d] / total) / SCALE, 4),
                    self.docs[d]) for d in ranked]

    def _completions(self, prefix: str) -> list[str]:
        if len(prefix) < PREFIX_MIN:
            return []
        out: list[str] = []
        i = bisect_left(self._sorted_surfaces, prefix)
        while i < len(self._sorted_surfaces) and len(out) < PREFIX_MAX_TERMS:
            s = self._sorted_surfaces[i]
            if not s.startswith(prefix):
                break
            out.append(self.surfaces[s])
            i += 1
        return out

    # ---- storing --------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The index as plain JSON data (a snapshot holds several locales' in one file)."""
        return {"format": FORMAT, "locale": self.locale, "stemming": self.stemming,
                "docs": self.docs, "postings": self.postings, "surfaces": self.surfaces}

    @classmethod
    def from_dict(cls, body: dict) -> "SearchIndex":
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ValueError(f"unknown search index format {body.get('format') if isinstance(body, dict) else body!r}")
        return cls(body["locale"], body["stemming"], body["docs"], body["postings"], body["surfaces"])

    def to_bytes(self) -> bytes:
        return pack(self.to_dict())

    @classmethod
    def from_bytes(cls, data: bytes) -> "SearchIndex":
        return cls.from_dict(unpack(data))


def pack(body) -> bytes:
    """Compact, deterministic gzip'd JSON."""
    return gzip.compress(json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str).encode(),
                         compresslevel=6, mtime=0)


def unpack(data: bytes):
    return json.loads(gzip.decompress(data))
