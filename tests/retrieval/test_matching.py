"""The compiled merge behind matching_scores and the title bonus, against the numpy reference."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.bm25 import SCORERS, BM25Params, Index, Scorer
from retrieval.titles import Titles
from retrieval.topk import Bonus

VOCAB = [f"w{i}" for i in range(12)]
DOCS = st.lists(st.lists(st.sampled_from(VOCAB), max_size=8), min_size=1, max_size=60)
# Unknown and repeated terms included; up to 30 terms, so the heap holds many cursors.
QUERIES = st.lists(st.sampled_from([*VOCAB, "zz"]), max_size=30)


def grown(corpus: list[list[str]], cuts: list[int], params: BM25Params) -> Index:
    """``corpus`` indexed by one add() per slice between ``cuts``: several segments."""
    index = Index.empty(params)
    start = 0
    for cut in sorted(cuts):
        index = index.add(corpus[start:cut])
        start = max(start, cut)
    return index.add(corpus[start:])


def reference_bonus(field: Titles, query: list[str], weight: float) -> Bonus:
    """The title bonus from every title's dense score, spread with numpy."""
    scores = field.index.scores(query)
    hit = np.flatnonzero(scores != 0)
    starts, ends = field.firsts[hit], field.firsts[hit + 1]
    keep = ends > starts
    return Bonus(starts[keep], ends[keep], weight * scores[hit][keep])


@settings(max_examples=150, deadline=None)
@given(
    corpus=DOCS,
    cuts=st.lists(st.integers(0, 60), max_size=4),
    query=QUERIES,
    scorer=st.sampled_from(SCORERS),
)
def test_hypothesis_matching_scores_are_the_nonzero_part_of_scores_to_the_bit(
    corpus: list[list[str]], cuts: list[int], query: list[str], scorer: Scorer
) -> None:
    """Ids are exactly the documents holding a known term; sums equal ``scores`` bit for bit."""
    index = grown(corpus, cuts, BM25Params(scorer=scorer))
    ids, sums = index.matching_scores(query)
    full = index.scores(query)
    known = {term for term in query if index.document_frequency(term) and index.idf(term)}
    holding = [i for i, doc in enumerate(corpus) if known & set(doc)]
    assert ids.dtype == np.int64
    assert sums.dtype == np.float64
    assert ids.tolist() == holding
    assert sums.tolist() == full[ids].tolist()


def test_a_term_in_every_document_and_a_long_query_merge_exactly() -> None:
    """Long postings of many terms (a deep heap) still give the dense sums, ids ascending."""
    rng = np.random.default_rng(2)
    corpus = [["all", *rng.choice(VOCAB, size=int(rng.integers(0, 20)))] for _ in range(3000)]
    index = Index.build(corpus[:2000], BM25Params()).add(corpus[2000:])
    query = ["all", *VOCAB, *VOCAB[:5], "zz"]
    ids, sums = index.matching_scores(query)
    assert ids.tolist() == list(range(3000))
    assert sums.tolist() == index.scores(query).tolist()
    assert index.matching_scores([])[0].shape == (0,)
    assert index.matching_scores(["zz"])[0].shape == (0,)


@settings(max_examples=150, deadline=None)
@given(
    counts=st.lists(st.integers(0, 5), min_size=1, max_size=30),
    titles_seed=st.integers(0, 10_000),
    query=QUERIES,
    weight=st.sampled_from([0.25, 1.0, 3.0]),
    scorer=st.sampled_from(SCORERS),
)
def test_hypothesis_title_bonus_equals_the_dense_reference_to_the_bit(
    counts: list[int], titles_seed: int, query: list[str], weight: float, scorer: Scorer
) -> None:
    """Articles with no passages or no title terms included: same ranges, same values."""
    rng = np.random.default_rng(titles_seed)
    titles = [list(rng.choice(VOCAB, size=int(rng.integers(0, 4)))) for _ in counts]
    field = Titles.empty(BM25Params(scorer=scorer))
    half = len(counts) // 2  # two add() calls: a title index of two segments
    field = field.add(titles[:half], counts[:half]).add(titles[half:], counts[half:])
    got = field.bonus(query, weight)
    want = reference_bonus(field, query, weight)
    assert got.starts.tolist() == want.starts.tolist()
    assert got.ends.tolist() == want.ends.tolist()
    assert got.values.tolist() == want.values.tolist()
