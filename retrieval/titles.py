"""The title as a field of its own: one small BM25 index of titles, one document per article.

Repeating a title's terms in every passage (what the engine did before) counts a title match
once per passage and inflates passage lengths and document frequencies with text that is not
the passage's. Here passages hold only their own words, and a title's match is scored once,
against the other titles (its own idf and length norm), then added to every passage of the
article with a weight::

    score(passage) = bm25_passages(passage) + weight * bm25_titles(article of passage)

An article's passages have consecutive ids, so the title scores become one constant per id
range (:class:`retrieval.topk.Bonus`), which the pruned sweep adds exactly as the exhaustive
scores do. With weight 0 the field is off and the engine indexes titles inside passages as
before, so ``okapi`` stays exactly ``rank_bm25.BM25Okapi`` over those passages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrieval.answerable import rarity_weights
from retrieval.bm25 import BM25Params, Index
from retrieval.jit import compiled
from retrieval.rarity_prior import RarityPrior
from retrieval.segments import Int64s
from retrieval.topk import Bonus

TITLE_WEIGHT = 0.0
"""Default weight of the title field: off. On half of bbc_lead's questions (``python -m
bench.titles``) Recall@1 is .607 with titles in passages, .670 at weight 1, .707 at 2, .688 at 3;
the other half agrees (.630, .692, .717, .705). But on rtqa_news_2024, the set closest to what
readers ask (``bench.quality``, asked as of each question's date, with the recency prior and
today's declining), weight 0 / 0.5 / 1 give passage AnsHit@1 .156 / .155 / .149, excerpt .140 /
.138 / .134 and declines 4.9% / 6.4% / 8.5%: the field costs answers there until declining is
calibrated with it on, so it stays an operator's choice for headline-heavy collections."""


@dataclass(frozen=True, slots=True)
class Titles:
    """Title index (document ``a`` is article ``a``) and where each article's passages start.

    ``firsts`` has one more entry than there are articles: article ``a`` holds passages
    ``firsts[a]`` up to ``firsts[a + 1]``.
    """

    index: Index
    firsts: Int64s

    @classmethod
    def empty(cls, params: BM25Params) -> Titles:
        """No articles yet."""
        return cls(Index.empty(params), np.zeros(1, dtype=np.int64))

    def add(self, titles: Sequence[Sequence[str]], counts: Sequence[int]) -> Titles:
        """A new snapshot with articles of ``titles`` (terms) and ``counts`` passages appended."""
        if len(titles) != len(counts):
            raise ValueError("one passage count per title is needed")
        if not titles:
            return self
        ends = self.firsts[-1] + np.cumsum(np.asarray(counts, dtype=np.int64))
        # An article whose title has no terms still takes its document slot.
        index = self.index.add([list(t) for t in titles])
        return Titles(index, np.concatenate([self.firsts, ends]))

    @property
    def articles(self) -> int:
        """How many articles (title documents) this holds."""
        return int(self.firsts.shape[0] - 1)

    def bonus(self, terms: Sequence[str], weight: float) -> Bonus:
        """``weight`` times each matching title's score, over its article's passage range."""
        if weight == 0 or not self.articles:
            return Bonus.none()
        hit, scores = self.index.matching_scores(terms)
        if not hit.shape[0]:
            return Bonus.none()
        return Bonus(*_spread(hit, scores, self.firsts, float(weight)))

    def match_share(
        self,
        index: Index,
        terms: Sequence[str],
        passage: int,
        article: int,
        prior: RarityPrior | None = None,
    ) -> float:
        """``answerable.match_share`` counting a term held by the passage or its article's title.

        With the title field the passage no longer repeats its title, and a question whose
        rare word is only in the headline must not be declined for it.
        """
        weights = rarity_weights(index, terms, prior)
        total = float(weights.sum())
        if total <= 0:
            return 0.0
        held = index.holding(terms, np.array([passage], dtype=np.int64))[:, 0]
        held |= self.index.holding(terms, np.array([article], dtype=np.int64))[:, 0]
        return float(weights[held].sum()) / total


def _spread(hit: Any, scores: Any, firsts: Any, weight: float) -> tuple[Any, Any, Any]:
    """``weight`` x each nonzero title score over its article's (non-empty) passage range.

    One compiled pass instead of a dozen numpy calls over the matching titles: at 1M
    passages those calls took longer than scoring the titles.
    """
    starts = np.empty(hit.shape[0], dtype=np.int64)
    ends = np.empty(hit.shape[0], dtype=np.int64)
    values = np.empty(hit.shape[0], dtype=np.float64)
    kept = 0
    for i in range(hit.shape[0]):
        start, end = firsts[hit[i]], firsts[hit[i] + 1]
        if scores[i] != 0 and end > start:
            starts[kept], ends[kept], values[kept] = start, end, weight * scores[i]
            kept += 1
    return starts[:kept].copy(), ends[:kept].copy(), values[:kept].copy()


# nogil like the sweep that adds these ranges.
_spread = compiled(_spread)
