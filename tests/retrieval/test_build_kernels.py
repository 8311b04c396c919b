"""The counting-sort build gives the arrays of the sort-based construction it replaced."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.bm25 import BM25Params, Index
from retrieval.segments import Segment, build_segment


def sorted_build(flat: np.ndarray, doc_len: np.ndarray) -> Segment:
    """The previous construction: sort ``(term, doc)`` pairs, runs of equal pairs are tfs."""
    doc_of = np.repeat(np.arange(doc_len.shape[0]), doc_len)
    order = np.lexsort((doc_of, flat))
    pairs = np.stack([flat[order].astype(np.int64), doc_of[order]], axis=1)
    unique, tf = np.unique(pairs, axis=0, return_counts=True) if pairs.size else (pairs, [])
    terms, firsts = np.unique(unique[:, 0], return_index=True)
    tf = np.asarray(tf, dtype=np.int64)
    fits = (t for t in (np.uint8, np.uint16, np.uint32) if tf.max(initial=0) <= np.iinfo(t).max)
    dtype = next(fits)
    return Segment(
        doc_len=doc_len,
        terms=terms.astype(np.int32),
        offsets=np.append(firsts, unique.shape[0]).astype(np.int64),
        docs=unique[:, 1].astype(np.int32),
        tfs=tf.astype(dtype),
    )


def assert_same(flat: list[int], doc_len: list[int]) -> None:
    """Both constructions give equal arrays, dtypes included."""
    terms, lengths = np.array(flat, dtype=np.int32), np.array(doc_len, dtype=np.int32)
    got, want = build_segment(terms, lengths), sorted_build(terms, lengths)
    for name in ("doc_len", "terms", "offsets", "docs", "tfs"):
        assert getattr(got, name).dtype == getattr(want, name).dtype, name
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)


@settings(deadline=None)  # the first example may compile the kernels
@given(st.lists(st.lists(st.integers(0, 25), max_size=12), max_size=30))
def test_hypothesis_corpora_build_as_the_sort_did(documents: list[list[int]]) -> None:
    """Random documents, empty ones and repeated terms included, give the sorted arrays."""
    assert_same([t for doc in documents for t in doc], [len(doc) for doc in documents])


@pytest.mark.parametrize(
    ("flat", "doc_len"),
    [
        ([], []),  # no documents
        ([], [0, 0, 0]),  # only empty documents
        ([4], [1]),  # one passage, one token
        ([2, 2, 2], [1, 1, 1]),  # a term in every passage
        ([7] * 300 + [1], [301]),  # a tf past one byte: two-byte tfs
        ([9, 0, 9, 0, 5], [0, 2, 0, 3, 0]),  # empties between, ids out of order
    ],
)
def test_edge_corpora_build_as_the_sort_did(flat: list[int], doc_len: list[int]) -> None:
    """The corners of the counting sort: no tokens, one token, big tf, gaps in the ids."""
    assert_same(flat, doc_len)


def test_a_seeded_corpus_builds_as_the_sort_did() -> None:
    """A few thousand random passages over a skewed vocabulary give the sorted arrays."""
    rng = np.random.default_rng(11)
    lengths = rng.integers(0, 40, 3000)
    flat = (rng.zipf(1.3, int(lengths.sum())) % 5000).tolist()
    assert_same(flat, lengths.tolist())


def test_ids_and_lengths_that_disagree_are_refused() -> None:
    """The kernels read unchecked, so a negative id or lengths not adding up is an error."""
    with pytest.raises(ValueError, match="negative"):
        build_segment(np.array([1, -1], dtype=np.int32), np.array([2], dtype=np.int32))
    with pytest.raises(ValueError, match="add up"):
        build_segment(np.array([1, 2], dtype=np.int32), np.array([3], dtype=np.int32))


def test_built_index_scores_as_the_reference() -> None:
    """Scores of a built index equal scores from segments built the old way."""
    rng = np.random.default_rng(3)
    corpus = [[f"t{w}" for w in rng.integers(0, 30, int(rng.integers(0, 9)))] for _ in range(300)]
    params = BM25Params(scorer="okapi")
    built = Index.build(corpus, params)
    flat = np.array([built._terms[t] for doc in corpus for t in doc], dtype=np.int32)
    lengths = np.array([len(doc) for doc in corpus], dtype=np.int32)
    reference = Index(params, built._terms, [sorted_build(flat, lengths)])
    for query in (["t1"], ["t2", "t3", "t2"], ["t29", "t0"]):
        np.testing.assert_array_equal(built.scores(query), reference.scores(query))
