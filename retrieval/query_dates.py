"""Date expressions in questions: "since 1 May", "last week", ``until:2024-06-01``.

:func:`find_dates` turns the date expressions of a question into one :class:`DateRange`
(``since`` inclusive, ``until`` exclusive, both aware, in the zone of the search's "today")
and returns the question without them, so "debt relief since:2024-05-01" searches "debt
relief" among briefings published from 1 May 2024 on. "This week" sets no range: it leaves
the words, and the recency prior (on whenever a question has no range) prefers the week's
briefings without cutting off the older articles a quiz answer often sits in.

The grammar is a table per language (:class:`Grammar`): month and weekday names and the
words that open each kind of expression. Only English is written; another language is one
more table. A date word alone is never a date: "March of the Penguins", "Theresa May", "the
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

from retrieval.models import DateRange


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


@dataclass(frozen=True, slots=True)
class Found:
    """A question's date range (None when it names no date) and its remaining words.

    ``phrases`` are the date expressions taken out of ``rest``; a phrase that only says
    "recently" (:attr:`Grammar.recent`) is taken out without setting a range.
    """

    range: DateRange | None
    rest: str
    phrases: tuple[str, ...] = ()


Period = tuple[date, date]  # first day, day after the last
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
        spans.append(match.span())
    for pattern, rule in _rules(grammar):
        for match in pattern.finditer(question):
            if any(match.start() < end and start < match.end() for start, end in spans):
                continue
            bounds = rule(match, day)
            if bounds is None:
                continue
            if " ".join((match.groupdict().get("rel") or "").lower().split()) in grammar.recent:
                bounds = (None, None)  # "this week": the words go, the prior does the rest
            narrow(*bounds)
            phrases.append(match[0].strip())
            spans.append(match.span())
    if not phrases:
        return Found(None, question)
    rest = question
    for start, end in sorted(spans[named:], reverse=True):
        rest = rest[:start] + " " + rest[end:]
    # "In March, prices rose" leaves ", prices rose": drop the stranded punctuation.
    rest = re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s+", " ", rest)).strip(" ,;:")
    if since is None and until is None:  # only words that say "recently"
        return Found(None, rest, tuple(phrases))
    zone = today.tzinfo
    return Found(
        DateRange(
            None if since is None else datetime.combine(since, time(), zone),
            None if until is None else datetime.combine(until, time(), zone),
        ),
        rest,
        tuple(phrases),
    )


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
    a = _period(g, {k: v for k, v in groups.items() if not k.startswith("b_")}, day)
    b = _period(g, {k[2:]: v for k, v in groups.items() if k.startswith("b_")}, day)
    if a is None or b is None or _named(m):
        return None
    return a[0], b[1]


def _opened(g: Grammar, m: re.Match[str], day: date) -> tuple[date | None, date | None] | None:
    """``in``/``since``/``after``/``before``/``until`` followed by a date."""
    period = _period(g, m.groupdict(), day)
    if period is None or _named(m):
        return None
    return _bounds(period, g.openers[m["op"].lower()])


def _relative_only(
    g: Grammar, m: re.Match[str], day: date
) -> tuple[date | None, date | None] | None:
    """A relative expression on its own ("yesterday", "last week"), not a bare weekday."""
    if m["wd"] and not m["rel"].lower().startswith(g.last):
        return None  # "Super Tuesday", "Black Friday": a weekday alone is no date
    if _named(m):
        return None
    return _bounds(_period(g, m.groupdict(), day), "in")


def _named(m: re.Match[str]) -> bool:
    """Whether a relative word is capitalised inside a sentence ("USA Today"): a name."""
    rel = m.groupdict().get("rel")
    if not rel or rel[0].islower() or m.groupdict().get("wd"):
        return False
    before = m.string[: m.start("rel")].rstrip()
    return bool(before) and before[-1] not in '.!?:;"“('


def _bounds(period: Period | None, how: str) -> tuple[date | None, date | None] | None:
    """A period as bounds: ``in`` it, ``since``/``after`` its start/end, ``before``/``until``."""
    if period is None:
        return None
    first, stop = period
    return {
        "in": (first, stop),
        "since": (first, None),
        "after": (stop, None),
        "before": (None, first),
        "until": (None, stop),
    }[how]


def _period(g: Grammar, groups: dict[str, str | None], day: date) -> Period | None:
    """The days a matched date covers, or None if it is no real date (31 February)."""
    try:
        if groups.get("iso"):
            one = date.fromisoformat(str(groups["iso"]))
            return one, one + timedelta(days=1)
        for d, m, y in (("d1", "m1", "y1"), ("d2", "m2", "y2")):
            if groups.get(d) and groups.get(m):
                number = _month(g, str(groups[m]))
                year = int(str(groups[y])) if groups.get(y) else None
                one = _latest(day, number, int(str(groups[d])), year)
                return one, one + timedelta(days=1)
        if groups.get("m3"):
            number = _month(g, str(groups["m3"]))
            year = int(str(groups["y3"])) if groups.get("y3") else None
            if year is None:
                year = day.year if number <= day.month else day.year - 1
            return date(year, number, 1), _next_month(date(year, number, 1))
        if groups.get("y4"):
            year = int(str(groups["y4"]))
            return date(year, 1, 1), date(year + 1, 1, 1)
        if groups.get("rel"):
            return _relative(g, groups, day)
    except ValueError:
        return None
    return None


def _relative(g: Grammar, groups: dict[str, str | None], day: date) -> Period | None:
    """today, yesterday, this/last week|month|year, last N units, (last) Monday."""
    rel = " ".join(str(groups["rel"]).lower().split())
    tomorrow = day + timedelta(days=1)
    if rel == g.today:
        return day, tomorrow
    if rel == g.yesterday:
        return day - timedelta(days=1), day
    if groups.get("wd"):
        back = (day.weekday() - g.weekdays[str(groups["wd"]).lower()]) % 7
        if rel.startswith(g.last) and back == 0:
            back = 7  # "last Monday" on a Monday is a week ago
        one = day - timedelta(days=back)
        return one, one + timedelta(days=1)
    if groups.get("n"):
        n, unit = int(str(groups["n"])), g.units[str(groups["unit"]).lower()]
        days = {"day": 1, "week": 7, "month": 30, "year": 365}[unit] * n
        return day - timedelta(days=days - 1), tomorrow
    which, unit = rel.split()
    if which != g.this and which != g.last[0]:  # "past week": the seven days to today
        days = {"week": 7, "month": 30, "year": 365}[unit]
        return day - timedelta(days=days - 1), tomorrow
    week = day - timedelta(days=day.weekday())  # this calendar week's Monday
    month, year = day.replace(day=1), day.replace(month=1, day=1)
    if which == g.this:
        # "This week" in news means the last seven days: on a Monday, a calendar week would
        # hold one day, and a Friday's question means last weekend's story too.
        start = {"week": day - timedelta(days=6), "month": month, "year": year}[unit]
        return start, tomorrow
    if unit == "week":
        return week - timedelta(days=7), week
    if unit == "month":
        return (month - timedelta(days=1)).replace(day=1), month
    return year.replace(year=year.year - 1), year


def _month(g: Grammar, word: str) -> int:
    """The number of a month name or abbreviation (with or without its dot).

    ValueError for a lower-case "may": that is the verb ("prices in may rise"), not May.
    """
    if word == "may":
        raise ValueError("the verb may")
    key = word.lower().rstrip(".")
    return g.months.get(key) or g.short_months[key]


def _latest(day: date, month: int, number: int, year: int | None) -> date:
    """That day in ``year``, or without a year its latest occurrence up to ``day``."""
    if year is not None:
        return date(year, month, number)
    found = date(day.year, month, number)
    return found if found <= day else date(day.year - 1, month, number)


def _next_month(first: date) -> date:
    """The first day of the month after ``first``'s."""
    return (first + timedelta(days=32)).replace(day=1)
