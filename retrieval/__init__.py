"""Briefing retrieval: load news articles, store them, and search them with cited excerpts.

A pure, synchronous library: no Telegram, no event loop, no config files. Five lines::

    from retrieval import Article, Engine

    engine = Engine.open()  # in memory; pass a path to keep the store on disk
    engine.ingest([Article(title="Aid talks", text="Ministers discussed weapons for Ukraine.")])
    for hit in engine.search("weapon deliveries").hits:
        print(hit.rank, hit.excerpt, hit.article.title)
"""

from retrieval.bm25 import BM25Params, Index
from retrieval.engine import MAX_QUERY_CHARS, MAX_RESULTS, Engine
from retrieval.errors import (
    BriefbotError,
    EmptyQueryError,
    IndexLanguageError,
    QueryError,
    QueryTooLongError,
    SourceError,
    StopwordsOnlyError,
    StoreError,
    TooManyResultsError,
)
from retrieval.loaders import (
    load_feed,
    load_jsonl,
    load_location,
    load_path,
    load_text,
    load_url,
)
from retrieval.models import (
    Article,
    ArticleInfo,
    DateRange,
    EngineStats,
    Hit,
    IndexCheck,
    IngestSummary,
    LoadReport,
    Passage,
    SearchResult,
    Skipped,
    Span,
)
from retrieval.text import Analyzer

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_RESULTS",
    "Analyzer",
    "Article",
    "ArticleInfo",
    "BM25Params",
    "BriefbotError",
    "DateRange",
    "EmptyQueryError",
    "Engine",
    "EngineStats",
    "Hit",
    "Index",
    "IndexCheck",
    "IndexLanguageError",
    "IngestSummary",
    "LoadReport",
    "Passage",
    "QueryError",
    "QueryTooLongError",
    "SearchResult",
    "Skipped",
    "SourceError",
    "Span",
    "StopwordsOnlyError",
    "StoreError",
    "TooManyResultsError",
    "load_feed",
    "load_jsonl",
    "load_location",
    "load_path",
    "load_text",
    "load_url",
]
