"""Question words found together: the proximity score and the rerank, against plain references."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.engine import Engine
from retrieval.models import Article
from retrieval.proximity import (
    WINDOW,
    pair_counts,
    positions_of,
    proximity_of,
    proximity_reference,
    query_pairs,
)
from retrieval.ranking import diversify
from retrieval.recency import Recency, factors, window
from retrieval.rerank import Rerank, reranked_reference, second_stage
from retrieval.support import support_weight
from retrieval.text import Analyzer

ANALYZER = Analyzer("english")
WORDS = [f"w{i}x" for i in range(10)]


def idf_of(term: str) -> float:
    """A made-up idf that differs by term, so the weighting is exercised."""
    return 1.0 + len(term) / 3 + (hash(term) % 7) / 10


def test_pairs_are_distinct_consecutive_terms_in_order() -> None:
    """A term beside itself is no pair, and a pair asked twice counts once."""
    assert query_pairs(["new", "zealand", "new", "zealand", "zealand", "wine"]) == (
        ("new", "zealand"),
        ("zealand", "new"),
        ("zealand", "wine"),
    )
    assert query_pairs(["one"]) == ()


def test_counts_side_by_side_and_near() -> None:
    """Ordered counts ``a`` followed at once by ``b``; near counts ``a`` with a ``b`` close by."""
    assert pair_counts((0, 20), (1,)) == (1, 1)
    assert pair_counts((5,), (0,)) == (0, 1)  # before it, within the window
    assert pair_counts((0,), (WINDOW - 1,)) == (0, 1)
    assert pair_counts((0,), (WINDOW,)) == (0, 0)
    assert pair_counts((), (1,)) == (0, 0)


def test_adjacent_words_outscore_words_apart() -> None:
    """ "New Zealand" side by side scores more than the same words a sentence apart."""
    terms = ANALYZER.terms("New Zealand")
    together = proximity_reference("", "Rugby in New Zealand today.", ANALYZER, terms, idf_of)
    text = "New rules for rugby were agreed by every union and league, then later by Zealand"
    apart = proximity_reference("", text, ANALYZER, terms, idf_of)
    assert together > apart == 0.0


def test_no_window_spans_the_title_and_the_text() -> None:
    """A title ending in one word of a pair and a text opening with the other is no match."""
    terms = ANALYZER.terms("prime minister")
    assert proximity_reference("Prime", "minister resigns", ANALYZER, terms, idf_of) == 0.0
    where = positions_of("Prime", "minister resigns", ANALYZER)
    assert proximity_of(where, query_pairs(terms), {t: idf_of(t) for t in terms}) == 0.0


@settings(max_examples=200, deadline=None)
@given(
    title=st.lists(st.sampled_from(WORDS), max_size=6),
    text=st.lists(st.sampled_from(WORDS), max_size=60),
    terms=st.lists(st.sampled_from([*WORDS, "absent"]), max_size=6),
)
def test_positions_give_the_reference_score(
    title: list[str], text: list[str], terms: list[str]
) -> None:
    """From remembered positions, the same score as comparing every pair of places."""
    head, body = " ".join(title), " ".join(text)
    where = positions_of(head, body, ANALYZER)
    weights = {t: idf_of(t) for t in terms}
    fast = proximity_of(where, query_pairs(terms), weights)
    assert fast == proximity_reference(head, body, ANALYZER, terms, idf_of)


def articles(seed: int, dated: bool = False) -> list[Article]:
    """Random articles of one to three paragraphs (one passage each) over a small vocabulary."""
    rng = np.random.default_rng(seed)
    found = []
    for i in range(60):
        paragraphs = [
            " ".join(rng.choice(WORDS, size=int(rng.integers(45, 60))).tolist())
            for _ in range(int(rng.integers(1, 4)))
        ]
        title = " ".join(rng.choice(WORDS, size=2).tolist())
        day = datetime(2024, 5, 1 + int(rng.integers(0, 28)), tzinfo=UTC) if dated else None
        found.append(Article(title, "\n\n".join(paragraphs), id=f"a{i}", date=day))
    return found


def grouped(ids: list[int], owners: np.ndarray, k: int) -> list[int]:
    """Each article's first passage of ``ids`` before any second: ``diversify``'s order."""
    seen: dict[int, int] = {}
    rounds = []
    for passage in ids:
        rounds.append(seen.get(int(owners[passage]), 0))
        seen[int(owners[passage])] = rounds[-1] + 1
    return [ids[i] for i in sorted(range(len(ids)), key=lambda i: (rounds[i], i))][:k]


def reference_proximity(engine: Engine, terms: list[str]) -> np.ndarray:
    """Every stored passage's proximity, from its title and text, by the plain reference."""
    index = engine._snapshot.index
    rows = list(engine._store.passage_texts())
    out = np.zeros(index.n_docs)
    for pid, title, text in rows:
        out[pid] = proximity_reference(title, text, ANALYZER, terms, index.idf)
    return out


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("depth", [3, 20])
def test_search_ranks_as_the_reference_rerank(seed: int, depth: int) -> None:
    """Engine.search with a proximity weight: the reference's first ``depth`` passages of
    exhaustive BM25 rescored and reordered, then one passage per article first."""
    engine = Engine.open(":memory:", proximity=0.7, copy_threshold=1.1, statement_support=0.0)
    engine.rerank_depth = depth
    try:
        engine.ingest(articles(seed))
        rng = np.random.default_rng(seed + 50)
        query = " ".join(rng.choice(WORDS, size=4).tolist())
        terms = engine.query_terms(query)
        snapshot = engine._snapshot
        scores = snapshot.index.scores(terms)
        ids, _ = reranked_reference(scores, reference_proximity(engine, terms), 0.7, depth)
        expected = grouped(ids.tolist(), snapshot.owners, 10)
        found = engine.search(query, 10)
        assert [hit.ranked.id for hit in found.hits] == expected
        engine.proximity = 0.0
        plain, _ = reranked_reference(scores, np.zeros_like(scores), 0.0, depth)
        unranked = engine.search(query, 10)
        assert [h.ranked.id for h in unranked.hits] == grouped(plain.tolist(), snapshot.owners, 10)
    finally:
        engine.close()


