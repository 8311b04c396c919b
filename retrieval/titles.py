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

import numpy as np

from retrieval.answerable import rarity_weights
from retrieval.bm25 import BM25Params, Index
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
        keep = scores != 0
        hit, scores = hit[keep], scores[keep]
        if not hit.shape[0]:
            return Bonus.none()
        values = weight * scores
        starts, ends = self.firsts[hit], self.firsts[hit + 1]
        keep = ends > starts
        return Bonus(starts[keep], ends[keep], values[keep])

    def match_share(self, index: Index, terms: Sequence[str], passage: int, article: int) -> float:
        """``answerable.match_share`` counting a term held by the passage or its article's title.

        With the title field the passage no longer repeats its title, and a question whose
        rare word is only in the headline must not be declined for it.
        """
        weights = rarity_weights(index, terms)
        total = float(weights.sum())
        if total <= 0:
            return 0.0
        held = index.holding(terms, np.array([passage], dtype=np.int64))[:, 0]
        held |= self.index.holding(terms, np.array([article], dtype=np.int64))[:, 0]
        return float(weights[held].sum()) / total
