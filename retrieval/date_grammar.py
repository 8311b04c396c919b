"""Date grammars: the words one language's date expressions are made of, a table per language.

Kept apart from :mod:`retrieval.query_dates` (the parser that compiles a table into patterns)
so that adding a language is adding a table here, without reading the parser. Only English is
written.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Grammar:
    """The words of one language's date expressions."""

    months: dict[str, int]
    short_months: dict[str, int]
    weekdays: dict[str, int]
    openers: dict[str, str]
    """Word before a date -> how it bounds the range: ``in``, ``since``, ``after``,
    ``before``, ``until``."""
    between: tuple[str, str]
    names: tuple[str, ...]
    """Names holding a date word after a word that opens a date ("Mail on Sunday")."""
    today: str
    yesterday: str
    this: str
    last: tuple[str, ...]
    units: dict[str, str]
    recent: tuple[str, ...] = ()
    """Expressions that say only "recently" ("this week"): they leave the search words but
    set no range, and the recency prior, on for a question with no range, prefers recent
    briefings without cutting off the older articles an answer may sit in."""


ENGLISH = Grammar(
    months={name.lower(): n for n, name in enumerate(calendar.month_name) if name},
    short_months={
        "jan": 1,
        "feb": 2,
        "mar": 3,
        "apr": 4,
        "jun": 6,
        "jul": 7,
        "aug": 8,
        "sep": 9,
        "sept": 9,
        "oct": 10,
        "nov": 11,
        "dec": 12,
    },
    weekdays={name.lower(): n for n, name in enumerate(calendar.day_name)},
    openers={
        "in": "in",
        "during": "in",
        "on": "in",
        "since": "since",
        "from": "since",
        "after": "after",
        "before": "before",
        "until": "until",
        "till": "until",
    },
    between=("between", "and"),
    names=("mail on sunday", "times on sunday", "express on sunday", "independent on sunday"),
    today="today",
    yesterday="yesterday",
    this="this",
    last=("last", "past"),
    units={
        "day": "day",
        "days": "day",
        "week": "week",
        "weeks": "week",
        "month": "month",
        "months": "month",
        "year": "year",
        "years": "year",
    },
    # Quiz and reader questions say "this week" of stories up to two weeks old: on the 121
    # such questions of rtqa_news_2024, a seven-day range found the answer first 49 times,
    # a fourteen-day one 51, no range (the prior alone) 54 (``bench.quality``).
    recent=("this week",),
)
