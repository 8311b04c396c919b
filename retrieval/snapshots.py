"""What one search reads (a ``Snapshot``), and how an engine grows it from the store.

A snapshot is immutable: an ingest or a refresh builds the next one from the last and the
store (``Indexer.catch_up``) and publishes it in one attribute write, so readers never lock.
The indexer also says whether a saved index is this store's own (``Indexer.foreign``): how
the engine decides between loading it, topping it up and rebuilding it is in
:mod:`retrieval.saved_index`. ``Snapshot.title_bonus`` lives here because the title field is
part of what a search reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrieval.bm25 import BM25Params, Index
from retrieval.pipeline import Pipeline
from retrieval.recency import stamps_of
from retrieval.retired import LiveIndex, Mask, retire
from retrieval.store import Store
from retrieval.text import Analyzer
from retrieval.titles import Titles
from retrieval.topk import Bonus

OLDER_INDEX = (
    "it was saved by an older Briefbot, which could misplace passages when two processes "
    "wrote the store"
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one search reads: an index and, per passage, the position of its article.

    ``dead`` marks the passages of replaced or removed articles (None: there are none), of
    which there are ``dead_articles``; ``mark`` is the last store removal it includes.
    """

    index: Index
    owners: np.ndarray
    articles: int
    stamps: np.ndarray
    """Per passage, its article's publication date (``retrieval.recency.stamp``)."""
    dead: Mask | None = None
    dead_articles: int = 0
    mark: int = 0
    titles: Titles | None = None
    """The title field (``retrieval.titles``), or None when titles are words of each passage."""

    def ranked(self) -> Index | LiveIndex:
        """What to rank: the index, without its retired passages if it has any."""
        return self.index if self.dead is None else LiveIndex(self.index, self.dead)

    def title_bonus(self, terms: Sequence[str], weight: float) -> Bonus | None:
        """What the title field adds to the passages of articles whose title matches."""
        if self.titles is None:
            return None
        return self.titles.bonus(terms, weight)


@dataclass(frozen=True, slots=True)
class Indexer:
    """Turns stored passages into snapshots, as the engine that owns it indexes them.

    ``title_field``: titles are scored as a field of their own, not as words of every passage.
    """

    store: Store
    analyzer: Analyzer
    pipeline: Pipeline
    params: BM25Params
    title_field: bool

    def foreign(self, n: int, origin: dict[str, Any] | None, counts: np.ndarray) -> str | None:
        """Why a saved index of ``n`` passages is not exactly this store's first ones, if so."""
        if n == 0:
            return None
        if origin is None:
            return OLDER_INDEX
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

    def catch_up(self, old: Snapshot, own: tuple[int, list[list[str]]] | None = None) -> Snapshot:
        """``old`` plus every stored passage past its index, with each passage's article.

        ``own`` is ``(first passage id, terms of each passage)`` of the batch this engine just
        stored: those terms are used as they are, and only passages other processes stored are
        read back and analysed. The article counts come from one statement, so they cover
        whole batches only; passages stored after it are left to the next call.
        """
        start = old.index.n_docs
        counts, removals = self.store.changes_since(start, old.mark)
        if not counts and not removals:
            return old
        end = start + sum(counts)
        first, terms = own if own is not None else (end, [])
        if not start <= first <= first + len(terms) <= end:
            first, terms = end, []  # cannot happen; reading everything back is still right
        tokens = self.analyze_stored(start, first) + terms
        tokens += self.analyze_stored(first + len(terms), end)
        index = old.index.add(tokens)
        articles = np.arange(old.articles, old.articles + len(counts), dtype=np.int32)
        owners = np.concatenate([old.owners, np.repeat(articles, counts)])
        dead = retire(old.dead, index.n_docs, removals)
        mark = removals[-1].n if removals else old.mark
        retired = old.dead_articles + len(removals)
        dates = self.store.article_dates_from(start, len(counts))
        stamps = np.concatenate([old.stamps, stamps_of(dates, counts)])
        articles_now = old.articles + len(counts)
        titles = old.titles
        if titles is not None:
            heads = self.store.titles_from(start)[: len(counts)]
            titles = titles.add([self.analyzer.terms(head) for head in heads], counts)
        return Snapshot(index, owners, articles_now, stamps, dead, retired, mark, titles)

    def analyze_stored(self, start: int, stop: int) -> list[list[str]]:
        """Index terms of stored passages ``start`` up to ``stop``, as ingest made them."""
        if stop <= start:
            return []
        rows = self.store.passage_texts(start, stop)
        field = self.title_field
        return self.pipeline.analyze([("" if field else title, text) for _, title, text in rows])

    def stored_titles(self, articles: int) -> Titles:
        """The title field of the first ``articles`` stored articles, analysed afresh."""
        titles = Titles.empty(self.params)
        if not articles:
            return titles
        heads = self.store.titles_from(0)[:articles]
        counts = self.store.passage_counts()[:articles]
        return titles.add([self.analyzer.terms(head) for head in heads], counts)
