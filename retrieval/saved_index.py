"""The index saved beside the store: loading it, checking it is this store's, saving it.

Kept apart from :mod:`retrieval.engine` because it is the one place that decides whether a
saved copy may be trusted. The saved index records which store passages it holds (its count
and the key of the article holding the last one). Opening a store checks that record and
indexes what the saved copy lacks, or rebuilds it when it belongs to other data: a crash or
another writer can leave the saved index behind the store, never ahead of it or out of step
with it. Saving is best effort: a failure only costs a re-index of the tail at the next start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.bm25 import Index
from retrieval.errors import BriefbotError, IndexLanguageError, StoreError
from retrieval.recency import stamps_of
from retrieval.snapshots import Indexer, Snapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Restored:
    """What opening a store made of its saved index, for the engine and its ``check``."""

    snapshot: Snapshot
    saved_at_open: int | None
    """Passages the saved index held, if one could be read."""
    repaired: str | None
    """What opening had to index or rebuild, if anything."""
    save_error: str | None
    """Why saving the caught-up index failed, if it did."""


def restore(indexer: Indexer, index_dir: Path | None, read_only: bool) -> Restored:
    """Load the saved index if it is this store's, then index the stored passages it lacks."""
    store, language = indexer.store, indexer.analyzer.language
    stored = store.setting("language")
    if read_only and stored not in (None, language):
        raise IndexLanguageError(store.path, stored, language)
    index, origin, problem = load_saved(indexer, index_dir)
    saved_at_open = None if index is None else index.n_docs
    repaired: str | None = None
    # Counted after loading: whatever a concurrent save claims was committed before it.
    counts = np.array(store.passage_counts(), dtype=np.int64)
    if index is not None:
        problem = indexer.foreign(index.n_docs, origin, counts)
        index = None if problem else index
    if problem:
        log.warning("rebuilding the index: %s", problem)
        repaired = f"rebuilt the index: {problem}"
    if not read_only:
        store.set_setting("language", language)
    loaded = index or Index.empty(indexer.params)
    try:
        snapshot = caught_up(indexer, loaded, counts)
    except StoreError as error:
        if index is None:
            raise
        # Catching up merges the saved segments, which reads (and checks) every posting they
        # hold: damage a search would have met later is met here, and the store rebuilds it.
        log.warning("rebuilding the index: %s", error)
        problem = str(error)
        repaired = f"rebuilt the index: {problem}"
        index, loaded = None, Index.empty(indexer.params)
        snapshot = caught_up(indexer, loaded, counts)
    behind = snapshot.index.n_docs - loaded.n_docs
    if index is not None and behind:
        log.info("indexing %d stored passages the saved index lacks", behind)
        repaired = (
            f"indexed {behind:,} stored passages the saved index lacked (an ingest was "
            "stopped, or another process wrote the store)"
        )
    elif index is None and not problem and behind and index_dir is not None:
        repaired = f"built the index of {behind:,} passages: none was saved"
    save_error = None
    if snapshot.index is not loaded and index_dir is not None and not read_only:
        save_error = save(indexer, index_dir, snapshot.index)
    return Restored(snapshot, saved_at_open, repaired, save_error)


def caught_up(indexer: Indexer, loaded: Index, counts: np.ndarray) -> Snapshot:
    """``loaded`` (the first passages of articles holding ``counts`` passages each) with
    every stored passage it lacks indexed: StoreError if a posting it merges is damaged."""
    articles = int(np.searchsorted(np.cumsum(counts), loaded.n_docs, side="right"))
    owners = np.repeat(np.arange(articles, dtype=np.int32), counts[:articles])
    stamps = stamps_of(indexer.store.article_dates_from(0, articles), counts[:articles])
    titles = indexer.stored_titles(articles) if indexer.title_field else None
    return indexer.catch_up(Snapshot(loaded, owners, articles, stamps, titles=titles))


def load_saved(
    indexer: Indexer, index_dir: Path | None
) -> tuple[Index | None, dict[str, Any] | None, str | None]:
    """The saved index and its origin, or None and why it cannot be used (if it exists)."""
    language, wanted = indexer.store.setting("language"), indexer.analyzer.language
    if language not in (None, wanted):
        return None, None, f"its terms are {language}, now {wanted}"
    if index_dir is None or not index_dir.exists():
        return None, None, None
    try:
        index, origin = Index.load_with_origin(index_dir, indexer.params)
    except BriefbotError as error:
        return None, None, str(error)
    return index, origin, None


def save(indexer: Indexer, index_dir: Path, index: Index) -> str | None:
    """Save ``index`` with the record of which store passages it holds; why it failed, if so."""
    n = index.n_docs
    origin: dict[str, Any] = {
        "passages": n,
        "last_key": indexer.store.article_key_of(n - 1) if n else None,
    }
    if indexer.title_field:
        origin["title_field"] = True
    try:
        index.save(index_dir, origin)
    except (OSError, StoreError) as error:
        log.warning("could not save the index to %s: %s", index_dir, error)
        return str(error)
    return None
