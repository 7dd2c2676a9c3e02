"""The campaigns' URL globs: `*` and `?` only, validated, matched without backtracking blow-ups."""
from __future__ import annotations

import fnmatch
import json
import random
import time
from pathlib import Path

import pytest

from parley.services.rules.url_glob import MAX_STARS, matches, problem


# Shared with the loader's port (frontend/src/shared/urlGlob.js, frontend/tests/url-glob.test.js).
VECTORS = json.loads((Path(__file__).parents[1] / "fixtures" / "url_glob_vectors.json").read_text())["vectors"]


@pytest.mark.parametrize("pattern,url,expected", VECTORS)
def test_matches(pattern, url, expected):
    assert matches(pattern, url) is expected
    assert fnmatch.fnmatchcase(url, pattern) is expected  # the vectors themselves are right


def test_the_shared_vectors_cover_both_outcomes():
    assert len(VECTORS) >= 30 and {v[2] for v in VECTORS} == {True, False}


def test_agrees_with_fnmatch_on_random_globs():
    """fnmatchcase (without [...] classes, which are refused) is the reference semantics."""
    rng = random.Random(16)
    for _ in range(3000):
        pattern = "".join(rng.choice("ab*?") for _ in range(rng.randint(0, 8)))
        text = "".join(rng.choice("ab") for _ in range(rng.randint(0, 10)))
        assert matches(pattern, text) is fnmatch.fnmatchcase(text, pattern), (pattern, text)


def test_a_pathological_pair_finishes_fast():
    pattern = "https://a.example/" + "*a" * MAX_STARS + "b"
    assert problem(pattern) is None
    url = "https://a.example/" + "a" * 20_000
    started = time.perf_counter()
    assert matches(pattern, url) is False
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("pattern", [
    None, "", "   ", "shop.example/*", "ftp://shop.example/*", "https://", "https:///path",
    "https://shop.example/(a+)+$", "https://shop.example/[ab]", "https://shop.example/a|b",
    "https://shop.example/\\d", "https://shop.example/a{2}", "https://shop.example/a+b",
    "https://shop.example/a b", "https://shop.example/\x00", "https://shop.example/" + "*" * (MAX_STARS + 1),
    "https://shop.example/" + "a" * 3000,
])
def test_refused_patterns(pattern):
    assert problem(pattern)


@pytest.mark.parametrize("pattern", ["https://shop.example/pricing*", "http://*.example/?/x", "https://shop.example/"])
def test_accepted_patterns(pattern):
    assert problem(pattern) is None
