"""Date expressions in questions: "since 1 May", "last week", ``until:2024-06-01``.

:func:`find_dates` turns the date expressions of a question into one :class:`DateRange`
(``since`` inclusive, ``until`` exclusive, both aware, in the zone of the search's "today")
and returns the question without them, so "debt relief since:2024-05-01" searches "debt
relief" among briefings published from 1 May 2024 on. "This week" sets no range: it leaves
the words, and the recency prior (on whenever a question has no range) prefers the week's
briefings without cutting off the older articles a quiz answer often sits in.

The grammar is a table per language (:class:`~retrieval.date_grammar.Grammar`, kept in
:mod:`retrieval.date_grammar`): month and weekday names and the words that open each kind of
expression. Only English is written; another language is one more table. This module compiles
a table into patterns and finds them; :mod:`retrieval.date_periods` says which days a match
covers. A date word alone is never a date: "March of the Penguins", "Theresa May", "the
January 6 insurrection" and "USA Today" stay search words. A month or day counts only after a
word that opens a date ("in", "on", "since", ...), and not when a capitalised word, "of the"
or "'s" follows it (a name); "may" in lower case is the verb; a relative word ("today")
counts only when it is not capitalised inside a sentence; names that hold an opener ("The
Mail on Sunday") are listed. Without a year, a month or day means its latest occurrence up to
"today". False positives over all 7,992 dev questions: ``python -m bench.query_dates``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from retrieval.date_grammar import ENGLISH, Grammar
from retrieval.date_periods import date_period, period_bounds
from retrieval.models import DateRange


@dataclass(frozen=True, slots=True)
class Found:
    """A question's date range (None when it names no date) and its remaining words.

    ``phrases`` are the date expressions taken out of ``rest``; a phrase that only says
    "recently" (:attr:`Grammar.recent`) is taken out without setting a range. ``kinds`` says
    what each phrase is, in the same order (:data:`KINDS`): :mod:`retrieval.date_intent`
    decides from them whether the range filters or is only preferred.
    """

    range: DateRange | None
    rest: str
    phrases: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    @property
    def relative(self) -> bool:
        """Whether every date expression counts back from "today" ("last week", "yesterday")."""
        return bool(self.kinds) and all(kind in ("relative", "recent") for kind in self.kinds)


KINDS = {
    "operator": "since:2024-05-01 or until:2024-06-01, typed as a search operator",
    "absolute": 'a date with its year ("on 7 April 2022", "in 2022"), or "between A and B"',
    "bound": 'a date without a year that a range starts or ends at ("since 1 May")',
    "yearless": 'a day or month without a year ("in March", "on 7 April")',
    "relative": 'counted back from "today" ("yesterday", "last month", "in the past 3 days")',
    "recent": 'says only "recently" ("this week"): no range',
}
"""What a date expression can be, in words (``Found.kinds``)."""


_OPERATOR = re.compile(r"(?<!\S)(since|until):(\d{4})-(\d{1,2})-(\d{1,2})(?!\S)", re.IGNORECASE)


def find_dates(question: str, today: datetime, grammar: Grammar = ENGLISH) -> Found:
    """The date range a question asks for, relative to ``today`` (aware), and its other words.

    Several expressions narrow each other ("since May ... before June"). A range that is
    empty or lies wholly after ``today`` is still returned: the search then says nothing
    matched, which is the truth.
    """
    day = today.date()
    since: date | None = None
    until: date | None = None
    phrases: list[str] = []
    kinds: list[str] = []
    spans: list[tuple[int, int]] = []

    def narrow(low: date | None, high: date | None) -> None:
        nonlocal since, until
        if low is not None:
            since = low if since is None else max(since, low)
        if high is not None:
            until = high if until is None else min(until, high)

    for name in grammar.names:  # "The Mail on Sunday" is a newspaper, not a day
        for match in re.finditer(rf"\b{re.escape(name)}\b", question, re.IGNORECASE):
            spans.append(match.span())
    named = len(spans)
    for match in _OPERATOR.finditer(question):
        try:
            when = date(int(match[2]), int(match[3]), int(match[4]))
        except ValueError:
            continue  # since:2024-02-31 is not a date: left as words
        kind = match[1].lower()
        narrow(when if kind == "since" else None, when if kind == "until" else None)
        phrases.append(match[0])
        kinds.append("operator")
        spans.append(match.span())
    for pattern, rule in _rules(grammar):
        for match in pattern.finditer(question):
            if any(match.start() < end and start < match.end() for start, end in spans):
                continue
            bounds = rule(match, day)
            if bounds is None:
                continue
            kind = _kind(grammar, match)
            if " ".join((match.groupdict().get("rel") or "").lower().split()) in grammar.recent:
                bounds = (None, None)  # "this week": the words go, the prior does the rest
                kind = "recent"
            narrow(*bounds)
            phrases.append(match[0].strip())
            kinds.append(kind)
            spans.append(match.span())
    if not phrases:
        return Found(None, question)
    rest = question
    for start, end in sorted(spans[named:], reverse=True):
        rest = rest[:start] + " " + rest[end:]
    # "In March, prices rose" leaves ", prices rose": drop the stranded punctuation.
    rest = re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s+", " ", rest)).strip(" ,;:")
    if since is None and until is None:  # only words that say "recently"
        return Found(None, rest, tuple(phrases), tuple(kinds))
    zone = today.tzinfo
    return Found(
        DateRange(
            None if since is None else datetime.combine(since, time(), zone),
            None if until is None else datetime.combine(until, time(), zone),
        ),
        rest,
        tuple(phrases),
        tuple(kinds),
    )


def _kind(g: Grammar, m: re.Match[str]) -> str:
    """Which of :data:`KINDS` a matched expression is (not "operator" nor "recent")."""
    groups = m.groupdict()
    if groups.get("rel") or groups.get("b_rel"):
        return "relative"
    if "b_iso" in groups:  # "between A and B": two dates the reader wrote out
        return "absolute"
    yearless = any(groups.get(d) and not groups.get(y) for d, y in _YEARS)
    if not yearless:
        return "absolute"
    return "yearless" if g.openers[m["op"].lower()] == "in" else "bound"


# A day or month group and the year group that would complete it.
_YEARS = (("d1", "y1"), ("d2", "y2"), ("m3", "y3"))


def describe(dates: DateRange) -> str:
    """The range in words for a reply header: "since 1 May 2024", "on 7 April 2024"."""
    since, until = dates.since, dates.until
    if since is not None and until is not None:
        last = until - timedelta(days=1)
        if last.date() == since.date():
            return f"on {_day(since)}"
        if last.date() < since.date():
            return f"from {_day(since)} to before {_day(until)}"
        return f"from {_day(since)} to {_day(last)}"
    if since is not None:
        return f"since {_day(since)}"
    if until is not None:
        return f"before {_day(until)}"
    return "at any date"


def _day(moment: datetime) -> str:
    """``7 April 2024``."""
    return f"{moment.day} {calendar.month_name[moment.month]} {moment.year}"


# -- the grammar's patterns -------------------------------------------------------------------

Rule = Callable[[re.Match[str], date], tuple[date | None, date | None] | None]


def _rules(grammar: Grammar) -> list[tuple[re.Pattern[str], Rule]]:
    """Patterns in the order they are tried: longer expressions first, so they win overlaps."""
    cached = _CACHE.get(id(grammar))
    if cached is None:
        cached = _build(grammar)
        _CACHE[id(grammar)] = cached
    return cached


_CACHE: dict[int, list[tuple[re.Pattern[str], Rule]]] = {}


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of words, longest first so "sept" wins over "sep"."""
    return "|".join(sorted((re.escape(word) for word in words), key=len, reverse=True))


