"""The engine's reads besides searching: "Why?", query analysis, alerts' matches, articles,
passages, the newest briefings and the index's health.

Kept apart from :mod:`retrieval.engine` (which opens an engine and ranks, declines and cites
a search) as the write side is in :mod:`retrieval.engine_writes`: these are the reads the
bot's commands and buttons make, each of the current snapshot or the store alone. ``search``
reads a question's dates and terms as "Why?" does, with ``_reading``.
:class:`EngineReads` is a base :class:`~retrieval.engine.Engine` builds on; the engine's
constructor sets the attributes declared here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial

from retrieval.asked_noun import asked_terms
from retrieval.coverage import form_coverage
from retrieval.explain import Explanation
from retrieval.index_health import index_check, searchable_articles, sizes, verify
from retrieval.models import ArticleInfo, CitedPassage, EngineStats, Hit, IndexCheck, Passage
from retrieval.passage_view import opened
from retrieval.queries import example_from, plain_query, question_terms, related_terms, too_long
from retrieval.recency import Recency
from retrieval.related import RELATED_CHARS
from retrieval.rerank import second_stage
from retrieval.search_dates import Reading, read_dates
from retrieval.search_explain import explain_read
from retrieval.snapshots import Snapshot
from retrieval.store import Store
from retrieval.store_records import Retirement
from retrieval.support import form_weight
from retrieval.text import Analyzer
from retrieval.watch_matches import watch_matches


class EngineReads:
    """Explain a score, analyse queries, match watches, read articles and passages, report on
    the index."""

    title_weight: float
    max_query_chars: int
    recency: Recency
    date_preference: float
    article_support: float
    statement_support: float
    coverage: float
    asked_weight: float
    proximity: float
    rerank_depth: int
    _store: Store
    _analyzer: Analyzer
    _snapshot: Snapshot
    _saved_at_open: int | None
    _repaired: str | None
    _save_error: str | None

    def _reading(
        self, snapshot: Snapshot, query: str, as_of: datetime | None, related: bool
    ) -> Reading:
        """How ``search`` and ``explain`` read ``query``'s dates and terms at ``as_of``, with
        this engine's recency and date preference (``retrieval.search_dates``), a question's
        asked noun weighed by ``asked_weight`` (``retrieval.asked_noun``)."""
        terms_of = partial(self.query_terms, related=related)
        read = read_dates(
            snapshot, self._analyzer, query, as_of, related, terms_of, self.recency,
            self.date_preference,
        )  # fmt: skip
        if related or self.asked_weight == 1.0:
            return read
        asked = asked_terms(self._analyzer, query, read.terms, self.asked_weight)
        return replace(read, terms=asked)

    def explain(
        self,
        query: str,
        passage_id: int,
        *,
        related: bool = False,
        as_of: datetime | None = None,
    ) -> Explanation | None:
        """Why ``passage_id`` scores what ``search(query, as_of=as_of)`` shows for it, word by
        word, then the recency factor (or the date range) the search applied, what the
        proximity of its question words added when the search reordered it
        (``retrieval.rerank``), and, for a statement, what its article's next best passage
        added to the article's rank.

        None when no searchable passage has that id. Raises the ``QueryError`` of ``search``
        for a question it would not run. See :mod:`retrieval.explain`.
        """
        snapshot = self._snapshot
        query = plain_query(query)
        read = self._reading(snapshot, query, as_of, related)
        support = form_weight(
            query, read.terms, related, self.article_support, self.statement_support
        )
        near = second_stage(
            self._store, self._analyzer, snapshot.index, read.terms, self.proximity,
            titled=snapshot.titles is None, related=related, depth=self.rerank_depth,
        )  # fmt: skip
        return explain_read(
            snapshot, self._store, self._analyzer, read, self.recency, self.title_weight,
            passage_id, related, support, form_coverage(query, related, self.coverage), near,
        )  # fmt: skip

    def retirement(self, passage_id: int) -> Retirement | None:
        """How passage ``passage_id``'s article was replaced or removed; None if it was not."""
        return self._store.retirement(passage_id)

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
        bonus = snapshot.title_bonus(terms, self.title_weight)
        return watch_matches(
            snapshot, self._store, self._analyzer, asked, terms, bonus, self.title_weight,
            since, min_match,
        )  # fmt: skip

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
        terms_of = partial(self.query_terms, query, related=related)
        return opened(passage, article, self._analyzer, terms_of)

    def count_articles(self) -> int:
        """How many articles are searchable."""
        return searchable_articles(self._snapshot)

    def example_query(self) -> str | None:
        """A few content words from the newest headline, to show people what to ask."""
        newest = self._store.latest(1)
        return example_from(newest[0].title, self._analyzer) if newest else None

    def check(self) -> IndexCheck:
        """Compare the index with the store now, and say what opening the store repaired."""
        return index_check(
            self._store, self._snapshot, self._saved_at_open, self._repaired, self._save_error
        )

    def verify_index(self) -> None:
        """Read every posting of the loaded index once; StoreError naming the folder to delete
        if any is damaged. Searches check only the terms they read, at first use
        (``retrieval.postings_checks``): this is for an operator's health check."""
        verify(self._snapshot)

    def stats(self) -> EngineStats:
        """Sizes of the store and the index."""
        return sizes(self._store, self._snapshot)
