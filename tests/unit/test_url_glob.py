"""The campaigns' URL globs: `*` and `?` only, validated, matched without backtracking blow-ups."""
from __future__ import annotations

import fnmatch
import random
import time

import pytest

from parley.services.rules.url_glob import MAX_STARS, matches, problem


@pytest.mark.parametrize("pattern,url,expected", [
    ("https://shop.example/pricing*", "https://shop.example/pricing", True),
    ("https://shop.example/pricing*", "https://shop.example/pricing/team?x=1", True),
    ("https://shop.example/pricing*", "https://shop.example/about", False),
    ("https://shop.example/*/checkout", "https://shop.example/en/us/checkout", True),
    ("https://shop.example/*/checkout", "https://shop.example/checkout", False),
    ("https://shop.example/?", "https://shop.example/a", True),
    ("https://shop.example/?", "https://shop.example/", False),
    ("https://shop.example/?", "https://shop.example/ab", False),
    ("https://*.example/*", "https://www.shop.example/x", True),
    ("https://shop.example/a**b", "https://shop.example/ab", True),
    ("https://shop.example/a.b", "https://shop.example/aXb", False),  # a dot is a dot
    ("https://shop.example/Pricing", "https://shop.example/pricing", False),
    ("https://shop.example/", "https://shop.example/", True),
])
def test_matches(pattern, url, expected):
    assert matches(pattern, url) is expected


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
