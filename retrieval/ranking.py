"""From index scores to what a reader sees: one passage per article first, then citations.

Both steps sit between the index (exact scores, ``retrieval.bm25``) and the reply: ranking
by article so one long article cannot fill a page, and citing each hit with its best sentence
and highlighted words, so every excerpt is a verbatim, checkable slice of a stored passage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from retrieval.bm25 import Index
from retrieval.highlight import excerpt
from retrieval.models import Hit
from retrieval.store import Store
from retrieval.text import Analyzer


@dataclass(frozen=True, slots=True)
class Ranking:
    """The best ``k`` passages, one per article first, and how many articles matched at all.

    ``articles`` counts the distinct articles among the first ``depth`` matching passages;
    ``more`` says that further passages matched, so the true count may be higher.
    """

    passages: list[tuple[int, float]]
    articles: int
    more: bool


def diversify(
    index: Index, owners: npt.NDArray[np.int32], terms: Sequence[str], k: int, depth: int = 0
) -> Ranking:
    """Exact top-``k`` passages, re-ordered so each article's best passage comes first.

    ``owners[p]`` is the article of passage ``p``. If the best ``m`` passages already span
    ``k`` articles, those articles' best passages are the answer (any other article scores
    lower everywhere). Otherwise ``m`` grows until it covers every matching passage, so a
    one-article collection still shows all its matches. Ties keep the index's order:
    higher score first, then the lower passage id. The first sweep takes ``depth`` passages
    (at least ``k``): the sweep scores every posting whatever ``m`` is, so counting the
    articles among a deeper top costs only a larger heap.
    """
    if k <= 0:
        return Ranking([], 0, False)
    m = max(k, depth)
    while True:
        ids, scores = index.top_k(terms, m)
        found = owners[ids]
        distinct = len(np.unique(found))
        if distinct >= k or len(ids) < m:
            break
        m *= 4
    if not len(ids):
        return Ranking([], 0, False)
    # Rank of each passage within its own article (0 for the best, 1 for the second, ...):
    # its position in a stable sort by article, minus where its article's run starts.
    by_owner = np.argsort(found, kind="stable")
    grouped = found[by_owner]
    position = np.arange(grouped.shape[0])
    starts = np.concatenate(([True], grouped[1:] != grouped[:-1]))
    rounds = np.empty_like(position)
    rounds[by_owner] = position - np.maximum.accumulate(np.where(starts, position, 0))
    order = np.lexsort((position, rounds))[:k]
    passages = list(zip(ids[order].tolist(), scores[order].tolist(), strict=True))
    return Ranking(passages, distinct, len(ids) == m)


def cite(
    store: Store,
    analyzer: Analyzer,
    index: Index,
    terms: Sequence[str],
    ranked: Sequence[tuple[int, float]],
    first_rank: int,
) -> list[Hit]:
    """Turn ranked ``(passage id, score)`` pairs into hits with best sentence and highlights.

    Sentences are weighted by the idf of the query terms they hold, so the rare, telling
    words of a question decide which sentence is quoted.
    """
    passages = store.passages([pid for pid, _ in ranked])
    articles = store.articles(list({p.article_id for p in passages}))
    weights = {term: index.idf(term) for term in set(terms)}
    hits = []
    for rank, (passage, (_, score)) in enumerate(zip(passages, ranked, strict=True), first_rank):
        span, highlights = excerpt(passage.text, weights, analyzer, weights)
        hits.append(
            Hit(
                rank=rank,
                score=score,
                article=articles[passage.article_id],
                passage=passage,
                excerpt=span.slice(passage.text),
                excerpt_span=span,
                highlights=highlights,
            )
        )
    return hits
