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

import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from retrieval.answerable import MIN_SHARE
from retrieval.asked_noun import ASKED_WEIGHT
from retrieval.bm25 import BM25Params, Scorer
from retrieval.copies import THRESHOLD, fold_ranked
from retrieval.coverage import COVERAGE, form_coverage
from retrieval.date_intent import PREFER_WEIGHT, checked_weight
from retrieval.engine_reads import EngineReads
from retrieval.engine_writes import EngineWrites
from retrieval.errors import TooManyResultsError
from retrieval.models import SearchResult
from retrieval.pipeline import Pipeline

# Re-exported: evaluation (also run over older revisions by bench/quality.py) reads it here.
from retrieval.queries import MAX_QUERY_CHARS as MAX_QUERY_CHARS
from retrieval.queries import plain_query
from retrieval.query_form import STATEMENT_SUPPORT
from retrieval.rarity_prior import RARITY_PRIOR, load_prior
from retrieval.recency import RECENCY, Recency
from retrieval.related import RELATED_CHARS
from retrieval.rerank import DEPTH, PROXIMITY, second_stage
from retrieval.saved_index import restore
from retrieval.search_dates import ranked_dated
from retrieval.search_evidence import judged
from retrieval.search_page import cited_page, matched
from retrieval.snapshots import Indexer
from retrieval.store import Store
from retrieval.support import SUPPORT, form_weight
from retrieval.text import Analyzer

MAX_RESULTS = 1000
"""Most results one search ranks: past this nobody reads them, and ranking grows with ``k``."""
FOLD_DEPTH = 10
"""Results ranked past ``k`` so that folding copies away still leaves ``k`` to show."""
COUNT_DEPTH = 120
"""Passages ranked to count the articles a question matched: "N results" is exact up to here."""


class Engine(EngineWrites, EngineReads):
    """Ingest briefings, search them, list the newest: the whole of ``retrieval`` in one object.

    Its write side (``ingest``, ``remove``, ``refresh``, ``save_index``) is
    :class:`~retrieval.engine_writes.EngineWrites`; its reads besides ``search`` ("Why?",
    query analysis, watches, articles, passages, health) are
    :class:`~retrieval.engine_reads.EngineReads`.
    """

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
        coverage: float = COVERAGE,
        rarity_prior: float = RARITY_PRIOR,
        asked_weight: float = ASKED_WEIGHT,
        proximity: float = PROXIMITY,
    ) -> None:
        for name, value in (("title_weight", title_weight), ("article_support", article_support),
                            ("statement_support", statement_support),
                            ("coverage", coverage), ("rarity_prior", rarity_prior),
                            ("asked_weight", asked_weight), ("proximity", proximity)):  # fmt: skip
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number >= 0, not {value!r}")
        self.article_support = float(article_support)
        """Weight of an article's second-best passage for questions (``retrieval.support``)."""
        self.statement_support = float(statement_support)
        """The same for statements: headlines, leads, pastes (``retrieval.query_form``)."""
        self.coverage = float(coverage)
        """Weight of a passage's share of a question's words (``retrieval.coverage``); 0: off."""
        self.asked_weight = float(asked_weight)
        """Factor on the weight of a question's asked noun (``retrieval.asked_noun``); 1: off."""
        self.proximity = float(proximity)
        """Weight of the best passages' word proximity (``retrieval.rerank``); 0: off."""
        self.rerank_depth = DEPTH
        """How many of the best passages the proximity reorders (``retrieval.rerank``)."""
        self.title_weight = float(title_weight)
        self.rarity_prior = float(rarity_prior)
        """Passages English at large counts as when declining weighs rarity (0: the store's)."""
        self._prior = load_prior(analyzer.language, self.rarity_prior)
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
        coverage: float = COVERAGE,
        rarity_prior: float = RARITY_PRIOR,
        asked_weight: float = ASKED_WEIGHT,
        proximity: float = PROXIMITY,
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
        keeps to every range. A question's passages are scored by the share of its words they
        hold to the power ``coverage`` too (``retrieval.coverage``); 0 turns that off. Declining
        weighs a word's rarity in the store drawn towards its rarity in English at large, as
        if the store held ``rarity_prior`` more passages (``retrieval.rarity_prior``); 0 weighs
        the store's alone, as do languages without a table. The noun a question asks for
        ("which country") weighs ``asked_weight`` times its idf (``retrieval.asked_noun``); 1
        weighs it as any word, 0 drops it. The best passages are reordered with ``proximity``
        times how closely they hold the question's adjacent words (``retrieval.rerank``); 0
        ranks by BM25 alone.
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
                coverage=coverage,
                rarity_prior=rarity_prior,
                asked_weight=asked_weight,
                proximity=proximity,
            )
        except BaseException:
            store.close()
            raise

    @property
    def store_path(self) -> str:
        """Where the store is (":memory:" for none): others keep their own tables in that file."""
        return self._store.path

    def close(self) -> None:
        """Stop ingest worker processes and release the store."""
        self._pipeline.close()
        self._store.close()

    # -- reading ----------------------------------------------------------------------------

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
        read = self._reading(snapshot, query, as_of, related)
        terms, found, dated = read.terms, read.found, read.dated
        bonus = snapshot.title_bonus(terms, self.title_weight)
        support = form_weight(query, terms, related, self.article_support, self.statement_support)
        deeper = (k + min(k, FOLD_DEPTH), COUNT_DEPTH)
        covers = form_coverage(query, related, self.coverage)
        store, analyzer = self._store, self._analyzer
        near = second_stage(
            store, analyzer, snapshot.index, terms, self.proximity,
            titled=snapshot.titles is None, related=related, depth=self.rerank_depth,
        )  # fmt: skip
        ranking, widened = ranked_dated(
            snapshot, read, deeper, bonus, support, self.recency, covers, near
        )
        ranked, also = fold_ranked(
            store, analyzer, snapshot.owners, ranking.passages, k, self.copy_threshold
        )
        share, abstained = judged(
            store, analyzer, snapshot, terms, ranked, ranking.top, related, min_share, self._prior
        )
        # A message is read no further for citing than for its terms: a huge paste costs no more.
        asked = query[:RELATED_CHARS] if related else query
        hits = cited_page(store, analyzer, snapshot, asked, terms, ranked, also, offset, limit)
        seconds = time.perf_counter() - started
        return SearchResult(
            query,
            tuple(hits),
            len(ranked),
            offset,
            tuple(terms),
            seconds,
            matched=matched(ranking.articles, ranked, also),
            more=ranking.more,
            abstained=abstained,
            share=share,
            related=related,
            date_range=found.range,
            undated=found.rest if found.range is not None else "",
            as_of=read.today,
            widened=widened,
            preferred=dated.preferred,
        )