def _build(g: Grammar) -> list[tuple[re.Pattern[str], Rule]]:
    """Compile the grammar's patterns with the rule that turns each match into bounds."""
    month = _alternatives(g.months)
    short = _alternatives(g.short_months)
    any_month = f"(?:{month}|{short})\\.?"
    weekday = _alternatives(g.weekdays)
    # A date: day month [year] | month day[,] [year] | month [year] | year | ISO day.
    last = f"(?:{_alternatives(g.last)})"
    ordinal = r"(?:st|nd|rd|th)?"
    day_month = rf"(?P<d1>\d{{1,2}}){ordinal}\s+(?:of\s+)?(?P<m1>{any_month})"
    day_month += r"(?:,?\s+(?P<y1>\d{4}))?"
    month_day = rf"(?P<m2>{any_month})\s+(?P<d2>\d{{1,2}}){ordinal}(?!\d)"
    month_day += r"(?:,?\s+(?P<y2>\d{4}))?"
    month_year = rf"(?P<m3>{month})(?:\s+(?P<y3>\d{{4}}))?"
    year = r"(?P<y4>(?:19|20)\d\d)"
    iso = r"(?P<iso>\d{4}-\d{2}-\d{2})"
    relative = "|".join(
        (
            f"{g.today}|{g.yesterday}",
            rf"(?:{g.this}|{last})\s+(?:week|month|year)",
            rf"{last}\s+(?P<n>\d{{1,3}})\s+(?P<unit>{_alternatives(g.units)})",
            rf"(?:{last}\s+)?(?P<wd>{weekday})",
        )
    )
    relative = f"(?P<rel>{relative})"
    a_date = f"(?:{iso}|{day_month}|{month_day}|{month_year}|{year}|{relative})"
    # The second date of "between ... and ...", its groups renamed.
    second = a_date.replace("?P<", "?P<b_")
    # Not followed by a name: "in May Day", "March of the Penguins", "May's cabinet".
    end = r"(?![\w'’]|\s+of\s+the\b|(?-i:\s+[A-Z]))"
    flags = re.IGNORECASE
    opener = _alternatives(g.openers)
    first, conj = g.between
    return [
        (
            re.compile(rf"\b{first}\s+{a_date}\s+{conj}\s+{second}{end}", flags),
            lambda m, day: _between(g, m, day),
        ),
        (
            re.compile(rf"\b(?P<op>{opener})\s+{a_date}{end}", flags),
            lambda m, day: _opened(g, m, day),
        ),
        (
            re.compile(rf"(?<![\w-]){relative}{end}", flags),
            lambda m, day: _relative_only(g, m, day),
        ),
    ]


