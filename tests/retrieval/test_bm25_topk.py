"""Compiled top-k against exhaustive scoring: same ids, same scores, same tie order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval import topk, topk_kernels
from retrieval.bm25 import SCORERS, BM25Params, Index, Scorer
from retrieval.topk import select_top_k

OKAPI = BM25Params(scorer="okapi")
LUCENE = BM25Params(scorer="lucene")


def exhaustive_top_k(index: Index, query: list[str], k: int) -> tuple[list[int], list[float]]:
    """The reference ranking: every passage scored, sorted by (-score, id), score > 0 only."""
    scores = index.scores(query)
    ranked = sorted((-s, i) for i, s in enumerate(scores.tolist()) if s > 0)[:k]
    return [i for _, i in ranked], [-s for s, _ in ranked]


def assert_same_top_k(index: Index, query: list[str], k: int) -> None:
    """top_k equals the exhaustive ranking in ids (exactly) and scores (1e-9)."""
    ids, scores = index.top_k(query, k)
    want_ids, want_scores = exhaustive_top_k(index, query, k)
    assert ids.dtype == np.int64
    assert scores.dtype == np.float64
    assert ids.tolist() == want_ids
    np.testing.assert_allclose(scores, want_scores, rtol=0, atol=1e-9)


def test_ties_break_on_the_lower_passage_id() -> None:
    """Identical passages tie, and the one added first ranks first."""
    corpus = [["x", "y"], ["z"], ["x", "y"], ["x", "y"], ["q"]]
    ids, scores = Index.build(corpus, LUCENE).top_k(["x"], 2)
    assert ids.tolist() == [0, 2]
    assert scores[0] == scores[1]


def test_zero_scores_are_not_results() -> None:
    """Passages without any query term are never returned, however large k is."""
    index = Index.build([["a"], ["b"], ["c"]], LUCENE)
    assert index.top_k(["a"], 10)[0].tolist() == [0]
    assert index.top_k(["nope"], 10)[0].tolist() == []
    assert index.top_k(["a"], 0)[0].tolist() == []


def test_okapi_negative_floor_falls_back_to_exhaustive_ranking() -> None:
    """When every idf is negative, okapi scores go below zero and nothing is returned."""
    corpus = [["p", "q"], ["q", "p"], ["p", "q", "p"]]
    index = Index.build(corpus, OKAPI)
    assert (index.scores(["p"]) < 0).all()
    assert_same_top_k(index, ["p", "q"], 3)


def test_select_top_k_orders_by_score_then_id() -> None:
    """select_top_k drops non-positive scores and orders by (-score, id)."""
    ids = np.array([5, 3, 9, 1, 7], dtype=np.int64)
    scores = np.array([1.0, 2.0, 1.0, 0.0, 1.0])
    got_ids, got_scores = select_top_k(ids, scores, 3)
    assert got_ids.tolist() == [3, 5, 7]
    assert got_scores.tolist() == [2.0, 1.0, 1.0]


@pytest.mark.parametrize("k", [1, 3, 10, 50], ids=["k1", "k3", "k10", "k50"])
def test_pruned_top_k_on_a_larger_skewed_corpus(k: int) -> None:
    """A 3000-passage Zipf-like corpus built in several segments ranks like exhaustive scoring."""
    rng = np.random.default_rng(7)
    weights = 1.0 / np.arange(1, 401)
    weights /= weights.sum()
    corpus = [
        [f"t{w}" for w in rng.choice(400, size=int(rng.integers(0, 30)), p=weights)]
        for _ in range(3000)
    ]
    index = Index.build(corpus[:1700], LUCENE).add(corpus[1700:2600]).add(corpus[2600:])
    assert index.segment_count > 1
    for _ in range(25):
        query = [f"t{w}" for w in rng.choice(400, size=int(rng.integers(1, 7)))]
        assert_same_top_k(index, query, k)


# Few terms and short passages make equal scores (ties) common, which is the point.
VOCAB = st.sampled_from(list("abcde"))
CORPORA = st.lists(st.lists(VOCAB, max_size=6), min_size=1, max_size=40)
QUERIES = st.lists(st.sampled_from([*"abcde", "zz"]), min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    corpus=CORPORA,
    query=QUERIES,
    k=st.integers(1, 45),
    scorer=st.sampled_from(SCORERS),
)
def test_hypothesis_top_k_equals_exhaustive(
    corpus: list[list[str]], query: list[str], k: int, scorer: Scorer
) -> None:
    """On generated corpora full of ties, top_k equals the exhaustive ranking."""
    index = Index.build(corpus, BM25Params(scorer=scorer))
    assert_same_top_k(index, query, k)


@settings(max_examples=100, deadline=None)
@given(
    corpus=CORPORA,
    cuts=st.lists(st.integers(0, 40), max_size=4),
    query=QUERIES,
    k=st.integers(1, 12),
)
def test_hypothesis_top_k_across_segments_equals_exhaustive(
    corpus: list[list[str]], cuts: list[int], query: list[str], k: int
) -> None:
    """An index grown by several add() calls still ranks exactly like exhaustive scoring."""
    index = Index.empty(LUCENE)
    start = 0
    for cut in sorted(cuts):
        index = index.add(corpus[start:cut])
        start = max(start, cut)
    index = index.add(corpus[start:])
    assert_same_top_k(index, query, k)


WINDOW = topk_kernels.WINDOW


@pytest.mark.parametrize(
    "positions",
    [
        [WINDOW - 1, WINDOW, 2 * WINDOW - 1, 2 * WINDOW],
        [0, WINDOW + 7, 2 * WINDOW + 1],
        [2 * WINDOW + 3, 5, WINDOW - 2],
    ],
    ids=["window-edges", "one-per-window", "late-first"],
)
def test_equal_scores_across_window_boundaries_keep_the_lowest_ids(positions: list[int]) -> None:
    """Identical best passages in different sweep windows rank by id, the rest follow."""
    corpus = [["filler", f"f{i % 50}"] for i in range(2 * WINDOW + 10)]
    for position in positions:
        corpus[position] = ["x", "y"]
    index = Index.build(corpus, LUCENE)
    for k in (1, 2, len(positions), len(positions) + 3):
        assert_same_top_k(index, ["x", "y", "filler"], k)
    assert index.top_k(["x"], 2)[0].tolist() == sorted(positions)[:2]


def test_k_larger_than_the_matches_returns_every_match() -> None:
    """With k above the number of matching passages, all of them come back, ordered."""
    corpus = [["a", "b"] if i % 997 == 0 else ["c"] for i in range(3 * WINDOW)]
    index = Index.build(corpus, LUCENE)
    ids, _ = index.top_k(["a"], 50)
    assert ids.tolist() == list(range(0, 3 * WINDOW, 997))
    assert_same_top_k(index, ["a", "c"], 3 * WINDOW + 5)


def test_segments_built_at_different_average_lengths_rank_exactly() -> None:
    """Segments of short, then long, then mixed passages still rank like exhaustive scoring."""
    rng = np.random.default_rng(11)

    def passages(n: int, low: int, high: int) -> list[list[str]]:
        return [
            [f"t{w}" for w in rng.integers(0, 60, int(rng.integers(low, high)))] for _ in range(n)
        ]

    index = Index.build(passages(6000, 1, 6), LUCENE).add(passages(900, 40, 90))
    index = index.add(passages(300, 1, 120))
    assert index.segment_count == 3
    for query in (["t1"], ["t2", "t3", "t2"], ["t59", "t0", "t7", "t8"], ["t4", "zz"]):
        for k in (1, 10, 100):
            assert_same_top_k(index, query, k)


@pytest.mark.parametrize(
    ("length", "dtype"),
    [(200, np.uint8), (300, np.uint16), (70_000, np.uint32)],
    ids=["byte", "short", "int"],
)
def test_long_passages_use_wider_length_lookups(length: int, dtype: type) -> None:
    """Lengths past a byte or a short widen the lookup type and scores stay exact."""
    corpus = [["a"] * length, ["a", "b"], ["b"] * 3, ["a", "a", "c"]]
    assert topk.compact_lengths(np.array([len(d) for d in corpus], np.int32)).dtype == dtype
    index = Index.build(corpus, OKAPI)
    for query in (["a"], ["a", "b", "c"]):
        assert_same_top_k(index, query, 4)


def test_building_an_index_compiles_the_sweep_for_its_dtypes() -> None:
    """After build the kernel has machine code for the index's dtypes: no slow first query."""
    Index.build([["a", "b"] * 150, ["a"]], LUCENE)  # tfs fit a byte, lengths need a short
    compiled = [str(signature) for signature in topk_kernels.kernel.signatures]
    assert any("Array(uint8" in found and "Array(uint16" in found for found in compiled)


@settings(max_examples=150, deadline=None)
@given(
    corpus=CORPORA,
    cuts=st.lists(st.integers(0, 40), max_size=4),
    query=QUERIES,
    bounds=st.tuples(st.integers(-3, 45), st.integers(-3, 45)),
    scorer=st.sampled_from(SCORERS),
)
def test_hypothesis_scores_between_equals_a_slice_of_scores(
    corpus: list[list[str]],
    cuts: list[int],
    query: list[str],
    bounds: tuple[int, int],
    scorer: Scorer,
) -> None:
    """Scoring one id range (an article's passages) gives exactly that slice of all scores."""
    index = Index.empty(BM25Params(scorer=scorer))
    start = 0
    for cut in [*sorted(set(cuts)), len(corpus)]:
        index = index.add(corpus[start:cut])
        start = max(start, cut)
    low, high = bounds
    want = index.scores(query)[max(low, 0) : max(min(high, index.n_docs), 0)]
    got = index.scores_between(query, low, high)
    assert got.shape == (max(min(high, index.n_docs) - max(low, 0), 0),)
    np.testing.assert_array_equal(got, want)
