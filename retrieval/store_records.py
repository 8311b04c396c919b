"""What the store hands to and takes from its callers: how an article is identified (its
dedup key, its id, whether two versions say the same) and the records of a write.

Kept apart from :mod:`retrieval.store` so that what only reads these records (the engine's
evaluation, the retired-passage mask) need not import the SQLite side.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from retrieval.models import Article, ArticleInfo, Span
from retrieval.urls import canonical_url


def dedup_key(article: Article) -> str:
    """Identify an article by canonical URL, else by a hash of its normalised content."""
    if article.url:
        return "url:" + canonical_url(article.url)
    content = unicodedata.normalize("NFKC", f"{article.title}\n{article.text}").casefold()
    return "sha256:" + hashlib.sha256(" ".join(content.split()).encode()).hexdigest()


def same_text(title: str, text: str, other_title: str, other_text: str) -> bool:
    """Whether two versions of an article say the same, whitespace aside (a feed re-rendering
    its markup is not an update)."""
    return " ".join(title.split()) == " ".join(other_title.split()) and " ".join(
        text.split()
    ) == " ".join(other_text.split())


def article_id(article: Article, key: str) -> str:
    """Keep a given id; otherwise derive a short stable one from the dedup key."""
    return article.id or hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article that passed the duplicate check, with its passage spans."""

    article: Article
    key: str
    id: str
    spans: tuple[Span, ...]
    signatures: tuple[bytes, ...] = ()
    """One MinHash signature per passage (``retrieval.copies``), stored with the passages."""


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """What ``Store.add`` stored: the articles it kept, their first passage id, their places."""

    added: tuple[ArticleInfo, ...]
    first_passage: int
    kept: tuple[int, ...]
    """Positions in the batch of the stored articles; the rest were stored meanwhile."""
    replaced: tuple[int, ...] = ()
    """Those of ``kept`` that replaced an older version of themselves."""


@dataclass(frozen=True, slots=True)
class Sorted:
    """A batch sorted against the store before any work is spent on it (see ``Store.sort``)."""

    fresh: list[tuple[Article, str, str]]
    """``(article, dedup key, id)`` of new articles and of changed versions of stored ones."""
    stored: list[tuple[Article, str]]
    """Articles stored already with the same text, with the stored id."""
    refused: list[tuple[Article, str]]
    """Articles that may not be stored, with the reason."""


@dataclass(frozen=True, slots=True)
class Removal:
    """Passages an article retired, in removal order ``n``: what an engine stops returning."""

    n: int
    first_passage: int
    passages: int
    replaced: bool


@dataclass(frozen=True, slots=True)
class Retirement:
    """How a retired passage's article went: replaced (by ``successor``) or removed."""

    title: str
    replaced: bool
    successor: ArticleInfo | None
    successor_first: int | None
