"""The search engine: store, analyzer and BM25 index behind one small, thread-safe object.

Readers never lock: a search takes the current snapshot (:mod:`retrieval.snapshots`) in one
attribute read, and an ingest publishes a new snapshot only after its store transaction has
committed, so every passage a search can return is already stored.

Several processes may share one store, and several may write it (``briefbot ingest`` beside a
running bot). The store assigns passage ids inside each batch's write transaction; the index
only ever grows by the stored passages that follow its last one, in id order, read back from
the store, so it can never skip or misattribute a passage another process stored. An ingest
indexes its own batch from the terms it just computed and everything else it finds past its
index by reading and analysing it; ``refresh`` does the latter alone. Read-only engines (bot
workers) never write; they ``refresh`` to index what the writers have stored since.

The saved index records which store passages it holds; opening a store checks that record
and indexes what the saved copy lacks, or rebuilds it (:mod:`retrieval.saved_index`).

A changed article under a stored URL replaces the stored version, and an operator may remove
articles: the store retires the old passages in the same transaction (see
:mod:`retrieval.store`), and every engine masks them out (:mod:`retrieval.retired`) as soon as
it catches up, which reads new passages and new removals in one consistent view.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from retrieval.answerable import MIN_SHARE, could_tip, declines
from retrieval.bm25 import BM25Params, Index, Scorer
from retrieval.copies import THRESHOLD, fold_ranked
from retrieval.date_intent import PREFER_WEIGHT, DateIntent, checked_weight, intent
from retrieval.errors import (
    QueryError,
    StoreError,
    TooManyResultsError,
)
from retrieval.explain import Explanation, date_factors, explain_passage, title_factor
from retrieval.highlight import highlight_spans
from retrieval.ingest_batch import new_articles, storable_article, stored_info, where
from retrieval.models import (
    Article,
    ArticleInfo,
    CitedPassage,
    EngineStats,
    Hit,
    IndexCheck,
    IngestSummary,
    LoadReport,
    Passage,
    Removed,
    SearchResult,
    Skipped,
)
from retrieval.pipeline import Pipeline

# Re-exported: evaluation (also run over older revisions by bench/quality.py) reads it here.
from retrieval.queries import MAX_QUERY_CHARS as MAX_QUERY_CHARS
from retrieval.queries import (
    plain_query,
    question_terms,
    related_terms,
    too_long,
)
from retrieval.query_dates import Found, find_dates
from retrieval.query_form import STATEMENT_SUPPORT
from retrieval.ranking import cite, diversify
from retrieval.recency import RECENCY, DateWindow, Recency, window
from retrieval.related import RELATED_CHARS
from retrieval.saved_index import restore, save
from retrieval.search_evidence import passage_evidence, stored_scatter
from retrieval.snapshots import Indexer, Snapshot
from retrieval.store import Store
from retrieval.store_records import Retirement
from retrieval.support import SUPPORT, form_weight
from retrieval.text import Analyzer
from retrieval.topk import Bonus
from retrieval.watch_matches import watch_matches

log = logging.getLogger(__name__)

MAX_RESULTS = 1000
"""Most results one search ranks: past this nobody reads them, and ranking grows with ``k``."""
FOLD_DEPTH = 10
"""Results ranked past ``k`` so that folding copies away still leaves ``k`` to show."""
COUNT_DEPTH = 120
"""Passages ranked to count the articles a question matched: "N results" is exact up to here."""


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
        recency: Recency = RECENCY,
        title_weight: float = 0.0,
        copy_threshold: float = THRESHOLD,
        article_support: float = SUPPORT,
        date_preference: float = PREFER_WEIGHT,
        statement_support: float = STATEMENT_SUPPORT,
    ) -> None:
        for name, value in (("title_weight", title_weight), ("article_support", article_support),
                            ("statement_support", statement_support)):  # fmt: skip
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number >= 0, not {value!r}")
        self.article_support = float(article_support)
        """Weight of an article's second-best passage for questions (``retrieval.support``)."""
        self.statement_support = float(statement_support)
        """The same for statements: headlines, leads, pastes (``retrieval.query_form``)."""
        self.title_weight = float(title_weight)
        self.date_preference = checked_weight(date_preference)
        """Boost of a relative range only preferred (``retrieval.date_intent``); 0: it filters."""
        self.copy_threshold = copy_threshold
        """Signature agreement from which passages are copies (``retrieval.copies``); >1: off."""
        self._store = store
        self.recency = recency
        self.read_only = read_only
        self._analyzer = analyzer
        self.params = params
        self.max_query_chars = max_query_chars
        self.index_dir = index_dir
        self._pipeline = Pipeline(analyzer, workers)
        self._indexer = Indexer(store, analyzer, self._pipeline, params, self.title_field)
        self._write_lock = threading.Lock()
        restored = restore(self._indexer, index_dir, read_only)
        self._saved_at_open = restored.saved_at_open
        self._repaired = restored.repaired
        self._save_error = restored.save_error
        self._snapshot = restored.snapshot

    @classmethod
    def open(
        cls,
        path: str | Path = ":memory:",
        *,
        language: str = "english",
        scorer: Scorer = "lucene",
        max_query_chars: int = MAX_QUERY_CHARS,
        workers: int = 2,
        read_only: bool = False,
        recency: Recency = RECENCY,
        title_weight: float = 0.0,
        copy_threshold: float = THRESHOLD,
        article_support: float = SUPPORT,
        date_preference: float = PREFER_WEIGHT,
        statement_support: float = STATEMENT_SUPPORT,
    ) -> Engine:
        """Open (or create) a store; the index is loaded from beside it, or rebuilt if missing.

        A ``read_only`` engine never writes the index or ingests: it is for a process that
        searches a store another process keeps, and it catches up with ``refresh``. It raises
        ``IndexLanguageError`` for a store indexed in another ``language``, which only a
        writer may re-index. ``recency`` sets the preference for recent briefings
        (``retrieval.recency``). A ``title_weight`` above 0 scores titles as a field of their
        own (``retrieval.titles``) instead of as words of every passage; switching between the
        two rebuilds the index. Passages of other articles whose signatures agree on
        ``copy_threshold`` of their entries fold into one result (``retrieval.copies``); a
        threshold above 1 never folds. Articles rank by their best passage plus
        ``article_support`` (scaled by the question's length) times their second best
        (``retrieval.support``); 0 ranks them by their best passage alone. A query that reads
        as a statement, not a question, gets ``statement_support`` instead
        (``retrieval.query_form``). A date range counted back from today ("last week") is
        preferred by ``date_preference`` rather than kept to (``retrieval.date_intent``); 0
        keeps to every range.
        """
        store = Store(path, readonly=read_only)
        index_dir = None if str(path) == ":memory:" else Path(f"{path}.index")
        params = BM25Params(scorer=scorer)
        try:
            return cls(
                store,
                Analyzer(language),
                params,
                max_query_chars=max_query_chars,
                index_dir=index_dir,
                workers=workers,
                read_only=read_only,
                recency=recency,
                title_weight=title_weight,
                copy_threshold=copy_threshold,
                article_support=article_support,
                date_preference=date_preference,
                statement_support=statement_support,
            )
        except BaseException:
            store.close()
            raise

    @property
    def store_path(self) -> str:
        """Where the store is (":memory:" for none): others keep their own tables in that file."""
        return self._store.path

    @property
    def title_field(self) -> bool:
        """Whether titles are a field of their own rather than words of every passage."""
        return self.title_weight > 0

    def close(self) -> None:
        """Stop ingest worker processes and release the store."""
        self._pipeline.close()
        self._store.close()

    # -- building ---------------------------------------------------------------------------

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
        skipped = list(report.skipped)
        with self._write_lock:
            sorted_ = self._store.sort([storable_article(a) for a in report.articles])
            for article, reason in sorted_.refused:
                skipped.append(Skipped(where(article), "", reason))
            unchanged = [stored_info(article, id_) for article, id_ in sorted_.stored]
            batch, terms_of, wordless = new_articles(
                sorted_.fresh, self._pipeline, self._analyzer, self.title_field
            )
            skipped += wordless
            stored = self._store.add(batch)
            # Another writer may have stored some of these since ``sort`` looked.
            kept = set(stored.kept)
            unchanged += [
                stored_info(item.article, item.id)
                for position, item in enumerate(batch)
                if position not in kept
            ]
            own = [passage for position in stored.kept for passage in terms_of[position]]
            old = self._snapshot
            self._snapshot = self._indexer.catch_up(old, (stored.first_passage, own))
            if persist and self._snapshot.index is not old.index:
                self._save(self._snapshot.index)
        replaced = {stored.kept.index(position) for position in stored.replaced}
        added = tuple(info for i, info in enumerate(stored.added) if i not in replaced)
        updated = tuple(info for i, info in enumerate(stored.added) if i in replaced)
        return IngestSummary(added, len(unchanged), tuple(skipped), len(own),
                             stored.first_passage, updated, tuple(unchanged))  # fmt: skip

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

    def retirement(self, passage_id: int) -> Retirement | None:
        """How passage ``passage_id``'s article was replaced or removed; None if it was not."""
        return self._store.retirement(passage_id)

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

    # -- reading ----------------------------------------------------------------------------

    def query_terms(self, query: str, *, related: bool = False) -> list[str]:
        """Analyze a query, or raise the ``QueryError`` that tells the user what to do instead.

        With ``related`` the query is a message to find related briefings for, of any length:
        see ``related_terms``.
        """
        if related:
            return self.related_terms(query)
        return question_terms(self._analyzer, query, self.max_query_chars)

    def too_long(self, query: str) -> bool:
        """Whether ``query`` is over the question limit (search it with ``related=True``)."""
        return too_long(query, self.max_query_chars)

    def related_terms(self, text: str) -> list[str]:
        """The ``RELATED_TERMS`` most telling terms of a forwarded or pasted ``text``.

        Terms are chosen by tf·idf against the current index (``retrieval.related``). Only the
        first ``RELATED_CHARS`` characters are read, so a huge paste costs no more than a long
        article. Text with no words, or only stopwords, raises the same errors as a question;
        words the briefings never use leave the list empty, and the search finds nothing.
        """
        return related_terms(self._analyzer, text, self._snapshot.index.idf)

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        as_of: datetime | None = None,
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
        ``related_terms``. The result is ``abstained`` when the best passage holds less of the
        question's rare-word weight than the question needs, given its unknown words, how
        much the best passages' scores vary and how scattered its words are over the best
        passage's sentences (:mod:`retrieval.answerable`; ``min_share`` shifts the bar, 0 turns
        it off); its hits are then the nearest articles, not answers. Raises
        ``TooManyResultsError`` when ``k`` is over ``MAX_RESULTS``. Markup in ``query`` is
        dropped first (``plain_query``).

        ``as_of`` (aware; default now) is the question's "today": briefings published after it
        are never returned, and with no date in the question recent ones are preferred
        (``retrieval.recency``). Date expressions in a question ("since 1 May", "last week",
        ``since:2024-05-01``; ``retrieval.query_dates``) keep the search to that range and are
        not searched as words; ``date_range`` in the result says which range was used. A range
        that no briefing matches is widened: the same words are searched at any date and the
        result is ``widened``, so the reader gets the nearest answer and is told its dates.
        A range counted back from today is only ``preferred`` (``retrieval.date_intent``).
        """
        started = time.perf_counter()
        if k > MAX_RESULTS:
            raise TooManyResultsError(k, MAX_RESULTS)
        query = plain_query(query)  # shown back and cited from as the tags-free text
        snapshot = self._snapshot
        today, found, terms, dated = self._dated(snapshot, query, as_of, related)
        dates = dated.window
        bonus = self._title_bonus(snapshot, terms)
        deeper = k + min(k, FOLD_DEPTH)
        support = form_weight(query, terms, related, self.article_support, self.statement_support)
        ranking = diversify(
            snapshot.ranked(), snapshot.owners, terms, deeper, COUNT_DEPTH, dates, bonus, support
        )
        widened = found.range is not None and not dated.preferred and not ranking.passages
        if widened:  # nothing in the range matches: the question at any date, and say so
            dates = self._any_date(snapshot, today)
            ranking = diversify(
                snapshot.ranked(), snapshot.owners, terms, deeper, COUNT_DEPTH, dates, bonus,
                support,
            )  # fmt: skip
        ranked, also = fold_ranked(
            self._store, self._analyzer, snapshot.owners, ranking.passages, k, self.copy_threshold
        )
        # min_share 0 never declines a search that found something; finding nothing always is.
        # A related search is judged only on finding something: a message is not a question,
        # and its nearest briefings are what the reader asked for.
        share, abstained = 0.0, not ranked
        if ranked:
            weighed = passage_evidence(snapshot, terms, ranked[0][0], ranking.top)
            if not related and could_tip(weighed, len(set(terms)), min_share):
                read = stored_scatter(self._store, self._analyzer, snapshot, terms, ranked[0][0])
                weighed = replace(weighed, scatter=read)
            share = weighed.share
            abstained = declines(weighed, min_share) and not related
        stop = len(ranked) if limit is None else offset + limit
        page = ranked[offset:stop]
        # A message is read no further for citing than for its terms: a huge paste costs no more.
        asked = query[:RELATED_CHARS] if related else query
        hits = cite(self._store, self._analyzer, snapshot.index, asked, terms, page, offset + 1)
        # Matched by passage: citing drops a hit whose article another process just removed.
        copies = {pid: a for (pid, _), a in zip(ranked, also, strict=True) if a}
        hits = [
            replace(h, also=copies[key]) if (key := (h.ranked or h.passage).id) in copies else h
            for h in hits
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
            date_range=found.range,
            undated=found.rest if found.range is not None else "",
            as_of=today,
            widened=widened,
            preferred=dated.preferred,
        )

    def _dated(
        self, snapshot: Snapshot, query: str, as_of: datetime | None, related: bool
    ) -> tuple[datetime, Found, list[str], DateIntent]:
        """A search's "today", the date range its question names (and the words left), their
        terms, and the window ranking applies: one reading for ``search`` and ``explain``."""
        today = datetime.now(UTC) if as_of is None else as_of
        if today.tzinfo is None or today.utcoffset() is None:
            raise ValueError(f"as_of must be timezone-aware, not {today!r}")
        found = Found(None, query) if related else find_dates(query, today)
        if found.phrases and not self._analyzer.terms(found.rest):
            found = Found(None, query)  # only a date: its words are all there is to search
        terms = self.query_terms(found.rest, related=related)
        dated = intent(snapshot.stamps, today, self.recency, found, terms, self.date_preference)
        return today, found, terms, dated

    def _any_date(self, snapshot: Snapshot, today: datetime) -> DateWindow:
        """The window of a question with no date in it: everything up to today, the prior on."""
        return window(snapshot.stamps, today, self.recency)

    def explain(
        self,
        query: str,
        passage_id: int,
        *,
        related: bool = False,
        as_of: datetime | None = None,
    ) -> Explanation | None:
        """Why ``passage_id`` scores what ``search(query, as_of=as_of)`` shows for it, word by
        word, then the recency factor (or the date range) the search applied.

        None when no searchable passage has that id. Raises the ``QueryError`` of ``search``
        for a question it would not run. See :mod:`retrieval.explain`.
        """
        query = plain_query(query)
        snapshot = self._snapshot
        today, found, terms, dated = self._dated(snapshot, query, as_of, related)
        dates, named = dated.window, found.range
        # As search does: a range (kept to, not preferred) that matches nothing is widened.
        if named is not None and not dated.preferred:
            ids, _ = snapshot.ranked().top_k(terms, 1, dates, self._title_bonus(snapshot, terms))
            if not len(ids):
                dates, named = self._any_date(snapshot, today), None
        index = snapshot.index
        if not 0 <= passage_id < index.n_docs:
            return None
        rows = list(self._store.passage_texts(passage_id, passage_id + 1))
        if not rows:
            return None
        _, title, text = rows[0]
        asked = found.rest[:RELATED_CHARS] if related else found.rest
        explained = explain_passage(index, self._analyzer, asked, terms, passage_id, title, text)
        bonus = self._title_bonus(snapshot, terms)
        factors = [title_factor(bonus, self.title_weight, passage_id)]
        factors += date_factors(dates, passage_id, named, dated.preferred)
        kept = tuple(factor for factor in factors if factor is not None)
        return replace(explained, factors=kept) if kept else explained

    def watch_hits(self, query: str, since: int, min_match: float) -> list[Hit]:
        """Passages with id >= ``since`` that match a saved query well enough to alert on.

        ``min_match`` is a fraction of the highest score the query's words could reach in
        any passage (every word present, saturated): 0.3 roughly means "most of the words,
        or the rare ones". Only the best passage of each article is returned, best first.
        Uses the query analysis and scores of ``search``; a query over the question limit is
        watched by its most telling terms, as ``search(related=True)`` searches it.
        """
        query = plain_query(query)
        related = self.too_long(query)
        terms = self.query_terms(query, related=related)
        snapshot = self._snapshot
        if since >= snapshot.index.n_docs:
            return []
        asked = query[:RELATED_CHARS] if related else query
        bonus = self._title_bonus(snapshot, terms)
        return watch_matches(
            snapshot, self._store, self._analyzer, asked, terms, bonus, self.title_weight,
            since, min_match,
        )  # fmt: skip

    def _title_bonus(self, snapshot: Snapshot, terms: list[str]) -> Bonus | None:
        """What the title field adds to the passages of articles whose title matches."""
        if snapshot.titles is None:
            return None
        return snapshot.titles.bonus(terms, self.title_weight)

    def latest(self, n: int = 10, offset: int = 0) -> list[ArticleInfo]:
        """The newest ``n`` articles by date (undated last), skipping ``offset``."""
        return self._store.latest(n, offset)

    def article(self, article_id: str) -> ArticleInfo | None:
        """Metadata of one stored article, or None."""
        return self._store.articles([article_id]).get(article_id)

    def passage(self, passage_id: int) -> Passage | None:
        """One stored passage, or None; an article's passages have consecutive ids."""
        found = self._store.passages([passage_id])
        return found[0] if found else None

    def open_passage(
        self, passage_id: int, query: str = "", *, related: bool = False
    ) -> CitedPassage | None:
        """Passage ``passage_id`` whole, with ``query``'s words highlighted, or None.

        None when no passage or article has that id. A query the engine would not run (empty,
        too long, only stopwords) highlights nothing instead of failing: the passage is still
        worth showing. ``related`` reads ``query`` as ``search(..., related=True)`` does.
        """
        passage = self.passage(passage_id)
        article = self.article(passage.article_id) if passage else None
        if passage is None or article is None:
            return None
        try:
            terms = self.query_terms(query, related=related)
        except QueryError:
            terms = []
        spans = highlight_spans(passage.text, set(terms), self._analyzer)
        previous = passage.id - 1 if passage.ordinal > 0 else None
        # Passages of one article have consecutive ids.
        following = passage.id + 1 if passage.ordinal < article.passages - 1 else None
        return CitedPassage(passage, article, spans, previous, following)

    def count_articles(self) -> int:
        """How many articles are searchable."""
        return self._snapshot.articles - self._snapshot.dead_articles

    def example_query(self) -> str | None:
        """A few content words from the newest headline, to show people what to ask."""
        newest = self._store.latest(1)
        if not newest:
            return None
        words = re.findall(r"[^\W_]{3,}", newest[0].title)
        content = [w for w in words if w.lower() not in self._analyzer.stopwords]
        return " ".join(content[:4]) or None

    def check(self) -> IndexCheck:
        """Compare the index with the store now, and say what opening the store repaired."""
        return IndexCheck(
            stored=self._store.count_passages(),
            searchable=self._snapshot.index.n_docs,
            saved=self._saved_at_open,
            repaired=self._repaired,
            save_error=self._save_error,
        )

    def verify_index(self) -> None:
        """Read every posting of the loaded index once; StoreError naming the folder to delete
        if any is damaged. Searches check only the terms they read, at first use
        (``retrieval.postings_checks``): this is for an operator's health check."""
        snapshot = self._snapshot
        snapshot.index.check_all()
        if snapshot.titles is not None:
            snapshot.titles.index.check_all()

    def stats(self) -> EngineStats:
        """Sizes of the store and the index."""
        snapshot = self._snapshot
        return EngineStats(
            articles=snapshot.articles - snapshot.dead_articles,
            passages=snapshot.index.n_docs,
            vocabulary=snapshot.index.vocabulary_size,
            store_bytes=self._store.size_bytes(),
            index_bytes=snapshot.index.nbytes,
            retired=0 if snapshot.dead is None else int(np.count_nonzero(snapshot.dead)),
        )
