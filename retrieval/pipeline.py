"""Chunk and analyze article text for the index, across worker processes when it pays.

Analysis is pure Python and holds the interpreter lock, so only processes use a second core.
Starting them costs a fraction of a second, which small batches (a feed poll) cannot repay.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import TypeVar

from retrieval.chunking import chunk
from retrieval.models import Span
from retrieval.text import Analyzer

PARALLEL_MIN_CHARS = 4_000_000
"""Below this much text, starting worker processes costs more than it saves."""

Prepared = tuple[list[Span], list[list[str]]]
"""An article's passage spans and each passage's terms."""

T = TypeVar("T")

_analyzers: dict[str, Analyzer] = {}


def _analyzer(language: str) -> Analyzer:
    """One analyzer, and so one stem cache, per language in each worker process."""
    if language not in _analyzers:
        _analyzers[language] = Analyzer(language)
    return _analyzers[language]


def prepare_texts(texts: Sequence[str], analyzer: Analyzer) -> list[Prepared]:
    """Chunk each article into passages and analyze every passage."""
    terms = analyzer.terms
    prepared = []
    for text in texts:
        spans = chunk(text)
        prepared.append((spans, [terms(span.slice(text)) for span in spans]))
    return prepared


def analyze_texts(texts: Sequence[str], analyzer: Analyzer) -> list[list[str]]:
    """Analyze passages that are already chunked (rebuilding an index from the store)."""
    return [analyzer.terms(text) for text in texts]


def _prepare_part(texts: Sequence[str], language: str) -> list[Prepared]:
    return prepare_texts(texts, _analyzer(language))


def _analyze_part(texts: Sequence[str], language: str) -> list[list[str]]:
    return analyze_texts(texts, _analyzer(language))


def prepare(texts: Sequence[str], analyzer: Analyzer, workers: int) -> list[Prepared]:
    """``prepare_texts``, spread over ``workers`` processes when the batch is big enough."""
    return _spread(_prepare_part, prepare_texts, texts, analyzer, workers)


def analyze(texts: Sequence[str], analyzer: Analyzer, workers: int) -> list[list[str]]:
    """``analyze_texts``, spread over ``workers`` processes when the batch is big enough."""
    return _spread(_analyze_part, analyze_texts, texts, analyzer, workers)


def _spread(
    part: Callable[[Sequence[str], str], list[T]],
    local: Callable[[Sequence[str], Analyzer], list[T]],
    texts: Sequence[str],
    analyzer: Analyzer,
    workers: int,
) -> list[T]:
    """Run ``local`` here, or ``part`` on slices of ``texts`` in worker processes, in order."""
    if workers < 2 or sum(map(len, texts)) < PARALLEL_MIN_CHARS:
        return local(texts, analyzer)
    size = max(1, len(texts) // (workers * 8))
    parts = [texts[i : i + size] for i in range(0, len(texts), size)]
    languages = [analyzer.language] * len(parts)
    # fork is cheap and safe while this is the only thread; with others running (the bot
    # ingests from a worker thread) a forked child could inherit a held lock.
    method = "fork" if threading.active_count() == 1 else "forkserver"
    with ProcessPoolExecutor(workers, mp_context=get_context(method)) as pool:
        return [item for result in pool.map(part, parts, languages) for item in result]
