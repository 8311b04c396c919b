"""The search engine: store, analyzer and BM25 index behind one small, thread-safe object.

Readers never lock: a search takes the current ``_Snapshot`` (index plus passage owners) in one
attribute read, and an ingest publishes a new snapshot only after its store transaction has
committed, so every passage a search can return is already stored.

Several processes may share one store, and several may write it (``briefbot ingest`` beside a
running bot). The store assigns passage ids inside each batch's write transaction; the index
only ever grows by the stored passages that follow its last one, in id order, read back from
the store, so it can never skip or misattribute a passage another process stored. An ingest
indexes its own batch from the terms it just computed and everything else it finds past its
index by reading and analysing it; ``refresh`` does the latter alone. Read-only engines (bot
workers) never write; they ``refresh`` to index what the writers have stored since.

The saved index records which store passages it holds (its count and the key of the article
holding the last one). Opening a store checks that record and indexes what the saved copy
lacks, or rebuilds it when it belongs to other data: a crash or another writer can leave the
saved index behind the store, never ahead of it or out of step with it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.answerable import MIN_SHARE, match_share
from retrieval.bm25 import BM25Params, Index
from retrieval.copies import THRESHOLD, fold_ranked, signature
from retrieval.errors import (
    BriefbotError,
    EmptyQueryError,
    QueryTooLongError,
    StopwordsOnlyError,
    StoreError,
    TooManyResultsError,
)
from retrieval.loaders.limits import storable
from retrieval.models import (
    Article,
    ArticleInfo,
    EngineStats,
    Hit,
    IndexCheck,
    IngestSummary,
    LoadReport,
    Passage,
    SearchResult,
    Skipped,
)
from retrieval.pipeline import Pipeline
from retrieval.ranking import cite, diversify
from retrieval.related import RELATED_CHARS, RELATED_TERMS, telling_terms
from retrieval.store import NewArticle, Store
from retrieval.text import Analyzer
from retrieval.titles import Titles
from retrieval.topk import Bonus

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 500
"""Longer messages are not questions; searching them would be slow and useless."""

MAX_RESULTS = 1000
"""Most results one search ranks: past this nobody reads them, and ranking grows with ``k``."""
FOLD_DEPTH = 10
"""Results ranked past ``k`` so that folding copies away still leaves ``k`` to show."""
COUNT_DEPTH = 120
"""Passages ranked to count the articles a question matched: "N results" is exact up to here."""

WORD = re.compile(r"[^\W_]")


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """What one search reads: an index and, per passage, the position of its article."""

    index: Index
    owners: np.ndarray
    articles: int
    titles: Titles | None = None
    """The title field (``retrieval.titles``), or None when titles are words of each passage."""


_OLDER_INDEX = (
    "it was saved by an older Briefbot, which could misplace passages when two processes "
    "wrote the store"
)


def _storable(article: Article) -> Article:
    """``article`` as the store keeps it exactly (``loaders.limits.storable`` on every field).

    Loaders already clean what they read; articles built by a library user may still carry a
    NUL (SQLite's ``substr`` would end the passage there) or a lone surrogate (which would fail
    the whole batch).
    """
    cleaned = replace(
        article,
        title=storable(article.title),
        text=storable(article.text),
        url=None if article.url is None else storable(article.url),
        source=None if article.source is None else storable(article.source),
        id=storable(article.id),
    )
    return article if cleaned == article else cleaned


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
        title_weight: float = 0.0,
        copy_threshold: float = THRESHOLD,
    ) -> None:
        if not (np.isfinite(title_weight) and title_weight >= 0):
            raise ValueError(f"title_weight must be a number >= 0, not {title_weight!r}")
        self.title_weight = float(title_weight)
        self.copy_threshold = copy_threshold
        """Signature agreement from which passages are copies (``retrieval.copies``); >1: off."""
        self.store = store
        self.read_only = read_only
        self.analyzer = analyzer
        self.params = params
        self.max_query_chars = max_query_chars
        self.index_dir = index_dir
        self.pipeline = Pipeline(analyzer, workers)
        self._write_lock = threading.Lock()
        self._saved_at_open: int | None = None
        self._repaired: str | None = None
        self._save_error: str | None = None
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
        title_weight: float = 0.0,
        copy_threshold: float = THRESHOLD,
    ) -> Engine:
        """Open (or create) a store; the index is loaded from beside it, or rebuilt if missing.

        A ``read_only`` engine never writes the index or ingests: it is for a process that
        searches a store another process keeps, and it catches up with ``refresh``. A
        ``title_weight`` above 0 scores titles as a field of their own (``retrieval.titles``)
        instead of as words of every passage; switching between the two rebuilds the index.
        Passages of other articles whose signatures agree on ``copy_threshold`` of their
        entries fold into one result (``retrieval.copies``); a threshold above 1 never folds.
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
            title_weight=title_weight,
            copy_threshold=copy_threshold,
        )

    @property
    def title_field(self) -> bool:
        """Whether titles are a field of their own rather than words of every passage."""
        return self.title_weight > 0

    def close(self) -> None:
        """Stop ingest worker processes and release the store."""
        self.pipeline.close()
        self.store.close()

    # -- building ---------------------------------------------------------------------------

    def _restore(self) -> _Snapshot:
        """Load the saved index if it is this store's, then index the stored passages it lacks."""
        index, origin, problem = self._load_saved()
        # Counted after loading: whatever a concurrent save claims was committed before it.
        counts = np.array(self.store.passage_counts(), dtype=np.int64)
        if index is not None:
            problem = self._foreign(index.n_docs, origin, counts)
            index = None if problem else index
        if problem:
            log.warning("rebuilding the index: %s", problem)
            self._repaired = f"rebuilt the index: {problem}"
        loaded = index or Index.empty(self.params)
        articles = int(np.searchsorted(np.cumsum(counts), loaded.n_docs, side="right"))
        owners = np.repeat(np.arange(articles, dtype=np.int32), counts[:articles])
        if not self.read_only:
            self.store.set_setting("language", self.analyzer.language)
        titles = self._stored_titles(articles) if self.title_field else None
        snapshot = self._catch_up(_Snapshot(loaded, owners, articles, titles))
        behind = snapshot.index.n_docs - loaded.n_docs
        if index is not None and behind:
            log.info("indexing %d stored passages the saved index lacks", behind)
            self._repaired = (
                f"indexed {behind:,} stored passages the saved index lacked (an ingest was "
                "stopped, or another process wrote the store)"
            )
        elif index is None and not problem and behind and self.index_dir is not None:
            self._repaired = f"built the index of {behind:,} passages: none was saved"
        if snapshot.index is not loaded:
            self._save(snapshot.index)
        return snapshot

    def _load_saved(self) -> tuple[Index | None, dict[str, Any] | None, str | None]:
        """The saved index and its origin, or None and why it cannot be used (if it exists)."""
        language = self.store.setting("language")
        if language not in (None, self.analyzer.language):
            return None, None, f"its terms are {language}, now {self.analyzer.language}"
        if self.index_dir is None or not self.index_dir.exists():
            return None, None, None
        try:
            index, origin = Index.load_with_origin(self.index_dir, self.params)
        except BriefbotError as error:
            return None, None, str(error)
        self._saved_at_open = index.n_docs
        return index, origin, None

    def _foreign(self, n: int, origin: dict[str, Any] | None, counts: np.ndarray) -> str | None:
        """Why a saved index of ``n`` passages is not exactly this store's first ones, if so."""
        if n == 0:
            return None
        if origin is None:
            return _OLDER_INDEX
        ends = np.cumsum(counts)
        if n > (int(ends[-1]) if ends.shape[0] else 0):
            return "it has more passages than the store"
        if int(ends[np.searchsorted(ends, n)]) != n:
            return "it ends inside an article"
        if bool(origin.get("title_field", False)) != self.title_field:
            held = "without" if self.title_field else "with"
            return f"its passages hold titles {held} the title field set the other way"
        key = self.store.article_key_of(n - 1)
        if origin.get("passages") != n or origin.get("last_key") != key:
            return "it was built from other articles than the store holds"
        return None

    def _catch_up(
        self, old: _Snapshot, own: tuple[int, list[list[str]]] | None = None
    ) -> _Snapshot:
        """``old`` plus every stored passage past its index, with each passage's article.

        ``own`` is ``(first passage id, terms of each passage)`` of the batch this engine just
        stored: those terms are used as they are, and only passages other processes stored are
        read back and analysed. The article counts come from one statement, so they cover
        whole batches only; passages stored after it are left to the next call.
        """
        start = old.index.n_docs
        counts = self.store.passage_counts_from(start)
        if not counts:
            return old
        end = start + sum(counts)
        first, terms = own if own is not None else (end, [])
        if not start <= first <= first + len(terms) <= end:
            first, terms = end, []  # cannot happen; reading everything back is still right
        tokens = self._analyze_stored(start, first) + terms
        tokens += self._analyze_stored(first + len(terms), end)
        index = old.index.add(tokens)
        articles = np.arange(old.articles, old.articles + len(counts), dtype=np.int32)
        owners = np.concatenate([old.owners, np.repeat(articles, counts)])
        titles = old.titles
        if titles is not None:
            heads = self.store.titles_from(start)[: len(counts)]
            titles = titles.add([self.analyzer.terms(head) for head in heads], counts)
        return _Snapshot(index, owners, old.articles + len(counts), titles)

    def _analyze_stored(self, start: int, stop: int) -> list[list[str]]:
        """Index terms of stored passages ``start`` up to ``stop``, as ingest made them."""
        if stop <= start:
            return []
        rows = self.store.passage_texts(start, stop)
        field = self.title_field
        return self.pipeline.analyze([("" if field else title, text) for _, title, text in rows])

    def _stored_titles(self, articles: int) -> Titles:
        """The title field of the first ``articles`` stored articles, analysed afresh."""
        titles = Titles.empty(self.params)
        if not articles:
            return titles
        heads = self.store.titles_from(0)[:articles]
        counts = self.store.passage_counts()[:articles]
        return titles.add([self.analyzer.terms(head) for head in heads], counts)

    def _save(self, index: Index) -> None:
        """Save the index; a failure only costs a re-index of the tail at the next start."""
        if self.index_dir is None or self.read_only:
            return
        n = index.n_docs
        origin: dict[str, Any] = {
            "passages": n,
            "last_key": self.store.article_key_of(n - 1) if n else None,
        }
        if self.title_field:
            origin["title_field"] = True
        try:
            index.save(self.index_dir, origin)
            self._save_error = None
        except (OSError, StoreError) as error:
            log.warning("could not save the index to %s: %s", self.index_dir, error)
            self._save_error = str(error)

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
            fresh, duplicates = self.store.unseen([_storable(a) for a in report.articles])
            batch: list[NewArticle] = []
            terms_of: list[list[list[str]]] = []
            field = self.title_field
            texts = [("" if field else article.title, article.text) for article, _, _ in fresh]
            prepared = self.pipeline.prepare(texts)
            for (article, key, id_), (spans, terms) in zip(fresh, prepared, strict=True):
                if not any(terms):
                    where = article.url or article.id or article.title[:60]
                    skipped.append(Skipped(where, "", "the text has no searchable words"))
                    continue
                # Copies are judged on the passage's own words: titles of copies often differ.
                head = 0 if field else len(self.analyzer.terms(article.title))
                signatures = tuple(signature(passage[head:]) for passage in terms)
                batch.append(NewArticle(article, key, id_, tuple(spans), signatures))
                terms_of.append(terms)
            stored = self.store.add(batch)
            # Another writer may have stored some of these since ``unseen`` looked.
            duplicates += len(batch) - len(stored.kept)
            own = [passage for position in stored.kept for passage in terms_of[position]]
            old = self._snapshot
            self._snapshot = self._catch_up(old, (stored.first_passage, own))
            if persist and self._snapshot is not old:
                self._save(self._snapshot.index)
        return IngestSummary(stored.added, duplicates, tuple(skipped), len(own),
                             stored.first_passage)  # fmt: skip

    def refresh(self) -> int:
        """Index the passages another process has stored since this engine looked; say how many."""
        with self._write_lock:
            old = self._snapshot
            snapshot = self._catch_up(old)
            added = snapshot.index.n_docs - old.index.n_docs
            if added:
                self._snapshot = snapshot
        return added

    # -- reading ----------------------------------------------------------------------------

    def query_terms(self, query: str, *, related: bool = False) -> list[str]:
        """Analyze a query, or raise the ``QueryError`` that tells the user what to do instead.

        With ``related`` the query is a message to find related briefings for, of any length:
        see ``related_terms``.
        """
        if related:
            return self.related_terms(query)
        text = query.strip()
        if len(text) > self.max_query_chars:
            raise QueryTooLongError(len(text), self.max_query_chars)
        if not WORD.search(text):
            raise EmptyQueryError
        terms = self.analyzer.terms(text)
        if not terms:
            raise StopwordsOnlyError(text)
        return terms

    def too_long(self, query: str) -> bool:
        """Whether ``query`` is over the question limit (search it with ``related=True``)."""
        return len(query.strip()) > self.max_query_chars

    def related_terms(self, text: str) -> list[str]:
        """The ``RELATED_TERMS`` most telling terms of a forwarded or pasted ``text``.

        Terms are chosen by tf·idf against the current index (``retrieval.related``). Only the
        first ``RELATED_CHARS`` characters are read, so a huge paste costs no more than a long
        article. Text with no words, or only stopwords, raises the same errors as a question;
        words the briefings never use leave the list empty, and the search finds nothing.
        """
        head = text[:RELATED_CHARS].strip()
        if not WORD.search(head):
            raise EmptyQueryError
        terms = self.analyzer.terms(head)
        if not terms:
            raise StopwordsOnlyError(head if len(head) <= 60 else head[:60].rstrip() + "…")
        return telling_terms(terms, self._snapshot.index.idf, RELATED_TERMS)

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        offset: int = 0,
        limit: int | None = None,
        related: bool = False,
        min_share: float = MIN_SHARE,
    ) -> SearchResult:
        """Rank the best ``k`` passages, one per article before any second; cite a page of them.

        Ranking is cheap and exact; citing (the answering sentences, highlights) costs most, so
        only the hits from ``offset`` up to ``limit`` of them are cited. Ties in score go to the
        lower passage id, i.e. the earlier ingested passage. With ``related`` the query is a
        message (forwarded, pasted, any length) searched by its most telling terms:
        ``related_terms``. The result is ``abstained`` when the best passage holds less than
        ``min_share`` of the question's rare-word weight (see :mod:`retrieval.answerable`); its
        hits are then the nearest articles, not answers. Raises ``TooManyResultsError`` when
        ``k`` is over ``MAX_RESULTS``.
        """
        started = time.perf_counter()
        if k > MAX_RESULTS:
            raise TooManyResultsError(k, MAX_RESULTS)
        terms = self.query_terms(query, related=related)
        snapshot = self._snapshot
        bonus = self._title_bonus(snapshot, terms)
        deeper = k + min(k, FOLD_DEPTH)
        ranking = diversify(snapshot.index, snapshot.owners, terms, deeper, COUNT_DEPTH, bonus)
        ranked, also = fold_ranked(
            self.store, self.analyzer, snapshot.owners, ranking.passages, k, self.copy_threshold
        )
        # min_share 0 never declines a search that found something; finding nothing always is.
        # A related search is judged only on finding something: a message is not a question,
        # and its nearest briefings are what the reader asked for.
        share = self._share(snapshot, terms, ranked[0][0]) if ranked else 0.0
        abstained = not ranked or (share < min_share and not related)
        stop = len(ranked) if limit is None else offset + limit
        page = ranked[offset:stop]
        # A message is read no further for citing than for its terms: a huge paste costs no more.
        asked = query[:RELATED_CHARS] if related else query
        hits = cite(self.store, self.analyzer, snapshot.index, asked, terms, page, offset + 1)
        hits = [
            replace(h, also=a) if a else h for h, a in zip(hits, also[offset:stop], strict=True)
        ]
        seconds = time.perf_counter() - started
        return SearchResult(
            query,
            tuple(hits),
            len(ranked),
            offset,
            tuple(terms),
            seconds,
            # Folded copies are not results of their own: they leave the count.
            matched=max(ranking.articles - sum(map(len, also)), min(len(ranked), 1)),
            more=ranking.more,
            abstained=abstained,
            share=share,
            related=related,
        )

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
        scores = index.scores(terms, self._title_bonus(snapshot, terms))[since:]
        ceiling = sum(index.idf(term) for term in terms) * (index.params.k1 + 1)
        if snapshot.titles is not None:
            heads = snapshot.titles.index
            ceiling += self.title_weight * sum(heads.idf(t) for t in terms) * (heads.params.k1 + 1)
        floor = max(min_match * ceiling, np.finfo(np.float64).tiny)
        found = np.flatnonzero(scores >= floor)
        order = found[np.lexsort((found, -scores[found]))]
        best: dict[int, tuple[int, float]] = {}
        for local in order.tolist():
            owner = int(snapshot.owners[since + local])
            best.setdefault(owner, (since + local, float(scores[local])))
        return cite(self.store, self.analyzer, index, query, terms, list(best.values()), 1)

    def _share(self, snapshot: _Snapshot, terms: list[str], passage: int) -> float:
        """How much of the question's rare-word weight the passage (and its title) holds."""
        if snapshot.titles is None:
            return match_share(snapshot.index, terms, passage)
        owner = int(snapshot.owners[passage])
        return snapshot.titles.match_share(snapshot.index, terms, passage, owner)

    def _title_bonus(self, snapshot: _Snapshot, terms: list[str]) -> Bonus | None:
        """What the title field adds to the passages of articles whose title matches."""
        if snapshot.titles is None:
            return None
        return snapshot.titles.bonus(terms, self.title_weight)

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

    def check(self) -> IndexCheck:
        """Compare the index with the store now, and say what opening the store repaired."""
        return IndexCheck(
            stored=self.store.count_passages(),
            searchable=self._snapshot.index.n_docs,
            saved=self._saved_at_open,
            repaired=self._repaired,
            save_error=self._save_error,
        )

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
