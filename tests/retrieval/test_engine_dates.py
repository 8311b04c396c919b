"""Searches have a 'today': later briefings are hidden, recent ones preferred, dates parsed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from retrieval import Article, DateRange, Engine
from retrieval.recency import Recency

NOW = datetime(2024, 6, 15, 12, tzinfo=UTC)


def article(key: str, text: str, days: float | None) -> Article:
    """An article published ``days`` before NOW (None: undated)."""
    date = None if days is None else NOW - timedelta(days=days)
    return Article(f"Report {key}", text, date=date, id=key)


@pytest.fixture
def engine() -> Iterator[Engine]:
    """Quake reports of several ages, one from the future, one undated."""
    engine = Engine.open(":memory:", recency=Recency(half_life_days=14.0, weight=0.5))
    engine.ingest(
        [
            article("old", "An earthquake struck the mountain villages overnight.", 900),
            article("week", "An earthquake struck the coastal villages overnight.", 3),
            article("future", "An earthquake struck the river villages overnight.", -2),
            article("undated", "An earthquake struck the valley villages overnight.", None),
            article("may", "An earthquake struck the desert villages overnight.", 40),
        ]
    )
    yield engine
    engine.close()


def ids(engine: Engine, query: str, **kwargs: object) -> list[str]:
    """Article ids of a search's hits, best first."""
    return [hit.article.id for hit in engine.search(query, 10, **kwargs).hits]  # type: ignore[arg-type]


def test_briefings_published_after_as_of_are_never_returned(engine: Engine) -> None:
    """As of NOW the future report is hidden; as of a week later it is found."""
    assert "future" not in ids(engine, "earthquake villages", as_of=NOW)
    assert "future" in ids(engine, "earthquake villages", as_of=NOW + timedelta(days=7))
    assert ids(engine, "earthquake river", as_of=NOW)[:1] != ["future"]


def test_a_recent_briefing_outranks_an_older_one_of_equal_relevance(engine: Engine) -> None:
    """Equal text scores: the week-old report first, the undated one beside the old one."""
    found = ids(engine, "earthquake villages", as_of=NOW)
    assert found[:2] == ["week", "may"]
    assert set(found[2:]) == {"old", "undated"}


def test_undated_articles_keep_their_plain_score(engine: Engine) -> None:
    """An undated article scores exactly as with the prior off; a dated recent one gains."""

    def scores() -> dict[str, float]:
        hits = engine.search("earthquake villages", as_of=NOW).hits
        return {hit.article.id: hit.score for hit in hits}

    with_prior = scores()
    engine.recency = Recency()
    without = scores()
    assert with_prior["undated"] == without["undated"]
    assert with_prior["week"] > without["week"]


def test_an_old_article_that_alone_holds_the_answer_still_comes_first(engine: Engine) -> None:
    """The prior weighs ties, it does not bury the only article with the question's words."""
    assert ids(engine, "earthquake mountain", as_of=NOW)[0] == "old"


def test_a_date_in_the_question_becomes_the_range_and_leaves_the_words(engine: Engine) -> None:
    """'since 1 June' keeps June's reports and the undated one, and searches the other words."""
    result = engine.search("earthquake villages since 1 June", as_of=NOW)
    assert result.date_range == DateRange(datetime(2024, 6, 1, tzinfo=UTC), None)
    assert {hit.article.id for hit in result.hits} == {"week", "undated"}
    assert "june" not in result.terms
    assert result.undated == "earthquake villages"


def test_a_range_with_no_match_is_widened_to_any_date_and_says_so(engine: Engine) -> None:
    """until:2020-01-01 matches no mountain report: the words are searched at any date."""
    result = engine.search("mountain until:2020-01-01", as_of=NOW)
    assert [hit.article.id for hit in result.hits] == ["old"]
    assert result.widened
    assert result.date_range == DateRange(None, datetime(2020, 1, 1, tzinfo=UTC))
    assert result.undated == "mountain"
    assert "2020" not in result.terms


def test_a_range_that_matches_is_not_widened(engine: Engine) -> None:
    """'since 1 June' finds June's reports: the range holds and nothing older is shown."""
    result = engine.search("earthquake villages since 1 June", as_of=NOW)
    assert not result.widened
    assert "old" not in {hit.article.id for hit in result.hits}


def test_a_widened_search_prefers_recent_briefings_as_an_undated_question_does(
    engine: Engine,
) -> None:
    """Widened, the question ranks exactly as it would without its date words (the undated
    report matches any range, so the words here are ones only dated reports hold)."""
    widened = engine.search("coastal desert until:2010-01-01", as_of=NOW)
    plain = engine.search("coastal desert", as_of=NOW)
    assert widened.widened
    assert [(h.article.id, h.score) for h in widened.hits] == [
        (h.article.id, h.score) for h in plain.hits
    ]


def test_nothing_at_any_date_is_still_an_empty_widened_result(engine: Engine) -> None:
    """Words no report holds: widened, and still no hits."""
    result = engine.search("volcano since 1 June", as_of=NOW)
    assert result.hits == ()
    assert result.widened


def test_this_week_prefers_recent_briefings_without_hiding_older_ones(engine: Engine) -> None:
    """'this week' sets no range: the week-old report leads, the older ones still follow,
    and 'week' is not searched as a word."""
    result = engine.search("earthquake villages this week", as_of=NOW)
    assert result.date_range is None
    assert "week" not in result.terms
    found = [hit.article.id for hit in result.hits]
    assert found[:2] == ["week", "may"]
    assert {"old", "undated"} <= set(found)
    assert engine.search("this week", as_of=NOW).terms == ("week",)


def test_a_question_that_is_only_a_date_is_searched_as_words(engine: Engine) -> None:
    """'yesterday' alone leaves nothing to search: it stays the search word, with no range."""
    result = engine.search("yesterday", as_of=NOW)
    assert result.date_range is None
    assert result.terms == ("yesterday",)
    assert engine.search("what was it in the last 2 days", as_of=NOW).date_range is None


def test_as_of_must_be_timezone_aware(engine: Engine) -> None:
    """A naive as_of is refused with a clear message rather than guessed."""
    with pytest.raises(ValueError, match="timezone-aware"):
        engine.search("earthquake", as_of=datetime(2024, 6, 15))


def test_dates_survive_a_restart(tmp_path: object) -> None:
    """Reopening a store rebuilds the passage dates: a future article stays hidden."""
    path = f"{tmp_path}/s.sqlite3"
    first = Engine.open(path)
    first.ingest([article("future", "Floods reached the capital.", -5)])
    first.ingest([article("past", "Floods reached the coast.", 5)])
    first.close()
    again = Engine.open(path)
    assert ids(again, "floods", as_of=NOW) == ["past"]
    again.close()
