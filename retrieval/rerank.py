"""A second stage after exact BM25: the best passages reordered with their words' proximity.

The first stage (:meth:`Index.top_k`) stays exact. With a proximity weight ``lambda`` above
0, its best ``DEPTH`` passages are read from the store and rescored::

    score'(passage) = score(passage) + lambda * factor(passage) * proximity(passage)

where ``score`` is what the first stage ranked by (title bonus, coverage and recency prior
included), ``factor`` the passage's recency factor (1 without a prior), so the prior
multiplies the proximity as it multiplies the words, and ``proximity`` the score of the
question's adjacent word pairs (:mod:`retrieval.proximity`). Those ``DEPTH`` passages are
ordered by ``(-score', id)``; every passage after them keeps its first-stage score and
place. Proximity is never negative, so each reordered passage still scores at least the
first stage's ``DEPTH``-th score, which is at least every later one's: the list stays in
score order, and the bounds of :mod:`retrieval.support` still hold. Articles are then formed
from this list as from the first stage's (:func:`retrieval.ranking.diversify`).

Questions and statements both get it; a related search (a message's most telling terms, in
no order) and a question of one term have no pairs, and rank exactly as before. ``lambda`` 0
(the default) ranks by the first stage alone.

:func:`reranked_reference` reorders every passage's exhaustive score with
:func:`~retrieval.proximity.proximity_reference`; the tests check a search's ranking against
it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from retrieval.bm25 import Index
from retrieval.explain import Factor
from retrieval.proximity import positions_of, proximity_of, query_pairs
from retrieval.recency import DateWindow, factors
from retrieval.segments import Floats, Int64s
from retrieval.store import Store
from retrieval.text import Analyzer

PROXIMITY = 0.0
"""Default weight ``lambda`` of the proximity score (``[search] proximity``): off, since on
the eval sets it gained nothing. Tuned on the even half of the questions (``python -m
bench.proximity --half even``: weights 0.05-0.8 at depths 20 and 50; ordered pairs alone
(``ORDERED`` 1); instead of the pairs, Tao and Zhai's minimum distance between any two
question words, every pair of question words with ``1/d**2`` within 5 words, and only pairs of
capitalised question words), no setting beat plain BM25 on evidence notes or dated news-quiz
questions; more weight cost more (at 0.8: evidence Recall@1 .450 -> .432, news excerpt .164
-> .144, leads .655 -> .614). Held out (odd half) at 0.1: evidence .447 -> .445, news excerpt
.143 either way, headlines .678 -> .675, leads .665 either way. Every question at 0.1
(``python -m bench.quality --proximity 0.1 --before REV``): evidence Recall@1 .448 -> .446
(excerpt AnsHit@1 .322 either way), news excerpt .153 -> .152, headlines .671 either way,
leads .660 -> .658. The quiz questions' adjacent words are mostly not phrases ("resigned this
week"), and the evidence notes are short enough that most question words already stand
close; what BM25 alone ranks first rarely changes for the better."""
DEPTH = 20
"""How many of the first stage's best passages are rescored: 20 and 50 ranked alike (odd half,
every weight tried), and each passage read costs time (``python -m bench.rerank_cost``)."""


@dataclass(frozen=True, slots=True)
class Rerank:
    """One search's second stage: its question's pairs, weights and what it has read so far.

    ``titled``: the passages are indexed with their article's title (no title field), so
    proximity reads the title too. Scores read are kept for the search (``seen``), since
    ranking may sweep again, deeper, when too few articles came back.
    """

    store: Store
    analyzer: Analyzer
    pairs: tuple[tuple[str, str], ...]
    weights: dict[str, float]
    weight: float
    titled: bool
    depth: int = DEPTH
    seen: dict[int, float] = field(default_factory=dict)

    def proximity(self, ids: Sequence[int]) -> Floats:
        """The proximity of passages ``ids`` (0 for one the store no longer holds)."""
        wanted = [i for i in dict.fromkeys(ids) if i not in self.seen]
        if wanted:
            texts = self.store.titled_texts(wanted)
            for i in wanted:
                title, text = texts.get(i, ("", ""))
                where = positions_of(title if self.titled else "", text, self.analyzer)
                self.seen[i] = proximity_of(where, self.pairs, self.weights)
        return np.array([self.seen[i] for i in ids], dtype=np.float64)

    def rerank(
        self, ids: Int64s, scores: Floats, dates: DateWindow | None
    ) -> tuple[Int64s, Floats]:
        """``ids`` and ``scores`` (ordered by ``(-score, id)``) with their first ``depth``
        rescored and reordered; see the module docstring."""
        n = min(self.depth, ids.shape[0])
        if n == 0:
            return ids, scores
        head = ids[:n]
        added = self.weight * self.proximity(head.tolist())
        if dates is not None:
            added *= factors(replace(dates, stamps=dates.stamps[head]))
        rescored = scores[:n] + added
        order = np.lexsort((head, -rescored))
        return np.concatenate((head[order], ids[n:])), np.concatenate((rescored[order], scores[n:]))


def proximity_factor(rerank: Rerank, passage: int) -> Factor | None:
    """What the proximity added to ``passage``'s score before any recency factor, as a
    "Why?" line (:mod:`retrieval.explain`), if anything."""
    value = rerank.weight * float(rerank.proximity([passage])[0])
    if value <= 0:
        return None
    how = f"question words stand together in it (weighed {rerank.weight:g}×)"
    return Factor("proximity", how, value, "add")


def second_stage(
    store: Store,
    analyzer: Analyzer,
    index: Index,
    terms: Sequence[str],
    weight: float,
    *,
    titled: bool,
    related: bool = False,
    depth: int = DEPTH,
) -> Rerank | None:
    """The second stage of a search of ``terms`` over ``index`` (its idf weighs the pairs),
    or None when it would change nothing: a weight of 0, a related search, no pair."""
    pairs = () if related or weight <= 0 else query_pairs(terms)
    if not pairs:
        return None
    idf = {term: index.idf(term) for pair in pairs for term in pair}
    return Rerank(store, analyzer, pairs, idf, weight, titled, depth)


def reranked_reference(
    scores: Floats, proximity: Floats, weight: float, depth: int
) -> tuple[Int64s, Floats]:
    """Every passage scoring above 0 by ``(-score, id)``, the first ``depth`` of them rescored
    with ``weight * proximity`` and reordered: what a search ranks, from exhaustive scores
    (``proximity`` already times any recency factor)."""
    ids = np.flatnonzero(scores > 0)
    ids = ids[np.lexsort((ids, -scores[ids]))]
    head, tail = ids[:depth], ids[depth:]
    rescored = scores[head] + weight * proximity[head]
    order = np.lexsort((head, -rescored))
    return (
        np.concatenate((head[order], tail)).astype(np.int64),
        np.concatenate((rescored[order], scores[tail])),
    )
