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
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.bm25 import Index

MIN_SHARE = 0.17
"""Default threshold, calibrated on rtqa_evidence_dev so that 5% of its answerable questions
are declined (``python -m bench.abstain``)."""


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
