"""An article's second-best passage as evidence for its best: ranking articles, not passages.

A reader gets one passage per article first (``retrieval.ranking.diversify``), so the order
of a page is an order of articles. Ranking them by their best passage alone ignores that an
article whose second passage also matches is about the question, where one that matches in a
single passage may only mention it (a classic passage-retrieval gain). Articles are ranked by::

    combined(article) = best + w * second,   w = support * min(1, terms / SUPPORT_TERMS)

where ``best`` and ``second`` are the article's two best passage scores (with the title field
and recency prior, as ranked; 0 when it has one) and ``terms`` the question's term count. The
weight grows with the question: a lead paragraph pasted as a query describes a whole article,
a short quiz question asks for one fact. The passage shown is still the article's best.
Off by default for questions (``SUPPORT``): it costs answers on dated news-quiz questions;
on by default for statements (``retrieval.query_form.STATEMENT_SUPPORT``), which it helps.

Exactness: an article missing from the best ``m`` passages has ``best <= s_m`` (the m-th
score) and ``second <= best``, so ``combined <= (1 + w) * s_m``. Once ``k`` listed articles
score above that bound, they are exactly the best ``k`` by ``combined``; a listed article's
``second`` is read off the list when it appears twice, else scored over its passages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from retrieval.bm25 import Index
from retrieval.coverage import covered_words
from retrieval.query_form import STATEMENT_SUPPORT, is_statement
from retrieval.recency import DateWindow, factors
from retrieval.retired import LiveIndex
from retrieval.segments import Floats, Int64s
from retrieval.topk import Bonus

SUPPORT = 0.0
"""Default weight of an article's second-best passage at full strength: off
(``[search] article_support``). At 0.6 (``python -m bench.quality --article-support 0.6
--before 348f1c8``, the engine as ``briefbot eval`` runs it): bbc_lead Recall@1 .618 -> .661,
bbc_title .666 -> .672, rtqa_evidence_dev .443 unchanged (one passage per note); tuned on the
even-numbered questions, bbc_lead's odd ones went .618 -> .669. But rtqa_news_2024 (asked as
of each question's date) passage AnsHit@1 .162 -> .154 and excerpt .145 -> .140. Every weight
and ramp tried (0.3-1.0; full weight from 12-20 terms, none up to 0-12) cost that set 1-8 of
its 1,011 questions, so it stays an operator's choice for collections searched with long
texts (leads, pasted articles). Ranking with it costs about twice the time of ranking without
(``python -m bench.support``); off, it costs nothing."""
SUPPORT_TERMS = 12
"""Question length (terms) from which the support weighs in full; shorter ones get a share.
A constant weight that helps lead paragraphs (0.5) cost headlines two points (odd half); with
this ramp headlines (4-6 terms) gain instead (bbc_title .665 -> .672 at 0.6)."""
SUPPORT_FROM = 0
"""Question length (terms) up to which there is no support. Starting the ramp later (8, 10,
11, 12) kept more of rtqa_news_2024 but never all of it, and gave back most of bbc_lead's gain
(.651, .645, .639, .631 at 0.6)."""


def support_weight(terms: Sequence[str], support: float = SUPPORT) -> float:
    """The weight ``w`` of the second-best passage for a question of ``terms``."""
    if support <= 0 or len(terms) <= SUPPORT_FROM:
        return 0.0
    return support * min(1.0, (len(terms) - SUPPORT_FROM) / (SUPPORT_TERMS - SUPPORT_FROM))


def form_weight(
    query: str,
    terms: Sequence[str],
    related: bool = False,
    support: float = SUPPORT,
    statement_support: float = STATEMENT_SUPPORT,
) -> float:
    """The weight ``w`` for ``query`` by its form: statements (and related searches, which
    search a message for the briefings it describes) get ``statement_support``, questions
    ``support`` (:mod:`retrieval.query_form`). The classifier runs only when the two differ."""
    if support == statement_support:
        return support_weight(terms, support)
    statement = related or is_statement(query)
    return support_weight(terms, statement_support if statement else support)


def combined_scores(
    index: Index | LiveIndex,
    owners: npt.NDArray[np.int32],
    terms: Sequence[str],
    ids: Int64s,
    scores: Floats,
    exhausted: bool,
    weight: float,
    k: int,
    dates: DateWindow | None = None,
    bonus: Bonus | None = None,
    coverage: float = 0.0,
) -> Floats:
    """``best + weight * second`` of the article of each listed passage, by list position.

    ``ids, scores`` are an exact top list (``Index.top_k``, best first); ``exhausted`` says it
    holds every passage that scores above 0. Exact for the first ``k`` articles by the result;
    the others may get a lower bound of theirs (still below those ``k``). Each article's best
    passage is its first in the list; its second is its next one there or, when it appears
    once in a list that is not exhausted, the best of its other passages scored as ``top_k``
    scores them.
    """
    found = owners[ids].astype(np.int64)
    _, first, inverse, counts = np.unique(
        found, return_index=True, return_inverse=True, return_counts=True
    )
    second = np.zeros(first.shape[0])
    # Each listed passage's rank inside its article: rank 1 is the article's second best.
    order = np.argsort(inverse, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0]) - np.repeat(starts, counts)
    at_second = np.flatnonzero(rank == 1)
    second[inverse[at_second]] = scores[at_second]
    best = scores[first]
    if not exhausted:
        # An article listed once has its second at most the list's last score: only those
        # whose bound reaches the k-th best lower bound can be among the first k, and only
        # those are scored (the rest keep their lower bound, below k others' exact score).
        alone = counts == 1
        if alone.shape[0] > k:
            lower = best + weight * second
            upper = lower + np.where(alone, weight * np.minimum(best, scores[-1]), 0.0)
            alone &= upper >= np.partition(lower, -k)[-k]
        where = np.flatnonzero(alone)
        if where.shape[0]:
            second[where] = _other_best(
                index, owners, terms, ids[first[where]], dates, bonus, coverage
            )
    out: Floats = best + weight * np.maximum(second, 0.0)
    return out[inverse]


def next_best(
    index: Index | LiveIndex,
    owners: npt.NDArray[np.int32],
    terms: Sequence[str],
    passage: int,
    dates: DateWindow | None,
    bonus: Bonus | None,
    coverage: float = 0.0,
) -> float:
    """The best score, as ranked, of the other passages of ``passage``'s article (0 if none):
    what the support adds to that article's rank, over its weight, when ``passage`` is its best."""
    best = np.array([passage])
    return float(_other_best(index, owners, terms, best, dates, bonus, coverage)[0])


