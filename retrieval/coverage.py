"""How much of a question a passage holds, as a factor on its words' score: coordination.

BM25 saturates each word's part, but nothing in it asks whether a passage holds *all* of a
question's telling words: a note that repeats one rare word of a long quiz question (and
a few common ones) can outscore the note that holds three of its rare words once each.
With a coverage weight ``alpha`` above 0, a question's words score::

    words(passage) * share(passage) ** alpha

where ``share`` is the passage's part of the question's rarity weight (each distinct term
weighs its squared Lucene idf, as :mod:`retrieval.answerable` weighs it; a term no passage
holds counts in the total, which scales every passage alike). The title field's bonus is
added after, and the recency factor multiplies the sum, as without coverage. A negative
words' sum (``okapi``'s negative idf) is left as it is. Questions only: statements
(headlines, leads, pastes) describe an article in many words that no one passage holds, and
rank by their article's support instead (:mod:`retrieval.support`).

Why it is off by default: over full news articles, the passage holding the most of a quiz
question is often not the one naming the answer, the one thing such a question leaves out. On
the even half of the dated news-quiz questions at 0.5 (``bench.quality --half even``) the first
excerpt holds the answer for 77 of 506 instead of 83: 7 lost, 1 gained, each between neighbours
(the article first before comes second to fourth after). In 4 of the 7 the new first passage
retells the question's own details (a witness, a background paragraph, a later passage of a
live report) without the answer; in 1 another story holding more of the question's common words
wins; in 2 it holds the answer but the excerpt or the answer's wording misses it. The odd half
gains (72 → 74: 3 lost, 5 gained). Short evidence notes tell one story each, so there the note
holding most of the question is the story's. Tried beside it, on both halves, none keeping the
even half of the news questions: a floor on the share (0.3, 0.5: the evidence gain shrinks with
it), idf or idf⁴ weights instead of idf², leaving out the word after "which"/"what" (the
answer's kind: "which city"), and the share of the passage's whole article. Titles are words of
every passage at the default title weight, so the share counts them already; the recency factor
multiplies a score with or without coverage, so a flip comes from the two passages' shares
alone.

Exactness: ``share ** alpha <= 1``, so no passage scores more than its plain score, the
bound the pruned sweep already tests (:mod:`retrieval.topk_kernels`). The sweep adds each
term's share beside its score, posting by posting, and rescores only the candidates that
pass that bound (:meth:`Index.top_k_covered`), with the arithmetic of
:mod:`retrieval.coverage_kernels`; :func:`covered_scores`, every passage scored, is the
reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.bm25 import Index
from retrieval.coverage_kernels import covered_all
from retrieval.explain import Factor
from retrieval.query_form import is_statement
from retrieval.recency import DateWindow, factors
from retrieval.segments import Floats, Int64s
from retrieval.topk import Bonus

COVERAGE = 0.0
"""Default coverage weight ``alpha`` for questions (``[search] coverage``): off."""


def form_coverage(query: str, related: bool, coverage: float = COVERAGE) -> float:
    """``coverage`` for a question, 0 for a statement or a related search (which describe
    whole articles); the classifier runs only when coverage is on."""
    if coverage <= 0 or related or is_statement(query):
        return 0.0
    return coverage


def shares(index: Index, terms: Sequence[str], ids: Int64s) -> Floats:
    """Each passage of ``ids``' share of the question, summed term by term in the sweep's
    order (the terms it reads: known, of nonzero idf), so the sums agree to the bit."""
    distinct = list(dict.fromkeys(terms))
    masses = index.coverage_masses(distinct)
    held = index.holding(distinct, np.asarray(ids, dtype=np.int64))
    out = np.zeros(held.shape[1])
    for row, (term, mass) in enumerate(zip(distinct, masses.tolist(), strict=True)):
        if index.idf(term) != 0:
            out = out + np.where(held[row], mass, 0.0)
    return out


def covered_words(
    index: Index, terms: Sequence[str], ids: Int64s, words: Floats, alpha: float
) -> Floats:
    """Words' scores ``words`` of passages ``ids`` times their coverage factor (no bonus)."""
    return covered_all(words, np.zeros(words.shape[0]), shares(index, terms, ids), alpha)  # type: ignore[no-any-return]


def covered_scores(
    index: Index,
    terms: Sequence[str],
    alpha: float,
    dates: DateWindow | None = None,
    bonus: Bonus | None = None,
) -> Floats:
    """Every passage's covered score: the exhaustive reference of ``Index.top_k_covered``."""
    distinct = list(dict.fromkeys(terms))
    share = np.zeros(index.n_docs)
    for term, mass in zip(distinct, index.coverage_masses(distinct).tolist(), strict=True):
        if index.idf(term) != 0:
            held, _ = index.matching_scores([term])
            share[held] += mass
    extra = np.zeros(index.n_docs)
    if bonus is not None:
        for start, end, value in zip(
            bonus.starts.tolist(), bonus.ends.tolist(), bonus.values.tolist(), strict=True
        ):
            extra[start:end] += value
    out: Floats = covered_all(index.scores(terms), extra, share, alpha)
    if dates is not None:
        out = out * factors(dates)
    return out


def coverage_factor(
    index: Index, terms: Sequence[str], passage_id: int, alpha: float, words: float
) -> Factor | None:
    """What coverage did to one passage's words' score (``words``), as a "Why?" line."""
    if alpha <= 0 or words <= 0:
        return None
    share = float(shares(index, terms, np.array([passage_id]))[0])
    value = float(covered_all(np.ones(1), np.zeros(1), np.array([share]), alpha)[0])
    if value == 1.0:
        return None
    how = (
        f"holds {min(share, 1.0):.0%} of the question's weight (rare words weigh most): its "
        f"words' score is multiplied by that share to the power {alpha:g}"
    )
    return Factor("coverage", how, value)
