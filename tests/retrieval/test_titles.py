"""The title field: exact pruned top-k with title scores added, rank_bm25 parity, the engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from retrieval.bm25 import BM25Params, Index
from retrieval.engine import Engine
from retrieval.models import Article
from retrieval.pipeline import prepare_texts
from retrieval.recency import RECENCY, UNDATED, factors, preferring, window
from retrieval.text import Analyzer
from retrieval.titles import Titles
from retrieval.topk import Bonus, select_top_k
from retrieval.topk_kernels import WINDOW

OKAPI = BM25Params(scorer="okapi")
LUCENE = BM25Params(scorer="lucene")


def exhaustive(
    index: Index, query: list[str], k: int, bonus: Bonus
) -> tuple[list[int], list[float]]:
    """Every passage scored with the bonus, sorted by (-score, id), positive scores only."""
    scores = index.scores(query, bonus)
    ranked = sorted((-s, i) for i, s in enumerate(scores.tolist()) if s > 0)[:k]
    return [i for _, i in ranked], [-s for s, _ in ranked]


def assert_exact(index: Index, query: list[str], k: int, bonus: Bonus) -> None:
    """Pruned top-k with a bonus equals exhaustive scoring: same ids, scores to the bit."""
    ids, scores = index.top_k(query, k, bonus=bonus)
    want_ids, want_scores = exhaustive(index, query, k, bonus)
    assert ids.tolist() == want_ids
    assert scores.tolist() == want_scores


def zipf_corpus(seed: int, n: int, vocabulary: int = 300) -> list[list[str]]:
    """``n`` passages of 0-30 Zipf-distributed terms ``t0``, ``t1``, ..."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, vocabulary + 1)
    weights /= weights.sum()
    return [
        [f"t{w}" for w in rng.choice(vocabulary, size=int(rng.integers(0, 30)), p=weights)]
        for _ in range(n)
    ]


def articles_of(seed: int, n_passages: int, longest: int) -> tuple[list[list[str]], list[int]]:
    """Random article sizes covering ``n_passages`` and a random title per article."""
    rng = np.random.default_rng(seed)
    counts: list[int] = []
    while sum(counts) < n_passages:
        counts.append(min(int(rng.integers(1, longest + 1)), n_passages - sum(counts)))
    titles = zipf_corpus(seed + 1, len(counts), vocabulary=60)
    return [t[:6] for t in titles], counts


@pytest.mark.parametrize("params", [OKAPI, LUCENE], ids=["okapi", "lucene"])
@pytest.mark.parametrize("k", [1, 5, 40], ids=["k1", "k5", "k40"])
def test_title_bonus_top_k_is_exact_across_segments_and_windows(params: BM25Params, k: int) -> None:
    """Over 9000 passages in several segments (articles longer than a sweep window included)."""
    corpus = zipf_corpus(3, 9000)
    index = Index.build(corpus[:5000], params).add(corpus[5000:8000]).add(corpus[8000:])
    assert index.segment_count > 1
    titles, counts = articles_of(4, 9000, longest=6000)
    field = Titles.empty(params).add(titles, counts)
    rng = np.random.default_rng(5)
    for _ in range(20):
        query = [f"t{int(w)}" for w in rng.integers(0, 80, size=int(rng.integers(1, 5)))]
        for weight in (0.3, 1.0, 4.0):
            assert_exact(index, query, k, field.bonus(query, weight))


def test_a_title_only_match_ranks_the_articles_passages() -> None:
    """A term no passage holds still finds the passages of the article whose title holds it."""
    index = Index.build([["a"], ["b"], ["c"], ["d"]], LUCENE)
    field = Titles.empty(LUCENE).add([["x"], ["zeta"], []], [1, 2, 1])
    bonus = field.bonus(["zeta"], 1.0)
    assert (bonus.starts.tolist(), bonus.ends.tolist()) == ([1], [3])
    ids, scores = index.top_k(["zeta"], 10, bonus=bonus)
    assert ids.tolist() == [1, 2]
    assert scores[0] == scores[1] > 0
    assert_exact(index, ["zeta", "b"], 10, bonus)


