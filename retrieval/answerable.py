"""Whether the best passage answers a question at all, or the engine should say it does not know.

BM25 always ranks something: a question about Reykjavik's weather still gets the passages that
share "weather" and "weekend". What tells an answer from a near miss is whether the best passage
holds the question's *rare* words. So each distinct query term is weighted by its rarity in
this collection, and the best passage's share of the question's weight is compared with a
threshold::

    share = sum(w(t) for t in query if t in best passage) / sum(w(t) for t in query)
    w(t)  = idf(t) ** 2,   idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

A word no passage holds (df 0) gets the highest idf there is, so a question about something
the collection never mentions fails at once. Squaring the idf lets one rare word outweigh
several common ones (a plain idf share separated answerable from unanswerable dev questions
less well; see ``bench/abstain.py``). Only ratios of idf within one collection enter, so the
rule reads the same on a 1-article store as on a million passages: in a store of one article
a question whose words are all in it has share 1.0.

The idf is Lucene's whichever scorer ranks, because the okapi idf can be negative or floored
on small collections and is no measure of rarity there.

The share alone asks every question for the same amount. Two more kinds of evidence say how
much *this* question needs (``Evidence``, ``needed_share``):

- **unknown words**: the share of its distinct terms no passage holds at all. A question
  about "CES 2021" or a "2023 Booker Prize" asked of 2004-05 news has words the collection
  never saw, which a near miss on the others cannot make up for;
- **no passage stands out**: when the answer is stored, its passage usually scores well
  above the rest; when it is not, the best passages each match a word or two of the
  question about equally, so the top ten scores vary little (``spread``: their standard
  deviation over their mean).

The needed share is a linear rule whose three constants were fitted offline by logistic
regression on the even-numbered questions of rtqa_evidence_dev (against their own notes:
answerable; against the BBC articles: not) and bbc_title (answerable), the intercept then set
so that 5% of those answerable questions are declined; the odd-numbered questions and the
other pairings are the held-out check (``python -m bench.abstain``). Every feature is a ratio
within one collection, so the rule reads the same at any size; a single matching passage has
no spread, and the question then needs about a third of its weight (with no unknown word).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.bm25 import Index

MIN_SHARE = 0.17
"""The ``[search] min_share`` setting's default. It shifts the needed share of every question
(``needed_share``): higher declines more; 0 turns declining off."""

SPREAD_DEPTH = 10
"""How many of the best passage scores ``spread`` is measured over."""

# The fitted rule (see the module docstring):
# needed share = min_share + BASE + UNKNOWN * unknown - SPREAD * spread, at least FLOOR.
BASE = 0.18
UNKNOWN = 1.332
SPREAD = 2.265
FLOOR = 0.1
"""Whatever else says, a passage holding under a tenth of the question's weight is no answer:
in a handful of passages the spread of a few scores can be large enough to excuse anything
(on the dev sets this floor changes nothing)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What says whether the best passage answers: each a ratio from 0 (``spread`` up to ~3)."""

    share: float  # the best passage's share of the question's rarity weight
    unknown: float  # the share of the question's distinct terms that no passage holds
    spread: float  # standard deviation over mean of the SPREAD_DEPTH best passage scores


def evidence(
    index: Index, terms: Sequence[str], best: int, top_scores: Sequence[float]
) -> Evidence:
    """The evidence for passage ``best`` answering ``terms``.

    ``top_scores`` are the best passage scores of the whole index in rank order, whichever
    articles hold them (``SPREAD_DEPTH`` of them are read).
    """
    distinct = list(dict.fromkeys(terms))
    unknown = sum(index.document_frequency(t) == 0 for t in distinct) / max(len(distinct), 1)
    top = np.asarray(top_scores[:SPREAD_DEPTH], dtype=np.float64)
    mean = float(top.mean()) if top.size else 0.0
    spread = float(top.std()) / mean if mean > 0 else 0.0
    return Evidence(match_share(index, terms, best), unknown, spread)


def needed_share(found: Evidence, min_share: float = MIN_SHARE) -> float:
    """The share of its rarity weight the best passage must hold to answer this question.

    ``min_share`` moves the whole rule (the default is the calibrated one); unknown words
    raise the bar, top scores that vary widely (something stands out) lower it, never below
    ``FLOOR``.
    """
    return max(
        FLOOR,
        min_share + BASE + UNKNOWN * found.unknown - SPREAD * found.spread,
    )


def declines(found: Evidence, min_share: float = MIN_SHARE) -> bool:
    """Whether the best passage holds too little of the question to be its answer.

    ``min_share`` 0 never declines (a search that found nothing always does, elsewhere).
    """
    return min_share > 0 and found.share < needed_share(found, min_share)


def rarity_weights(index: Index, terms: Sequence[str]) -> np.ndarray:
    """Squared Lucene idf of each distinct term of ``terms``, first appearance first."""
    distinct = list(dict.fromkeys(terms))
    df = np.array([index.document_frequency(term) for term in distinct], dtype=np.float64)
    idf = np.log1p((index.n_docs - df + 0.5) / (df + 0.5))
    weights: np.ndarray = idf**2
    return weights


def match_share(index: Index, terms: Sequence[str], passage_id: int) -> float:
    """The share (0-1) of the question's rarity weight that passage ``passage_id`` holds."""
    weights = rarity_weights(index, terms)
    total = float(weights.sum())
    if total <= 0:
        return 0.0
    held = index.holding(terms, np.array([passage_id], dtype=np.int64))[:, 0]
    return float(weights[held].sum()) / total
