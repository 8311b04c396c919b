"""Retrieval quality on an eval set: run every question through a fresh engine and score it.

The set is read by :mod:`retrieval.eval_sets` and scored by :mod:`retrieval.eval_metrics`;
this module is the one place a query meets the engine (:func:`ask`), and the run and its
:class:`Report`. The engine is fresh and in memory: an evaluation never touches an operator's
store.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from retrieval.bm25 import Scorer

# From engine, not queries: bench/quality.py loads this module over older revisions too.
from retrieval.engine import MAX_QUERY_CHARS, Engine
from retrieval.errors import QueryError
from retrieval.eval_metrics import Estimate, Outcome, score
from retrieval.eval_sets import EvalQuery, EvalSet
from retrieval.models import SearchResult
from retrieval.recency import RECENCY, Recency

K = 10
"""Results asked for per query: enough for MRR@10 and nDCG@10."""


@dataclass(frozen=True, slots=True)
class Report:
    """One set run through one engine: sizes, timings and every metric that applies."""

    name: str
    articles: int
    duplicates: int
    passages: int
    queries: int
    refused: int
    ingest_seconds: float
    search_seconds: float
    metrics: Mapping[str, Estimate]


# -- running an engine ----------------------------------------------------------------------

Ask = Callable[[Engine, EvalQuery, int], SearchResult]


def ask(engine: Engine, query: EvalQuery, k: int, *, dated: bool = False) -> SearchResult:
    """Search as the bot would: a question, or a text over the limit for related briefings.

    The one place a query meets the engine. With ``dated`` the question's ``date`` is its
    "today" (to its last second), as the bot uses a message's date; otherwise today is now.
    A date range in the question that matches nothing is widened to any date by the engine;
    one whose matches do not answer (the search declines) is followed the way the bot offers:
    by the same question without it. A range only preferred hid nothing, so there is nothing
    to follow: the bot offers no such search then either.
    """
    as_of = _as_of(query.date) if dated else None
    related = engine.too_long(query.text)
    result = engine.search(query.text, k, as_of=as_of, related=related)
    # getattr: bench.quality --before runs this over engines from before preferences.
    kept_to = not result.widened and not getattr(result, "preferred", False)
    if result.date_range is not None and result.abstained and kept_to:
        return engine.search(result.undated, k, as_of=as_of, related=related)
    return result


def ask_dated(engine: Engine, query: EvalQuery, k: int) -> SearchResult:
    """:func:`ask` with the question's date as "today"."""
    return ask(engine, query, k, dated=True)


def _as_of(day: datetime | None) -> datetime | None:
    """The last second of a question's date (UTC when it names no zone); None if undated."""
    if day is None:
        return None
    if day.tzinfo is None:
        day = day.replace(tzinfo=UTC)
    if (day.hour, day.minute, day.second) == (0, 0, 0):
        day = day + timedelta(days=1, seconds=-1)
    return day


def outcome_of(result: SearchResult) -> Outcome:
    """Article ids in order of first occurrence, and the passage and excerpt of every hit."""
    articles = tuple(dict.fromkeys(hit.article.id for hit in result.hits))
    passages = tuple(hit.passage.text for hit in result.hits)
    # ``bench.quality --before`` runs engines from before declining existed: they never decline.
    declined = bool(getattr(result, "abstained", False))
    excerpts = () if declined else tuple(hit.excerpt for hit in result.hits)
    return Outcome(articles, passages, excerpts, declined=declined)


def evaluate(
    data: EvalSet,
    *,
    language: str = "english",
    scorer: Scorer = "lucene",
    max_query_chars: int = MAX_QUERY_CHARS,
    title_weight: float = 0.0,
    article_support: float = 0.0,
    k: int = K,
    ask: Ask = ask,
    progress: Callable[[Iterable[EvalQuery]], Iterable[EvalQuery]] = iter,
    recency: Recency = RECENCY,
    date_preference: float | None = None,
    statement_support: float | None = None,
    coverage: float | None = None,
    asked_weight: float | None = None,
    proximity: float | None = None,
) -> Report:
    """Ingest ``data`` into a fresh in-memory engine, run every query, and score the results.

    ``progress`` wraps the query loop (a progress bar, say). A refused query is a miss.
    ``title_weight`` is the title field's (``retrieval.titles``; 0 keeps titles in passages);
    ``article_support`` the share of an article's second-best passage it ranks by
    (``retrieval.support``; 0 ranks by the best passage alone); ``date_preference`` the
    boost of a relative date range only preferred (``retrieval.date_intent``; None: the
    engine's default, 0: every range filters); ``statement_support`` the share for queries
    that read as statements (``retrieval.query_form``; None: the engine's default);
    ``coverage`` the questions' coverage weight (``retrieval.coverage``; None: the
    engine's default, 0: off); ``asked_weight`` the factor on a question's asked noun
    (``retrieval.asked_noun``; None: the engine's default, 1: off); ``proximity`` the weight of
    the best passages' word proximity (``retrieval.rerank``; None: the engine's default, 0:
    off).
    """
    # bench.quality --before runs this module over engines that had no recency setting or
    # title field: each is passed only when it differs from what those engines did.
    options: dict[str, Any] = {} if recency == RECENCY else {"recency": recency}
    if title_weight:
        options["title_weight"] = title_weight
    if article_support:
        options["article_support"] = article_support
    if date_preference is not None:
        options["date_preference"] = date_preference
    if statement_support is not None:
        options["statement_support"] = statement_support
    if coverage is not None:
        options["coverage"] = coverage
    if asked_weight is not None:
        options["asked_weight"] = asked_weight
    if proximity is not None:
        options["proximity"] = proximity
    engine = Engine.open(
        ":memory:", language=language, scorer=scorer, max_query_chars=max_query_chars, **options
    )
    try:
        started = time.perf_counter()
        summary = engine.ingest(data.articles)
        ingest_seconds = time.perf_counter() - started
        outcomes: list[Outcome] = []
        started = time.perf_counter()
        for query in progress(data.queries):
            try:
                outcomes.append(outcome_of(ask(engine, query, k)))
            except QueryError:
                outcomes.append(Outcome((), (), (), refused=True))
        search_seconds = time.perf_counter() - started
    finally:
        engine.close()
    return Report(
        name=data.name,
        articles=len(summary.added),
        duplicates=summary.duplicates,
        passages=summary.passages,
        queries=len(data.queries),
        refused=sum(outcome.refused for outcome in outcomes),
        ingest_seconds=ingest_seconds,
        search_seconds=search_seconds,
        metrics=score(data, outcomes),
    )


def report_dict(report: Report) -> dict[str, object]:
    """A report as plain JSON-ready data; an undefined figure is ``null``."""

    def number(value: float) -> float | None:
        return None if math.isnan(value) else round(value, 6)

    return {
        "set": report.name,
        "articles": report.articles,
        "duplicates": report.duplicates,
        "passages": report.passages,
        "queries": report.queries,
        "refused": report.refused,
        "ingest_seconds": round(report.ingest_seconds, 3),
        "search_ms": round(1e3 * report.search_seconds / max(report.queries, 1), 3),
        "metrics": {
            name: {"mean": number(e.mean), "ci95": number(e.half_width), "n": e.n}
            for name, e in report.metrics.items()
        },
    }
