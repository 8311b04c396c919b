"""Retired passages are masked out of ranking exactly: the live top-k is the exhaustive one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.bm25 import SCORERS, BM25Params, Index, Scorer
from retrieval.ranking import diversify
from retrieval.retired import LiveIndex, live_scores, retire
from retrieval.store_records import Removal

CORPORA = st.lists(
    st.lists(st.sampled_from([*"abcde", "xy"]), min_size=0, max_size=8), min_size=1, max_size=60
)
QUERIES = st.lists(st.sampled_from([*"abcde", "zz"]), min_size=1, max_size=5)


def exhaustive_live_top_k(
    index: Index, dead: np.ndarray, query: list[str], k: int
) -> tuple[list[int], list[float]]:
    """The reference: every passage scored by the full index, retired ones dropped, sorted by
    (-score, id), score > 0 only."""
    scores = index.scores(query)
    ranked = sorted((-s, i) for i, s in enumerate(scores.tolist()) if s > 0 and not dead[i])
    return [i for _, i in ranked[:k]], [-s for s, _ in ranked[:k]]


@settings(max_examples=200, deadline=None)
@given(
    corpus=CORPORA,
    dead_at=st.lists(st.integers(0, 59), max_size=40),
    query=QUERIES,
    k=st.integers(1, 30),
    scorer=st.sampled_from(SCORERS),
)
def test_live_top_k_equals_exhaustive_scoring_without_retired_passages(
    corpus: list[list[str]], dead_at: list[int], query: list[str], k: int, scorer: Scorer
) -> None:
    """Whatever passages are retired, the live top-k has the ids and scores of exhaustive
    scoring with those passages left out, and never a retired one."""
    index = Index.build(corpus, BM25Params(scorer=scorer))
    dead = np.zeros(index.n_docs, dtype=bool)
    dead[[i for i in dead_at if i < index.n_docs]] = True
    ids, scores = LiveIndex(index, dead).top_k(query, k)
    want_ids, want_scores = exhaustive_live_top_k(index, dead, query, k)
    assert ids.tolist() == want_ids
    np.testing.assert_allclose(scores, want_scores, rtol=0, atol=1e-9)
    assert not dead[ids].any()


@pytest.mark.parametrize("k", [1, 5, 40])
def test_many_retired_best_passages_need_a_wider_fetch_and_stay_exact(k: int) -> None:
    """When the best 200 passages are all retired (an article replaced many times), the live
    top-k is still exact: the fetch widens until enough live passages are found."""
    corpus = [["storm", "storm", "coast"]] * 200 + [["storm", "coast", f"w{i}"] for i in range(80)]
    index = Index.build(corpus)
    dead = np.zeros(index.n_docs, dtype=bool)
    dead[:200] = True
    ids, scores = LiveIndex(index, dead).top_k(["storm"], k)
    want_ids, want_scores = exhaustive_live_top_k(index, dead, ["storm"], k)
    assert ids.tolist() == want_ids == list(range(200, 200 + k))
    np.testing.assert_allclose(scores, want_scores, rtol=0, atol=1e-9)


def test_every_passage_retired_ranks_nothing() -> None:
    """An index whose every passage is retired returns no result, for any k."""
    index = Index.build([["a", "b"], ["a"], ["b", "c"]])
    dead = np.ones(index.n_docs, dtype=bool)
    assert LiveIndex(index, dead).top_k(["a", "b", "c"], 10)[0].tolist() == []


def test_diversify_counts_only_live_articles() -> None:
    """Ranking by article over a live view counts and returns only live articles' passages."""
    index = Index.build([["quake"], ["quake", "aid"], ["quake"], ["quake", "quake"]])
    owners = np.array([0, 0, 1, 2], dtype=np.int32)
    dead = retire(None, index.n_docs, [Removal(1, 0, 2, True)])
    assert dead is not None
    ranking = diversify(LiveIndex(index, dead), owners, ["quake"], 10)
    assert sorted(pid for pid, _ in ranking.passages) == [2, 3]
    assert ranking.articles == 2


def test_retire_grows_the_mask_and_marks_whole_articles() -> None:
    """A new mask covers the grown index, keeps earlier marks and adds each removal's span;
    with no removals and no mask there is nothing to mask."""
    assert retire(None, 5, []) is None
    first = retire(None, 4, [Removal(1, 1, 2, False)])
    assert first is not None
    assert first.tolist() == [False, True, True, False]
    grown = retire(first, 7, [Removal(2, 5, 2, True)])
    assert grown is not None
    assert grown.tolist() == [False, True, True, False, False, True, True]


def test_live_scores_zero_retired_passages_from_an_offset() -> None:
    """Exhaustive scores from passage ``start`` on lose exactly the retired passages' scores."""
    dead = np.array([False, True, False, True])
    scores = live_scores(np.array([1.0, 2.0, 3.0]), dead, 1)
    assert scores.tolist() == [0.0, 2.0, 0.0]
    assert live_scores(np.array([1.0]), None).tolist() == [1.0]
