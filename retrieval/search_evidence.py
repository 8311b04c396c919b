"""The evidence a search weighs before it declines, read as the engine's snapshot holds it.

:mod:`retrieval.answerable` judges evidence from an index and a passage's text alone; this
module is the step between it and a search: it counts the article's title with the passage
when titles are a field of their own, and reads the passage from the store for ``scatter``.
Kept out of :mod:`retrieval.engine` so the search reads as ranking, declining and citing;
:func:`judged` is the declining.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from retrieval.answerable import (
    Evidence,
    could_tip,
    declines,
    evidence,
    scatter,
    unknown_share,
)
from retrieval.rarity_prior import RarityPrior
from retrieval.snapshots import Snapshot
from retrieval.store import Store
from retrieval.text import Analyzer


def passage_evidence(
    snapshot: Snapshot,
    terms: Sequence[str],
    passage: int,
    top: Sequence[float],
    prior: RarityPrior | None = None,
) -> Evidence:
    """``answerable.evidence`` for the best passage, its article's title counted with it
    under the title field: there a word only the headline holds is neither missing from
    the passage nor unknown to the store."""
    found = evidence(snapshot.index, terms, passage, top, prior)
    titles = snapshot.titles
    if titles is None:
        return found
    owner = int(snapshot.owners[passage])
    share = titles.match_share(snapshot.index, terms, passage, owner, prior)
    distinct = list(dict.fromkeys(terms))
    index = snapshot.index
    missing = [
        t
        for t in distinct
        if index.document_frequency(t) == 0 and titles.index.document_frequency(t) == 0
    ]
    unknown = unknown_share(index.n_docs, missing, len(distinct), prior)
    return replace(found, share=share, unknown=unknown)


def stored_scatter(
    store: Store,
    analyzer: Analyzer,
    snapshot: Snapshot,
    terms: Sequence[str],
    passage: int,
    prior: RarityPrior | None = None,
) -> float:
    """``answerable.scatter`` of ``passage``, read from the store with its article's title
    (0 if another process just removed it: the other evidence then decides)."""
    rows = list(store.passage_texts(passage, passage + 1, batch=1))
    if not rows:
        return 0.0
    _, title, text = rows[0]
    return scatter(snapshot.index, analyzer, terms, title, text, prior)


def judged(
    store: Store,
    analyzer: Analyzer,
    snapshot: Snapshot,
    terms: Sequence[str],
    ranked: Sequence[tuple[int, float]],
    top: Sequence[float],
    related: bool,
    min_share: float,
    prior: RarityPrior | None = None,
) -> tuple[float, bool]:
    """The best passage's ``share`` of the question's weight, and whether the search declines.

    ``min_share`` 0 never declines a search that found something; finding nothing always is.
    A related search is judged only on finding something: a message is not a question, and
    its nearest briefings are what the reader asked for. ``scatter`` is read from the store
    only where it could tip the decision.
    """
    if not ranked:
        return 0.0, True
    weighed = passage_evidence(snapshot, terms, ranked[0][0], top, prior)
    if not related and could_tip(weighed, len(set(terms)), min_share):
        read = stored_scatter(store, analyzer, snapshot, terms, ranked[0][0], prior)
        weighed = replace(weighed, scatter=read)
    return weighed.share, declines(weighed, min_share) and not related
