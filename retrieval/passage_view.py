"""A stored passage opened whole for the reader ("read more"): highlighted, with neighbours.

Kept apart from :mod:`retrieval.engine` because opening a passage is not a search: the
engine looks the passage and its article up in the store, and this highlights the question's
words in it (:mod:`retrieval.highlight`) and names the passages before and after it, so a
reader can page through the article without knowing how ids are assigned.
"""

from __future__ import annotations

from collections.abc import Callable

from retrieval.errors import QueryError
from retrieval.highlight import highlight_spans
from retrieval.models import ArticleInfo, CitedPassage, Passage
from retrieval.text import Analyzer


def opened(
    passage: Passage,
    article: ArticleInfo,
    analyzer: Analyzer,
    terms_of: Callable[[], list[str]],
) -> CitedPassage:
    """``passage`` of ``article`` whole, ``terms_of()``'s words highlighted; a question the
    engine would not run (``QueryError``) highlights nothing: the passage is still worth
    showing."""
    try:
        terms = terms_of()
    except QueryError:
        terms = []
    spans = highlight_spans(passage.text, set(terms), analyzer)
    previous = passage.id - 1 if passage.ordinal > 0 else None
    # Passages of one article have consecutive ids.
    following = passage.id + 1 if passage.ordinal < article.passages - 1 else None
    return CitedPassage(passage, article, spans, previous, following)
