"""The days a matched date expression covers, and the bounds an opening word makes of them.

Kept apart from :mod:`retrieval.query_dates` (which finds the expressions in a question) because
this is calendar arithmetic on a match's groups: "May" without a year is the latest May up to
today, "last week" the calendar week before this one, "since" a period's first day.
"""

from __future__ import annotations

from datetime import date, timedelta

from retrieval.date_grammar import Grammar

Period = tuple[date, date]  # first day, day after the last


def period_bounds(period: Period | None, how: str) -> tuple[date | None, date | None] | None:
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


def date_period(g: Grammar, groups: dict[str, str | None], day: date) -> Period | None:
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
