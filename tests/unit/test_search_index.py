"""The help center's in-memory article index (pure: no AWS, no tables)."""
from __future__ import annotations

import gzip
import json
import random

import pytest

from parley.errors import Invalid
from parley.services.help_center.search_index import (
    MAX_QUERY_LENGTH, SearchIndex, fold, stemmer_name, words,
)

DOCS = [
    {"id": 1, "slug": "1-reset", "title": "Reset your password", "description": "Forgot it? Here is what to do",
     "content": "Open [settings](https://example.com/settings) and click **Reset**. Passwords need 8 characters."},
    {"id": 2, "slug": "2-widget", "title": "Configure the chat widget", "description": "Colours and greeting",
     "content": "The widget's configuration lives under Settings, Inboxes. A password is not needed."},
    {"id": 3, "slug": "3-billing", "title": "Invoices and billing", "description": "Where to find your invoices",
     "content": "Billing history is listed on the account page; download each invoice as PDF."},
    {"id": 4, "slug": "4-delete", "title": "Delete your account", "description": "Closing an account for good",
     "content": "Deleting removes every conversation. Export your contacts first."},
]


@pytest.fixture(scope="module")
def index():
    return SearchIndex.build(DOCS, "en")


def ids(hits):
    return [h.id for h in hits]


def test_words_follow_unicode_rules_and_fold_case_and_accents():
    assert words("Héllo, wörld! don't_do 42x") == ["héllo", "wörld", "don", "t", "do", "42x"]
    assert fold("Ÿ") == "y" and fold("Straße") == "strasse" and fold("ÉTÉ") == "ete"
    assert fold("Ελληνικά") == "ελληνικα"
    # Devanagari vowel signs are letters, not accents: they are kept
    assert fold("हिन्दी") == "हिन्दी"
    # Han runs become overlapping pairs; Latin glued to them stays a word
    assert words("iPhone设置说明") == ["iphone", "设置", "置说", "说明"]


def test_locale_codes_map_to_snowball_algorithms_or_none():
    assert stemmer_name("en") == "english"
    assert stemmer_name("pt_BR") == "portuguese" and stemmer_name("pt-BR") == "portuguese"
    assert stemmer_name("de") == "german" and stemmer_name("nb") == "norwegian"
    assert stemmer_name("ja") is None and stemmer_name("zh_CN") is None and stemmer_name(None) is None


def test_title_outranks_description_outranks_content():
    docs = [
        {"id": "content", "title": "Alpha", "description": "Beta", "content": "zebra"},
        {"id": "title", "title": "Zebra", "description": "Beta", "content": "gamma"},
        {"id": "description", "title": "Alpha", "description": "Zebra", "content": "gamma"},
    ]
    assert ids(SearchIndex.build(docs, "en").search("zebra ")) == ["title", "description", "content"]


def test_stemming_matches_word_forms_and_can_be_turned_off(index):
    assert ids(index.search("invoicing"))[:1] == [3]          # invoic(e|ing) share a stem
    assert ids(index.search("deleted"))[:1] == [4]
    plain = SearchIndex.build(DOCS, "en", stemming=False)
    assert ids(plain.search("deleted ")) == []
    assert ids(plain.search("invoices ")) == [3]


def test_stems_per_locale():
    docs = [{"id": 1, "title": "Créer un compte", "description": "", "content": "Créez votre compte en deux minutes."},
            {"id": 2, "title": "Supprimer les contacts", "description": "", "content": "Une suppression est définitive."}]
    fr = SearchIndex.build(docs, "fr")
    assert ids(fr.search("créer")) == [1]
    assert ids(fr.search("creer comptes")) == [1]          # accents optional, plural stemmed
    de = SearchIndex.build([{"id": 1, "title": "Häuser und Gärten", "description": "", "content": ""}], "de")
    assert ids(de.search("Haus ")) == [1]


def test_last_word_matches_as_a_prefix_while_typing(index):
    assert ids(index.search("passw")) == [1, 2]
    assert ids(index.search("configura")) == [2]
    # a finished word (space after it) is not completed
    assert ids(index.search("passw ")) == []
    # a one-letter prefix completes nothing
    assert ids(index.search("z")) == []


def test_stop_words_are_dropped_but_never_empty_a_query(index):
    assert ids(index.search("how do I reset my password"))[0] == 1
    # "what to" is all stop words: searched as written (both appear in doc 1's description)
    assert ids(index.search("what to ")) != []


def test_punctuation_only_or_empty_queries_find_nothing(index):
    for q in ["", "   ", "???", "!@#$%^&*()", "--", "…", "_"]:
        assert index.search(q) == []


def test_long_queries_are_refused(index):
    assert index.search("a" * MAX_QUERY_LENGTH) == []
    with pytest.raises(Invalid):
        index.search("a" * (MAX_QUERY_LENGTH + 1))
    with pytest.raises(Invalid):
        index.search("x" * 10_240)


def test_hits_carry_the_metadata_but_not_the_content(index):
    hit = index.search("billing")[0]
    assert hit.id == 3 and hit.score > 0
    assert hit.doc_meta == {"id": 3, "slug": "3-billing", "title": "Invoices and billing",
                            "description": "Where to find your invoices"}


def test_link_targets_are_not_searchable_text(index):
    assert ids(index.search("example ")) == []
    assert ids(index.search("https ")) == []


def test_limit_and_ordering_are_stable(index):
    assert len(index.search("account", limit=1)) == 1
    assert index.search("account", limit=0) == []
    a = index.search("your account")
    assert a == index.search("your account")
    assert [h.score for h in a] == sorted((h.score for h in a), reverse=True)


def test_round_trip_through_bytes_is_compact_and_identical(index):
    data = index.to_bytes()
    assert json.loads(gzip.decompress(data))["format"] == 1
    again = SearchIndex.from_bytes(data)
    for q in ["password", "passw", "invoice", "delete account", "configura"]:
        assert again.search(q) == index.search(q)
    assert index.to_bytes() == data          # deterministic: same build, same bytes
    with pytest.raises(ValueError):
        SearchIndex.from_bytes(gzip.compress(b'{"format": 99}'))


def test_empty_index_answers_nothing():
    empty = SearchIndex.build([], "en")
    assert empty.search("anything") == [] and len(SearchIndex.from_bytes(empty.to_bytes())) == 0


def test_a_locale_without_a_stemmer_still_searches():
    ix = SearchIndex.build([{"id": 1, "title": "パスワードの再設定", "description": "", "content": ""},
                            {"id": 2, "title": "Ürün iadesi", "description": "", "content": ""}], "ja")
    assert ids(ix.search("パスワード")) == [1]
    assert ids(ix.search("urun")) == [2]


def test_a_large_index_survives_its_round_trip_and_finds_by_word_and_prefix():
    """Its speed is bench/help_center_search.py's figure (docs/benchmarks.md), not a timed test."""
    rng = random.Random(13)
    vocab = [f"w{i}x" for i in range(4000)] + ["password", "reset", "invoice", "account", "widget"]
    docs = [{"id": i, "title": " ".join(rng.choices(vocab, k=6)), "description": " ".join(rng.choices(vocab, k=15)),
             "content": " ".join(rng.choices(vocab, k=300))} for i in range(800)]
    ix = SearchIndex.from_bytes(SearchIndex.build(docs, "en").to_bytes())
    for q in ["reset password", "invoice account", "widg", "w12x w400x passw"]:
        assert ix.search(q)
