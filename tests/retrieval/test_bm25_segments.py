"""Immutable snapshots: add() equals a fresh build, old snapshots stay put, merges stay few."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval import merge_policy, segments
from retrieval.bm25 import SCORERS, BM25Params, Index, Scorer

OKAPI = BM25Params(scorer="okapi")
LUCENE = BM25Params(scorer="lucene")
CORPUS = [["a", "b"], ["b", "c", "c"], [], ["d"], ["a", "d", "e"], ["e", "e"], ["b"]]
QUERIES = [["a"], ["b", "e"], ["c", "c", "d"], ["zz", "a", "e"]]


@pytest.mark.parametrize("params", [OKAPI, LUCENE], ids=["okapi", "lucene"])
@pytest.mark.parametrize("cut", [0, 1, 3, 6, 7], ids=lambda c: f"cut{c}")
def test_add_equals_build_over_everything(params: BM25Params, cut: int) -> None:
    """Building part, then adding the rest, scores like building all at once."""
    whole = Index.build(CORPUS, params)
    grown = Index.build(CORPUS[:cut], params).add(CORPUS[cut:])
    assert grown.n_docs == whole.n_docs
    for query in QUERIES:
        np.testing.assert_allclose(grown.scores(query), whole.scores(query), rtol=0, atol=1e-12)
        assert grown.top_k(query, 3)[0].tolist() == whole.top_k(query, 3)[0].tolist()


def test_old_snapshot_is_unchanged_by_add() -> None:
    """add() returns a new snapshot; the old one keeps its size, vocabulary and scores."""
    old = Index.build(CORPUS[:3], LUCENE)
    before = old.scores(["b"])
    new = old.add([["b", "zebra"], ["zebra"]])
    assert old.n_docs == 3
    assert new.n_docs == 5
    assert old.idf("zebra") == 0.0
    assert new.idf("zebra") > 0
    np.testing.assert_array_equal(old.scores(["b"]), before)
    assert old.vocabulary_size == 3
    assert new.vocabulary_size == 4


def test_global_ids_follow_insertion_order() -> None:
    """Passage ids run 0..N-1 in the order passages were added, across segments."""
    index = Index.empty(LUCENE)
    for i in range(9):
        index = index.add([[f"only{i}"]])
    for i in range(9):
        assert index.top_k([f"only{i}"], 1)[0].tolist() == [i]


def test_segment_count_stays_logarithmic() -> None:
    """Adding 200 single passages leaves at most log2(200)+1 segments."""
    index = Index.empty(LUCENE)
    for i in range(200):
        index = index.add([["word", f"w{i % 17}"]])
    assert index.segment_count <= math.log2(200) + 1
    np.testing.assert_allclose(
        index.scores(["w3", "word"]),
        Index.build([["word", f"w{i % 17}"] for i in range(200)], LUCENE).scores(["w3", "word"]),
        rtol=0,
        atol=1e-12,
    )


def test_add_of_nothing_returns_the_same_snapshot() -> None:
    """Adding no passages is a no-op."""
    index = Index.build(CORPUS, LUCENE)
    assert index.add([]) is index


def test_strings_are_refused_as_documents() -> None:
    """A bare string is a mistake (it would index characters), so it is refused."""
    with pytest.raises(TypeError, match="sequence of tokens"):
        Index.build(["not tokenized"], LUCENE)


def random_part(rng: np.random.Generator, n_docs: int) -> segments.Segment:
    """A segment of ``n_docs`` random passages over 40 term ids, some of them empty."""
    lengths = rng.integers(0, 9, n_docs).astype(np.int32)
    flat = rng.integers(0, 40, int(lengths.sum())).astype(np.int32)
    return segments.build_segment(flat, lengths)


def assert_same_segment(got: segments.Segment, want: segments.Segment) -> None:
    """Two segments hold the same arrays, dtypes included."""
    for name in ("doc_len", "terms", "offsets", "docs", "tfs"):
        assert getattr(got, name).dtype == getattr(want, name).dtype, name
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)


def test_merging_many_parts_equals_merging_two_at_a_time() -> None:
    """One merge of several parts gives the arrays of the pairwise merges it replaces."""
    rng = np.random.default_rng(5)
    parts = [random_part(rng, n) for n in (50, 1, 30, 0, 12)]
    stepwise = parts[0]
    for part in parts[1:]:
        stepwise = segments.merge_segments([stepwise, part])
    assert_same_segment(segments.merge_segments(parts), stepwise)


def cascade(sizes: list[int]) -> list[int]:
    """Segment sizes after the pairwise policy: merge the newest two while the older is
    less than MERGE_RATIO times the newer and their sum stays within MAX_MERGE_DOCS."""
    sizes = list(sizes)
    while (
        len(sizes) >= 2
        and sizes[-2] < merge_policy.MERGE_RATIO * sizes[-1]
        and sizes[-2] + sizes[-1] <= merge_policy.MAX_MERGE_DOCS
    ):
        sizes[-2:] = [sizes[-2] + sizes[-1]]
    return sizes


@given(st.lists(st.integers(1, 1000), min_size=1, max_size=12), st.sampled_from([10**9, 1500]))
def test_merge_tail_merges_what_the_pairwise_policy_would(sizes: list[int], cap: int) -> None:
    """The one-pass merge takes exactly the segments the pairwise cascade would fold."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(merge_policy, "MAX_MERGE_DOCS", cap)
        tail = merge_policy.merge_tail(sizes)
        merged = [*sizes[:-tail], sum(sizes[-tail:])] if tail >= 2 else sizes
        assert merged == cascade(sizes)


