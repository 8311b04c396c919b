"""Query preparation: from what a reader typed to the terms a search ranks by.

Kept apart from :mod:`retrieval.engine` because it needs only the analyzer (and, for a
related search, the index's idf), not the store or the snapshots: one reading of a question
serves ``search``, ``explain``, ``watch_hits`` and ``open_passage`` alike, and the errors it
raises are the ones the bot turns into help replies.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from retrieval.errors import EmptyQueryError, QueryTooLongError, StopwordsOnlyError
from retrieval.loaders.markup import html_to_text, looks_like_html
from retrieval.related import RELATED_CHARS, RELATED_TERMS, telling_terms
from retrieval.text import Analyzer

MAX_QUERY_CHARS = 500
"""Longer messages are not questions; searching them would be slow and useless."""

WORD = re.compile(r"[^\W_]")


def plain_query(text: str) -> str:
    """``text`` without HTML markup, cleaned as loaders clean article bodies.

    Markup pasted into a question (a copied snippet of a page) would otherwise make tag and
    attribute names ("div", "href", "class") search words. Only text holding a real tag is
    touched, so "a < b" or "<3" stays as typed.
    """
    return html_to_text(text) if looks_like_html(text) else text


def question_terms(analyzer: Analyzer, query: str, max_chars: int) -> list[str]:
    """Analyze a question, or raise the ``QueryError`` that tells the user what to do instead."""
    text = plain_query(query).strip()
    if len(text) > max_chars:
        raise QueryTooLongError(len(text), max_chars)
    if not WORD.search(text):
        raise EmptyQueryError
    terms = analyzer.terms(text)
    if not terms:
        raise StopwordsOnlyError(text)
    return terms


def too_long(query: str, max_chars: int) -> bool:
    """Whether ``query`` is over the question limit (search it with ``related=True``)."""
    return len(plain_query(query).strip()) > max_chars


def related_terms(analyzer: Analyzer, text: str, idf: Callable[[str], float]) -> list[str]:
    """The ``RELATED_TERMS`` most telling terms of a forwarded or pasted ``text``.

    Terms are chosen by tf·idf (``idf`` of the current index; ``retrieval.related``). Only the
    first ``RELATED_CHARS`` characters are read, so a huge paste costs no more than a long
    article. Text with no words, or only stopwords, raises the same errors as a question.
    """
    head = plain_query(text[:RELATED_CHARS]).strip()
    if not WORD.search(head):
        raise EmptyQueryError
    terms = analyzer.terms(head)
    if not terms:
        raise StopwordsOnlyError(head if len(head) <= 60 else head[:60].rstrip() + "…")
    return telling_terms(terms, idf, RELATED_TERMS)


def example_from(title: str, analyzer: Analyzer) -> str | None:
    """A few content words of ``title`` (a headline), to show people what to ask."""
    words = re.findall(r"[^\W_]{3,}", title)
    content = [w for w in words if w.lower() not in analyzer.stopwords]
    return " ".join(content[:4]) or None
