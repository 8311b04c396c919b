"""The engine's write side: store a batch, remove articles, catch up, save the index.

Kept apart from :mod:`retrieval.engine` (which opens an engine and answers its searches)
because these are the only methods that change what an engine serves: each runs under the
engine's one write lock and publishes a new snapshot (:mod:`retrieval.snapshots`) only after
the store has committed, so readers, which never lock, see the old snapshot or the new one.
A read-only engine (a bot worker) uses only ``refresh``, to index what the writers stored:
it refuses to ingest or remove, and saves nothing.
:class:`EngineWrites` is the base :class:`~retrieval.engine.Engine` builds on, as
:class:`~retrieval.store.Store` builds on :class:`~retrieval.store_reads.StoreReads`; the
engine's constructor sets the attributes declared here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from retrieval.bm25 import Index
from retrieval.errors import StoreError
from retrieval.ingest_batch import store_batch, summary
from retrieval.models import Article, IngestSummary, LoadReport, Removed
from retrieval.pipeline import Pipeline
from retrieval.saved_index import save
from retrieval.snapshots import Indexer, Snapshot
from retrieval.store import Store
from retrieval.text import Analyzer


class EngineWrites:
    """Ingest, remove, refresh and save: every change to what an engine serves."""

    title_weight: float
    read_only: bool
    index_dir: Path | None
    _store: Store
    _analyzer: Analyzer
    _pipeline: Pipeline
    _indexer: Indexer
    _write_lock: threading.Lock
    _snapshot: Snapshot
    _save_error: str | None

    @property
    def title_field(self) -> bool:
        """Whether titles are a field of their own rather than words of every passage."""
        return self.title_weight > 0

    def _save(self, index: Index) -> None:
        """Save the index (``retrieval.saved_index``); a failure is kept for ``check``."""
        if self.index_dir is None or self.read_only:
            return
        self._save_error = save(self._indexer, self.index_dir, index)

    def save_index(self) -> None:
        """Write the current index beside the store so the next start need not rebuild it."""
        with self._write_lock:
            self._save(self._snapshot.index)

    def ingest(
        self,
        articles: LoadReport | Iterable[Article],
        *,
        persist: bool = True,
    ) -> IngestSummary:
        """Store new articles and make them searchable; duplicates are counted, not stored.

        An article whose canonical URL is stored with another title or text replaces the
        stored version (``updated``): the old passages leave every result once this returns.
        The batch is one store transaction, and the new index is published only after it
        commits: a failure leaves both exactly as they were. With ``persist=False`` the index
        is saved later (``save_index``); a restart re-indexes whatever the saved index lacks.
        """
        if self.read_only:
            raise StoreError("this engine is read-only: ingest through the one that writes")
        report = articles if isinstance(articles, LoadReport) else LoadReport(tuple(articles))
        with self._write_lock:
            written = store_batch(
                self._store, self._pipeline, self._analyzer, self.title_field, report
            )
            old = self._snapshot
            own = (written.stored.first_passage, written.own)
            self._snapshot = self._indexer.catch_up(old, own)
            if persist and self._snapshot.index is not old.index:
                self._save(self._snapshot.index)
        return summary(written)

    def remove(self, targets: Sequence[str] = (), *, source: str | None = None) -> Removed:
        """Remove articles by id or URL, or every article of ``source``, in one transaction.

        Their passages leave search results and watch matches once this returns (other
        engines on the store when they next catch up), and the store refuses the same URLs
        when a feed offers them again. Nothing matching is not an error: ``articles`` is
        empty.
        """
        if self.read_only:
            raise StoreError("this engine is read-only: remove through the one that writes")
        with self._write_lock:
            gone = self._store.remove(targets, source=source)
            self._snapshot = self._indexer.catch_up(self._snapshot)
        return Removed(tuple(gone), sum(info.passages for info in gone))

    def refresh(self) -> int:
        """Index the passages another process has stored since this engine looked, and stop
        returning those it retired; say how many passages were indexed."""
        with self._write_lock:
            old = self._snapshot
            snapshot = self._indexer.catch_up(old)
            added = snapshot.index.n_docs - old.index.n_docs
            if snapshot is not old:  # new passages, or removals only
                self._snapshot = snapshot
        return added
