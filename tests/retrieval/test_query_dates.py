"""Date expressions in questions become a range and leave the search words; names do not."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from retrieval.models import DateRange
from retrieval.query_dates import describe, find_dates

# A Saturday: "last week" is Monday 3 to Sunday 9 June 2024.
TODAY = datetime(2024, 6, 15, 12, 30, tzinfo=UTC)

CASES = [
    ("floods today", "floods", date(2024, 6, 15), date(2024, 6, 16), "on 15 June 2024"),
    ("floods yesterday", "floods", date(2024, 6, 14), date(2024, 6, 15), "on 14 June 2024"),
    ("floods last week", "floods", date(2024, 6, 3), date(2024, 6, 10),
     "from 3 June 2024 to 9 June 2024"),
    ("floods this month", "floods", date(2024, 6, 1), date(2024, 6, 16),
     "from 1 June 2024 to 15 June 2024"),
    ("floods last month", "floods", date(2024, 5, 1), date(2024, 6, 1),
     "from 1 May 2024 to 31 May 2024"),
    ("floods in March", "floods", date(2024, 3, 1), date(2024, 4, 1),
     "from 1 March 2024 to 31 March 2024"),
    ("floods in August", "floods", date(2023, 8, 1), date(2023, 9, 1),
     "from 1 August 2023 to 31 August 2023"),
    ("floods on 7 April", "floods", date(2024, 4, 7), date(2024, 4, 8), "on 7 April 2024"),
    ("floods on April 7, 2023", "floods", date(2023, 4, 7), date(2023, 4, 8), "on 7 April 2023"),
    ("floods in 2022", "floods", date(2022, 1, 1), date(2023, 1, 1),
     "from 1 January 2022 to 31 December 2022"),
    ("floods since 1 May", "floods", date(2024, 5, 1), None, "since 1 May 2024"),
    ("floods before June", "floods", None, date(2024, 6, 1), "before 1 June 2024"),
    ("floods after 1 May", "floods", date(2024, 5, 2), None, "since 2 May 2024"),
    ("floods between 1 May and 7 June", "floods", date(2024, 5, 1), date(2024, 6, 8),
     "from 1 May 2024 to 7 June 2024"),
    ("debt relief since:2024-05-01", "debt relief", date(2024, 5, 1), None, "since 1 May 2024"),
    ("debt relief until:2024-06-01", "debt relief", None, date(2024, 6, 1), "before 1 June 2024"),
    ("since:2024-05-01 debt until:2024-06-01", "debt", date(2024, 5, 1), date(2024, 6, 1),
     "from 1 May 2024 to 31 May 2024"),
    ("what did the Fed do on Wednesday?", "what did the Fed do?", date(2024, 6, 12),
     date(2024, 6, 13), "on 12 June 2024"),
    ("In March, prices rose", "prices rose", date(2024, 3, 1), date(2024, 4, 1),
     "from 1 March 2024 to 31 March 2024"),
    ("floods last Tuesday", "floods", date(2024, 6, 11), date(2024, 6, 12), "on 11 June 2024"),
    ("floods past 3 weeks", "floods", date(2024, 5, 26), date(2024, 6, 16),
     "from 26 May 2024 to 15 June 2024"),
    ("floods over the past week", "floods over the", date(2024, 6, 9), date(2024, 6, 16),
     "from 9 June 2024 to 15 June 2024"),
    ("floods in the past 3 days", "floods in the", date(2024, 6, 13), date(2024, 6, 16),
     "from 13 June 2024 to 15 June 2024"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("question", "rest", "since", "until", "header"), CASES, ids=[c[0] for c in CASES]
)
def test_each_expression_gives_its_range_words_and_header(
    question: str, rest: str, since: date | None, until: date | None, header: str
) -> None:
    """The expression becomes [since, until) at midnight in today's zone and leaves the words."""
    found = find_dates(question, TODAY)
    assert found.range is not None
    got = (found.range.since, found.range.until)
    want = tuple(
        None if d is None else datetime(d.year, d.month, d.day, tzinfo=UTC) for d in (since, until)
    )
    assert got == want
    assert found.rest == rest
    assert describe(found.range) == header


