"""Turning loaded articles into the batch an ingest stores: cleaned, chunked, signed.

Kept apart from :mod:`retrieval.engine` because none of it needs the engine's lock or
snapshot: an article is made storable, the fresh ones are chunked and analysed (by the
ingest workers) and given their copy signatures, and what cannot be stored is named for the
ingest summary. The engine stores the batch (:func:`store_batch`) and indexes what it stored
in one locked step, then reports it (:func:`summary`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from retrieval.copies import signature
from retrieval.loaders.limits import storable
from retrieval.models import Article, ArticleInfo, IngestSummary, LoadReport, Skipped
from retrieval.pipeline import Pipeline
from retrieval.store import Store
from retrieval.store_records import NewArticle, StoredBatch
from retrieval.text import Analyzer


def storable_article(article: Article) -> Article:
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


def where(article: Article) -> str:
    """How a skipped article is named: its URL, else its id, else its title's start."""
    return article.url or article.id or article.title[:60]


def stored_info(article: Article, id_: str) -> ArticleInfo:
    """``article`` as an ingest summary names it: under the id the store knows it by."""
    return ArticleInfo(id_, article.title, article.date, article.url, article.source)


def new_articles(
    fresh: Sequence[tuple[Article, str, str]],
    pipeline: Pipeline,
    analyzer: Analyzer,
    title_field: bool,
) -> tuple[list[NewArticle], list[list[list[str]]], list[Skipped]]:
    """The fresh ``(article, dedup key, id)`` chunked and signed for the store, each one's
    passages' terms (for the index), and those skipped for having no searchable words.

    Under the ``title_field`` passages are analysed without their title (the title is
    indexed as a field of its own).
    """
    batch: list[NewArticle] = []
    terms_of: list[list[list[str]]] = []
    skipped: list[Skipped] = []
    texts = [("" if title_field else article.title, article.text) for article, _, _ in fresh]
    prepared = pipeline.prepare(texts)
    for (article, key, id_), (spans, terms) in zip(fresh, prepared, strict=True):
        if not any(terms):
            skipped.append(Skipped(where(article), "", "the text has no searchable words"))
            continue
        # Copies are judged on the passage's own words: titles of copies often differ.
        head = 0 if title_field else len(analyzer.terms(article.title))
        signatures = tuple(signature(passage[head:]) for passage in terms)
        batch.append(NewArticle(article, key, id_, tuple(spans), signatures))
        terms_of.append(terms)
    return batch, terms_of, skipped


@dataclass(frozen=True, slots=True)
class Written:
    """What storing one ingest's batch did: the store's account, the terms of the passages
    it stored (to index), the articles it held already, and those it skipped."""

    stored: StoredBatch
    own: list[list[str]]
    unchanged: list[ArticleInfo]
    skipped: list[Skipped]


def store_batch(
    store: Store, pipeline: Pipeline, analyzer: Analyzer, title_field: bool, report: LoadReport
) -> Written:
    """Store ``report``'s new articles and changed versions in one transaction; the engine
    calls it under its write lock and indexes ``Written.own`` before it lets go."""
    skipped = list(report.skipped)
    sorted_ = store.sort([storable_article(a) for a in report.articles])
    for article, reason in sorted_.refused:
        skipped.append(Skipped(where(article), "", reason))
    unchanged = [stored_info(article, id_) for article, id_ in sorted_.stored]
    batch, terms_of, wordless = new_articles(sorted_.fresh, pipeline, analyzer, title_field)
    skipped += wordless
    stored = store.add(batch)
    # Another writer may have stored some of these since ``sort`` looked.
    kept = set(stored.kept)
    unchanged += [
        stored_info(item.article, item.id)
        for position, item in enumerate(batch)
        if position not in kept
    ]
    own = [passage for position in stored.kept for passage in terms_of[position]]
    return Written(stored, own, unchanged, skipped)


def summary(written: Written) -> IngestSummary:
    """The ingest summary of ``written``: new articles apart from replaced versions."""
    stored = written.stored
    replaced = {stored.kept.index(position) for position in stored.replaced}
    added = tuple(info for i, info in enumerate(stored.added) if i not in replaced)
    updated = tuple(info for i, info in enumerate(stored.added) if i in replaced)
    return IngestSummary(added, len(written.unchanged), tuple(written.skipped),
                         len(written.own), stored.first_passage, updated,
                         tuple(written.unchanged))  # fmt: skip