def test_title_scores_equal_bm25okapi_over_titles_times_the_weight() -> None:
    """The bonus of each article is weight x BM25Okapi over the titles (okapi scorer)."""
    titles = [["ukraine", "aid"], ["farm", "protest", "france"], ["aid", "vote"], ["rates"]]
    field = Titles.empty(OKAPI).add(titles, [2, 1, 3, 1])
    query = ["aid", "france"]
    want = 0.7 * BM25Okapi(titles).get_scores(query)
    bonus = field.bonus(query, 0.7)
    got = np.zeros(len(titles))
    for start, value in zip(bonus.starts.tolist(), bonus.values.tolist(), strict=True):
        got[int(np.searchsorted(field.firsts, start))] = value
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_weight_zero_and_empty_titles_add_nothing() -> None:
    """Weight 0, no articles, or titles without terms give no bonus and no warning."""
    assert not len(Titles.empty(LUCENE).bonus(["a"], 1.0))
    field = Titles.empty(LUCENE).add([[], []], [1, 1])
    assert not len(field.bonus(["a"], 1.0))
    assert not len(Titles.empty(LUCENE).add([["a"]], [1]).bonus(["a"], 0.0))
    with pytest.raises(ValueError, match="one passage count"):
        field.add([["a"]], [1, 2])


@settings(max_examples=80, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=1, max_size=12),
    seed=st.integers(0, 10_000),
    k=st.integers(1, 8),
    weight=st.sampled_from([0.1, 1.0, 3.0]),
)
def test_hypothesis_title_bonus_top_k_is_exact(
    sizes: list[int], seed: int, k: int, weight: float
) -> None:
    """Small random articles, titles and queries: pruned equals exhaustive, both scorers."""
    rng = np.random.default_rng(seed)
    vocabulary = ["a", "b", "c", "d", "e"]
    corpus = [list(rng.choice(vocabulary, size=int(rng.integers(0, 5)))) for _ in range(sum(sizes))]
    titles = [list(rng.choice(vocabulary, size=int(rng.integers(0, 3)))) for _ in sizes]
    query = list(rng.choice(vocabulary, size=int(rng.integers(1, 4))))
    for params in (OKAPI, LUCENE):
        index = Index.build(corpus, params)
        bonus = Titles.empty(params).add(titles, sizes).bonus(query, weight)
        assert_exact(index, query, k, bonus)


ARTICLES = [
    Article(
        "Ukraine aid talks resume", "Ministers met in Brussels.\n\nThey discussed weapons.", id="a"
    ),
    Article("Farm protests", "Farmers block roads in France over Ukraine grain imports.", id="b"),
    Article("Rates held", "The central bank held interest rates for a third month.", id="c"),
]


def test_engine_with_the_field_off_is_bm25okapi_over_titled_passages() -> None:
    """Weight 0: okapi scores equal BM25Okapi over the title's terms plus each passage's."""
    engine = Engine.open(":memory:", scorer="okapi")
    engine.ingest(ARTICLES)
    analyzer = Analyzer("english")
    tokens = [
        terms
        for _, passages in prepare_texts([(a.title, a.text) for a in ARTICLES], analyzer)
        for terms in passages
    ]
    for query in (["ukrain"], ["aid", "rate"], ["nope"], ["ukrain", "ukrain", "farmer"]):
        got = engine._snapshot.index.scores(query)
        np.testing.assert_allclose(got, BM25Okapi(tokens).get_scores(query), rtol=0, atol=1e-9)
    engine.close()


def test_engine_with_the_field_on_scores_passages_plus_weighted_titles() -> None:
    """Weight on: passages hold no title terms, and search ranks by body + weight x title."""
    engine = Engine.open(":memory:", scorer="okapi", title_weight=2.0)
    engine.ingest(ARTICLES)
    analyzer = Analyzer("english")
    prepared = prepare_texts([("", a.text) for a in ARTICLES], analyzer)
    body = [terms for _, passages in prepared for terms in passages]
    counts = [len(passages) for _, passages in prepared]
    titles = [analyzer.terms(a.title) for a in ARTICLES]
    query = analyzer.terms("Ukraine aid")
    owner = np.repeat(np.arange(len(ARTICLES)), counts)
    want = BM25Okapi(body).get_scores(query) + 2.0 * BM25Okapi(titles).get_scores(query)[owner]
    snapshot = engine._snapshot
    got = snapshot.index.scores(query, snapshot.title_bonus(query, engine.title_weight))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    assert snapshot.index.document_frequency("aid") == 0  # the title's word is not in passages
    hits = engine.search("Ukraine aid", k=3).hits
    assert hits[0].article.id == "a"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    engine.close()


