"""Whether a question's date range filters the search or is only preferred.

:mod:`retrieval.query_dates` finds the date expressions of a question and the range they
name; this module decides what the search does with that range. A reader who types
``since:2024-05-01``, "in 2022", "on 7 April 2022", "between 1 May and 7 June" or "since 1 May"
has said which dates they want: the range filters, as before. An expression counted back from
"today" ("yesterday", "last week", "this month", "last Tuesday", "in the past 3 days") is a
weaker statement: news questions say "last week" of a story that broke ten days ago, and a
question asked without its own date (an eval set, a forwarded quiz) reads "last month" from
the wrong today. Such a range is *preferred*: passages dated within it score ``1 +``
:data:`PREFER_WEIGHT` times more, and nothing outside it is dropped.

Measured on ``rtqa_evidence_dev`` (asked as of now, so relative words read from the wrong
today): on its 101 questions with a relative range, the filter found the answer first for
0.188 (±0.077), a preference for 0.347 (±0.093), the same as ignoring the date; on
``rtqa_news_2024`` (asked as of each quiz's date) its 26 such questions' excerpts held the
answer 3 times filtered, 4 preferred (``python -m bench.date_intent``).

A question with few other words keeps the filter: "news yesterday" has nothing but its date to
go on, and preferring yesterday among every briefing that says "news" would bury it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from retrieval.query_dates import Found
from retrieval.recency import DateWindow, Recency, preferring, window
from retrieval.segments import Int64s

PREFER_WEIGHT = 0.25
"""How much more a passage dated within a preferred range scores (a factor ``1 + w``).

R@1 on ``rtqa_evidence_dev``'s 101 questions a preference changes (``bench.date_intent``):
filter .188; weight 0.1 and 0.25 .347, 0.5 .317, 1 .297. The halves agree (even, 45
questions: .378, .378, .333, .311; odd, 56: .321, .321, .304, .286); on rtqa_news_2024's 26
every weight from 0.1 to 1 found the same. 0.25 is the largest weight that lost nothing:
enough to lift a briefing of the named week above an older one matching as well.
"""

PREFER_TERMS = 3
"""Fewest distinct search terms (date words excluded) for a relative range to be only
preferred: with fewer the date is most of the question, and it filters."""

SOFT_KINDS = frozenset({"relative", "recent"})
"""Kinds of expression (``query_dates.KINDS``) a range may be only preferred for. A month or
day without a year ("in March") stays a filter: the reader named the calendar, and preferring
it found one more answer first of rtqa_evidence_dev's 22 such questions (7 instead of 6) and
none more of rtqa_news_2024's 4: no measured reason to second-guess the reader."""


@dataclass(frozen=True, slots=True)
class DateIntent:
    """How one search treats time: the window ranking applies, and whether the question's
    range is only preferred there (``preferred``) rather than kept to."""

    window: DateWindow
    preferred: bool = False


def checked_weight(weight: float) -> float:
    """``weight`` as a float, or ValueError when it is not a finite number >= 0."""
    if not (isinstance(weight, int | float) and math.isfinite(weight) and weight >= 0):
        raise ValueError(f"date_preference must be a number >= 0, not {weight!r}")
    return float(weight)


def prefers(found: Found, terms: Sequence[str], weight: float = PREFER_WEIGHT) -> bool:
    """Whether ``found``'s range should be preferred rather than filter, for a question whose
    search terms are ``terms``; a ``weight`` of 0 always filters (the behaviour before)."""
    if found.range is None or weight <= 0 or not found.kinds:
        return False
    return all(kind in SOFT_KINDS for kind in found.kinds) and len(set(terms)) >= PREFER_TERMS


def intent(
    stamps: Int64s,
    today: datetime,
    recency: Recency,
    found: Found,
    terms: Sequence[str],
    weight: float = PREFER_WEIGHT,
) -> DateIntent:
    """The window of a search at ``today`` for a question read as ``found`` with ``terms``.

    A preferred range keeps the recency prior on, as for a question with no range: the
    preference is one more reason to rank a passage higher, not a change of what is searched.
    """
    span = found.range
    if span is None:
        return DateIntent(window(stamps, today, recency))
    if prefers(found, terms, weight):
        dates = preferring(window(stamps, today, recency), span.since, span.until, weight)
        return DateIntent(dates, preferred=True)
    return DateIntent(window(stamps, today, recency, span.since, span.until))