@pytest.mark.parametrize("seed", range(4))
def test_diversify_reranks_with_the_recency_factor(seed: int) -> None:
    """With a recency prior the proximity is weighed by each passage's factor, as its words."""
    engine = Engine.open(":memory:", copy_threshold=1.1)
    try:
        engine.ingest(articles(seed, dated=True))
        snapshot = engine._snapshot
        terms = engine.query_terms(" ".join(WORDS[seed : seed + 3]))
        dates = window(snapshot.stamps, datetime(2024, 6, 1, tzinfo=UTC), Recency(14.0, 0.6))
        rerank = second_stage(engine._store, ANALYZER, snapshot.index, terms, 0.5, titled=True)
        assert isinstance(rerank, Rerank)
        ranking = diversify(snapshot.index, snapshot.owners, terms, 15, 0, dates, rerank=rerank)
        weights = factors(dates)
        scores = snapshot.index.scores(terms) * weights
        near = reference_proximity(engine, terms) * weights
        ids, rescored = reranked_reference(scores, near, 0.5, rerank.depth)
        assert [p for p, _ in ranking.passages] == grouped(ids.tolist(), snapshot.owners, 15)
        shown = dict(zip(ids.tolist(), rescored.tolist(), strict=True))
        for passage, score in ranking.passages:
            assert score == pytest.approx(shown[passage], rel=0, abs=1e-9)
    finally:
        engine.close()


def test_no_second_stage_without_pairs_or_weight() -> None:
    """A weight of 0, a related search or a one-word question rank by BM25 alone."""
    engine = Engine.open(":memory:")
    try:
        index, store = engine._snapshot.index, engine._store
        assert second_stage(store, ANALYZER, index, ["a", "b"], 0.0, titled=True) is None
        assert second_stage(store, ANALYZER, index, ["a"], 1.0, titled=True) is None
        related = second_stage(store, ANALYZER, index, ["a", "b"], 1.0, titled=True, related=True)
        assert related is None
    finally:
        engine.close()


def test_a_phrase_comes_first_when_words_tie() -> None:
    """Two passages with the same words score the same by BM25; the one holding them side by
    side comes first with the proximity on, the earlier one without."""
    engine = Engine.open(":memory:", copy_threshold=1.1)
    try:
        engine.ingest(
            [
                Article("Budget", "Zealand said the plan was new to everyone.", id="apart"),
                Article("Budget", "The plan was for everyone, New Zealand said.", id="close"),
            ]
        )
        assert engine.search("New Zealand plan", 2).hits[0].article.id == "apart"
        engine.proximity = 0.5
        assert engine.search("New Zealand plan", 2).hits[0].article.id == "close"
    finally:
        engine.close()


@pytest.mark.parametrize("seed", range(4))
def test_statements_rank_articles_by_reranked_support(seed: int) -> None:
    """With the statements' support, articles rank by their best plus a share of their second
    best passage, each as the rerank scores it (passages past the depth keep their BM25)."""
    engine = Engine.open(":memory:", proximity=0.7, copy_threshold=1.1)
    engine.rerank_depth = 8
    try:
        engine.ingest(articles(seed))
        query = " ".join(np.random.default_rng(seed).choice(WORDS, size=6).tolist())
        terms = engine.query_terms(query)
        snapshot = engine._snapshot
        scores = snapshot.index.scores(terms)
        ids, rescored = reranked_reference(scores, reference_proximity(engine, terms), 0.7, 8)
        weight = support_weight(terms, engine.statement_support)
        assert weight > 0
        firsts: dict[int, tuple[int, float, float]] = {}  # article: (position, best, second)
        for position, (passage, score) in enumerate(
            zip(ids.tolist(), rescored.tolist(), strict=True)
        ):
            owner = int(snapshot.owners[passage])
            at, best, second = firsts.get(owner, (position, score, 0.0))
            firsts[owner] = (at, best, score if owner in firsts and not second else second)
        order = sorted(firsts.values(), key=lambda f: (-(f[1] + weight * f[2]), f[0]))
        expected = [int(ids[at]) for at, _, _ in order[:10]]
        assert [hit.ranked.id for hit in engine.search(query, 10).hits] == expected
    finally:
        engine.close()


@pytest.mark.parametrize("seed", range(3))
def test_why_adds_up_to_the_reranked_score(seed: int) -> None:
    """ "Why?" shows what the proximity added, before the recency factor, so its lines add up
    to the score each hit was ranked by."""
    engine = Engine.open(":memory:", proximity=0.7, copy_threshold=1.1, statement_support=0.0)
    try:
        engine.ingest(articles(seed, dated=True))
        today = datetime(2024, 6, 1, tzinfo=UTC)
        query = " ".join(np.random.default_rng(seed).choice(WORDS, size=4).tolist())
        hits = engine.search(query, 10, as_of=today).hits
        named = set()
        for hit in hits:
            why = engine.explain(query, hit.ranked.id, as_of=today)
            assert why is not None
            assert why.score == pytest.approx(hit.score, rel=0, abs=1e-9)
            named |= {factor.name for factor in why.factors}
        assert {"proximity", "recency"} <= named
    finally:
        engine.close()
