"""One passage per article first: the vectorised ordering against a plain-Python reference."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.bm25 import Index
from retrieval.ranking import diversify


def reference(index: Index, owners: np.ndarray, terms: list[str], k: int) -> list[int]:
    """Every matching passage by (-score, id), then each article's best before any second."""
    scores = index.scores(terms)
    matching = [i for i in range(index.n_docs) if scores[i] > 0]
    matching.sort(key=lambda i: (-scores[i], i))
    seen: dict[int, int] = {}
    rounds = []
    for passage in matching:
        rounds.append(seen.get(int(owners[passage]), 0))
        seen[int(owners[passage])] = rounds[-1] + 1
    order = sorted(range(len(matching)), key=lambda i: (rounds[i], i))
    return [matching[i] for i in order][:k]


@pytest.mark.parametrize("seed", range(8))
def test_diversify_matches_the_reference_and_counts_articles(seed: int) -> None:
    """Random corpora and article sizes: same order as the reference, exact article counts."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(12)]
    docs = [list(rng.choice(words, size=rng.integers(1, 8))) for _ in range(300)]
    owners = np.sort(rng.integers(0, 60, size=len(docs))).astype(np.int32)
    index = Index.build(docs)
    terms = list(rng.choice(words, size=3))
    matching = index.scores(terms) > 0
    for k, depth in ((1, 0), (5, 0), (12, 40), (30, 400), (200, 0)):
        ranking = diversify(index, owners, terms, k, depth)
        assert [p for p, _ in ranking.passages] == reference(index, owners, terms, k)
        if not ranking.more:
            assert ranking.articles == len(np.unique(owners[matching]))


def test_nothing_matching_is_an_empty_ranking() -> None:
    """A query no passage holds ranks nothing and counts no article."""
    index = Index.build([["a"], ["b"]])
    ranking = diversify(index, np.array([0, 1], dtype=np.int32), ["zzz"], 5, 10)
    assert (ranking.passages, ranking.articles, ranking.more) == ([], 0, False)