def test_switching_the_field_rebuilds_the_saved_index(tmp_path: Path) -> None:
    """A store indexed with titles in passages is re-indexed without them, and back."""
    db = tmp_path / "b.sqlite3"
    engine = Engine.open(db)
    engine.ingest(ARTICLES)
    assert engine._snapshot.index.document_frequency("aid") == 1
    engine.close()
    field = Engine.open(db, title_weight=1.0)
    assert field.check().repaired is not None
    assert field._snapshot.index.document_frequency("aid") == 0
    assert field.search("aid", k=3).hits[0].article.id == "a"
    field.close()
    again = Engine.open(db, title_weight=1.5)
    assert again.check().repaired is None  # another weight needs no rebuild
    assert again._snapshot.titles is not None
    assert again._snapshot.titles.articles == 3
    again.ingest([Article("Aid vote", "Parliament votes on the package tonight.", id="d")])
    assert again._snapshot.titles.articles == 4
    assert again.search("aid vote", k=1).hits[0].article.id == "d"
    again.close()
    back = Engine.open(db)
    assert back.check().repaired is not None
    assert back._snapshot.index.document_frequency("aid") == 2
    back.close()


def test_a_negative_title_weight_is_refused() -> None:
    """A title weight below zero is a clear error, not a silent inversion."""
    with pytest.raises(ValueError, match="title_weight"):
        Engine.open(":memory:", title_weight=-1.0)


@pytest.mark.parametrize("params", [OKAPI, LUCENE], ids=["okapi", "lucene"])
def test_matching_scores_are_the_nonzero_part_of_scores(params: BM25Params) -> None:
    """Sparse scores hold exactly the documents with a query term, each score as scores() has it."""
    corpus = zipf_corpus(11, 700, vocabulary=50)
    index = Index.build(corpus[:400], params).add(corpus[400:])
    for query in (["t1", "t7", "t1"], ["t40"], ["nope"], []):
        ids, scores = index.matching_scores(query)
        full = index.scores(query)
        holding = [i for i, doc in enumerate(corpus) if set(doc) & set(query)]
        assert ids.tolist() == holding
        np.testing.assert_allclose(scores, full[ids], rtol=0, atol=1e-12)


def test_a_rare_word_only_in_the_title_counts_towards_answering() -> None:
    """With the title field, a question whose rare word is only in a headline is not declined."""
    articles = [
        Article("Zelenskyy visits Kherson", "The president met soldiers and residents.", id="z"),
        Article("Markets", "Shares rose as residents spent more in December.", id="m"),
    ]
    field = Engine.open(":memory:", title_weight=1.0)
    field.ingest(articles)
    result = field.search("Zelenskyy residents", k=2)
    assert result.hits[0].article.id == "z"
    assert result.share == 1.0
    assert not result.abstained
    field.close()


@settings(max_examples=40, deadline=None)
@given(
    n_passages=st.integers(1, 3 * WINDOW + 100),
    seed=st.integers(0, 10_000),
    k=st.sampled_from([1, 10, 120]),
    weight=st.sampled_from([0.0, 0.5, 2.0]),
    when=st.sampled_from(["none", "prior", "range", "prefer"]),
)
def test_hypothesis_title_bonus_with_dates_across_windows_is_exact(
    n_passages: int, seed: int, k: int, weight: float, when: str
) -> None:
    """Title field, recency prior, date range or preferred range together, over several sweep
    windows (some skipped once the heap is full): the top k equal exhaustive scoring to the
    bit."""
    rng = np.random.default_rng(seed)
    corpus = zipf_corpus(seed, n_passages, vocabulary=200)
    cut = int(rng.integers(0, n_passages + 1))
    index = Index.build(corpus[:cut], LUCENE).add(corpus[cut:])
    titles, counts = articles_of(seed + 7, n_passages, longest=int(rng.integers(1, 40)))
    field = Titles.empty(LUCENE).add(titles, counts)
    now = datetime(2024, 6, 15, tzinfo=UTC)
    ages = rng.uniform(-2, 400, size=n_passages) * 86_400
    stamps = np.where(rng.random(n_passages) < 0.1, UNDATED, int(now.timestamp()) - ages)
    since = now - timedelta(days=90) if when == "range" else None
    dates = None if when == "none" else window(stamps.astype(np.int64), now, RECENCY, since)
    if dates is not None and when == "prefer":
        dates = preferring(dates, now - timedelta(days=60), now - timedelta(days=20), 0.25)
    reference = np.ones(n_passages) if dates is None else factors(dates)
    for _ in range(4):
        query = [f"t{int(w)}" for w in rng.integers(0, 60, size=int(rng.integers(1, 6)))]
        bonus = field.bonus(query, weight)
        ids, scores = index.top_k(query, k, dates, bonus)
        full = index.scores(query, bonus) * reference
        want_ids, want_scores = select_top_k(np.arange(n_passages, dtype=np.int64), full, k)
        assert ids.tolist() == want_ids.tolist()
        assert scores.tolist() == want_scores.tolist()
