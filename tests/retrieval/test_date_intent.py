"""Relative date ranges are preferred, named ones filter: the decision and the engine's use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from retrieval import Article, DateRange, Engine
from retrieval.date_intent import PREFER_TERMS, PREFER_WEIGHT, checked_weight, prefers
from retrieval.query_dates import find_dates
from retrieval.recency import Recency

NOW = datetime(2024, 6, 15, 12, tzinfo=UTC)
WORDS = ["flood", "river", "town"]  # enough search terms for a preference


@pytest.mark.parametrize(
    ("question", "preferred"),
    [
        ("floods in the river town yesterday", True),
        ("floods in the river town today", True),
        ("floods in the river town last month", True),
        ("floods in the river town this year", True),
        ("floods in the river town in the past 3 days", True),
        ("floods in the river town since last week", True),
        ("floods in the river town since:2024-05-01", False),
        ("floods in the river town until:2024-06-01", False),
        ("floods in the river town on 7 April 2022", False),
        ("floods in the river town in 2022", False),
        ("floods in the river town between 1 May and 7 June", False),
        ("floods in the river town since 1 May", False),
        ("floods in the river town in March", False),
        ("floods in the river town last week since 1 May", False),
        ("floods in the river town", False),
    ],
)
def test_relative_ranges_are_preferred_and_named_ones_filter(
    question: str, preferred: bool
) -> None:
    """Only expressions counted back from today are preferred; every named date filters."""
    assert prefers(find_dates(question, NOW), WORDS) is preferred


def test_a_question_with_few_other_words_keeps_the_filter() -> None:
    """'news yesterday': the date is most of the question, so it filters."""
    found = find_dates("news yesterday", NOW)
    assert not prefers(found, ["news"])
    assert not prefers(found, ["news", "flood"] * 3)  # repeats are one term each
    assert PREFER_TERMS == 3
    assert prefers(found, ["news", "flood", "town"])


def test_a_weight_of_zero_always_filters() -> None:
    """date_preference 0 is the behaviour before preferences existed."""
    assert not prefers(find_dates("floods in the river town yesterday", NOW), WORDS, 0.0)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "1"], ids=repr)
def test_the_weight_must_be_a_finite_number_at_least_zero(bad: object) -> None:
    """A negative, non-finite or non-numeric weight is refused with its name."""
    with pytest.raises(ValueError, match="date_preference"):
        checked_weight(bad)  # type: ignore[arg-type]


def article(key: str, text: str, days: float | None) -> Article:
    """An article published ``days`` before NOW (None: undated)."""
    date = None if days is None else NOW - timedelta(days=days)
    return Article(f"Report {key}", text, date=date, id=key)


REPORTS = [
    article("old", "An earthquake struck the mountain villages overnight.", 900),
    article("week", "An earthquake struck the coastal villages overnight.", 3),
    article("future", "An earthquake struck the river villages overnight.", -2),
    article("undated", "An earthquake struck the valley villages overnight.", None),
    article("may", "An earthquake struck the desert villages overnight.", 40),
]
ASKED = "earthquake struck villages last month"  # last month: May 2024


@pytest.fixture
def engine() -> Iterator[Engine]:
    """Quake reports of several ages: one from last month, one from the future, one undated."""
    engine = Engine.open(":memory:", recency=Recency(half_life_days=14.0, weight=0.5))
    engine.ingest(REPORTS)
    yield engine
    engine.close()


def scores(engine: Engine, query: str) -> dict[str, float]:
    """Each hit's article id and score."""
    return {hit.article.id: hit.score for hit in engine.search(query, as_of=NOW).hits}


def test_a_relative_range_boosts_its_briefings_and_keeps_the_others(engine: Engine) -> None:
    """'last month' is preferred: May's report scores 1 + weight times what it scores with no
    date words, the others exactly what they score then, the future one stays hidden."""
    result = engine.search(ASKED, as_of=NOW)
    assert result.preferred
    assert not result.widened
    may, june = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
    assert result.date_range == DateRange(may, june)
    assert result.undated == "earthquake struck villages"
    assert "month" not in result.terms
    preferred, plain = scores(engine, ASKED), scores(engine, "earthquake struck villages")
    assert set(preferred) == {"old", "week", "undated", "may"}
    assert preferred["may"] == pytest.approx(plain["may"] * (1 + PREFER_WEIGHT), rel=1e-12)
    assert {k: v for k, v in preferred.items() if k != "may"} == {
        k: v for k, v in plain.items() if k != "may"
    }


def test_a_larger_preference_puts_the_range_first(engine: Engine) -> None:
    """With a strong preference May's report outranks the newer one of equal text."""
    engine.date_preference = 1.0
    assert next(hit.article.id for hit in engine.search(ASKED, as_of=NOW).hits) == "may"


def test_date_preference_zero_filters_as_before(engine: Engine) -> None:
    """date_preference 0: 'last month' keeps May's report and the undated one only."""
    engine.date_preference = 0.0
    result = engine.search(ASKED, as_of=NOW)
    assert not result.preferred
    assert {hit.article.id for hit in result.hits} == {"may", "undated"}


def test_a_short_question_keeps_the_filter(engine: Engine) -> None:
    """'earthquake last month' has one search term: the range filters."""
    result = engine.search("earthquake last month", as_of=NOW)
    assert not result.preferred
    assert {hit.article.id for hit in result.hits} == {"may", "undated"}


def test_a_preferred_range_is_never_widened(engine: Engine) -> None:
    """Nothing matches at all: no hits, not widened (no range was kept to)."""
    result = engine.search("volcano lava eruption last month", as_of=NOW)
    assert result.hits == ()
    assert result.preferred
    assert not result.widened


def test_explain_shows_the_date_preference(engine: Engine) -> None:
    """'Why?' of May's report ends in a date preference factor of 1 + weight, the old report's
    in one of 1 saying it was kept; each explanation's score is the search's."""
    hits = {hit.article.id: hit for hit in engine.search(ASKED, as_of=NOW).hits}
    for key, value in (("may", 1 + PREFER_WEIGHT), ("old", 1.0)):
        explained = engine.explain(ASKED, hits[key].passage.id, as_of=NOW)
        assert explained is not None
        factor = explained.factors[-1]
        assert (factor.name, factor.value) == ("date preference", value)
        assert explained.score == pytest.approx(hits[key].score, rel=1e-12)
    assert "prefers" in factor.description
    assert "kept" in factor.description


def test_explain_of_a_filtered_range_is_unchanged(engine: Engine) -> None:
    """With date_preference 0 the same question explains a 'date range' factor, as before."""
    engine.date_preference = 0.0
    hit = engine.search(ASKED, as_of=NOW).hits[0]
    explained = engine.explain(ASKED, hit.passage.id, as_of=NOW)
    assert explained is not None
    assert [factor.name for factor in explained.factors] == ["date range"]
