"""Tests for ``retrieval.highlight``: the cited sentence and the highlighted words."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.highlight import best_sentence, excerpt, highlight_spans
from retrieval.models import Span
from retrieval.sentences import split_sentences
from retrieval.text import Analyzer
from seeds import SEEDS, seed_body

PASSAGE = (
    "Blinken met Kuleba in Brussels. "
    "Kuleba asked for more weapons and more weapons again. "
    "NATO discussed weapons deliveries and the timeline for Ukraine. "
    "The talks ended late."
)


SAMPLE_WORDS = [
    "Weapons", "weapon", "Ukraine's", "U.S.", "Dr.", "said.", "talks", "the", "of", "\n\n",
    "«Kyiv»", "Café", "ﬁnal", "🚀", "aid.", "Mr.", "“Quote.”", "NATO", "arms", "and",
]  # fmt: skip


@pytest.fixture(scope="module")
def english() -> Analyzer:
    """One English analyzer for the module."""
    return Analyzer("english")


def reference_best(
    text: str, query: set[str], analyzer: Analyzer, weights: dict[str, float]
) -> Span:
    """Score every sentence from scratch with terms(); the earliest top score wins."""
    sentences = split_sentences(text)
    scores = [
        sum(weights.get(term, 1.0) for term in set(analyzer.terms(s.slice(text))) & query)
        for s in sentences
    ]
    return sentences[scores.index(max(scores))]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("weapons timeline", "NATO discussed weapons deliveries and the timeline for Ukraine."),
        ("weapon", "Kuleba asked for more weapons and more weapons again."),
        ("Kuleba", "Blinken met Kuleba in Brussels."),
        ("pizza", "Blinken met Kuleba in Brussels."),
        ("talks ending", "The talks ended late."),
    ],
    ids=["distinct-terms-win", "tie-goes-earlier", "first-of-equals", "no-match-first", "stems"],
)
def test_best_sentence_picks(english: Analyzer, query: str, expected: str) -> None:
    """The sentence with the most distinct query terms wins; ties go to the earlier one."""
    span = best_sentence(PASSAGE, english.terms(query), english)
    assert span.slice(PASSAGE) == expected


def test_repeated_term_counts_once(english: Analyzer) -> None:
    """A sentence repeating one term does not beat a sentence holding two distinct terms."""
    text = "Weapons weapons weapons weapons. Weapons for Ukraine."
    span = best_sentence(text, english.terms("weapons Ukraine"), english)
    assert span.slice(text) == "Weapons for Ukraine."


def test_weights_prefer_rare_terms(english: Analyzer) -> None:
    """A heavy (rare) term outweighs two light ones."""
    query = english.terms("Brussels weapons timeline")
    weights = {"brussel": 5.0, "weapon": 1.0, "timelin": 1.0}
    span = best_sentence(PASSAGE, query, english, weights)
    assert span.slice(PASSAGE) == "Blinken met Kuleba in Brussels."


@pytest.mark.parametrize("path", SEEDS, ids=[path.stem for path in SEEDS])
@pytest.mark.parametrize(
    "query", ["weapons Ukraine", "Bucha atrocities", "timeline", "Blinken NATO Brussels"]
)
def test_best_sentence_matches_reference_on_seeds(
    english: Analyzer, path: Path, query: str
) -> None:
    """The one-pass scoring equals re-analysing every sentence separately."""
    text = seed_body(path)
    terms = set(english.terms(query))
    weights = {term: 1.0 + len(term) / 10 for term in terms}
    got = best_sentence(text, terms, english, weights, max_chars=10_000)
    assert got == reference_best(text, terms, english, weights)


def test_empty_passage_gives_empty_span(english: Analyzer) -> None:
    """A blank passage has no sentence: the span is empty."""
    assert best_sentence("  \n ", ["weapon"], english) == Span(0, 0)


def test_bad_max_chars_raises(english: Analyzer) -> None:
    """max_chars below one is a ValueError."""
    with pytest.raises(ValueError, match="max_chars"):
        best_sentence(PASSAGE, ["weapon"], english, max_chars=0)


def test_long_sentence_window_holds_matches(english: Analyzer) -> None:
    """A long sentence is narrowed to a word-aligned window around the matches."""
    filler = " ".join(f"filler{i}" for i in range(60))
    text = f"{filler} then weapons for Ukraine were sent {filler}."
    span = best_sentence(text, english.terms("weapons Ukraine"), english, max_chars=80)
    excerpt = span.slice(text)
    assert len(excerpt) <= 80
    assert excerpt.startswith("weapons for Ukraine")
    assert span.end == len(text) or text[span.end].isspace()
    assert excerpt == excerpt.strip()


def test_long_sentence_keeps_start_when_it_holds_matches(english: Analyzer) -> None:
    """If the sentence opening already holds the most matches, the window starts there."""
    filler = " ".join(f"filler{i}" for i in range(60))
    text = f"Weapons for Ukraine {filler}."
    span = best_sentence(text, english.terms("weapons Ukraine"), english, max_chars=50)
    assert span.start == 0
    assert len(span.slice(text)) <= 50
    assert text[span.end].isspace()


def test_unspaced_long_sentence_is_cut_hard(english: Analyzer) -> None:
    """A sentence with no spaces (e.g. Chinese) is cut at max_chars exactly."""
    text = "武器" * 200 + "。"
    span = best_sentence(text, ["武器"], english, max_chars=40)
    assert span == Span(0, 40)


@pytest.mark.parametrize(
    ("text", "query", "expected"),
    [
        ("Weapons, weapon and WEAPONS.", "weapons", ["Weapons", "weapon", "WEAPONS"]),
        ("weapons weapons", "weapon", ["weapons", "weapons"]),
        ("The war and the peace", "the war", ["war"]),
        ("&amp; <b>weapons</b> &lt;", "weapons amp", ["amp", "weapons"]),
        ("😀weapons😀 שלום weapons", "weapons שלום", ["weapons", "שלום", "weapons"]),
        ("ﬁne ﬁnal", "final", ["ﬁnal"]),
        ("Ｗｅａｐｏｎｓ arrive", "weapons", ["Ｗｅａｐｏｎｓ"]),
        ("Nothing here", "weapons", []),
        ("weapons", "", []),
    ],
    ids=[
        "case-and-stem",
        "adjacent-not-merged",
        "stopwords-never",
        "markup",
        "emoji-rtl",
        "ligature",
        "full-width",
        "no-match",
        "empty-query",
    ],
)
def test_highlight_spans(english: Analyzer, text: str, query: str, expected: list[str]) -> None:
    """Every word whose stem is a query term is highlighted, one span per word."""
    spans = highlight_spans(text, english.terms(query), english)
    assert [span.slice(text) for span in spans] == expected


def test_highlight_accepts_weights_mapping(english: Analyzer) -> None:
    """A term-to-weight mapping works as the query terms (its keys are the terms)."""
    spans = highlight_spans("Weapons for Ukraine", {"weapon": 2.0}, english)
    assert spans == (Span(0, 7),)


@given(st.text(max_size=200), st.text(max_size=30), st.integers(min_value=1, max_value=120))
@settings(max_examples=200, deadline=None)
def test_excerpt_and_highlights_are_valid_spans(text: str, query: str, max_chars: int) -> None:
    """For any text, the excerpt is a trimmed slice within max_chars and highlights are disjoint."""
    analyzer = Analyzer("english")
    terms = analyzer.terms(query) + analyzer.terms(text)[:2]
    span = best_sentence(text, terms, analyzer, max_chars=max_chars)
    assert 0 <= span.start <= span.end <= len(text)
    assert span.end - span.start <= max_chars
    excerpt = span.slice(text)
    assert excerpt == excerpt.strip()
    highlights = highlight_spans(excerpt, terms, analyzer)
    previous_end = 0
    for highlight in highlights:
        assert previous_end <= highlight.start < highlight.end <= len(excerpt)
        previous_end = highlight.end


@given(
    st.lists(st.sampled_from(SAMPLE_WORDS), min_size=1, max_size=80).map(" ".join),
    st.lists(st.sampled_from(SAMPLE_WORDS), min_size=1, max_size=4).map(" ".join),
    st.integers(min_value=20, max_value=400),
)
@settings(max_examples=200, deadline=None)
def test_one_pass_excerpt_equals_separate_passes(text: str, query: str, max_chars: int) -> None:
    """excerpt() gives best_sentence's span and the highlights a fresh pass over it finds."""
    analyzer = Analyzer("english")
    terms = set(analyzer.terms(query))
    span, highlights = excerpt(text, terms, analyzer, max_chars=max_chars)
    assert span == best_sentence(text, terms, analyzer, max_chars=max_chars)
    assert highlights == highlight_spans(span.slice(text), terms, analyzer)
