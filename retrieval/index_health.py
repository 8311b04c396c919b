"""What an operator reads about an engine: its sizes, and its index against the store.

Kept apart from :mod:`retrieval.engine` because none of it serves a search: ``stats`` and
``check`` only count (the store's rows, the snapshot's passages and retired ones), and
``verify_index`` reads every posting once, which no search ever does.
"""

from __future__ import annotations

import numpy as np

from retrieval.models import EngineStats, IndexCheck
from retrieval.snapshots import Snapshot
from retrieval.store import Store


def searchable_articles(snapshot: Snapshot) -> int:
    """Articles ``snapshot`` can return: those indexed, less the replaced and removed."""
    return snapshot.articles - snapshot.dead_articles


def sizes(store: Store, snapshot: Snapshot) -> EngineStats:
    """Sizes of the store and of ``snapshot``'s index."""
    return EngineStats(
        articles=searchable_articles(snapshot),
        passages=snapshot.index.n_docs,
        vocabulary=snapshot.index.vocabulary_size,
        store_bytes=store.size_bytes(),
        index_bytes=snapshot.index.nbytes,
        retired=0 if snapshot.dead is None else int(np.count_nonzero(snapshot.dead)),
    )


def index_check(
    store: Store,
    snapshot: Snapshot,
    saved_at_open: int | None,
    repaired: str | None,
    save_error: str | None,
) -> IndexCheck:
    """The store's passages against ``snapshot``'s, with what opening found and repaired
    (``retrieval.saved_index``) and why the last save failed, if it did."""
    return IndexCheck(
        stored=store.count_passages(),
        searchable=snapshot.index.n_docs,
        saved=saved_at_open,
        repaired=repaired,
        save_error=save_error,
    )


def verify(snapshot: Snapshot) -> None:
    """Read every posting of ``snapshot``'s index (and its title field's) once; the index
    raises StoreError naming the folder to delete if any is damaged."""
    snapshot.index.check_all()
    if snapshot.titles is not None:
        snapshot.titles.index.check_all()
