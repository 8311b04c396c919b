"""Which newly indexed passages a saved query (a watch) should alert on.

Kept apart from :mod:`retrieval.engine` because a watch is judged differently from a search:
not ranked against everything, but each new passage against the best score the query's
words could reach, so the same bar means the same thing on a small store and a large one.
"""

from __future__ import annotations

import numpy as np

from retrieval.models import Hit
from retrieval.ranking import cite
from retrieval.retired import live_scores
from retrieval.snapshots import Snapshot
from retrieval.store import Store
from retrieval.text import Analyzer
from retrieval.topk import Bonus


def watch_matches(
    snapshot: Snapshot,
    store: Store,
    analyzer: Analyzer,
    asked: str,
    terms: list[str],
    bonus: Bonus | None,
    title_weight: float,
    since: int,
    min_match: float,
) -> list[Hit]:
    """Cited best passage of each article among those with id >= ``since`` scoring at least
    ``min_match`` of the query's ceiling (every word present and saturated, title field
    included), best first; ``asked`` is the text cited from."""
    index = snapshot.index
    if since >= index.n_docs:
        return []
    scores = live_scores(index.scores(terms, bonus)[since:], snapshot.dead, since)
    ceiling = sum(index.idf(term) for term in terms) * (index.params.k1 + 1)
    if snapshot.titles is not None:
        heads = snapshot.titles.index
        ceiling += title_weight * sum(heads.idf(t) for t in terms) * (heads.params.k1 + 1)
    floor = max(min_match * ceiling, np.finfo(np.float64).tiny)
    found = np.flatnonzero(scores >= floor)
    order = found[np.lexsort((found, -scores[found]))]
    best: dict[int, tuple[int, float]] = {}
    for local in order.tolist():
        owner = int(snapshot.owners[since + local])
        best.setdefault(owner, (since + local, float(scores[local])))
    return cite(store, analyzer, index, asked, terms, list(best.values()), 1)