NAMES = [
    "March of the Penguins",
    "What did Theresa May say about Brexit?",
    "May to quit as prime minister",
    "Which newspaper is USA Today owned by?",
    "Who voted on Super Tuesday?",
    "Black Friday sales",
    "Who led the March on Washington?",
    "Where did the Women's March start?",
    "What happened in May's cabinet?",
    "In March of the Living, who walked?",
    "Who won in the 2024 election?",
    "since:2024-02-31 floods",
    "Is the Today programme on air?",
    "Who incited the January 6 insurrection?",
    "Xbox 2 may be unveiled in summer",
    "Prices in may rise",
    "The story ran in The Mail on Sunday.",
]


@pytest.mark.parametrize("question", NAMES)
def test_date_words_in_names_are_not_filters(question: str) -> None:
    """A month, weekday or 'today' that is part of a name stays a search word."""
    found = find_dates(question, TODAY)
    assert found.range is None
    assert found.rest == question


@pytest.mark.parametrize(
    ("question", "rest"),
    [("floods this week", "floods"), ("This week, who won?", "who won?"),
     ("floods since 1 May this week", "floods")],
    ids=["this week", "capitalised", "with a range"],
)  # fmt: skip
def test_this_week_leaves_the_words_and_sets_no_range(question: str, rest: str) -> None:
    """'this week' only says "recently": its words go, no range is set (the prior prefers
    recent briefings), and another expression's range still holds."""
    found = find_dates(question, TODAY)
    assert found.rest == rest
    assert "this week" in [p.lower() for p in found.phrases]
    if "May" in question:
        assert found.range == DateRange(datetime(2024, 5, 1, tzinfo=UTC), None)
    else:
        assert found.range is None


def test_a_day_without_year_is_its_latest_occurrence_up_to_today() -> None:
    """'on 20 June' asked on 15 June 2024 means 20 June 2023, not a day still to come."""
    found = find_dates("floods on 20 June", TODAY)
    assert found.range == DateRange(
        datetime(2023, 6, 20, tzinfo=UTC), datetime(2023, 6, 21, tzinfo=UTC)
    )


def test_days_are_counted_in_the_zone_of_today() -> None:
    """'yesterday' in UTC+10 starts at that zone's midnight."""
    zone = timezone(timedelta(hours=10))
    found = find_dates("floods yesterday", datetime(2024, 6, 15, 1, tzinfo=zone))
    assert found.range is not None
    assert found.range.since == datetime(2024, 6, 14, tzinfo=zone)


def test_several_expressions_narrow_each_other() -> None:
    """'since May ... before June' is May."""
    found = find_dates("floods since May before June", TODAY)
    assert found.range == DateRange(
        datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
    )
    assert found.rest == "floods"


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("floods today", ("relative",)),
        ("floods yesterday", ("relative",)),
        ("floods last month", ("relative",)),
        ("floods in the past 3 days", ("relative",)),
        ("floods last Tuesday", ("relative",)),
        ("floods since yesterday", ("relative",)),
        ("floods this week", ("recent",)),
        ("floods in March", ("yearless",)),
        ("floods on 7 April", ("yearless",)),
        ("floods since 1 May", ("bound",)),
        ("floods before June", ("bound",)),
        ("floods in March 2023", ("absolute",)),
        ("floods on 7 April 2022", ("absolute",)),
        ("floods in 2022", ("absolute",)),
        ("floods between 1 May and 7 June", ("absolute",)),
        ("debt relief since:2024-05-01", ("operator",)),
        ("floods this week since 1 May", ("bound", "recent")),
        ("floods", ()),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_each_expression_says_what_kind_it_is(question: str, kinds: tuple[str, ...]) -> None:
    """Every phrase gets a kind, in order; ``relative`` only when all count back from today."""
    found = find_dates(question, TODAY)
    assert sorted(found.kinds) == sorted(kinds)
    assert len(found.kinds) == len(found.phrases)
    assert found.relative == (bool(kinds) and set(kinds) <= {"relative", "recent"})
