"""Tests that the chooser's remembered sentences and terms are exactly what it would compute."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.chunking import chunk
from retrieval.models import Span
from retrieval.sentences import split_sentences
from retrieval.text import Analyzer
from retrieval.window_parts import SENTENCE_CACHE, passage_terms, split_with_terms
from seeds import SEEDS, seed_body

HOSTILE = [
    "",
    "   \n\n  ",
    "No full stop here",
    "Dr. Smith met U.S. officials at 3 p.m. on Tuesday. “Why?” she asked.\n\nThen left.",
    "ﬁne. Ⓐ\x1cb. e\u0301t\u00e9... (see no. 3.5). WAR! aid?",
    "İstanbul. ß straße. ½ of 2024 ended.",
]
ENGLISH = Analyzer("english")


def fresh(text: str, analyzer: Analyzer) -> tuple[tuple[Span, ...], tuple[frozenset[str], ...]]:
    """What the cache must hold for ``text``: split and stemmed now, without it."""
    spans = tuple(split_sentences(text)) or (Span(0, 0),)
    return spans, tuple(frozenset(analyzer.terms(span.slice(text))) for span in spans)


def assert_cached_as_computed(text: str, analyzer: Analyzer) -> None:
    """Cold and warm lookups both equal computing anew, and the second one is a cache hit."""
    split_with_terms.cache_clear()
    want = fresh(text, analyzer)
    assert split_with_terms(text, analyzer) == want
    assert split_with_terms(text, analyzer) == want
    assert split_with_terms.cache_info().hits == 1
    passage_terms.cache_clear()
    assert passage_terms(text, analyzer) == frozenset(analyzer.terms(text))
    assert passage_terms(text, analyzer) == frozenset(analyzer.terms(text))
    assert passage_terms.cache_info().hits == 1


@pytest.mark.parametrize("path", SEEDS, ids=[path.stem for path in SEEDS])
def test_seed_passages_are_remembered_as_split(path: Path) -> None:
    """Every passage of every seed is remembered with Punkt's sentences and their terms."""
    body = seed_body(path)
    for span in chunk(body):
        assert_cached_as_computed(span.slice(body), ENGLISH)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_remembered_as_split(text: str) -> None:
    """Empty, unsplittable and oddly encoded text is remembered exactly as computed."""
    assert_cached_as_computed(text, ENGLISH)


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_hypothesis_any_text_is_remembered_as_split(text: str) -> None:
    """For any text, what is remembered equals splitting and stemming it again."""
    assert_cached_as_computed(text, ENGLISH)


def test_each_analyzer_keeps_its_own_terms() -> None:
    """The same text under another language is not served the first language's stems."""
    split_with_terms.cache_clear()
    passage_terms.cache_clear()
    text = "The runners were running. Los corredores corrían."
    english, spanish = split_with_terms(text, ENGLISH), split_with_terms(text, Analyzer("spanish"))
    assert english == fresh(text, ENGLISH)
    assert spanish == fresh(text, Analyzer("spanish"))
    assert english != spanish
    assert passage_terms(text, ENGLISH) == frozenset(ENGLISH.terms(text))
    assert passage_terms(text, Analyzer("spanish")) == frozenset(Analyzer("spanish").terms(text))


def test_the_caches_are_bounded() -> None:
    """Both caches forget the oldest passages past ``SENTENCE_CACHE``: memory stays bounded."""
    split_with_terms.cache_clear()
    passage_terms.cache_clear()
    for n in range(SENTENCE_CACHE + 10):
        split_with_terms(f"Passage {n}.", ENGLISH)
        passage_terms(f"Passage {n}.", ENGLISH)
    assert split_with_terms.cache_info().currsize == SENTENCE_CACHE
    assert passage_terms.cache_info().currsize == SENTENCE_CACHE
