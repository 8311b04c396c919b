"""Retired passages: those of replaced or removed articles, masked out of every ranking.

The index never changes a passage (ids are row numbers, segments are immutable), so a
replaced or removed article's passages stay indexed and are masked instead: ``dead[p]`` is
True for a retired passage ``p``. The mask is kept apart from the scoring sweep, as a filter
on its exact top-k (:class:`LiveIndex`) and on exhaustive scores (:func:`live_scores`).

What stays exact: a live passage scores exactly what the full index gives it, and the
top-k of live passages is exactly the top-k of those scores under the usual tie rule. What
is a choice: document frequencies, the passage count and the average length go on counting
retired passages (an index rebuilt from live passages alone would score them slightly
differently). Retired passages are a small share of a news store, and counting them keeps
every snapshot's statistics a function of its segments alone, so a saved index stays valid
however many articles are replaced after it was saved.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from retrieval.bm25 import Index
from retrieval.recency import DateWindow
from retrieval.segments import Floats, Int64s
from retrieval.store_records import Removal
from retrieval.topk import Bonus

Mask = npt.NDArray[np.bool_]

FIRST_EXTRA = 16
"""Passages fetched past ``k`` at least, so a few retired ones among the best cost no second
sweep."""


def retire(dead: Mask | None, n_docs: int, removals: Sequence[Removal]) -> Mask | None:
    """``dead`` grown to ``n_docs`` passages with the passages of ``removals`` marked."""
    if dead is None and not removals:
        return None
    grown = np.zeros(n_docs, dtype=np.bool_)
    if dead is not None:
        grown[: dead.shape[0]] = dead
    for removal in removals:
        grown[removal.first_passage : removal.first_passage + removal.passages] = True
    return grown


class LiveIndex:
    """An index seen without its retired passages: what ``diversify`` ranks when some are."""

    __slots__ = ("dead", "index", "retired")

    def __init__(self, index: Index, dead: Mask) -> None:
        self.index = index
        self.dead = dead
        self.retired = int(np.count_nonzero(dead))

    def top_k(
        self,
        query: Sequence[str],
        k: int,
        dates: DateWindow | None = None,
        bonus: Bonus | None = None,
    ) -> tuple[Int64s, Floats]:
        """The ``k`` best live passages, exactly ``Index.top_k`` with retired ones left out.

        Fetches somewhat more than ``k`` and drops retired ones; if too few live ones are
        left while more passages matched, fetches four times as many, never more than ``k``
        plus every retired passage (which is always enough).
        """
        ids, scores, _, _ = self.top_k_covered(query, k, 0.0, dates, bonus)
        return ids, scores

    def top_k_covered(
        self,
        query: Sequence[str],
        k: int,
        alpha: float,
        dates: DateWindow | None = None,
        bonus: Bonus | None = None,
    ) -> tuple[Int64s, Floats, Int64s, Floats]:
        """``Index.top_k_covered`` with retired passages left out, as :meth:`top_k` (the
        plain list may then hold fewer than ``k``: it is fetched as deep as the other)."""
        if k <= 0:
            return self.index.top_k_covered(query, k, alpha, dates, bonus)
        share = self.retired / max(self.index.n_docs, 1)
        enough = k + self.retired
        fetch = min(enough, k + max(FIRST_EXTRA, math.ceil(4 * k * share)))
        while True:
            ids, scores, plain_ids, plain = self.index.top_k_covered(
                query, fetch, alpha, dates, bonus
            )
            live = ~self.dead[ids]
            if int(np.count_nonzero(live)) >= k or ids.shape[0] < fetch or fetch >= enough:
                kept = ~self.dead[plain_ids]
                found = ids[live][:k], scores[live][:k]
                return *found, plain_ids[kept][:k], plain[kept][:k]
            fetch = min(fetch * 4, enough)


def live_scores(scores: Floats, dead: Mask | None, start: int = 0) -> Floats:
    """``scores`` of passages ``start, start + 1, ...`` with retired passages' set to 0."""
    if dead is not None:
        scores[dead[start : start + scores.shape[0]]] = 0.0
    return scores
