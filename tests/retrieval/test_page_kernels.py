"""Tests that the compiled postings lookups for citing a page equal what the postings say."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.bm25 import Index

VOCAB = [*"abcde", "zz"]
CORPORA = st.lists(st.lists(st.sampled_from(VOCAB), max_size=6), min_size=1, max_size=40)


def built(corpus: list[list[str]], cuts: list[int]) -> Index:
    """``corpus`` indexed in several segments, cut where ``cuts`` says."""
    index = Index.build(corpus[: min(cuts, default=len(corpus))])
    start = min(cuts, default=len(corpus))
    for cut in [*sorted(set(cuts)), len(corpus)]:
        if cut > start:
            index = index.add(corpus[start:cut])
            start = cut
    return index


@settings(max_examples=200, deadline=None)
@given(
    corpus=CORPORA,
    cuts=st.lists(st.integers(1, 40), max_size=4),
    picks=st.lists(st.integers(0, 39), max_size=12),
    query=st.lists(st.sampled_from([*VOCAB, "unknown"]), max_size=8),
)
def test_hypothesis_holding_equals_the_token_lists(
    corpus: list[list[str]], cuts: list[int], picks: list[int], query: list[str]
) -> None:
    """For any passages (repeated, unordered, in any segment) and terms, holding() says
    exactly which passage's tokens hold which distinct term, unknown terms holding none."""
    index = built(corpus, cuts)
    ids = [p % len(corpus) for p in picks]
    distinct = list(dict.fromkeys(query))
    got = index.holding(query, np.array(ids, dtype=np.int64))
    assert got.shape == (len(distinct), len(ids))
    assert got.tolist() == [[term in corpus[i] for i in ids] for term in distinct]
