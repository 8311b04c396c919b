"""The search engine: store, analyzer and BM25 index behind one small, thread-safe object.

Readers never lock: a search takes the current ``_Snapshot`` (index plus passage owners) in one
attribute read, and an ingest publishes a new snapshot only after its store transaction has
committed, so every passage a search can return is already stored.

Several processes may search one store: one opens it for writing (ingests, saves the index),
the others open it ``read_only`` and ``refresh`` to index what the writer has stored since.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.bm25 import BM25Params, Index
from retrieval.errors import (
    BriefbotError,
    EmptyQueryError,
    QueryTooLongError,
    StopwordsOnlyError,
    StoreError,
)
from retrieval.models import (
    Article,
    ArticleInfo,
    EngineStats,
    Hit,
    IngestSummary,
    LoadReport,
    Passage,
    SearchResult,
    Skipped,
)
from retrieval.pipeline import Pipeline
from retrieval.ranking import cite, diversify
from retrieval.store import NewArticle, Store
from retrieval.text import Analyzer

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 500
"""Longer messages are not questions; searching them would be slow and useless."""

WORD = re.compile(r"[^\W_]")


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """What one search reads: an index and, per passage, the position of its article."""

    index: Index
    owners: np.ndarray
    articles: int


class Engine:
    """Ingest briefings, search them, list the newest: the whole of ``retrieval`` in one object."""

    def __init__(
        self,
        store: Store,
        analyzer: Analyzer,
        params: BM25Params,
        *,
        max_query_chars: int = MAX_QUERY_CHARS,
        index_dir: Path | None = None,
        workers: int = 2,
        read_only: bool = False,
    ) -> None:
        self.store = store
        self.read_only = read_only
        self.analyzer = analyzer
        self.params = params
        self.max_query_chars = max_query_chars
        self.index_dir = index_dir
        self.pipeline = Pipeline(analyzer, workers)
        self._write_lock = threading.Lock()
        self._snapshot = self._restore()

    @classmethod
    def open(
        cls,
        path: str | Path = ":memory:",
        *,
        language: str = "english",
        scorer: str = "lucene",
        max_query_chars: int = MAX_QUERY_CHARS,
        workers: int = 2,
        read_only: bool = False,
    ) -> Engine:
        """Open (or create) a store; the index is loaded from beside it, or rebuilt if missing.

        A ``read_only`` engine never writes the index or ingests: it is for a process that
        searches a store another process keeps, and it catches up with ``refresh``.
        """
        store = Store(path)
        index_dir = None if str(path) == ":memory:" else Path(f"{path}.index")
        params = BM25Params(scorer=scorer)  # type: ignore[arg-type]
        return cls(
            store,
            Analyzer(language),
            params,
            max_query_chars=max_query_chars,
            index_dir=index_dir,
            workers=workers,
            read_only=read_only,
        )

    def close(self) -> None:
        """Stop ingest worker processes and release the store."""
        self.pipeline.close()
        self.store.close()

    # -- building ---------------------------------------------------------------------------

    def _restore(self) -> _Snapshot:
        """Load the saved index if it matches the store, then index any passages it lacks."""
        stored = self.store.count_passages()
        index: Index | None = None
        language = self.store.setting("language")
        if language not in (None, self.analyzer.language):
            log.warning("rebuilding the index: its terms are %s, now %s", language,
                        self.analyzer.language)  # fmt: skip
        elif self.index_dir is not None and self.index_dir.exists():
            try:
                index = Index.load(self.index_dir, self.params)
            except BriefbotError as error:
                log.warning("rebuilding the index: %s", error)
            if index is not None and index.n_docs > stored:
                log.warning("rebuilding the index: it has more passages than the store")
                index = None
        index = index or Index.empty(self.params)
        if not self.read_only:
            self.store.set_setting("language", self.analyzer.language)
        snapshot = self._catch_up(index)
        if snapshot.index is not index:
            self._save(snapshot.index)
        return snapshot

    def _catch_up(self, index: Index) -> _Snapshot:
        """``index`` plus the stored passages it lacks, with every passage's article position.

        A writer stores each batch in one transaction, so the article counts read first cover
        only whole batches: passages past their sum belong to a batch a later call sees.
        """
        counts = self.store.passage_counts()
        missing = sum(counts) - index.n_docs
        if missing > 0:
            rows = itertools.islice(self.store.passage_texts(index.n_docs), missing)
            index = index.add(self.pipeline.analyze([(title, text) for _, title, text in rows]))
        owners = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        return _Snapshot(index, owners, len(counts))

    def _save(self, index: Index) -> None:
        """Save the index; a failure only costs a rebuild of the tail at the next start."""
        if self.index_dir is None or self.read_only:
            return
        try:
            index.save(self.index_dir)
        except (OSError, StoreError) as error:
            log.warning("could not save the index to %s: %s", self.index_dir, error)

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

        The batch is one store transaction, and the new index is published only after it
        commits: a failure leaves both exactly as they were. With ``persist=False`` the index
        is saved later (``save_index``); a restart re-indexes whatever the saved index lacks.
        """
        if self.read_only:
            raise StoreError("this engine is read-only: ingest through the one that writes")
        report = articles if isinstance(articles, LoadReport) else LoadReport(tuple(articles))
        skipped = list(report.skipped)
        with self._write_lock:
            fresh, duplicates = self.store.unseen(report.articles)
            batch: list[NewArticle] = []
            tokens: list[list[str]] = []
            texts = [(article.title, article.text) for article, _, _ in fresh]
            prepared = self.pipeline.prepare(texts)
            for (article, key, id_), (spans, terms) in zip(fresh, prepared, strict=True):
                if not any(terms):
                    where = article.url or article.id or article.title[:60]
                    skipped.append(Skipped(where, "", "the text has no searchable words"))
                    continue
                batch.append(NewArticle(article, key, id_, tuple(spans)))
                tokens.extend(terms)
            old = self._snapshot
            index = old.index.add(tokens) if tokens else old.index
            added = self.store.add(batch)
            counts = [len(item.spans) for item in batch]
            new_owners = np.arange(old.articles, old.articles + len(batch), dtype=np.int32)
            owners = np.concatenate([old.owners, np.repeat(new_owners, counts)])
            self._snapshot = _Snapshot(index, owners, old.articles + len(batch))
            if tokens and persist:
                self._save(index)
        return IngestSummary(
            tuple(added), duplicates, tuple(skipped), len(tokens), old.index.n_docs
        )

    def refresh(self) -> int:
        """Index the passages another process has stored since this engine looked; say how many."""
        with self._write_lock:
            old = self._snapshot
            snapshot = self._catch_up(old.index)
            added = snapshot.index.n_docs - old.index.n_docs
            if added:
                self._snapshot = snapshot
        return added

    # -- reading ----------------------------------------------------------------------------

    def query_terms(self, query: str) -> list[str]:
        """Analyze a query, or raise the ``QueryError`` that tells the user what to do instead."""
        text = query.strip()
        if len(text) > self.max_query_chars:
            raise QueryTooLongError(len(text), self.max_query_chars)
        if not WORD.search(text):
            raise EmptyQueryError
        terms = self.analyzer.terms(text)
        if not terms:
            raise StopwordsOnlyError(text)
        return terms

    def search(
        self, query: str, k: int = 10, *, offset: int = 0, limit: int | None = None
    ) -> SearchResult:
        """Rank the best ``k`` passages, one per article before any second; cite a page of them.

        Ranking is cheap and exact; citing (the answering sentences, highlights) costs most, so
        only the hits from ``offset`` up to ``limit`` of them are cited. Ties in score go to the
        lower passage id, i.e. the earlier ingested passage.
        """
        started = time.perf_counter()
        terms = self.query_terms(query)
        snapshot = self._snapshot
        ranked = diversify(snapshot.index, snapshot.owners, terms, k)
        stop = len(ranked) if limit is None else offset + limit
        page = ranked[offset:stop]
        hits = cite(self.store, self.analyzer, snapshot.index, query, terms, page, offset + 1)
        seconds = time.perf_counter() - started
        return SearchResult(query, tuple(hits), len(ranked), offset, tuple(terms), seconds)

    def watch_hits(self, query: str, since: int, min_match: float) -> list[Hit]:
        """Passages with id >= ``since`` that match a saved query well enough to alert on.

        ``min_match`` is a fraction of the highest score the query's words could reach in
        any passage (every word present, saturated): 0.3 roughly means "most of the words,
        or the rare ones". Only the best passage of each article is returned, best first.
        Uses the query analysis and scores of ``search``.
        """
        terms = self.query_terms(query)
        snapshot = self._snapshot
        index = snapshot.index
        if since >= index.n_docs:
            return []
        scores = index.scores(terms)[since:]
        ceiling = sum(index.idf(term) for term in terms) * (index.params.k1 + 1)
        floor = max(min_match * ceiling, np.finfo(np.float64).tiny)
        found = np.flatnonzero(scores >= floor)
        order = found[np.lexsort((found, -scores[found]))]
        best: dict[int, tuple[int, float]] = {}
        for local in order.tolist():
            owner = int(snapshot.owners[since + local])
            best.setdefault(owner, (since + local, float(scores[local])))
        return cite(self.store, self.analyzer, index, query, terms, list(best.values()), 1)

    def latest(self, n: int = 10, offset: int = 0) -> list[ArticleInfo]:
        """The newest ``n`` articles by date (undated last), skipping ``offset``."""
        return self.store.latest(n, offset)

    def article(self, article_id: str) -> ArticleInfo | None:
        """Metadata of one stored article, or None."""
        return self.store.articles([article_id]).get(article_id)

    def passage(self, passage_id: int) -> Passage | None:
        """One stored passage, or None; an article's passages have consecutive ids."""
        found = self.store.passages([passage_id])
        return found[0] if found else None

    def count_articles(self) -> int:
        """How many articles are searchable."""
        return self._snapshot.articles

    def example_query(self) -> str | None:
        """A few content words from the newest headline, to show people what to ask."""
        newest = self.store.latest(1)
        if not newest:
            return None
        words = re.findall(r"[^\W_]{3,}", newest[0].title)
        content = [w for w in words if w.lower() not in self.analyzer.stopwords]
        return " ".join(content[:4]) or None

    def stats(self) -> EngineStats:
        """Sizes of the store and the index."""
        snapshot = self._snapshot
        return EngineStats(
            articles=snapshot.articles,
            passages=snapshot.index.n_docs,
            vocabulary=snapshot.index.vocabulary_size,
            store_bytes=self.store.size_bytes(),
            index_bytes=snapshot.index.nbytes,
        )
