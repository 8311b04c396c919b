"""Tests that a page's articles scored in one pass pick exactly what one pass per hit picks."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.bm25 import SCORERS, BM25Params, Index, Scorer
from retrieval.models import Passage, Span
from retrieval.ranking import _next_best, _next_best_page

VOCAB = st.sampled_from([*"abcde", "zz"])
CORPORA = st.lists(st.lists(VOCAB, max_size=6), min_size=1, max_size=40)
QUERIES = st.lists(st.sampled_from([*"abcdef"]), min_size=1, max_size=6)


def built(corpus: list[list[str]], cuts: list[int], scorer: Scorer) -> Index:
    """``corpus`` indexed in several segments, cut where ``cuts`` says."""
    index = Index.empty(BM25Params(scorer=scorer))
    start = 0
    for cut in [*sorted(set(cuts)), len(corpus)]:
        index = index.add(corpus[start:cut])
        start = max(start, cut)
    return index


def ranges(n: int, cuts: list[int], keep: list[bool]) -> list[tuple[int, int]]:
    """``0..n`` cut into consecutive ranges at ``cuts``, keeping those ``keep`` marks."""
    edges = [0, *sorted({c for c in cuts if 0 < c < n}), n]
    pairs = list(itertools.pairwise(edges))
    return [pair for pair, kept in zip(pairs, keep + [True] * len(pairs), strict=False) if kept]


@settings(max_examples=150, deadline=None)
@given(
    corpus=CORPORA,
    segment_cuts=st.lists(st.integers(0, 40), max_size=4),
    range_cuts=st.lists(st.integers(0, 40), max_size=8),
    keep=st.lists(st.booleans(), max_size=9),
    query=QUERIES,
    scorer=st.sampled_from(SCORERS),
)
def test_hypothesis_scores_in_equals_scores_between_per_range(
    corpus: list[list[str]],
    segment_cuts: list[int],
    range_cuts: list[int],
    keep: list[bool],
    query: list[str],
    scorer: Scorer,
) -> None:
    """Several id ranges scored at once equal each range scored alone, bit for bit."""
    index = built(corpus, segment_cuts, scorer)
    chosen = ranges(index.n_docs, range_cuts, keep)
    starts = np.array([a for a, _ in chosen], dtype=np.int64)
    stops = np.array([b for _, b in chosen], dtype=np.int64)
    got = index.scores_in(query, starts, stops)
    want = [index.scores_between(query, a, b) for a, b in chosen]
    np.testing.assert_array_equal(got, np.concatenate([np.zeros(0), *want]))


def test_scores_in_of_no_ranges_is_empty() -> None:
    """No ranges score nothing, and an unknown term scores zero everywhere."""
    index = Index.build([["a"], ["b"]])
    assert index.scores_in(["a"], np.zeros(0, np.int64), np.zeros(0, np.int64)).shape == (0,)
    got = index.scores_in(["q"], np.array([0]), np.array([2]))
    np.testing.assert_array_equal(got, np.zeros(2))


@settings(max_examples=150, deadline=None)
@given(
    corpus=CORPORA,
    segment_cuts=st.lists(st.integers(0, 40), max_size=4),
    article_cuts=st.lists(st.integers(0, 40), max_size=8),
    hits=st.lists(st.integers(0, 39), min_size=1, max_size=6),
    query=QUERIES,
    scorer=st.sampled_from(SCORERS),
)
def test_hypothesis_one_pass_per_page_picks_as_one_pass_per_hit(
    corpus: list[list[str]],
    segment_cuts: list[int],
    article_cuts: list[int],
    hits: list[int],
    query: list[str],
    scorer: Scorer,
) -> None:
    """Other passages to quote are the same whether a page's articles are scored together or
    one hit at a time, with two hits in one article and one-passage articles among them."""
    index = built(corpus, segment_cuts, scorer)
    articles = ranges(index.n_docs, article_cuts, [])
    owner = {pid: (a, b) for a, b in articles for pid in range(a, b)}
    page = [
        Passage(pid, f"a{owner[pid][0]}", pid - owner[pid][0], Span(0, 1), "x")
        for pid in dict.fromkeys(h % index.n_docs for h in hits)
    ]
    counts = [owner[p.id][1] - owner[p.id][0] for p in page]
    want = [_next_best(index, query, p, n) for p, n in zip(page, counts, strict=True)]
    assert _next_best_page(index, query, page, counts) == want