def _other_best(
    index: Index | LiveIndex,
    owners: npt.NDArray[np.int32],
    terms: Sequence[str],
    best: Int64s,
    dates: DateWindow | None,
    bonus: Bonus | None,
    coverage: float = 0.0,
) -> Floats:
    """The best score of the other passages of each ``best`` passage's article (0 if none).

    An article's passages are consecutive ids (``owners`` is sorted); they share its date and
    title, so one recency factor and one title bonus apply to all, added and multiplied as
    the sweep does. An article in the list is live, so all its passages are.
    """
    base = index.index if isinstance(index, LiveIndex) else index
    articles = owners[best]
    lo = np.searchsorted(owners, articles, side="left").astype(np.int64)
    hi = np.searchsorted(owners, articles, side="right").astype(np.int64)
    order = np.argsort(lo)  # scores_in wants its ranges sorted
    lo, hi, best = lo[order], hi[order], best[order]
    sizes = hi - lo
    part = base.scores_in(terms, lo, hi)
    if coverage > 0:  # as covered_top_k scores them: words covered, then bonus and factor
        every = np.concatenate(
            [np.arange(a, b) for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]
        )
        part = covered_words(base, terms, every, part, coverage)
    if bonus is not None and len(bonus):
        at = np.minimum(np.searchsorted(bonus.ends, lo, side="right"), len(bonus) - 1)
        inside = (bonus.starts[at] <= lo) & (lo < bonus.ends[at])
        part += np.repeat(np.where(inside, bonus.values[at], 0.0), sizes)
    if dates is not None:
        part *= np.repeat(factors(replace(dates, stamps=dates.stamps[lo])), sizes)
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    part[offsets + best - lo] = -np.inf
    out = np.empty(best.shape[0])
    out[order] = np.maximum(np.maximum.reduceat(part, offsets), 0.0)
    return out
