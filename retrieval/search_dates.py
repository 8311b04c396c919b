"""A search's dates: its "today", the range its question names, and the window it ranks in.

Kept apart from :mod:`retrieval.engine` because ``search``, ``explain`` and the benches that
replay a search must read a question's dates one way and widen a range that matches nothing
one way, and none of it needs the store: only the snapshot's publication dates, the
analyzer and the engine's recency and date preference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from retrieval.date_intent import DateIntent, intent
from retrieval.query_dates import Found, find_dates
from retrieval.ranking import Ranking, diversify
from retrieval.recency import DateWindow, Recency, window
from retrieval.rerank import Rerank
from retrieval.snapshots import Snapshot
from retrieval.text import Analyzer
from retrieval.topk import Bonus


@dataclass(frozen=True, slots=True)
class Reading:
    """A question as a search reads it: its "today", the date range it names (and the words
    left), the terms of those words, and the window ranking applies."""

    today: datetime
    found: Found
    terms: Sequence[str]
    dated: DateIntent


def read_dates(
    snapshot: Snapshot,
    analyzer: Analyzer,
    query: str,
    as_of: datetime | None,
    related: bool,
    terms_of: Callable[[str], list[str]],
    recency: Recency,
    date_preference: float,
) -> Reading:
    """How a search at ``as_of`` (aware; None: now) reads ``query``: a related search names
    no dates, and a question that is only a date is searched by its words after all.

    ``terms_of`` analyses the words left (the engine's ``query_terms``, so its errors are
    the ones a question raises); ``recency`` and ``date_preference`` are the engine's.
    """
    today = datetime.now(UTC) if as_of is None else as_of
    if today.tzinfo is None or today.utcoffset() is None:
        raise ValueError(f"as_of must be timezone-aware, not {today!r}")
    found = Found(None, query) if related else find_dates(query, today)
    if found.phrases and not analyzer.terms(found.rest):
        found = Found(None, query)  # only a date: its words are all there is to search
    terms = terms_of(found.rest)
    dated = intent(snapshot.stamps, today, recency, found, terms, date_preference)
    return Reading(today, found, terms, dated)


def any_date(snapshot: Snapshot, today: datetime, recency: Recency) -> DateWindow:
    """The window of a question with no date in it: everything up to today, the prior on.

    A range kept to (not preferred) that matches nothing is widened to this window.
    """
    return window(snapshot.stamps, today, recency)


def ranked_dated(
    snapshot: Snapshot,
    read: Reading,
    depth: tuple[int, int],
    bonus: Bonus | None,
    support: float,
    recency: Recency,
    coverage: float = 0.0,
    rerank: Rerank | None = None,
) -> tuple[Ranking, bool]:
    """``ranking.diversify`` of ``read``'s terms in its window, to ``depth`` (passages ranked,
    passages counted), and whether the range was widened: when a range kept to (not
    preferred) matches nothing, the question is ranked at any date, and the reader is told.
    ``support``, ``coverage`` and ``rerank`` are ``diversify``'s."""
    ranked, count = depth
    terms, found, dated = read.terms, read.found, read.dated
    ranking = diversify(
        snapshot.ranked(),
        snapshot.owners,
        terms,
        ranked,
        count,
        dated.window,
        bonus,
        support,
        coverage,
        rerank,
    )
    widened = found.range is not None and not dated.preferred and not ranking.passages
    if widened:
        dates = any_date(snapshot, read.today, recency)
        ranking = diversify(
            snapshot.ranked(),
            snapshot.owners,
            terms,
            ranked,
            count,
            dates,
            bonus,
            support,
            coverage,
        )
    return ranking, widened