def test_segments_stop_merging_at_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batch after batch, no merge makes a segment larger than MAX_MERGE_DOCS, and the
    capped index scores every passage as one built at once."""
    monkeypatch.setattr(merge_policy, "MAX_MERGE_DOCS", 20)
    corpus = [["word", f"w{i % 13}", f"v{i % 5}"] for i in range(100)]
    index = Index.empty(OKAPI)
    for first in range(0, 100, 5):
        index = index.add(corpus[first : first + 5])
    sizes = [segment.n_docs for segment in index._segments]
    assert sizes == [20, 20, 20, 20, 20]
    whole = Index.build(corpus, OKAPI)
    for query in (["w3", "word"], ["v1", "w12", "v1"]):
        np.testing.assert_array_equal(index.scores(query), whole.scores(query))
        assert index.top_k(query, 7)[0].tolist() == whole.top_k(query, 7)[0].tolist()


def test_count_matching_counts_passages_with_any_term() -> None:
    """count_matching counts each passage holding at least one known term once."""
    index = Index.build(CORPUS, OKAPI).add([["a", "zz"]])
    assert index.count_matching(["a", "e", "nope"]) == 4
    assert index.count_matching(["nope"]) == 0


def test_nbytes_grows_with_the_index() -> None:
    """nbytes reports a positive size that grows when passages are added."""
    small = Index.build(CORPUS, LUCENE)
    assert 0 < small.nbytes < small.add(CORPUS * 20).nbytes


@settings(max_examples=100, deadline=None)
@given(
    corpus=st.lists(st.lists(st.sampled_from("abcdef"), max_size=7), min_size=1, max_size=30),
    cuts=st.lists(st.integers(0, 30), max_size=5),
    query=st.lists(st.sampled_from("abcdefz"), min_size=1, max_size=4),
    scorer=st.sampled_from(SCORERS),
)
def test_hypothesis_adds_equal_a_fresh_build(
    corpus: list[list[str]], cuts: list[int], query: list[str], scorer: Scorer
) -> None:
    """Any sequence of add() calls scores like one build over all passages."""
    params = BM25Params(scorer=scorer)
    index = Index.empty(params)
    start = 0
    for cut in sorted(cuts):
        index = index.add(corpus[start:cut])
        start = max(start, cut)
    index = index.add(corpus[start:])
    whole = Index.build(corpus, params)
    np.testing.assert_allclose(index.scores(query), whole.scores(query), rtol=0, atol=1e-12)
