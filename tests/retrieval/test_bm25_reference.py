"""BM25 scores against rank_bm25's BM25Okapi and a written-out Lucene formula."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from retrieval.bm25 import BM25Params, Index

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
OKAPI = BM25Params(scorer="okapi")
LUCENE = BM25Params(scorer="lucene")


def words(text: str) -> list[str]:
    """Lower-cased word tokens: enough for parity tests, independent of retrieval.text."""
    return re.findall(r"\w+", text.lower())


def lucene_reference(corpus: list[list[str]], query: list[str]) -> np.ndarray:
    """Lucene BM25 written straight from its formula, one document at a time."""
    n = len(corpus)
    avgdl = sum(map(len, corpus)) / n
    df = Counter(term for doc in corpus for term in set(doc))
    out = np.zeros(n)
    for i, doc in enumerate(corpus):
        tf = Counter(doc)
        for term in query:
            if df[term]:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                norm = 1.5 * (1 - 0.75 + 0.75 * len(doc) / avgdl)
                out[i] += idf * tf[term] * 2.5 / (tf[term] + norm)
    return out


def seed_passages() -> list[list[str]]:
    """Every non-blank line of every seed file, tokenized."""
    if not SEEDS.is_dir():
        pytest.skip("no seeds directory")
    lines = [line for path in sorted(SEEDS.glob("*.txt")) for line in path.read_text().splitlines()]
    return [words(line) for line in lines if words(line)]


SEED_QUERIES = [
    ["ukraine", "weapons"],
    ["blinken", "blinken", "nato"],
    ["the", "of", "and"],
    ["zzzunknown", "russia"],
    ["zzzunknown"],
    [],
]


@pytest.mark.parametrize("query", SEED_QUERIES, ids=lambda q: "+".join(q) or "empty")
def test_seed_scores_equal_bm25okapi(query: list[str]) -> None:
    """On the seed passages, okapi scores equal BM25Okapi's within 1e-9."""
    corpus = seed_passages()
    expected = BM25Okapi(corpus).get_scores(query)
    got = Index.build(corpus, OKAPI).scores(query)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("query", SEED_QUERIES, ids=lambda q: "+".join(q) or "empty")
def test_seed_scores_equal_lucene_formula(query: list[str]) -> None:
    """On the seed passages, lucene scores equal the written-out formula within 1e-9."""
    corpus = seed_passages()
    got = Index.build(corpus, LUCENE).scores(query)
    np.testing.assert_allclose(got, lucene_reference(corpus, query), rtol=0, atol=1e-9)


EDGE_CORPORA = {
    "term-in-every-passage": ([["a", "b"], ["a", "c"], ["a", "a", "d"]], ["a", "d"]),
    "one-passage": ([["solo", "word", "solo"]], ["solo", "word"]),
    "empty-passages": ([[], ["x", "y"], [], ["y"]], ["y", "x"]),
    "unknown-term": ([["x"], ["y"]], ["nope", "x"]),
    "repeated-query-term": ([["x", "y"], ["y", "z"], ["z"]], ["z", "z", "x"]),
    "all-terms-everywhere": ([["p", "q"], ["q", "p"], ["p", "q", "p"]], ["p", "q"]),
    "half-the-passages": ([["h"], ["h"], ["k"], ["k", "m"]], ["h", "m"]),
}


@pytest.mark.parametrize(("corpus", "query"), EDGE_CORPORA.values(), ids=EDGE_CORPORA.keys())
def test_edge_corpora_equal_bm25okapi(corpus: list[list[str]], query: list[str]) -> None:
    """Edge corpora (negative idf floor, empty passages, repeats) match BM25Okapi."""
    got = Index.build(corpus, OKAPI).scores(query)
    np.testing.assert_allclose(got, BM25Okapi(corpus).get_scores(query), rtol=0, atol=1e-9)


@pytest.mark.parametrize(("corpus", "query"), EDGE_CORPORA.values(), ids=EDGE_CORPORA.keys())
def test_edge_corpora_equal_lucene_formula(corpus: list[list[str]], query: list[str]) -> None:
    """Edge corpora match the Lucene formula."""
    got = Index.build(corpus, LUCENE).scores(query)
    np.testing.assert_allclose(got, lucene_reference(corpus, query), rtol=0, atol=1e-9)


@pytest.mark.parametrize("params", [OKAPI, LUCENE], ids=["okapi", "lucene"])
@pytest.mark.parametrize(
    "corpus", [[], [[]], [[], [], []]], ids=["no-passages", "one-empty", "all-empty"]
)
def test_corpora_the_reference_cannot_score_give_zeros(
    params: BM25Params, corpus: list[list[str]]
) -> None:
    """An empty corpus or one of empty passages scores zeros and returns no results."""
    index = Index.build(corpus, params)
    np.testing.assert_array_equal(index.scores(["a"]), np.zeros(len(corpus)))
    ids, scores = index.top_k(["a"], 5)
    assert ids.shape == (0,)
    assert scores.shape == (0,)


def test_idf_matches_bm25okapi_and_is_zero_for_unknown_terms() -> None:
    """idf() is the reference's idf (with its epsilon floor), and 0.0 for unknown terms."""
    corpus = [["a", "b"], ["a", "c"], ["a", "b", "d"], ["e"]]
    reference = BM25Okapi(corpus)
    index = Index.build(corpus, OKAPI)
    for term, expected in reference.idf.items():
        assert index.idf(term) == pytest.approx(expected, abs=1e-12)
    assert index.idf("unknown") == 0.0


@pytest.mark.parametrize("size", [1, 2, 3], ids=["1-passage", "2-passages", "3-passages"])
def test_lucene_scores_every_matching_passage_above_zero(size: int) -> None:
    """With lucene idf, a passage holding a query term scores > 0 even in tiny corpora."""
    corpus = [["common", f"own{i}"] for i in range(size)]
    index = Index.build(corpus, LUCENE)
    assert (index.scores(["common"]) > 0).all()
    assert (index.scores(["own0"])[0]) > 0
    assert len(index.top_k(["common"], 10)[0]) == size


def test_bm25params_rejects_unknown_scorer() -> None:
    """A scorer name other than okapi or lucene is refused."""
    untrusted: Any = "tfidf"  # as read from a saved manifest: typed only once checked
    with pytest.raises(ValueError, match="scorer"):
        BM25Params(scorer=untrusted)


VOCAB = st.sampled_from(list("abcdefg"))
CORPORA = st.lists(st.lists(VOCAB, max_size=8), min_size=1, max_size=25).filter(
    lambda corpus: any(corpus)
)
QUERIES = st.lists(st.sampled_from([*"abcdefg", "zz"]), min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(corpus=CORPORA, query=QUERIES)
def test_hypothesis_okapi_equals_bm25okapi(corpus: list[list[str]], query: list[str]) -> None:
    """On generated corpora with a tiny vocabulary, okapi scores equal BM25Okapi's."""
    got = Index.build(corpus, OKAPI).scores(query)
    np.testing.assert_allclose(got, BM25Okapi(corpus).get_scores(query), rtol=0, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(corpus=CORPORA, query=QUERIES)
def test_hypothesis_lucene_equals_formula(corpus: list[list[str]], query: list[str]) -> None:
    """On generated corpora, lucene scores equal the written-out formula."""
    got = Index.build(corpus, LUCENE).scores(query)
    np.testing.assert_allclose(got, lucene_reference(corpus, query), rtol=0, atol=1e-9)
