"""Briefing retrieval: load news articles, store them, and search them with cited excerpts.

A pure, synchronous library: no Telegram, no event loop, no config files. Five lines::

    from retrieval import Article, Engine

    engine = Engine.open()  # in memory; pass a path to keep the store on disk
    engine.ingest([Article(title="Aid talks", text="Ministers discussed weapons for Ukraine.")])
    for hit in engine.search("weapon deliveries").hits:
        print(hit.rank, hit.excerpt, hit.article.title)

Everything a caller (the bot, the command line) may use is exported here and named in
``__all__``; the submodules are internals that may change (``tests/retrieval/test_public_api.py``
pins the list).
"""

from retrieval.answerable import MIN_SHARE
from retrieval.asked_noun import ASKED_WEIGHT
from retrieval.bm25 import SCORERS, BM25Params, Index, Scorer
from retrieval.coverage import COVERAGE
from retrieval.date_intent import PREFER_WEIGHT
from retrieval.engine import MAX_RESULTS, Engine
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
from retrieval.eval_sets import EvalSet, read_set
from retrieval.evaluation import Report, ask, ask_dated, evaluate, report_dict
from retrieval.explain import Explanation, explanation_lines
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
    CitedPassage,
    DateRange,
    EngineStats,
    Hit,
    IndexCheck,
    IngestSummary,
    LoadReport,
    Passage,
    Removed,
    SearchResult,
    Skipped,
    Span,
)
from retrieval.queries import MAX_QUERY_CHARS
from retrieval.query_dates import describe as describe_range
from retrieval.query_form import STATEMENT_SUPPORT
from retrieval.rarity_prior import RARITY_PRIOR
from retrieval.recency import RECENCY, Recency
from retrieval.rerank import PROXIMITY
from retrieval.source_health import MAX_RETRY, past_cap
from retrieval.source_state import SourceRow, SourceState, SourceStatus, saved_rows
from retrieval.sources import PollResult, SourceTracker
from retrieval.sqlite import connect, create_tables, transaction
from retrieval.store_records import Retirement
from retrieval.support import SUPPORT
from retrieval.text import LANGUAGES, Analyzer
from retrieval.titles import TITLE_WEIGHT

__all__ = [
    "ASKED_WEIGHT",
    "COVERAGE",
    "LANGUAGES",
    "MAX_QUERY_CHARS",
    "MAX_RESULTS",
    "MAX_RETRY",
    "MIN_SHARE",
    "PREFER_WEIGHT",
    "PROXIMITY",
    "RARITY_PRIOR",
    "RECENCY",
    "SCORERS",
    "STATEMENT_SUPPORT",
    "SUPPORT",
    "TITLE_WEIGHT",
    "Analyzer",
    "Article",
    "ArticleInfo",
    "BM25Params",
    "BriefbotError",
    "CitedPassage",
    "DateRange",
    "EmptyQueryError",
    "Engine",
    "EngineStats",
    "EvalSet",
    "Explanation",
    "Hit",
    "Index",
    "IndexCheck",
    "IndexLanguageError",
    "IngestSummary",
    "LoadReport",
    "Passage",
    "PollResult",
    "QueryError",
    "QueryTooLongError",
    "Recency",
    "Removed",
    "Report",
    "Retirement",
    "Scorer",
    "SearchResult",
    "Skipped",
    "SourceError",
    "SourceRow",
    "SourceState",
    "SourceStatus",
    "SourceTracker",
    "Span",
    "StopwordsOnlyError",
    "StoreError",
    "TooManyResultsError",
    "ask",
    "ask_dated",
    "connect",
    "create_tables",
    "describe_range",
    "evaluate",
    "explanation_lines",
    "load_feed",
    "load_jsonl",
    "load_location",
    "load_path",
    "load_text",
    "load_url",
    "past_cap",
    "read_set",
    "report_dict",
    "saved_rows",
    "transaction",
]