def _between(g: Grammar, m: re.Match[str], day: date) -> tuple[date | None, date | None] | None:
    """``between A and B``: from A's first day to B's last."""
    groups = m.groupdict()
    a = date_period(g, {k: v for k, v in groups.items() if not k.startswith("b_")}, day)
    b = date_period(g, {k[2:]: v for k, v in groups.items() if k.startswith("b_")}, day)
    if a is None or b is None or _named(m):
        return None
    return a[0], b[1]


def _opened(g: Grammar, m: re.Match[str], day: date) -> tuple[date | None, date | None] | None:
    """``in``/``since``/``after``/``before``/``until`` followed by a date."""
    period = date_period(g, m.groupdict(), day)
    if period is None or _named(m):
        return None
    return period_bounds(period, g.openers[m["op"].lower()])


def _relative_only(
    g: Grammar, m: re.Match[str], day: date
) -> tuple[date | None, date | None] | None:
    """A relative expression on its own ("yesterday", "last week"), not a bare weekday."""
    if m["wd"] and not m["rel"].lower().startswith(g.last):
        return None  # "Super Tuesday", "Black Friday": a weekday alone is no date
    if _named(m):
        return None
    return period_bounds(date_period(g, m.groupdict(), day), "in")


def _named(m: re.Match[str]) -> bool:
    """Whether a relative word is capitalised inside a sentence ("USA Today"): a name."""
    rel = m.groupdict().get("rel")
    if not rel or rel[0].islower() or m.groupdict().get("wd"):
        return False
    before = m.string[: m.start("rel")].rstrip()
    return bool(before) and before[-1] not in '.!?:;"“('
