"""Turning loaded articles into the batch an ingest stores: cleaned, chunked, signed.

Kept apart from :mod:`retrieval.engine` because none of it needs the engine's lock or
snapshot: an article is made storable, the fresh ones are chunked and analysed (by the
ingest workers) and given their copy signatures, and what cannot be stored is named for the
ingest summary. The engine then stores the batch and indexes it in one locked step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from retrieval.copies import signature
from retrieval.loaders.limits import storable
from retrieval.models import Article, ArticleInfo, Skipped
from retrieval.pipeline import Pipeline
from retrieval.store_records import NewArticle
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
